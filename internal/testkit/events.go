package testkit

import (
	"context"
	"sync"

	"balance/models"
	"balance/repository"
)

// EventCounter is a repository.Publisher that counts the events of committed transactions by
// name and hands every event on to the publisher it wraps.
type EventCounter struct {
	next repository.Publisher
	mu   sync.Mutex
	n    map[string]int
}

// CountEvents wraps next (the outbox, usually) in an EventCounter.
func CountEvents(next repository.Publisher) *EventCounter {
	return &EventCounter{next: next, n: map[string]int{}}
}

// Publish implements repository.Publisher.
func (c *EventCounter) Publish(ctx context.Context, tx *repository.Tx, evs []models.Event) error {
	if err := c.next.Publish(ctx, tx, evs); err != nil {
		return err
	}
	tx.AfterCommit(func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, e := range evs {
			c.n[e.EventName()]++
		}
	})
	return nil
}

// Count is how many events named name were committed.
func (c *EventCounter) Count(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}
