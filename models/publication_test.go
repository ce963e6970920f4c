package models_test

import (
	"errors"
	"testing"
	"time"

	"balance/models"
)

func TestPublicationLifecycle(t *testing.T) {
	t.Parallel()
	t1, t2, t3 := t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour)
	p := models.Publication{Status: models.PublicationDraft}
	if p.IsPublished() {
		t.Fatal("draft is published")
	}
	mustDo(t, p.Publish(t1))
	if !p.IsPublished() || p.PublishedAt == nil || !p.PublishedAt.Equal(t1) {
		t.Fatalf("after publish: %+v", p)
	}
	if err := p.Publish(t2); !errors.Is(err, models.ErrInvalidTransition) || !p.PublishedAt.Equal(t1) {
		t.Errorf("publishing twice: %v, %+v", err, p)
	}
	mustDo(t, p.Unpublish(t2))
	mustDo(t, p.Publish(t3))
	if !p.PublishedAt.Equal(t1) {
		t.Errorf("re-publication moved the first publication time to %v", p.PublishedAt)
	}
	mustDo(t, p.Archive(t3))
	if err := p.Publish(t3); !errors.Is(err, models.ErrInvalidTransition) || p.Status != models.PublicationArchived {
		t.Errorf("publishing archived: %v, %+v", err, p)
	}
	mustDo(t, p.Unpublish(t3))
	if p.Status != models.PublicationDraft {
		t.Errorf("archived → draft: %+v", p)
	}
	for _, s := range []string{"draft", "published", "archived"} {
		if got, err := models.ParsePublicationStatus(s); err != nil || string(got) != s {
			t.Errorf("ParsePublicationStatus(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := models.ParsePublicationStatus("live"); err == nil {
		t.Error("ParsePublicationStatus(live) succeeded")
	}
}
