package audit_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/events"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/audit"
)

var t0 = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type env struct {
	db    *repository.DB
	bus   *events.Memory
	subs  *events.Subscriptions
	logs  *repository.AuditLogs
	leads *repository.Leads
}

// newEnv publishes db's events to an in-memory bus carrying the audit subscriber.
func newEnv(t *testing.T, db *repository.DB) *env {
	t.Helper()
	subs := events.NewSubscriptions()
	logs := repository.NewAuditLogs(db)
	if err := audit.Register(subs, logs); err != nil {
		t.Fatal(err)
	}
	bus := events.NewMemory(subs, testkit.Logger(t))
	db.SetPublisher(bus)
	return &env{db: db, bus: bus, subs: subs, logs: logs, leads: repository.NewLeads(db)}
}

func (e *env) drain(t *testing.T) {
	t.Helper()
	if err := e.bus.Drain(); err != nil {
		t.Fatalf("subscribers failed: %v", err)
	}
}

// rows lists the audit rows about one aggregate, oldest first.
func (e *env) rows(t *testing.T, resourceID uuid.UUID) []models.AuditLog {
	t.Helper()
	got, err := e.logs.List(context.Background(), repository.AuditLogFilter{ResourceID: resourceID.String()}, repository.Page{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(got)
	return got
}

// handle runs the audit subscriber for e directly, as a redelivery would.
func (e *env) handle(t *testing.T, ev models.Event) error {
	t.Helper()
	sub, ok := e.subs.Get(ev.EventName(), audit.Subscriber)
	if !ok {
		t.Fatalf("the audit subscriber does not follow %s", ev.EventName())
	}
	return sub.Handle(context.Background(), ev)
}

// capturedLead saves a new lead (lead.captured is not audited) and forgets its events.
func (e *env) capturedLead(t *testing.T) *models.Lead {
	t.Helper()
	l, err := models.NewLead("site", models.UTM{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.leads.Create(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	e.drain(t)
	return l
}

func TestAuditRecordsCommittedEventsOnce(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		l := e.capturedLead(t)
		if rows := e.rows(t, l.ID); len(rows) != 0 {
			t.Fatalf("lead.captured is not audited, got %+v", rows)
		}

		var changed models.Event
		err := e.leads.Update(ctx, l.ID, func(l *models.Lead) error {
			if err := l.MoveTo(models.LeadStatusEngaged, t0.Add(time.Minute)); err != nil {
				return err
			}
			changed = l.Events()[0]
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.drain(t)

		rows := e.rows(t, l.ID)
		if len(rows) != 1 {
			t.Fatalf("%d audit rows after one committed event, want 1: %+v", len(rows), rows)
		}
		r := rows[0]
		if r.ActorUserID != nil || r.ActorRole != "system" || r.Action != models.AuditActionEvent ||
			r.Resource != "lead" || r.ResourceID != l.ID.String() || r.EventID == nil || *r.EventID != changed.EventID() ||
			!r.At.Equal(t0.Add(time.Minute)) || r.IP != "" || r.UserAgent != "" {
			t.Errorf("audit row = %+v", r)
		}
		want := map[string]models.AuditChange{
			"event":  {From: nil, To: "lead.status_changed"},
			"status": {From: "new", To: "engaged"},
		}
		if !reflect.DeepEqual(r.Changes, want) {
			t.Errorf("changes = %#v, want %#v", r.Changes, want)
		}

		// A redelivery of the same event adds nothing, even several at once.
		if err := e.handle(t, changed); err != nil {
			t.Fatalf("second run: %v", err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := e.handle(t, changed); err != nil {
					t.Errorf("concurrent run: %v", err)
				}
			})
		}
		wg.Wait()
		if rows := e.rows(t, l.ID); len(rows) != 1 {
			t.Errorf("%d audit rows after redeliveries, want 1", len(rows))
		}
	})
}

func TestAuditRollbackRecordsNothing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		l := e.capturedLead(t)
		err := e.leads.Update(ctx, l.ID, func(l *models.Lead) error {
			if err := l.MoveTo(models.LeadStatusLost, t0); err != nil {
				return err
			}
			return errors.New("changed my mind")
		})
		if err == nil {
			t.Fatal("the update did not fail")
		}
		e.drain(t)
		if rows := e.rows(t, l.ID); len(rows) != 0 {
			t.Errorf("a rolled-back change was audited: %+v", rows)
		}
	})
}

// Every audited event, stated with every fact it can carry, becomes one valid row (no P2 or secret
// field names, a known resource) and only one, whatever the database.
func TestAuditEveryAuditedEvent(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		catalog := events.DefaultCatalog()
		names := audit.Events()
		for _, want := range []string{
			"appointment.booked", "appointment.canceled", "payment.succeeded", "refund.succeeded",
			"consent.changed", "moderation.decided", "data_export.requested", "lead.status_changed",
		} {
			if !slices.Contains(names, want) {
				t.Errorf("%s is not audited", want)
			}
		}
		for _, not := range []string{"diary_entry.written", "diary_entry.edited", "interactive_run.completed", "lead.captured"} {
			if slices.Contains(names, not) {
				t.Errorf("%s must not be audited", not)
			}
		}
		for _, name := range names {
			t.Run(name, func(t *testing.T) {
				aggregate := models.NewID()
				payload := fmt.Sprintf(`{"event_id": %q, "aggregate_id": %q, "occurred_at": "2026-11-25T09:00:00Z",
					"status": "confirmed", "from": "pending", "to": "approved", "by": "client", "source": "cabinet",
					"consent_type": "personal_data", "granted": true, "version": "v1", "expires_at": "2026-12-01T00:00:00Z",
					"lead_id": %q, "user_id": %q}`, models.NewID(), aggregate, models.NewID(), models.NewID())
				ev, err := catalog.Decode(name, []byte(payload))
				if err != nil {
					t.Fatalf("%s is audited but not in the catalog: %v", name, err)
				}
				for range 2 {
					if err := e.handle(t, ev); err != nil {
						t.Fatal(err)
					}
				}
				rows := e.rows(t, aggregate)
				if len(rows) != 1 {
					t.Fatalf("%d rows, want 1", len(rows))
				}
				r := rows[0]
				if r.Resource == "" || r.Changes["event"].To != name || r.EventID == nil || *r.EventID != ev.EventID() {
					t.Errorf("row = %+v", r)
				}
				if len(r.Changes) < 2 {
					t.Errorf("changes = %v: the row says nothing about the event", r.Changes)
				}
			})
		}
	})
}

