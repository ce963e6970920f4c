package repository_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// recordingPublisher remembers what it was asked to publish, and can refuse.
type recordingPublisher struct {
	mu        sync.Mutex
	published []models.Event
	inTx      []bool
	committed int
	refuse    error
}

func (p *recordingPublisher) Publish(_ context.Context, tx *repository.Tx, events []models.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse != nil {
		return p.refuse
	}
	p.published = append(p.published, events...)
	p.inTx = append(p.inTx, tx.SQL != nil)
	tx.AfterCommit(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.committed++
	})
	return nil
}

func (p *recordingPublisher) names() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, e := range p.published {
		out = append(out, e.EventName())
	}
	return out
}

func newBooking(t *testing.T, svc *models.Service, start time.Time) *models.Appointment {
	t.Helper()
	lead := models.NewID()
	a, err := models.NewAppointment(svc, start, models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, nil, &lead,
		models.AppointmentMetadata{}, 15*time.Minute, t0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Stores publish in the transaction that saves the aggregate — InTx's, or GORM's implicit one
// for a single statement — and the aggregate forgets its events only once that commits.
func TestStoresPublishRecordedEvents(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		svc := bookingCreateService(t, db, nil)
		pub := &recordingPublisher{}
		db.SetPublisher(pub)
		appts := repository.NewAppointments(db)

		t.Run("implicit transaction", func(t *testing.T) {
			a := newBooking(t, svc, bookingAt(40, 10))
			if err := appts.Create(ctx, a); err != nil {
				t.Fatalf("Create outside InTx: %v", err)
			}
			if got := pub.names(); len(got) != 1 || got[0] != "appointment.booked" || !pub.inTx[0] || pub.committed != 1 {
				t.Fatalf("published %v (in a transaction: %v), after-commit ran %d times", got, pub.inTx, pub.committed)
			}
			if len(a.Events()) != 0 {
				t.Errorf("events kept after commit: %v", a.Events())
			}
		})

		t.Run("explicit transaction, saved twice, published once", func(t *testing.T) {
			before := len(pub.names())
			a := newBooking(t, svc, bookingAt(41, 10))
			err := db.InTx(ctx, func(ctx context.Context) error {
				if err := appts.Create(ctx, a); err != nil {
					return err
				}
				if err := a.Confirm(t0); err != nil {
					return err
				}
				return appts.Save(ctx, a)
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := pub.names()[before:]; len(got) != 2 || got[0] != "appointment.booked" || got[1] != "appointment.confirmed" {
				t.Errorf("published %v, want booked then confirmed, once each", got)
			}
			if len(a.Events()) != 0 {
				t.Errorf("events kept after commit: %v", a.Events())
			}
		})

		t.Run("rollback", func(t *testing.T) {
			before, committed := len(pub.names()), pub.committed
			a := newBooking(t, svc, bookingAt(42, 10))
			err := db.InTx(ctx, func(ctx context.Context) error {
				if err := appts.Create(ctx, a); err != nil {
					return err
				}
				return errors.New("changed my mind")
			})
			if err == nil {
				t.Fatal("the transaction did not fail")
			}
			if pub.committed != committed {
				t.Error("after-commit ran for a rolled-back transaction")
			}
			// Events of InTx are published at commit: a rolled-back transaction published nothing.
			if len(pub.names()) != before || len(a.Events()) != 1 {
				t.Errorf("published %v; the aggregate keeps %v for a retry", pub.names()[before:], a.Events())
			}
		})

		t.Run("a refused publish fails the save", func(t *testing.T) {
			errRefused := errors.New("bus down")
			pub.mu.Lock()
			pub.refuse = errRefused
			pub.mu.Unlock()
			a := newBooking(t, svc, bookingAt(43, 10))
			if err := appts.Create(ctx, a); !errors.Is(err, errRefused) {
				t.Fatalf("Create = %v, want the publisher's error", err)
			}
			if n := count(t, db, "appointments", "id = ?", a.ID); n != 0 {
				t.Error("the appointment was stored although its events were not published")
			}
		})
	})
}
