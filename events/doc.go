// Package events will carry Balance's domain events: the Bus interface, the in-memory bus for tests
// and tools, and the durable transactional outbox that delivers each (event, subscriber) pair at
// least once. It is filled in by the domain-events issue; until then nothing publishes events.
package events
