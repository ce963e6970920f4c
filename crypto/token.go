package crypto

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
)

// tokenBytes is the entropy of a token from NewToken: 256 bits.
const tokenBytes = 32

// NewToken returns 32 random bytes as unpadded url-safe base64 (43
// characters), for session and manage tokens.
func NewToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashToken returns the lowercase hex SHA-256 of token: what is stored in
// place of the token itself.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// DeriveToken returns HMAC-SHA256(key=secret, message=purpose) as unpadded
// url-safe base64, e.g. a CSRF token derived from a session token.
func DeriveToken(secret, purpose string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(purpose))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// EqualTokens reports whether a and b are equal, in time that depends only
// on their lengths, never on their contents.
func EqualTokens(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
