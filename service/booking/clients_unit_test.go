package booking_test

// What the waitlist's and the staff booking's unit tests share: the service they book or wait
// for, and memClients, a booking.ClientStore in memory.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/booking"
)

// errStore stands for a database that fails.
var errStore = errors.New("the database is gone")

// sameUser and sameLead tell whether a stored account or lead is as it was.
func sameUser(a, b models.User) bool { return a.ID == b.ID && len(a.Consents) == len(b.Consents) }

func sameLead(a, b models.Lead) bool {
	return a.ID == b.ID && a.Notes == b.Notes && len(a.Identities) == len(b.Identities)
}

// memClients is booking.ClientStore in memory, with the database's guarantees recording a client
// relies on: an email has one account (granted consents the way clients.Record grants them), a
// contact belongs to one lead. The use cases' fakes embed it and put back a copy taken at the
// start of a transaction that fails. Stored values are copied in and out, so nothing a caller
// keeps changes what is stored.
type memClients struct {
	accounts map[models.Email]models.User
	leads    map[uuid.UUID]models.Lead
}

func newMemClients() memClients {
	return memClients{accounts: map[models.Email]models.User{}, leads: map[uuid.UUID]models.Lead{}}
}

// clone copies the maps; the slices inside are copied on every write, never changed in place.
func (c memClients) clone() memClients {
	return memClients{accounts: maps.Clone(c.accounts), leads: maps.Clone(c.leads)}
}

var _ booking.ClientStore = (*memClients)(nil)

func (c *memClients) RecordAccount(_ context.Context, email models.Email, name string, consents []booking.ConsentInput, source string, now time.Time) (*models.User, error) {
	u, ok := c.accounts[email]
	if !ok {
		u = *models.NewClientUser(email, name, now)
	} else if u.Status != models.UserActive {
		return nil, fmt.Errorf("record a client of a %s account: %w", u.Status, models.ErrForbidden)
	}
	u.Consents = slices.Clone(u.Consents)
	for _, k := range consents {
		if err := u.GrantConsent(k.Type, k.Version, source, now); err != nil {
			return nil, err
		}
	}
	c.accounts[email] = u
	return &u, nil
}

func (c *memClients) LeadByIdentity(_ context.Context, kind models.LeadIdentityKind, value string) (*models.Lead, error) {
	for _, l := range c.leads {
		if l.HasIdentity(kind, value) {
			l.Identities = slices.Clone(l.Identities)
			return &l, nil
		}
	}
	return nil, models.ErrNotFound
}

// saveLead stores l unless another lead holds one of its contacts (models.ErrConflict).
func (c *memClients) saveLead(l *models.Lead) error {
	for _, id := range l.Identities {
		for _, other := range c.leads {
			if other.ID != l.ID && other.HasIdentity(id.Kind, id.Value) {
				return fmt.Errorf("lead identity %s: %w", id.Kind, models.ErrConflict)
			}
		}
	}
	stored := *l
	stored.Identities = slices.Clone(l.Identities)
	stored.ClearEvents()
	c.leads[l.ID] = stored
	return nil
}

func (c *memClients) CreateLead(_ context.Context, l *models.Lead) error {
	if _, ok := c.leads[l.ID]; ok {
		return models.ErrConflict
	}
	return c.saveLead(l)
}

func (c *memClients) UpdateLead(_ context.Context, id uuid.UUID, fn func(*models.Lead) error) error {
	l, ok := c.leads[id]
	if !ok {
		return models.ErrNotFound
	}
	l.Identities = slices.Clone(l.Identities)
	if err := fn(&l); err != nil {
		return err
	}
	return c.saveLead(&l)
}

// lead is the stored lead holding a contact, nil when none does.
func (c *memClients) lead(kind models.LeadIdentityKind, value string) *models.Lead {
	l, err := c.LeadByIdentity(context.Background(), kind, value)
	if err != nil {
		return nil
	}
	return l
}

// addLead stores a lead of source with the contacts given (kind, value, kind, value …) and notes.
func (c *memClients) addLead(source, notes string, now time.Time, contacts ...string) *models.Lead {
	l, err := models.NewLead(source, models.UTM{}, now)
	if err != nil {
		panic(err)
	}
	for i := 0; i+1 < len(contacts); i += 2 {
		if err := l.AddIdentity(models.LeadIdentityKind(contacts[i]), contacts[i+1], now); err != nil {
			panic(err)
		}
	}
	if err := l.SetNotes(notes, now); err != nil {
		panic(err)
	}
	if err := c.saveLead(l); err != nil {
		panic(err)
	}
	return l
}

// unitService is a published (or, with draft, unpublished) 5,000.00 RUB session of 50 minutes
// plus 10 of buffer, online or in person, scheduled in Moscow, created at envNow.
func unitService(t *testing.T, slug string, draft bool) *models.Service {
	t.Helper()
	svc, err := models.NewService(models.ServiceDetails{
		Slug: slug, Title: "Индивидуальная консультация", Format: models.ServiceFormatHybrid,
		DurationMinutes: 50, BufferMinutes: 10, Price: models.Money{Minor: 500000, Currency: models.CurrencyRUB},
	}, envNow)
	if err != nil {
		t.Fatal(err)
	}
	if !draft {
		if err := svc.Publish(envNow); err != nil {
			t.Fatal(err)
		}
	}
	return svc
}
