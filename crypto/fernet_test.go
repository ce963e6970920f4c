package crypto

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// pythonKey2 is a second key, generated with Python's Fernet.generate_key.
const pythonKey2 = "xFpiDqSZb14epXyl8gS6KTIaGlqICm_IqXili7TaUJ4="

// specToken is the token of the fernet spec generate.json / verify.json
// vector: "hello" under specKey at 1985-10-26T01:20:00-07:00, IV 0..15.
const specToken = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="

func mustRing(t *testing.T, keys ...string) *KeyRing {
	t.Helper()
	r, err := NewKeyRing(keys...)
	if err != nil {
		t.Fatalf("NewKeyRing: %v", err)
	}
	return r
}

func fixedClock(tm time.Time) func() time.Time { return func() time.Time { return tm } }

// rawToken decodes a token so tests can look inside it.
func rawToken(t *testing.T, token string) []byte {
	t.Helper()
	b, err := base64.URLEncoding.DecodeString(token)
	if err != nil {
		t.Fatalf("token is not padded url-safe base64: %v", err)
	}
	return b
}

func tokenTime(t *testing.T, token string) uint64 {
	t.Helper()
	return binary.BigEndian.Uint64(rawToken(t, token)[tsOffset:ivOffset])
}

func TestSpecGenerate(t *testing.T) {
	t.Parallel()
	now, err := time.Parse(time.RFC3339, "1985-10-26T01:20:00-07:00")
	if err != nil {
		t.Fatal(err)
	}
	r := mustRing(t, specKey)
	r.now = fixedClock(now)
	r.rand = bytes.NewReader([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	got, err := r.EncryptString("hello")
	if err != nil {
		t.Fatal(err)
	}
	if got != specToken {
		t.Errorf("token = %s\nwant    %s", got, specToken)
	}
}

func TestSpecVerify(t *testing.T) {
	t.Parallel()
	got, err := mustRing(t, specKey).DecryptString(specToken)
	if err != nil || got != "hello" {
		t.Errorf("DecryptString = %q, %v; want \"hello\"", got, err)
	}
}

// TestSpecInvalid runs the fernet spec invalid.json vectors.
func TestSpecInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc  string
		token string
	}{
		{"incorrect mac", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ=="},
		{"too short", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA=="},
		{"invalid base64", "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q=="},
		{"payload size not multiple of block size", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm"},
		{"payload padding error", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw=="},
		{"incorrect IV (causes padding error)", "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ=="},
		{"trailing characters after b64 padding", specToken + "trailingdata"},
		{"invalid characters in b64", "*gAAAAAAdwJ6wAAECAwQFBgcI!CQoLDA0ODy021?cpGVWKZ_eEwC@GM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="},
		{"invalid non-urlsafe characters in b64", "gAAAAAAdwJ6wAAEC/AwQFBgcICQoLDA0ODy+021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="},
		// Not from the spec.
		{"empty", ""},
		{"unpadded", strings.TrimRight(specToken, "=")},
		{"wrong version", "gQ" + specToken[2:]},
	}
	r := mustRing(t, specKey)
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			got, err := r.Decrypt(tt.token)
			if err != ErrInvalidToken || got != nil {
				t.Errorf("Decrypt = %q, %v; want ErrInvalidToken", got, err)
			}
			if _, err := r.Rotate(tt.token); err != ErrInvalidToken {
				t.Errorf("Rotate error = %v, want ErrInvalidToken", err)
			}
		})
	}
}

// TestSpecTTLOnlyInvalid covers the invalid.json vectors that fail only
// because of their age. Like Python's Fernet.decrypt without a ttl, the key
// ring does not check age, so they decrypt.
func TestSpecTTLOnlyInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		desc  string
		token string
		ts    uint64
	}{
		{"far-future TS (unacceptable clock skew)", "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw==", 499198801},
		{"expired TTL", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", 499162801},
	}
	r := mustRing(t, specKey)
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			t.Parallel()
			got, err := r.Decrypt(tt.token)
			if err != nil || len(got) != 0 {
				t.Errorf("Decrypt = %q, %v; want empty plaintext", got, err)
			}
			if ts := tokenTime(t, tt.token); ts != tt.ts {
				t.Errorf("timestamp = %d, want %d", ts, tt.ts)
			}
		})
	}
}

