// Package models holds Balance's domain: GORM-mapped aggregates whose state changes only through
// methods that enforce the rules, value types parsed once at the edge, and the domain errors.
// It imports nothing else of Balance.
package models
