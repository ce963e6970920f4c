package crypto

import (
	"errors"
	"io"
	"testing"
)

// errReader is an io.Reader that always fails.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

// setRandom swaps the package random source for the duration of a test.
// Tests that call it must not be parallel.
func setRandom(t *testing.T, r io.Reader) {
	t.Helper()
	old := random
	random = r
	t.Cleanup(func() { random = old })
}