// TestPythonTokens decrypts tokens made by Python's cryptography 48
// (Fernet(specKey).encrypt_at_time(msg, 1700000000)).
func TestPythonTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		plaintext string
		token     string
	}{
		{"", "gAAAAABlU_EArzE3iXe1UuGmwq3fzV-gqzDcgMI0QWINo2QuOjdVxJjAsAwK9z-MxvIBY3NuYsYTvJXXDg7Pqs7k5ZKFIP5uQg=="},
		{"P2 secret", "gAAAAABlU_EA6FUich-Iva6K08o0kW6i-MpDZcIvzI8SZinTBWc-lCYnVrqNMIZkp9Ni4mkn9Ws4n9i-JUtnO-TagJGyjVWFsw=="},
		{"xxxxxxxxxxxxxxxx", "gAAAAABlU_EAoIB9fXphNXA6E3kq_kX-PaSoZ--Fss5lA0ZYAmnRGaDqftzj4KiOcGkQ9UvliERfnaYpRmwlSviMne5XIOv25tffR6U5ypZhhO8jYpQBYV4="},
		{"héllo wörld ✓", "gAAAAABlU_EA8KkHj3jojWc8jQdp3fbASmUY1fZv57PKp14mGt0593ApvPSUl6eKISxCW0wGCD8GfhklRh-RmuHhuymDrxI1ZGrFt9dckLE3rj0M7qjMQDg="},
	}
	// The spec key is second: decryption must try every key.
	r := mustRing(t, pythonKey2, specKey)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.plaintext), func(t *testing.T) {
			t.Parallel()
			got, err := r.DecryptString(tt.token)
			if err != nil || got != tt.plaintext {
				t.Errorf("DecryptString = %q, %v; want %q", got, err, tt.plaintext)
			}
			if ts := tokenTime(t, tt.token); ts != 1700000000 {
				t.Errorf("timestamp = %d, want 1700000000", ts)
			}
		})
	}
}

// TestPythonRotate checks a rotation done by Python's MultiFernet.rotate
// and that ours is readable the same way.
func TestPythonRotate(t *testing.T) {
	t.Parallel()
	// Fernet(pythonKey2).encrypt_at_time(b"rotate me", 1600000000) and its
	// MultiFernet([Fernet(specKey), Fernet(pythonKey2)]).rotate.
	const old = "gAAAAABfXhAAgNPOv08j2ED2tJ8HZJ66gcHkGHjKesdt_aY0CdabCsIYSQw-11vy_zcREIiKYkiNaLQfzwwgTrqbeTz64x-gYA=="
	const pyRotated = "gAAAAABfXhAAr5hoObK0fA9BHcT3NFawIk2sEMA0B5uV3eBq1prj6Apz72v-zOvQncnpSU65b_YiUKNgxM0VbT7MWUyYnoZRGQ=="

	newOnly := mustRing(t, specKey)
	if got, err := newOnly.DecryptString(pyRotated); err != nil || got != "rotate me" {
		t.Errorf("decrypt Python rotation = %q, %v", got, err)
	}

	rotated, err := mustRing(t, specKey, pythonKey2).Rotate(old)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newOnly.DecryptString(rotated); err != nil || got != "rotate me" {
		t.Errorf("decrypt our rotation with new key only = %q, %v", got, err)
	}
	if ts := tokenTime(t, rotated); ts != 1600000000 {
		t.Errorf("rotated timestamp = %d, want original 1600000000", ts)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 5, 6, 7, 8, 9, 999_999_999, time.UTC)
	r := mustRing(t, specKey, pythonKey2)
	r.now = fixedClock(now)
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			plaintext := bytes.Repeat([]byte{byte(n)}, n)
			token, err := r.Encrypt(plaintext)
			if err != nil {
				t.Fatal(err)
			}
			raw := rawToken(t, token)
			wantLen := tokenOverhead + (n/16+1)*16
			if len(raw) != wantLen {
				t.Errorf("token is %d bytes, want %d", len(raw), wantLen)
			}
			if raw[0] != 0x80 {
				t.Errorf("version = %#x, want 0x80", raw[0])
			}
			if ts := tokenTime(t, token); ts != uint64(now.Unix()) {
				t.Errorf("timestamp = %d, want %d", ts, now.Unix())
			}
			got, err := r.Decrypt(token)
			if err != nil || !bytes.Equal(got, plaintext) {
				t.Errorf("Decrypt = %v, %v; want %v", got, err, plaintext)
			}
			// Only the first key encrypts.
			if _, err := mustRing(t, pythonKey2).Decrypt(token); err != ErrInvalidToken {
				t.Errorf("second key decrypted a token: err = %v", err)
			}
			if _, err := mustRing(t, specKey).Decrypt(token); err != nil {
				t.Errorf("first key alone: %v", err)
			}
		})
	}
}

func TestEncryptUsesFreshIVAndCurrentTime(t *testing.T) {
	t.Parallel()
	r := mustRing(t, specKey)
	before := time.Now().Unix()
	a, err := r.EncryptString("same")
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.EncryptString("same")
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now().Unix()
	if a == b {
		t.Error("two encryptions of the same plaintext are identical")
	}
	if ts := int64(tokenTime(t, a)); ts < before || ts > after {
		t.Errorf("timestamp %d not in [%d, %d]", ts, before, after)
	}
}

