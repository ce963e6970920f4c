package crypto

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are the argon2id cost parameters of a password hash.
type PasswordParams struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// DefaultPasswordParams follow the OWASP recommendation for argon2id:
// 19 MiB of memory, 2 iterations, 1 lane, a 16-byte salt and a 32-byte key.
var DefaultPasswordParams = PasswordParams{
	Memory:      19 * 1024,
	Iterations:  2,
	Parallelism: 1,
	SaltLen:     16,
	KeyLen:      32,
}

// Bounds on parameters, both when hashing and when reading a stored hash, so
// that a corrupt hash cannot make a verification exhaust memory or time.
// The minimums are those of the argon2 specification (RFC 9106).
const (
	minSaltLen    = 8
	maxSaltLen    = 1024
	minKeyLen     = 4
	maxKeyLen     = 1024
	maxMemory     = 1 << 20 // KiB, i.e. 1 GiB
	maxIterations = 1 << 10
)

var (
	// ErrEmptyPassword is returned by HashPassword for an empty password.
	ErrEmptyPassword = errors.New("password must not be empty")
	// ErrMalformedHash is returned by VerifyPassword for a string that is
	// not an argon2id PHC hash with acceptable parameters.
	ErrMalformedHash = errors.New("malformed password hash")
)

// phc is the base64 flavour of PHC strings: standard alphabet, no padding.
var phc = base64.RawStdEncoding.Strict()

// HashPassword hashes password with argon2id under a fresh random salt and
// returns a PHC string such as
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
func HashPassword(password string, p PasswordParams) (string, error) {
	if password == "" {
		return "", ErrEmptyPassword
	}
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("invalid password params: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("read salt: %w", err)
	}
	return encodeHash(p, salt, deriveKey(password, salt, p)), nil
}

// VerifyPassword reports whether password matches the PHC string encoded,
// using the parameters recorded in it. A mismatch is (false, nil); an
// unreadable hash is an error wrapping ErrMalformedHash.
func VerifyPassword(encoded, password string) (bool, error) {
	h, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(deriveKey(password, h.salt, h.params), h.key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than p
// (or cannot be read at all), so that it should be replaced by a fresh
// hash the next time the password is known.
func NeedsRehash(encoded string, p PasswordParams) bool {
	h, err := decodeHash(encoded)
	return err != nil || h.params != p
}

// dummyHash is a fixed hash made with DefaultPasswordParams, computed on
// first use. Its salt is fixed because it protects nothing.
var dummyHash = sync.OnceValue(func() string {
	p := DefaultPasswordParams
	salt := make([]byte, p.SaltLen)
	return encodeHash(p, salt, deriveKey("balance dummy password", salt, p))
})

// DummyVerify does the work of verifying password against a hash made with
// DefaultPasswordParams and throws the answer away. Call it when there is
// no stored hash to check (for example an unknown email) so that the
// response takes as long as for a wrong password.
func DummyVerify(password string) {
	_, _ = VerifyPassword(dummyHash(), password)
}

func deriveKey(password string, salt []byte, p PasswordParams) []byte {
	return argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
}

func encodeHash(p PasswordParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		phc.EncodeToString(salt), phc.EncodeToString(key))
}

// phcHash is a parsed PHC string. params.SaltLen and params.KeyLen are the
// lengths of salt and key.
type phcHash struct {
	params    PasswordParams
	salt, key []byte
}

// decodeHash parses "$argon2id$v=19$m=M,t=T,p=P$salt$key". It is strict:
// fields in that order, decimal numbers without leading zeros, unpadded
// standard base64, parameters within bounds.
func decodeHash(encoded string) (phcHash, error) {
	fields := strings.Split(encoded, "$")
	if len(fields) != 6 || fields[0] != "" {
		return phcHash{}, malformed("want 5 $-separated fields")
	}
	if fields[1] != "argon2id" {
		return phcHash{}, malformed("algorithm is not argon2id")
	}
	if fields[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return phcHash{}, malformed("unsupported argon2 version")
	}
	p, err := parseParams(fields[3])
	if err != nil {
		return phcHash{}, malformed(err.Error())
	}
	salt, err := phc.DecodeString(fields[4])
	if err != nil {
		return phcHash{}, malformed("salt is not unpadded base64")
	}
	key, err := phc.DecodeString(fields[5])
	if err != nil {
		return phcHash{}, malformed("hash is not unpadded base64")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.validate(); err != nil {
		return phcHash{}, malformed(err.Error())
	}
	return phcHash{params: p, salt: salt, key: key}, nil
}

func malformed(reason string) error {
	return fmt.Errorf("%w: %s", ErrMalformedHash, reason)
}

// parseParams parses "m=M,t=T,p=P".
func parseParams(s string) (PasswordParams, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 3 {
		return PasswordParams{}, errors.New("want parameters m,t,p")
	}
	var vals [3]uint64
	for i, name := range []string{"m", "t", "p"} {
		v, ok := strings.CutPrefix(parts[i], name+"=")
		if !ok {
			return PasswordParams{}, fmt.Errorf("parameter %d is not %s", i+1, name)
		}
		bits := 32
		if name == "p" {
			bits = 8
		}
		n, err := parseDecimal(v, bits)
		if err != nil {
			return PasswordParams{}, fmt.Errorf("parameter %s: %w", name, err)
		}
		vals[i] = n
	}
	return PasswordParams{Memory: uint32(vals[0]), Iterations: uint32(vals[1]), Parallelism: uint8(vals[2])}, nil
}

// parseDecimal parses a canonical unsigned decimal: digits only, no sign,
// no leading zeros.
func parseDecimal(s string, bits int) (uint64, error) {
	if len(s) > 1 && s[0] == '0' {
		return 0, errors.New("leading zero")
	}
	n, err := strconv.ParseUint(s, 10, bits)
	if err != nil {
		return 0, errors.New("not a number in range")
	}
	return n, nil
}

func (p PasswordParams) validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations must be in [1, %d]", maxIterations)
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemory:
		return fmt.Errorf("memory must be in [8*parallelism, %d] KiB", maxMemory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length must be in [%d, %d]", minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length must be in [%d, %d]", minKeyLen, maxKeyLen)
	}
	return nil
}
