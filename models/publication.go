package models

import (
	"fmt"
	"time"
)

// PublicationStatus is the lifecycle of editable public things: services, content, interactive
// definitions.
type PublicationStatus string

// Publication statuses.
const (
	PublicationDraft     PublicationStatus = "draft"
	PublicationPublished PublicationStatus = "published"
	PublicationArchived  PublicationStatus = "archived"
)

// ParsePublicationStatus validates a publication status.
func ParsePublicationStatus(s string) (PublicationStatus, error) {
	switch p := PublicationStatus(s); p {
	case PublicationDraft, PublicationPublished, PublicationArchived:
		return p, nil
	}
	return "", &ValidationError{Field: "status", Message: fmt.Sprintf("must be draft, published or archived; got %q", s)}
}

// Publishing moves a PublicationStatus: draft → published → archived, archived → draft to revise.
// It returns the new status and the publication time to keep (set on first publication).
func (p PublicationStatus) transition(to PublicationStatus, publishedAt *time.Time, now time.Time) (*time.Time, error) {
	allowed := map[PublicationStatus][]PublicationStatus{
		PublicationDraft:     {PublicationPublished, PublicationArchived},
		PublicationPublished: {PublicationArchived, PublicationDraft},
		PublicationArchived:  {PublicationDraft},
	}
	for _, next := range allowed[p] {
		if next == to {
			if to == PublicationPublished && publishedAt == nil {
				return &now, nil
			}
			return publishedAt, nil
		}
	}
	return publishedAt, fmt.Errorf("%s → %s: %w", p, to, ErrInvalidTransition)
}

// Publication is embedded by publishable aggregates. Its moves are unexported so that only the
// aggregate's own Publish/Unpublish/Archive — which check completeness and record events — can
// change it.
type Publication struct {
	Status      PublicationStatus
	PublishedAt *time.Time
}

// publish makes the thing public; the first publication time is kept across re-publications.
func (p *Publication) publish(now time.Time) error { return p.moveTo(PublicationPublished, now) }

// unpublish returns it to draft for revision.
func (p *Publication) unpublish(now time.Time) error { return p.moveTo(PublicationDraft, now) }

// archive hides it for good (it can be brought back to draft).
func (p *Publication) archive(now time.Time) error { return p.moveTo(PublicationArchived, now) }

// IsPublished reports whether the public may see it.
func (p *Publication) IsPublished() bool { return p.Status == PublicationPublished }

func (p *Publication) moveTo(to PublicationStatus, now time.Time) error {
	at, err := p.Status.transition(to, p.PublishedAt, now)
	if err != nil {
		return err
	}
	p.Status, p.PublishedAt = to, at
	return nil
}
