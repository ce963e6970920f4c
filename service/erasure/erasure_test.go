package erasure_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/erasure"
)

type clock struct{ t time.Time }

func (c clock) Now() time.Time { return c.t }

// fake records what the use case asked of its ports, in order.
type fake struct {
	calls     []string
	codeErr   error
	cancelErr map[uuid.UUID]error
	upcoming  []uuid.UUID
	eraseErr  error
	user      *models.User
	plan      erasure.Plan
	audited   []*models.AuditLog
	scheduled []any
}

func (f *fake) RequestDeletionCode(context.Context, *models.User, string) error { return nil }
func (f *fake) ConfirmDeletionCode(_ context.Context, id uuid.UUID, code string) (*models.OneTimeCode, error) {
	f.calls = append(f.calls, "confirm "+code)
	if f.codeErr != nil {
		return nil, f.codeErr
	}
	return &models.OneTimeCode{ID: uuid.MustParse("00000000-0000-7000-8000-0000000000c0"), UserID: &id}, nil
}
func (f *fake) CancelForErasure(_ context.Context, id uuid.UUID) error {
	f.calls = append(f.calls, "cancel "+id.String())
	return f.cancelErr[id]
}
func (f *fake) Update(_ context.Context, _ uuid.UUID, fn func(*models.User) error) error {
	f.calls = append(f.calls, "user")
	return fn(f.user)
}
func (f *fake) UpcomingAppointments(context.Context, uuid.UUID, time.Time) ([]uuid.UUID, error) {
	return f.upcoming, nil
}
func (f *fake) Erase(_ context.Context, p erasure.Plan) error {
	f.calls = append(f.calls, "erase")
	f.plan = p
	return f.eraseErr
}
func (f *fake) KeptAddress(context.Context, uuid.UUID) (string, error) { return "", models.ErrNotFound }
func (f *fake) ForgetAddress(context.Context, uuid.UUID) error         { return nil }
func (f *fake) Append(_ context.Context, l *models.AuditLog) error {
	f.audited = append(f.audited, l)
	return nil
}
func (f *fake) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }
func (f *fake) Schedule(_ context.Context, name string, payload any, _ time.Time) (int64, error) {
	f.calls = append(f.calls, "schedule "+name)
	f.scheduled = append(f.scheduled, payload)
	return 1, nil
}

var now = time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)

func setup() (*fake, *erasure.Service, *models.User) {
	email, phone := models.Email("client@example.com"), models.Phone("+79161234567")
	u := &models.User{ID: uuid.MustParse("00000000-0000-7000-8000-0000000000a1"), Email: &email, Phone: &phone,
		DisplayName: "Client", Status: models.UserActive}
	f := &fake{user: u, cancelErr: map[uuid.UUID]error{}}
	s := erasure.New(erasure.Deps{Codes: f, Bookings: f, Users: f, Store: f, Audit: f, Tx: f, Jobs: f, Clock: clock{now}})
	return f, s, u
}

func TestDeleteRefusesAWrongCodeDoingNothing(t *testing.T) {
	for _, codeErr := range []error{models.ErrCodeInvalid, models.ErrCodeExpired, models.ErrCodeExhausted} {
		f, s, u := setup()
		f.codeErr = codeErr
		f.upcoming = []uuid.UUID{uuid.New()}
		if err := s.Delete(context.Background(), u, "123456"); !errors.Is(err, codeErr) {
			t.Errorf("Delete = %v, want %v", err, codeErr)
		}
		if len(f.calls) != 1 || f.user.Status != models.UserActive || len(f.audited) != 0 {
			t.Errorf("%v: calls %v, user %s, audit %d", codeErr, f.calls, f.user.Status, len(f.audited))
		}
	}
}

func TestDeleteCancelsThenErasesAndQueuesTheConfirmation(t *testing.T) {
	f, s, u := setup()
	past, gone := uuid.New(), uuid.New()
	f.upcoming = []uuid.UUID{past, gone}
	f.cancelErr[gone] = fmt.Errorf("cancel: %w", models.ErrInvalidTransition) // canceled meanwhile: fine
	if err := s.Delete(context.Background(), u, "123456"); err != nil {
		t.Fatal(err)
	}
	want := []string{"confirm 123456", "cancel " + past.String(), "cancel " + gone.String(), "user", "erase", "schedule " + erasure.TaskDeletedEmail}
	if fmt.Sprint(f.calls) != fmt.Sprint(want) {
		t.Errorf("calls %v, want %v", f.calls, want)
	}
	if f.plan.Email == nil || *f.plan.Email != "client@example.com" || f.plan.Phone == nil || f.plan.SignInKey == "" ||
		!f.plan.KeepUntil.After(now) {
		t.Errorf("plan %+v: the old address and phone must reach the store", f.plan)
	}
	if u.Status != models.UserDeleted || u.DisplayName != "" || u.Phone != nil || *u.Email == "client@example.com" {
		t.Errorf("user not erased: %+v", u)
	}
	if len(f.audited) != 1 || f.audited[0].Action != models.AuditActionDelete || len(f.audited[0].Changes) != 0 {
		t.Errorf("audit %+v", f.audited)
	}
	if task, ok := f.scheduled[0].(erasure.DeletedEmailTask); !ok || task.CodeID == uuid.Nil {
		t.Errorf("scheduled %+v", f.scheduled)
	}
}

func TestDeleteStopsWhenACancellationFails(t *testing.T) {
	f, s, u := setup()
	id := uuid.New()
	f.upcoming = []uuid.UUID{id}
	f.cancelErr[id] = errors.New("database is down")
	if err := s.Delete(context.Background(), u, "123456"); err == nil {
		t.Fatal("Delete succeeded")
	}
	if f.user.Status != models.UserActive || len(f.audited) != 0 {
		t.Errorf("erased after a failed cancellation: %v", f.calls)
	}
}
