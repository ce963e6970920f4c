package admin

import (
	"context"
	"fmt"
	"slices"

	"balance/events"
	"balance/models"
)

// JobQueue is what the admin API does to the job queue's jobs; *events.Outbox is one. Both join
// the transaction carried by ctx, so that a retry and its audit record commit together.
type JobQueue interface {
	Job(ctx context.Context, id int64) (events.Job, error)
	Retry(ctx context.Context, id int64) (events.Job, error)
}

// RetryableJobStates are the states a job may be retried from: it ended without succeeding
// (discarded, cancelled) or waits to run. A completed job is never re-run (its side effects
// would repeat), and a running or pending one is left alone. They are the jobs resource's retry
// States, so the panel offers the button only then.
var RetryableJobStates = []string{"discarded", "cancelled", "retryable", "scheduled", "available"}

// RetryJob makes job id run again at once, inside the transaction of ctx, and returns it before
// and after. A job in another state (or that started running meanwhile) is
// models.ErrInvalidTransition; an unknown one models.ErrNotFound.
func RetryJob(ctx context.Context, q JobQueue, id int64) (before, after events.Job, err error) {
	if before, err = q.Job(ctx, id); err != nil {
		return before, after, err
	}
	if !slices.Contains(RetryableJobStates, before.State) {
		return before, after, fmt.Errorf("retry job %d: it is %s: %w", id, before.State, models.ErrInvalidTransition)
	}
	if after, err = q.Retry(ctx, id); err != nil {
		return before, after, err
	}
	if after.State == "running" {
		return before, after, fmt.Errorf("retry job %d: it is running: %w", id, models.ErrInvalidTransition)
	}
	return before, after, nil
}

// retryJob is the job queue's retry action.
func retryJob(ctx context.Context, c *Call, id int64) error {
	if c.Jobs == nil {
		return fmt.Errorf("retry job %d: %w", id, ErrNotAvailable)
	}
	_, _, err := RetryJob(ctx, c.Jobs, id)
	return err
}
