package crypto

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != 43 {
			t.Errorf("len = %d, want 43", len(tok))
		}
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || len(raw) != 32 {
			t.Errorf("token %q decodes to %d bytes, %v", tok, len(raw), err)
		}
		if seen[tok] {
			t.Fatal("NewToken repeated a token")
		}
		seen[tok] = true
	}

	setRandom(t, errReader{})
	if tok, err := NewToken(); err == nil || tok != "" {
		t.Errorf("NewToken with failing entropy = %q, %v; want error", tok, err)
	}
}

func TestHashToken(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		// FIPS 180-2 test vectors.
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	}
	for _, tt := range tests {
		if got := HashToken(tt.in); got != tt.want {
			t.Errorf("HashToken(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	tok, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if h := HashToken(tok); !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) || h == HashToken(tok+"x") {
		t.Errorf("HashToken(token) = %q", h)
	}
}

func TestDeriveToken(t *testing.T) {
	t.Parallel()
	rfc := func(h string) string {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	tests := []struct {
		name, secret, purpose, want string
	}{
		// RFC 4231 test case 2.
		{"rfc4231 case 2", "Jefe", "what do ya want for nothing?", rfc("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")},
		// RFC 4231 test case 1: key 0x0b * 20, data "Hi There".
		{"rfc4231 case 1", strings.Repeat("\x0b", 20), "Hi There", rfc("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DeriveToken(tt.secret, tt.purpose); got != tt.want {
				t.Errorf("DeriveToken = %s, want %s", got, tt.want)
			}
		})
	}

	a := DeriveToken("session", "csrf")
	if len(a) != 43 {
		t.Errorf("len = %d, want 43", len(a))
	}
	if a != DeriveToken("session", "csrf") {
		t.Error("DeriveToken is not deterministic")
	}
	if a == DeriveToken("session", "other") || a == DeriveToken("session2", "csrf") {
		t.Error("DeriveToken ignores an input")
	}
}

func TestEqualTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"", "", true},
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"", "a", false},
		{"ABC", "abc", false},
	}
	for _, tt := range tests {
		if got := EqualTokens(tt.a, tt.b); got != tt.want {
			t.Errorf("EqualTokens(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
