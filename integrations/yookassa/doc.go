// Package yookassa is Balance's client of the YooKassa API v3: it creates, reads, captures and
// cancels payments and creates and reads refunds, with an optional 54-FZ receipt.
//
// Amounts travel as decimal strings and are held as minor units (never floats). Every POST carries
// the caller's Idempotence-Key, and a retry of the same operation (after a network error, a 5xx or a
// 202 "processing" answer) reuses that key, so a lost response never creates a second payment.
// Error bodies become *APIError values that match the package's sentinel errors with errors.Is.
package yookassa
