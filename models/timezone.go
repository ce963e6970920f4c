package models

import (
	"fmt"
	"sync"
	"time"
)

// TimeZone is an IANA time zone, parsed: its name and its location. Obtain one with
// ParseTimeZone. The zero TimeZone means "none given"; what that stands for is the receiver's
// to say (a booking takes the service's zone).
type TimeZone struct {
	name string
	loc  *time.Location
}

// knownZones keeps every zone the process has loaded (name → *time.Location), because
// time.LoadLocation reads and parses the zone's file on each call. A *time.Location never
// changes, so one may serve every request. Only names that load are kept, so the map is bounded
// by the IANA database whatever clients send.
var knownZones sync.Map

// ParseTimeZone validates an IANA time zone name; a refusal is a *ValidationError naming field.
// "" and "Local" are refused: the first means UTC to time.LoadLocation and the second depends
// on the server. A zone loaded once is a map lookup afterwards; it is safe for concurrent use.
func ParseTimeZone(field, name string) (TimeZone, error) {
	if name == "" || name == "Local" {
		return TimeZone{}, &ValidationError{Field: field, Message: "must be an IANA time zone such as Europe/Moscow"}
	}
	if loc, ok := knownZones.Load(name); ok {
		return TimeZone{name: name, loc: loc.(*time.Location)}, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return TimeZone{}, &ValidationError{Field: field, Message: fmt.Sprintf("unknown time zone %q", name)}
	}
	// Two first parses at once may load the zone twice; both keep the location stored first.
	stored, _ := knownZones.LoadOrStore(name, loc)
	return TimeZone{name: name, loc: stored.(*time.Location)}, nil
}

// MustTimeZone is ParseTimeZone for names known to be valid (constants, tests); it panics on
// any other.
func MustTimeZone(name string) TimeZone {
	z, err := ParseTimeZone("timezone", name)
	if err != nil {
		panic(fmt.Sprintf("models.MustTimeZone(%q): %v", name, err))
	}
	return z
}

// Name is the zone's IANA name, such as "Europe/Moscow"; "" for the zero TimeZone.
func (z TimeZone) Name() string { return z.name }

// Location is the zone's location; UTC for the zero TimeZone, as time.LoadLocation("") is.
func (z TimeZone) Location() *time.Location {
	if z.loc == nil {
		return time.UTC
	}
	return z.loc
}

// IsZero reports whether no zone was given.
func (z TimeZone) IsZero() bool { return z.loc == nil }

func (z TimeZone) String() string { return z.name }

// bookingZone validates an IANA time zone name of field (see ParseTimeZone).
func bookingZone(field, name string) error {
	_, err := ParseTimeZone(field, name)
	return err
}
