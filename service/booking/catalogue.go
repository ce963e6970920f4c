package booking

// This file answers "what can a client book?": the published services, and nothing else.

import (
	"context"
	"fmt"

	"balance/models"
	"balance/repository"
)

// Catalogue page bounds: a page holds at most MaxCataloguePage services, DefaultCataloguePage when
// the caller does not say.
const (
	DefaultCataloguePage = 50
	MaxCataloguePage     = 100
)

// ServiceStore is what the catalogue needs of the services table; *repository.Services is one.
type ServiceStore interface {
	BySlug(ctx context.Context, slug string) (*models.Service, error)
	ListPublished(ctx context.Context, page repository.Page) ([]models.Service, error)
}

// Catalogue shows the public the services it may book.
type Catalogue struct {
	services ServiceStore
}

// NewCatalogue returns the public service catalogue.
func NewCatalogue(services ServiceStore) *Catalogue {
	return &Catalogue{services: services}
}

// PublishedServices lists published services by title: limit of them (0 means
// DefaultCataloguePage; 1..MaxCataloguePage) after skipping offset (≥ 0).
func (c *Catalogue) PublishedServices(ctx context.Context, limit, offset int) ([]models.Service, error) {
	if limit == 0 {
		limit = DefaultCataloguePage
	}
	if limit < 1 || limit > MaxCataloguePage {
		return nil, &models.ValidationError{Field: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxCataloguePage)}
	}
	if offset < 0 {
		return nil, &models.ValidationError{Field: "offset", Message: "must not be negative"}
	}
	out, err := c.services.ListPublished(ctx, repository.Page{Limit: limit, Offset: offset})
	if err != nil {
		return nil, fmt.Errorf("published services: %w", err)
	}
	if out == nil {
		out = []models.Service{}
	}
	return out, nil
}

// PublishedService loads the published service with this slug. A draft or archived service is
// models.ErrNotFound, exactly like a slug that does not exist: the public cannot tell them apart.
func (c *Catalogue) PublishedService(ctx context.Context, slug string) (*models.Service, error) {
	svc, err := c.services.BySlug(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("published service %s: %w", slug, err)
	}
	if !svc.IsPublished() {
		return nil, fmt.Errorf("published service %s: %w", slug, models.ErrNotFound)
	}
	return svc, nil
}
