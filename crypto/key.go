package crypto

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// keySize is the decoded length of a Fernet key: a 16-byte HMAC-SHA256
// signing key followed by a 16-byte AES-128 encryption key.
const keySize = 32

// ErrInvalidKey reports a Fernet key that is not 32 bytes of padded
// url-safe base64. Errors wrapping it never contain the key itself.
var ErrInvalidKey = errors.New("invalid fernet key")

// Key is one parsed Fernet key. The zero value is not a usable key.
type Key struct {
	signing    [16]byte
	encryption [16]byte
}

// ParseKey decodes a Fernet key in the format produced by Python's
// Fernet.generate_key: 32 bytes encoded as url-safe base64 with padding.
func ParseKey(s string) (Key, error) {
	raw, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		// err is a base64.CorruptInputError: it holds an offset, no key data.
		return Key{}, fmt.Errorf("%w: not padded url-safe base64: %v", ErrInvalidKey, err)
	}
	defer clear(raw)
	if len(raw) != keySize {
		return Key{}, fmt.Errorf("%w: decodes to %d bytes, want %d", ErrInvalidKey, len(raw), keySize)
	}
	var k Key
	copy(k.signing[:], raw[:16])
	copy(k.encryption[:], raw[16:])
	return k, nil
}

// GenerateKey returns a new random Fernet key, encoded like Python's
// Fernet.generate_key.
func GenerateKey() (string, error) {
	raw := make([]byte, keySize)
	defer clear(raw)
	if _, err := io.ReadFull(random, raw); err != nil {
		return "", fmt.Errorf("generate fernet key: %w", err)
	}
	return base64.URLEncoding.EncodeToString(raw), nil
}
