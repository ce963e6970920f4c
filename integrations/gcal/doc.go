// Package gcal is Balance's client of the practitioner's Google Calendar (API v3, through the
// official Go client) with a service account.
//
// Busy asks freebusy.query — never an events listing, which misses all-day events written as
// dates and other calendars' blocks — and caches each answer briefly, so listing slots does not
// call Google per request. Every confirmed appointment gets an event whose id is derived from the
// appointment id (EventID), which makes creation idempotent: a retried insert that meets 409
// "already exists" is done, as is a delete that meets 404 or 410. IsPermanent tells the job queue
// which failures are worth retrying.
//
// The service account's private key stays inside the auth library: it is never logged, and no
// error of this package quotes it.
package gcal
