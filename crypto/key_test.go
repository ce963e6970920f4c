package crypto

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// specKey is the key of the fernet spec test vectors.
const specKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

func TestParseKey(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i)
	}
	tests := []struct {
		name    string
		in      string
		wantErr string // empty for success
	}{
		{name: "spec key", in: specKey},
		{name: "generated layout", in: base64.URLEncoding.EncodeToString(raw)},
		{name: "trailing newline is ignored by base64", in: specKey + "\n"},
		{name: "empty", in: "", wantErr: "decodes to 0 bytes, want 32"},
		{name: "missing padding", in: strings.TrimSuffix(specKey, "="), wantErr: "not padded url-safe base64: illegal base64 data at input byte 40"},
		{name: "standard alphabet", in: base64.StdEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe}), wantErr: "not padded url-safe base64"},
		{name: "garbage", in: "not a key!", wantErr: "not padded url-safe base64"},
		{name: "16 bytes", in: base64.URLEncoding.EncodeToString(raw[:16]), wantErr: "decodes to 16 bytes, want 32"},
		{name: "33 bytes", in: base64.URLEncoding.EncodeToString(append(raw, 0)), wantErr: "decodes to 33 bytes, want 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseKey(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ParseKey: %v", err)
				}
				if k == (Key{}) {
					t.Fatal("ParseKey returned the zero key")
				}
				return
			}
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			if tt.in != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Errorf("err %q leaks the key", err)
			}
		})
	}
}

func TestParseKeySplitsSigningAndEncryption(t *testing.T) {
	t.Parallel()
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i + 1)
	}
	k, err := ParseKey(base64.URLEncoding.EncodeToString(raw))
	if err != nil {
		t.Fatal(err)
	}
	if string(k.signing[:]) != string(raw[:16]) {
		t.Errorf("signing = %v, want first 16 bytes", k.signing[:])
	}
	if string(k.encryption[:]) != string(raw[16:]) {
		t.Errorf("encryption = %v, want last 16 bytes", k.encryption[:])
	}
}

func TestGenerateKey(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		s, err := GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		if len(s) != 44 || !strings.HasSuffix(s, "=") {
			t.Errorf("key %d chars, want 44 with padding", len(s))
		}
		if _, err := ParseKey(s); err != nil {
			t.Errorf("ParseKey(GenerateKey()): %v", err)
		}
		if seen[s] {
			t.Fatal("GenerateKey repeated a key")
		}
		seen[s] = true
	}

	setRandom(t, errReader{})
	if s, err := GenerateKey(); err == nil || s != "" {
		t.Errorf("GenerateKey with failing entropy = %q, %v; want error", s, err)
	}
}
