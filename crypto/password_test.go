package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// fastParams keep tests quick; they are valid but far too cheap for use.
var fastParams = PasswordParams{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Vectors from the argon2 reference implementation (phc-winner-argon2,
// src/test.c), password "password", salt "somesalt" unless noted.
var referenceHashes = []struct {
	name, password, encoded string
}{
	{"m=256 p=1", "password", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"},
	{"m=256 p=2", "password", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"},
	{"m=64MiB", "password", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"},
	{"different password", "differentpassword", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94"},
	{"salt diffsalt", "password", "$argon2id$v=19$m=65536,t=2,p=1$ZGlmZnNhbHQ$vfMrBczELrFdWP0ZsfhWsRPaHppYdP3MVEMIVlqoFBw"},
}

func TestVerifyPasswordReferenceVectors(t *testing.T) {
	t.Parallel()
	for _, tt := range referenceHashes {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, pw := range []string{tt.password, tt.password + "x", "", strings.ToUpper(tt.password)} {
				ok, err := VerifyPassword(tt.encoded, pw)
				if err != nil {
					t.Fatal(err)
				}
				if want := pw == tt.password; ok != want {
					t.Errorf("VerifyPassword(%q) = %v, want %v", pw, ok, want)
				}
			}
		})
	}
}

// TestHashPasswordFormat pins the PHC encoding with a known salt: the
// reference vector must come out exactly.
func TestHashPasswordFormat(t *testing.T) {
	setRandom(t, strings.NewReader("somesalt"))
	p := PasswordParams{Memory: 256, Iterations: 2, Parallelism: 1, SaltLen: 8, KeyLen: 32}
	got, err := HashPassword("password", p)
	if err != nil {
		t.Fatal(err)
	}
	if want := referenceHashes[0].encoded; got != want {
		t.Errorf("HashPassword = %s\nwant           %s", got, want)
	}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		params   PasswordParams
		password string
	}{
		{"fast", fastParams, "correct horse battery staple"},
		{"unicode", fastParams, "pässwörd ✓ 密码"},
		{"one char", fastParams, "x"},
		{"long", fastParams, strings.Repeat("long ", 1000)},
		{"parallel", PasswordParams{Memory: 64, Iterations: 2, Parallelism: 4, SaltLen: 8, KeyLen: 16}, "pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			encoded, err := HashPassword(tt.password, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			prefix := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$", tt.params.Memory, tt.params.Iterations, tt.params.Parallelism)
			if !strings.HasPrefix(encoded, prefix) {
				t.Errorf("encoded = %s, want prefix %s", encoded, prefix)
			}
			if strings.Count(encoded, "=") != 4 { // v=, m=, t=, p=
				t.Errorf("encoded %s has base64 padding", encoded)
			}
			ok, err := VerifyPassword(encoded, tt.password)
			if err != nil || !ok {
				t.Errorf("VerifyPassword(right) = %v, %v", ok, err)
			}
			ok, err = VerifyPassword(encoded, tt.password+"!")
			if err != nil || ok {
				t.Errorf("VerifyPassword(wrong) = %v, %v", ok, err)
			}
			if NeedsRehash(encoded, tt.params) {
				t.Error("NeedsRehash with the same params")
			}
			again, err := HashPassword(tt.password, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if again == encoded {
				t.Error("two hashes of the same password are identical (salt not random)")
			}
		})
	}
}

func TestHashPasswordDefaults(t *testing.T) {
	t.Parallel()
	encoded, err := HashPassword("hunter2hunter2", DefaultPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !re.MatchString(encoded) {
		t.Errorf("encoded = %s, want match for %s", encoded, re)
	}
	if ok, err := VerifyPassword(encoded, "hunter2hunter2"); err != nil || !ok {
		t.Errorf("VerifyPassword = %v, %v", ok, err)
	}
	if NeedsRehash(encoded, DefaultPasswordParams) {
		t.Error("NeedsRehash(defaults, defaults) = true")
	}
	if !NeedsRehash(encoded, fastParams) {
		t.Error("NeedsRehash(defaults, fast) = false")
	}
}

func TestHashPasswordErrors(t *testing.T) {
	t.Parallel()
	with := func(f func(*PasswordParams)) PasswordParams {
		p := fastParams
		f(&p)
		return p
	}
	tests := []struct {
		name     string
		password string
		params   PasswordParams
		wantErr  string
	}{
		{"empty password", "", fastParams, "password must not be empty"},
		{"zero params", "pw", PasswordParams{}, "iterations"},
		{"no iterations", "pw", with(func(p *PasswordParams) { p.Iterations = 0 }), "iterations"},
		{"too many iterations", "pw", with(func(p *PasswordParams) { p.Iterations = maxIterations + 1 }), "iterations"},
		{"no parallelism", "pw", with(func(p *PasswordParams) { p.Parallelism = 0 }), "parallelism"},
		{"memory below 8 per lane", "pw", with(func(p *PasswordParams) { p.Parallelism = 4; p.Memory = 31 }), "memory"},
		{"too much memory", "pw", with(func(p *PasswordParams) { p.Memory = maxMemory + 1 }), "memory"},
		{"short salt", "pw", with(func(p *PasswordParams) { p.SaltLen = 7 }), "salt length"},
		{"long salt", "pw", with(func(p *PasswordParams) { p.SaltLen = maxSaltLen + 1 }), "salt length"},
		{"short key", "pw", with(func(p *PasswordParams) { p.KeyLen = 3 }), "key length"},
		{"long key", "pw", with(func(p *PasswordParams) { p.KeyLen = maxKeyLen + 1 }), "key length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := HashPassword(tt.password, tt.params)
			if err == nil || got != "" {
				t.Fatalf("HashPassword = %q, %v; want error", got, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	if _, err := HashPassword("", fastParams); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("err = %v, want ErrEmptyPassword", err)
	}
}

func TestHashPasswordSaltFailure(t *testing.T) {
	setRandom(t, errReader{})
	if got, err := HashPassword("pw", fastParams); err == nil || got != "" {
		t.Errorf("HashPassword = %q, %v; want error", got, err)
	}
}

func TestVerifyPasswordMalformed(t *testing.T) {
	t.Parallel()
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	tests := []struct {
		name, encoded string
	}{
		{"empty", ""},
		{"plain text", "password"},
		{"bcrypt", "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"},
		{"argon2i", "$argon2i$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"argon2d", "$argon2d$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"no leading $", "argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"missing version", "$argon2id$m=256,t=2,p=1$" + salt + "$" + key},
		{"version 16", "$argon2id$v=16$m=256,t=2,p=1$" + salt + "$" + key},
		{"version leading zero", "$argon2id$v=019$m=256,t=2,p=1$" + salt + "$" + key},
		{"extra field", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key + "$"},
		{"missing hash", "$argon2id$v=19$m=256,t=2,p=1$" + salt},
		{"params out of order", "$argon2id$v=19$t=2,m=256,p=1$" + salt + "$" + key},
		{"missing param", "$argon2id$v=19$m=256,t=2$" + salt + "$" + key},
		{"extra param", "$argon2id$v=19$m=256,t=2,p=1,keyid=x$" + salt + "$" + key},
		{"semicolons", "$argon2id$v=19$m=256;t=2;p=1$" + salt + "$" + key},
		{"leading zero", "$argon2id$v=19$m=0256,t=2,p=1$" + salt + "$" + key},
		{"negative", "$argon2id$v=19$m=256,t=-2,p=1$" + salt + "$" + key},
		{"plus sign", "$argon2id$v=19$m=+256,t=2,p=1$" + salt + "$" + key},
		{"not a number", "$argon2id$v=19$m=lots,t=2,p=1$" + salt + "$" + key},
		{"empty number", "$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key},
		{"memory overflows uint32", "$argon2id$v=19$m=4294967296,t=2,p=1$" + salt + "$" + key},
		{"parallelism overflows uint8", "$argon2id$v=19$m=4096,t=2,p=256$" + salt + "$" + key},
		{"zero iterations", "$argon2id$v=19$m=256,t=0,p=1$" + salt + "$" + key},
		{"zero parallelism", "$argon2id$v=19$m=256,t=2,p=0$" + salt + "$" + key},
		{"memory too small for lanes", "$argon2id$v=19$m=8,t=2,p=2$" + salt + "$" + key},
		{"memory too large", "$argon2id$v=19$m=4000000000,t=2,p=1$" + salt + "$" + key},
		{"iterations too large", "$argon2id$v=19$m=256,t=4000000000,p=1$" + salt + "$" + key},
		{"padded salt", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "=$" + key},
		{"url-safe salt", "$argon2id$v=19$m=256,t=2,p=1$c29tZ-NhbHQ$" + key},
		{"bad hash base64", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key + "!"},
		{"non-canonical base64 tail", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$" + key[:len(key)-1] + "5"},
		{"short salt", "$argon2id$v=19$m=256,t=2,p=1$c2FsdA$" + key},
		{"empty salt", "$argon2id$v=19$m=256,t=2,p=1$$" + key},
		{"short hash", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$AAAA"},
		{"empty hash", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, err := VerifyPassword(tt.encoded, "password")
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("VerifyPassword = %v, %v; want ErrMalformedHash", ok, err)
			}
			if !NeedsRehash(tt.encoded, DefaultPasswordParams) {
				t.Error("NeedsRehash(malformed) = false")
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	encoded, err := HashPassword("pw", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(*PasswordParams)) PasswordParams {
		p := fastParams
		f(&p)
		return p
	}
	tests := []struct {
		name   string
		params PasswordParams
		want   bool
	}{
		{"same", fastParams, false},
		{"more memory", with(func(p *PasswordParams) { p.Memory *= 2 }), true},
		{"more iterations", with(func(p *PasswordParams) { p.Iterations++ }), true},
		{"more lanes", with(func(p *PasswordParams) { p.Parallelism++ }), true},
		{"longer salt", with(func(p *PasswordParams) { p.SaltLen++ }), true},
		{"longer key", with(func(p *PasswordParams) { p.KeyLen++ }), true},
		{"defaults", DefaultPasswordParams, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := NeedsRehash(encoded, tt.params); got != tt.want {
				t.Errorf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDummyVerify(t *testing.T) {
	t.Parallel()
	h := dummyHash()
	if h != dummyHash() {
		t.Error("dummy hash is not fixed")
	}
	if NeedsRehash(h, DefaultPasswordParams) {
		t.Errorf("dummy hash %s is not made with DefaultPasswordParams", h)
	}
	if ok, err := VerifyPassword(h, "anything"); err != nil || ok {
		t.Errorf("VerifyPassword(dummy) = %v, %v", ok, err)
	}

}

// DummyVerify must cost as much as a real verify (it uses the same parameters, checked above);
// compare with: go test -bench 'Verify' ./crypto/
func BenchmarkDummyVerify(b *testing.B) {
	DummyVerify("warm up")
	for b.Loop() {
		DummyVerify("guess")
	}
}

func BenchmarkVerifyPassword(b *testing.B) {
	stored, err := HashPassword("real password", DefaultPasswordParams)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, _ = VerifyPassword(stored, "guess")
	}
}

func TestEncodeHashUsesStandardAlphabet(t *testing.T) {
	t.Parallel()
	// 0xfb 0xff encode to "+/8" in standard base64, "-_8" in url-safe.
	got := encodeHash(fastParams, bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 3), []byte{0xfb, 0xff, 0xbf, 0xfb})
	fields := strings.Split(got, "$")
	if fields[4] != "+/+/+/+/+/+/" || fields[5] != "+/+/+w" {
		t.Errorf("encodeHash = %s, want unpadded standard base64", got)
	}
}
