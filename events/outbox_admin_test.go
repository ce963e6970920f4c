package events_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"balance/events"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// TestOutboxJobAndRetryInTransaction covers what the admin API relies on: Job reads one job, and
// Retry joins the transaction in ctx, so it commits or rolls back with the audit record beside it.
func TestOutboxJobAndRetryInTransaction(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		env := newOutbox(t, db, 1)
		ctx := context.Background()

		l := newLead(t)
		id := capturedID(t, l)
		env.b.mu.Lock()
		env.b.fails[id] = -1
		env.b.mu.Unlock()
		if err := repository.NewLeads(db).Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		var job events.Job
		deadline := time.Now().Add(30 * time.Second)
		for job.ID == 0 {
			jobs, err := env.outbox.Jobs(ctx, "discarded", 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(jobs) > 0 {
				job = jobs[0]
			} else if time.Now().After(deadline) {
				t.Fatal("b's job was never discarded")
			} else {
				time.Sleep(20 * time.Millisecond)
			}
		}

		got, err := env.outbox.Job(ctx, job.ID)
		if err != nil || got != job {
			t.Fatalf("Job(%d) = %+v, %v; listed as %+v", job.ID, got, err, job)
		}
		if _, err := env.outbox.Job(ctx, 987654321); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("Job of an unknown id: %v", err)
		}

		// A retry in a transaction that rolls back leaves the job discarded.
		errUndo := errors.New("audit failed")
		err = db.InTx(ctx, func(ctx context.Context) error {
			retried, err := env.outbox.Retry(ctx, job.ID)
			if err != nil {
				return err
			}
			inTx, err := env.outbox.Job(ctx, job.ID)
			if err != nil {
				return err
			}
			if retried.State != "available" || inTx.State != "available" || retried.MaxAttempts != 2 {
				t.Errorf("inside the transaction: retried %+v, read %+v", retried, inTx)
			}
			return errUndo
		})
		if !errors.Is(err, errUndo) {
			t.Fatalf("InTx = %v", err)
		}
		if after, err := env.outbox.Job(ctx, job.ID); err != nil || after.State != "discarded" || after.MaxAttempts != 1 {
			t.Fatalf("after rollback: %+v, %v", after, err)
		}

		// Committed, the retry runs: b now succeeds.
		env.b.mu.Lock()
		env.b.fails[id] = 0
		env.b.mu.Unlock()
		if err := db.InTx(ctx, func(ctx context.Context) error {
			_, err := env.outbox.Retry(ctx, job.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		env.b.waitFor(t, id)
	})
}