// failingStore stands for a database that is down.
type failingStore struct{ err error }

func (s failingStore) AppendForEvent(context.Context, *models.AuditLog) (bool, error) {
	return false, s.err
}

func TestAuditReportsStoreErrors(t *testing.T) {
	t.Parallel()
	subs := events.NewSubscriptions()
	errDown := errors.New("database down")
	if err := audit.Register(subs, failingStore{errDown}); err != nil {
		t.Fatal(err)
	}
	sub, ok := subs.Get("payment.succeeded", audit.Subscriber)
	if !ok {
		t.Fatal("payment.succeeded is not audited")
	}
	ev := models.PaymentSucceeded{EventMeta: models.NewEventMeta(models.NewID(), t0), AppointmentID: models.NewID()}
	if err := sub.Handle(context.Background(), ev); !errors.Is(err, errDown) {
		t.Errorf("Handle = %v, want the store's error (so that the job is retried)", err)
	}
	// A wrongly typed event is an error, not a panic.
	if err := sub.Handle(context.Background(), models.PaymentFailed{}); err == nil {
		t.Error("Handle accepted a payment.failed as a payment.succeeded")
	}
	// Registering twice on one set is refused: names are unique per event.
	if err := audit.Register(subs, failingStore{}); err == nil {
		t.Error("a second registration succeeded")
	}
}

func TestAuditRecordsPaidAndRefundedAmounts(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		paid := models.PaymentSucceeded{EventMeta: models.NewEventMeta(models.NewID(), t0), AppointmentID: models.NewID(), AmountMinor: 500000, Currency: "RUB"}
		refunded := models.RefundSucceeded{EventMeta: models.NewEventMeta(models.NewID(), t0), PaymentID: paid.AggregateID(), AmountMinor: 250000, Currency: "RUB"}
		for ev, want := range map[models.Event]string{paid: "5000.00 RUB", refunded: "2500.00 RUB"} {
			if err := e.handle(t, ev); err != nil {
				t.Fatal(err)
			}
			rows := e.rows(t, ev.AggregateID())
			if len(rows) != 1 || rows[0].Changes["amount"].To != want {
				t.Errorf("%s: rows %+v, want amount %s", ev.EventName(), rows, want)
			}
		}
	})
}
