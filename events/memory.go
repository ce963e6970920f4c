package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"balance/models"
	"balance/repository"
)

// ErrStopped means the bus no longer accepts events.
var ErrStopped = errors.New("event bus stopped")

// Memory is the in-process bus: after the publishing transaction commits (never before), it runs
// every subscriber of every event in a goroutine. Handler errors are logged with the event and
// subscriber names and kept for Drain. It loses whatever is queued when the process dies: use it
// for tests and tools, the Outbox for the product.
type Memory struct {
	subs *Subscriptions
	log  *slog.Logger

	mu      sync.Mutex
	stopped bool
	errs    []error
	pending sync.WaitGroup
}

// NewMemory returns an in-memory bus delivering to subs.
func NewMemory(subs *Subscriptions, log *slog.Logger) *Memory {
	return &Memory{subs: subs, log: log}
}

// Publish implements repository.Publisher: delivery starts once tx commits.
func (m *Memory) Publish(ctx context.Context, tx *repository.Tx, events []models.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return ErrStopped
	}
	// AfterCommit runs in the committing goroutine before the caller's InTx returns, so a Drain
	// after that waits for this delivery too. A rollback never calls it: nothing is delivered.
	tx.AfterCommit(func() {
		ctx := context.WithoutCancel(ctx)
		m.mu.Lock()
		stopped := m.stopped
		if !stopped {
			m.pending.Add(1)
		}
		m.mu.Unlock()
		if stopped { // committed while stopping: deliver inline rather than lose it
			m.deliver(ctx, events)
			return
		}
		go func() {
			defer m.pending.Done()
			m.deliver(ctx, events)
		}()
	})
	return nil
}

func (m *Memory) deliver(ctx context.Context, events []models.Event) {
	for _, e := range events {
		for _, sub := range m.subs.For(e.EventName()) {
			if !sub.Follows(e) {
				continue
			}
			if err := m.run(ctx, sub, e); err != nil {
				m.log.ErrorContext(ctx, "event subscriber failed",
					"event", e.EventName(), "event_id", e.EventID().String(), "subscriber", sub.Name, "error", err.Error())
				m.mu.Lock()
				m.errs = append(m.errs, fmt.Errorf("%s → %s: %w", e.EventName(), sub.Name, err))
				m.mu.Unlock()
			}
		}
	}
}

// run calls one handler, turning a panic into an error.
func (m *Memory) run(ctx context.Context, sub Subscription, e models.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return sub.Handle(ctx, e)
}

// Drain waits until every committed event has been delivered and returns the handler errors
// since the last Drain.
func (m *Memory) Drain() error {
	m.pending.Wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	err := errors.Join(m.errs...)
	m.errs = nil
	return err
}

// Stop refuses new events and drains the queued ones.
func (m *Memory) Stop() error {
	m.mu.Lock()
	m.stopped = true
	m.mu.Unlock()
	return m.Drain()
}