func TestTamperedTokens(t *testing.T) {
	t.Parallel()
	r := mustRing(t, specKey)
	raw := rawToken(t, specToken)
	// Flipping any bit anywhere must be detected.
	for i := range raw {
		for _, bit := range []byte{0x01, 0x80} {
			tampered := bytes.Clone(raw)
			tampered[i] ^= bit
			token := base64.URLEncoding.EncodeToString(tampered)
			if got, err := r.Decrypt(token); err != ErrInvalidToken {
				t.Errorf("byte %d ^ %#x: Decrypt = %q, %v; want ErrInvalidToken", i, bit, got, err)
			}
		}
	}
	// Truncated or extended tokens.
	for _, b := range [][]byte{raw[:len(raw)-1], raw[:len(raw)-16], append(bytes.Clone(raw), 0), raw[:1], raw[:0]} {
		if _, err := r.Decrypt(base64.URLEncoding.EncodeToString(b)); err != ErrInvalidToken {
			t.Errorf("len %d: err = %v, want ErrInvalidToken", len(b), err)
		}
	}
}

// TestSignedButBadPadding builds correctly signed tokens whose padding is
// wrong, so that unpadding (not the HMAC) must reject them.
func TestSignedButBadPadding(t *testing.T) {
	t.Parallel()
	k, err := ParseKey(specKey)
	if err != nil {
		t.Fatal(err)
	}
	r := mustRing(t, specKey)
	var iv [16]byte
	// seal pads its input; sealing 16 bytes then dropping the final
	// (all-padding) block leaves the 16 chosen bytes as the last block.
	for _, last := range [][]byte{
		bytes.Repeat([]byte{0}, 16),
		bytes.Repeat([]byte{17}, 16),
		append(bytes.Repeat([]byte{'a'}, 13), 2, 3, 3),
	} {
		data, err := k.seal(last, 1, iv)
		if err != nil {
			t.Fatal(err)
		}
		body := data[:ctOffset+16]
		token := base64.URLEncoding.EncodeToString(append(bytes.Clone(body), k.mac(body)...))
		if got, err := r.Decrypt(token); err != ErrInvalidToken {
			t.Errorf("last block %v: Decrypt = %q, %v; want ErrInvalidToken", last, got, err)
		}
	}
}

