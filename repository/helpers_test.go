package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// t0 is the moment most tests stand at: the night central Europe moves its clocks forward.
var t0 = time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)

// msk is a fixed +03:00 zone: times given in it must come back as the same instant in UTC.
var msk = time.FixedZone("MSK", 3*60*60)

func ptr[T any](v T) *T { return &v }

// newStaff returns an unsaved owner with a unique email.
func newStaff(t *testing.T, now time.Time) *models.User {
	t.Helper()
	u, err := models.NewStaffUser(models.Email("staff-"+uuid.NewString()[:8]+"@example.org"), "Staff", models.RoleOwner, "hash-0", now)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// createStaff saves a new owner and returns it.
func createStaff(t *testing.T, db *repository.DB, now time.Time) *models.User {
	t.Helper()
	u := newStaff(t, now)
	if err := repository.NewUsers(db).Create(context.Background(), u); err != nil {
		t.Fatalf("create user: %v", err)
	}
	return u
}

// assertUTC fails unless got is the same instant as want and is in UTC.
func assertUTC(t *testing.T, field string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", field, got, want)
	}
	if loc := got.Location().String(); loc != "UTC" {
		t.Errorf("%s location = %q, want UTC", field, loc)
	}
}

// assertUTCPtr is assertUTC for optional times.
func assertUTCPtr(t *testing.T, field string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", field, got, want)
	default:
		assertUTC(t, field, *got, *want)
	}
}

// assertConstraint fails unless err is a *models.ConstraintError of kind and, when constraint is
// not empty, names that constraint.
func assertConstraint(t *testing.T, err, kind error, constraint string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("err = %v, want errors.Is %v", err, kind)
	}
	var ce *models.ConstraintError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *models.ConstraintError in the chain", err, err)
	}
	if constraint != "" && ce.Constraint != constraint {
		t.Errorf("constraint = %q, want %q", ce.Constraint, constraint)
	}
}

// byDialect picks the expectation for db's dialect.
func byDialect[T any](db *repository.DB, postgres, sqlite T) T {
	if db.Dialect == migrations.Postgres {
		return postgres
	}
	return sqlite
}

// count returns the number of rows of table matching where (all rows when where is empty).
func count(t *testing.T, db *repository.DB, table, where string, args ...any) int64 {
	t.Helper()
	q := db.Gorm.Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}
