// Package events delivers Balance's domain events to their subscribers. Stores publish the events
// their aggregates recorded inside the transaction that saves them (repository.Publisher); a Bus
// hands each (event, subscriber) pair to the subscriber's handler after commit. Two buses exist:
// Memory, for tests and tools, and Outbox, the durable default, which writes a job row per pair in
// the same transaction and runs it with retries on River workers.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"balance/models"
)

// Handler processes one event for one subscriber. Delivery is at least once, so handlers must be
// idempotent: a second run for the same event changes nothing and sends nothing twice.
type Handler func(ctx context.Context, e models.Event) error

// Subscription binds a named handler to one event name.
type Subscription struct {
	Event  string
	Name   string
	Handle Handler
	// Wants, when set, tells from the event alone whether the handler has anything to do with it;
	// an event it does not want is not delivered to it (no job is queued for it).
	Wants func(models.Event) bool
}

// Follows reports whether e is delivered to the subscription.
func (s Subscription) Follows(e models.Event) bool { return s.Wants == nil || s.Wants(e) }

// Subscriptions is the set of handlers, keyed by (event name, subscriber name). Safe for
// concurrent use; subscribe everything before the bus starts.
type Subscriptions struct {
	mu   sync.RWMutex
	subs map[string][]Subscription
}

// NewSubscriptions returns an empty set.
func NewSubscriptions() *Subscriptions {
	return &Subscriptions{subs: map[string][]Subscription{}}
}

// Subscribe adds a handler named name for events named event. A name is unique per event.
func (s *Subscriptions) Subscribe(event, name string, h Handler) error {
	return s.SubscribeWhen(event, name, nil, h)
}

// SubscribeWhen is Subscribe for a handler that has nothing to do with the events wants refuses
// (nil wants every one): those are not delivered to it, so no job is queued for them. wants sees
// only the event, so it must not read anything else; the handler still checks what it needs.
func (s *Subscriptions) SubscribeWhen(event, name string, wants func(models.Event) bool, h Handler) error {
	if event == "" || name == "" || h == nil {
		return fmt.Errorf("subscribe: event, name and handler are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range s.subs[event] {
		if sub.Name == name {
			return fmt.Errorf("subscribe: %s already has a subscriber named %s", event, name)
		}
	}
	s.subs[event] = append(s.subs[event], Subscription{Event: event, Name: name, Handle: h, Wants: wants})
	return nil
}

// For returns the subscriptions to an event name, in subscription order.
func (s *Subscriptions) For(event string) []Subscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.subs[event])
}

// Get finds one subscription.
func (s *Subscriptions) Get(event, name string) (Subscription, bool) {
	for _, sub := range s.For(event) {
		if sub.Name == name {
			return sub, true
		}
	}
	return Subscription{}, false
}

// Catalog knows every event type by its name, so that a stored event can be decoded back into
// its Go type.
type Catalog struct {
	types map[string]reflect.Type
}

// NewCatalog registers the types of the given example events.
func NewCatalog(examples ...models.Event) *Catalog {
	c := &Catalog{types: map[string]reflect.Type{}}
	for _, e := range examples {
		t := reflect.TypeOf(e)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		c.types[e.EventName()] = t
	}
	return c
}

// Names lists the registered event names, sorted.
func (c *Catalog) Names() []string {
	out := make([]string, 0, len(c.types))
	for n := range c.types {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Encode renders an event as JSON.
func (c *Catalog) Encode(e models.Event) (json.RawMessage, error) {
	if _, ok := c.types[e.EventName()]; !ok {
		return nil, fmt.Errorf("encode event: %q is not in the catalog", e.EventName())
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", e.EventName(), err)
	}
	return b, nil
}

// Decode turns the JSON of an event named name back into its type.
func (c *Catalog) Decode(name string, payload []byte) (models.Event, error) {
	t, ok := c.types[name]
	if !ok {
		return nil, fmt.Errorf("decode event: %q is not in the catalog", name)
	}
	v := reflect.New(t)
	if err := json.Unmarshal(payload, v.Interface()); err != nil {
		return nil, fmt.Errorf("decode event %s: %w", name, err)
	}
	return v.Elem().Interface().(models.Event), nil
}
