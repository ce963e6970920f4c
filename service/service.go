// Package service holds Balance's use cases, one subpackage per bounded context. Each declares the
// small interfaces it consumes (stores, clocks, providers); this package holds what they share.
package service

import "time"

// Clock tells the time. Use cases read time only through it, so tests can stand at any moment.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
