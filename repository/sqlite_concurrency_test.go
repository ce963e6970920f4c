package repository_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// On SQLite, InTx begins IMMEDIATE transactions: concurrent read-then-write transactions queue
// for the write lock instead of failing with SQLITE_BUSY or losing an update. (PostgreSQL's read
// committed would lose updates here by design; its stores lock rows explicitly instead.)
func TestSQLiteConcurrentReadModifyWrite(t *testing.T) {
	t.Parallel()
	const writers = 8
	db := testkit.NewDB(t, migrations.SQLite)
	users := repository.NewUsers(db)
	counter := newStaff(t, t0)
	counter.DisplayName = "0"
	if err := users.Create(context.Background(), counter); err != nil {
		t.Fatal(err)
	}

	start := make(chan struct{})
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			<-start
			errs <- db.InTx(context.Background(), func(ctx context.Context) error {
				u, err := users.ByID(ctx, counter.ID) // read ...
				if err != nil {
					return err
				}
				n, err := strconv.Atoi(u.DisplayName)
				if err != nil {
					return err
				}
				return users.Update(ctx, counter.ID, func(u *models.User) error { // ... then write
					u.DisplayName = strconv.Itoa(n + 1)
					return nil
				})
			})
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("writer: %v", err)
		}
	}
	got, err := users.ByID(context.Background(), counter.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != strconv.Itoa(writers) {
		t.Errorf("counter = %s, want %d", got.DisplayName, writers)
	}
}
