// Package crypto holds the Fernet key ring that encrypts P2 data and the
// password and token hashing used by identity.
//
// Fernet tokens are byte-for-byte compatible with Python's
// cryptography.fernet (Fernet and MultiFernet), so data written by either
// side can be read by the other. Passwords are hashed with argon2id and
// stored as PHC strings. Session and manage tokens are random, stored only
// as SHA-256 digests, and compared in constant time.
//
// Keys and key rings never print their secrets: fmt, %#v and log/slog all
// render them as "[redacted]".
package crypto

import (
	"crypto/rand"
	"io"
)

// random is the source of key material, salts and tokens. Tests replace it
// to exercise failure paths; everything else must leave it alone.
var random io.Reader = rand.Reader
