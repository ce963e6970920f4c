package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Layout of a decoded Fernet token (version 0x80):
//
//	version (1) | timestamp (8, big endian) | IV (16) | ciphertext (n*16) | HMAC-SHA256 (32)
const (
	fernetVersion = 0x80
	tsOffset      = 1
	ivOffset      = tsOffset + 8
	ctOffset      = ivOffset + aes.BlockSize
	tokenOverhead = ctOffset + sha256.Size
	// minTokenLen is the shortest valid token: one block of ciphertext,
	// since PKCS7 always adds at least one byte of padding.
	minTokenLen = tokenOverhead + aes.BlockSize
)

// ErrInvalidToken is returned for every token that cannot be decrypted:
// bad base64, unknown version, wrong length, bad signature under every key
// of the ring, or bad padding. The causes are deliberately not told apart.
var ErrInvalidToken = errors.New("invalid fernet token")

// KeyRing encrypts with its first key and decrypts with any of its keys,
// like Python's MultiFernet. Put a new key first to start using it while
// old tokens stay readable, Rotate stored tokens, then drop the old key.
//
// A KeyRing is immutable once built and safe for concurrent use.
type KeyRing struct {
	keys []Key
	// now and rand are replaced only by tests, before the ring is shared.
	now  func() time.Time
	rand io.Reader
}

// NewKeyRing parses keys (padded url-safe base64, as Python's
// Fernet.generate_key returns them). The first key encrypts; every key
// decrypts. Errors name a bad key by its 0-based index, never its value.
func NewKeyRing(keys ...string) (*KeyRing, error) {
	if len(keys) == 0 {
		return nil, errors.New("fernet key ring needs at least one key")
	}
	ring := &KeyRing{keys: make([]Key, len(keys)), now: time.Now, rand: rand.Reader}
	for i, s := range keys {
		k, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("key %d: %w", i, err)
		}
		ring.keys[i] = k
	}
	return ring, nil
}

// Encrypt returns a Fernet token for plaintext, made with the first key and
// stamped with the current time.
func (r *KeyRing) Encrypt(plaintext []byte) (string, error) {
	return r.seal(plaintext, uint64(r.clock()().Unix()))
}

// EncryptString is Encrypt for text.
func (r *KeyRing) EncryptString(plaintext string) (string, error) {
	return r.Encrypt([]byte(plaintext))
}

// Decrypt returns the plaintext of a token made with any key of the ring.
// It does not check the token's age. Every failure is ErrInvalidToken.
func (r *KeyRing) Decrypt(token string) ([]byte, error) {
	_, plaintext, _, err := r.open(token)
	return plaintext, err
}

// DecryptString is Decrypt for text.
func (r *KeyRing) DecryptString(token string) (string, error) {
	plaintext, err := r.Decrypt(token)
	if err != nil {
		return "", err
	}
	return string(plaintext), nil
}

// Rotate re-encrypts a token made with any key of the ring under the first
// key, with a fresh IV but the token's original timestamp, as Python's
// MultiFernet.rotate does.
func (r *KeyRing) Rotate(token string) (string, error) {
	ts, plaintext, _, err := r.open(token)
	if err != nil {
		return "", err
	}
	return r.seal(plaintext, ts)
}

// NeedsRotation reports whether token was made with a key other than the first, so that a
// rotation interrupted halfway can resume without re-encrypting what it already did.
func (r *KeyRing) NeedsRotation(token string) (bool, error) {
	_, _, key, err := r.open(token)
	if err != nil {
		return false, err
	}
	return key != 0, nil
}

func (r *KeyRing) clock() func() time.Time {
	if r.now == nil {
		return time.Now
	}
	return r.now
}

func (r *KeyRing) reader() io.Reader {
	if r.rand == nil {
		return rand.Reader
	}
	return r.rand
}

// seal encrypts plaintext under the first key with a random IV and the
// given Unix timestamp.
func (r *KeyRing) seal(plaintext []byte, ts uint64) (string, error) {
	if len(r.keys) == 0 {
		return "", errors.New("fernet key ring has no keys")
	}
	var iv [aes.BlockSize]byte
	if _, err := io.ReadFull(r.reader(), iv[:]); err != nil {
		return "", fmt.Errorf("fernet: read iv: %w", err)
	}
	data, err := r.keys[0].seal(plaintext, ts, iv)
	if err != nil {
		return "", err
	}
	return base64.URLEncoding.EncodeToString(data), nil
}

// open authenticates and decrypts token with the first key whose signature
// matches, returning the token's timestamp, plaintext and the index of that key.
func (r *KeyRing) open(token string) (uint64, []byte, int, error) {
	data, err := base64.URLEncoding.DecodeString(token)
	if err != nil ||
		len(data) < minTokenLen ||
		data[0] != fernetVersion ||
		(len(data)-tokenOverhead)%aes.BlockSize != 0 {
		return 0, nil, 0, ErrInvalidToken
	}
	for i := range r.keys {
		if plaintext, ok := r.keys[i].open(data); ok {
			return binary.BigEndian.Uint64(data[tsOffset:ivOffset]), plaintext, i, nil
		}
	}
	return 0, nil, 0, ErrInvalidToken
}

// seal builds the raw (unencoded) token bytes.
func (k *Key) seal(plaintext []byte, ts uint64, iv [aes.BlockSize]byte) ([]byte, error) {
	block, err := aes.NewCipher(k.encryption[:])
	if err != nil {
		return nil, fmt.Errorf("fernet: %w", err)
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	size := ctOffset + len(plaintext) + pad
	data := make([]byte, size, size+sha256.Size)
	data[0] = fernetVersion
	binary.BigEndian.PutUint64(data[tsOffset:ivOffset], ts)
	copy(data[ivOffset:ctOffset], iv[:])
	ct := data[ctOffset:]
	copy(ct, plaintext)
	for i := len(plaintext); i < len(ct); i++ {
		ct[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(ct, ct)
	return append(data, k.mac(data)...), nil
}

// open checks the signature of the raw token data (whose length and version
// the caller has validated) and decrypts it.
func (k *Key) open(data []byte) ([]byte, bool) {
	signed := data[:len(data)-sha256.Size]
	if !hmac.Equal(k.mac(signed), data[len(signed):]) {
		return nil, false
	}
	block, err := aes.NewCipher(k.encryption[:])
	if err != nil {
		return nil, false
	}
	plaintext := make([]byte, len(signed)-ctOffset)
	cipher.NewCBCDecrypter(block, signed[ivOffset:ctOffset]).CryptBlocks(plaintext, signed[ctOffset:])
	return unpad(plaintext)
}

// mac returns HMAC-SHA256(signing key, data).
func (k *Key) mac(data []byte) []byte {
	h := hmac.New(sha256.New, k.signing[:])
	h.Write(data)
	return h.Sum(nil)
}

// unpad strips PKCS7 padding from a whole number of AES blocks.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}
