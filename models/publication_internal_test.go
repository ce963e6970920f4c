package models

import (
	"errors"
	"testing"
	"time"
)

func TestPublicationLifecycle(t *testing.T) {
	t.Parallel()
	t1, t2, t3 := pubT0.Add(time.Hour), pubT0.Add(2*time.Hour), pubT0.Add(3*time.Hour)
	p := Publication{Status: PublicationDraft}
	if p.IsPublished() {
		t.Fatal("draft is published")
	}
	mustOK(t, p.publish(t1))
	if !p.IsPublished() || p.PublishedAt == nil || !p.PublishedAt.Equal(t1) {
		t.Fatalf("after publish: %+v", p)
	}
	if err := p.publish(t2); !errors.Is(err, ErrInvalidTransition) || !p.PublishedAt.Equal(t1) {
		t.Errorf("publishing twice: %v, %+v", err, p)
	}
	mustOK(t, p.unpublish(t2))
	mustOK(t, p.publish(t3))
	if !p.PublishedAt.Equal(t1) {
		t.Errorf("re-publication moved the first publication time to %v", p.PublishedAt)
	}
	mustOK(t, p.archive(t3))
	if err := p.publish(t3); !errors.Is(err, ErrInvalidTransition) || p.Status != PublicationArchived {
		t.Errorf("publishing archived: %v, %+v", err, p)
	}
	mustOK(t, p.unpublish(t3))
	if p.Status != PublicationDraft {
		t.Errorf("archived → draft: %+v", p)
	}
	for _, s := range []string{"draft", "published", "archived"} {
		if got, err := ParsePublicationStatus(s); err != nil || string(got) != s {
			t.Errorf("ParsePublicationStatus(%q) = %q, %v", s, got, err)
		}
	}
	if _, err := ParsePublicationStatus("live"); err == nil {
		t.Error("ParsePublicationStatus(live) succeeded")
	}
}

var pubT0 = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
