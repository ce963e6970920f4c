package repository_test

import (
	"context"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

func TestSmokeCreateUser(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		users := repository.NewUsers(db)
		now := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC)
		u, err := models.NewStaffUser("anna@example.org", "Anna", models.RoleOwner, "hash", now)
		if err != nil {
			t.Fatal(err)
		}
		if err := users.Create(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		got, err := users.ByEmail(context.Background(), "anna@example.org")
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(now) || got.CreatedAt.Location().String() != "UTC" || !got.HasRole(models.RoleOwner) {
			t.Fatalf("got %+v", got)
		}
	})
}