func TestUnpad(t *testing.T) {
	t.Parallel()
	block := func(tail ...byte) []byte { return append(bytes.Repeat([]byte{'x'}, 16-len(tail)), tail...) }
	tests := []struct {
		name string
		in   []byte
		want []byte
		ok   bool
	}{
		{"one byte", block(1), bytes.Repeat([]byte{'x'}, 15), true},
		{"three bytes", block(3, 3, 3), bytes.Repeat([]byte{'x'}, 13), true},
		{"full block", bytes.Repeat([]byte{16}, 16), []byte{}, true},
		{"two blocks", append(block(1), block(2, 2)...), append(block(1), bytes.Repeat([]byte{'x'}, 14)...), true},
		{"empty", nil, nil, false},
		{"not whole blocks", []byte{1}, nil, false},
		{"zero", block(0), nil, false},
		{"too large", block(17), nil, false},
		{"inconsistent", block(2, 3, 3), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := unpad(tt.in)
			if ok != tt.ok || !bytes.Equal(got, tt.want) {
				t.Errorf("unpad = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	oldKey, newKey := specKey, pythonKey2
	old := mustRing(t, oldKey)
	old.now = fixedClock(time.Unix(1_234_567_890, 0))
	token, err := old.EncryptString("p2 data")
	if err != nil {
		t.Fatal(err)
	}

	both := mustRing(t, newKey, oldKey)
	rotated, err := both.Rotate(token)
	if err != nil {
		t.Fatal(err)
	}
	if tokenTime(t, rotated) != 1_234_567_890 {
		t.Errorf("rotated timestamp = %d, want original", tokenTime(t, rotated))
	}
	if bytes.Equal(rawToken(t, rotated)[ivOffset:ctOffset], rawToken(t, token)[ivOffset:ctOffset]) {
		t.Error("rotation reused the IV")
	}
	if got, err := mustRing(t, newKey).DecryptString(rotated); err != nil || got != "p2 data" {
		t.Errorf("new key only: %q, %v", got, err)
	}
	if _, err := old.Decrypt(rotated); err != ErrInvalidToken {
		t.Errorf("old key still decrypts the rotated token: %v", err)
	}

	// Rotating an already current token keeps it readable and its time.
	again, err := both.Rotate(rotated)
	if err != nil || tokenTime(t, again) != 1_234_567_890 {
		t.Errorf("second rotation: ts %d, err %v", tokenTime(t, again), err)
	}

	// Only tokens of a non-first key need rotating.
	for _, tc := range []struct {
		token string
		want  bool
	}{{token, true}, {rotated, false}} {
		if got, err := both.NeedsRotation(tc.token); err != nil || got != tc.want {
			t.Errorf("NeedsRotation = %v, %v; want %v", got, err, tc.want)
		}
	}
	if _, err := both.NeedsRotation("garbage"); err != ErrInvalidToken {
		t.Errorf("NeedsRotation(garbage) err = %v", err)
	}

	// A ring that knows neither key cannot rotate.
	if _, err := mustRing(t, newKey).Rotate(token); err != ErrInvalidToken {
		t.Errorf("Rotate with unknown key: err = %v, want ErrInvalidToken", err)
	}
}

func TestNewKeyRingErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		keys    []string
		wantErr string
	}{
		{"nil", nil, "fernet key ring needs at least one key"},
		{"empty", []string{}, "fernet key ring needs at least one key"},
		{"first bad", []string{"c2hvcnQ=", specKey}, "key 0: invalid fernet key: decodes to 5 bytes, want 32"},
		{"second bad", []string{specKey, "c2hvcnQ="}, "key 1: invalid fernet key: decodes to 5 bytes, want 32"},
		{"third not base64", []string{specKey, pythonKey2, "s3cr3t!"}, "key 2: invalid fernet key: not padded url-safe base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewKeyRing(tt.keys...)
			if err == nil || r != nil {
				t.Fatalf("NewKeyRing = %v, %v; want error", r, err)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want prefix %q", err, tt.wantErr)
			}
			for _, k := range tt.keys {
				if strings.Contains(err.Error(), k) {
					t.Errorf("err %q leaks key %q", err, k)
				}
			}
			if len(tt.keys) > 0 && !errors.Is(err, ErrInvalidKey) {
				t.Errorf("err = %v, want it to wrap ErrInvalidKey", err)
			}
		})
	}
}

func TestEncryptIVFailure(t *testing.T) {
	t.Parallel()
	r := mustRing(t, specKey)
	r.rand = errReader{}
	if tok, err := r.EncryptString("x"); err == nil || tok != "" {
		t.Errorf("Encrypt = %q, %v; want error", tok, err)
	}
	r.rand = bytes.NewReader([]byte{1, 2, 3}) // short read
	if _, err := r.Encrypt([]byte("x")); err == nil {
		t.Error("Encrypt with a short IV read succeeded")
	}
	if _, err := r.Rotate(specToken); err == nil {
		t.Error("Rotate without IV succeeded")
	}
}

func TestZeroKeyRing(t *testing.T) {
	t.Parallel()
	var r KeyRing
	if _, err := r.Encrypt([]byte("x")); err == nil {
		t.Error("zero KeyRing encrypted")
	}
	if _, err := r.DecryptString(specToken); err != ErrInvalidToken {
		t.Errorf("zero KeyRing Decrypt err = %v, want ErrInvalidToken", err)
	}
	// The defaults for clock and randomness apply when unset.
	r.keys = mustRing(t, specKey).keys
	tok, err := r.EncryptString("x")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r.DecryptString(tok); err != nil || got != "x" {
		t.Errorf("round trip = %q, %v", got, err)
	}
}

func TestKeyRingConcurrentUse(t *testing.T) {
	t.Parallel()
	r := mustRing(t, specKey, pythonKey2)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Go(func() {
			for j := range 20 {
				msg := fmt.Sprintf("goroutine %d message %d", i, j)
				tok, err := r.EncryptString(msg)
				if err != nil {
					errs <- err
					return
				}
				if tok, err = r.Rotate(tok); err != nil {
					errs <- err
					return
				}
				got, err := r.DecryptString(tok)
				if err != nil || got != msg {
					errs <- fmt.Errorf("got %q, %v; want %q", got, err, msg)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestSignedWrongVersion checks that a correctly signed token with another
// version byte is rejected.
func TestSignedWrongVersion(t *testing.T) {
	t.Parallel()
	k, err := ParseKey(specKey)
	if err != nil {
		t.Fatal(err)
	}
	data, err := k.seal([]byte("hello"), 1, [16]byte{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []byte{0x00, 0x7f, 0x81, 0xff} {
		body := bytes.Clone(data[:len(data)-32])
		body[0] = v
		token := base64.URLEncoding.EncodeToString(append(body, k.mac(body)...))
		if _, err := mustRing(t, specKey).Decrypt(token); err != ErrInvalidToken {
			t.Errorf("version %#x: err = %v, want ErrInvalidToken", v, err)
		}
	}
}
