package testkit

import (
	"sync"
	"testing"

	"balance/crypto"
)

var (
	keyOnce sync.Once
	testKey string
	keyErr  error
)

// Key is the Fernet key every test database encrypts P2 fields with (one per test process).
func Key(t testing.TB) string {
	t.Helper()
	keyOnce.Do(func() { testKey, keyErr = crypto.GenerateKey() })
	if keyErr != nil {
		t.Fatalf("generate test key: %v", keyErr)
	}
	return testKey
}

// KeyRing returns a key ring of the given keys, failing the test on a bad key.
func KeyRing(t testing.TB, keys ...string) *crypto.KeyRing {
	t.Helper()
	ring, err := crypto.NewKeyRing(keys...)
	if err != nil {
		t.Fatalf("key ring: %v", err)
	}
	return ring
}
