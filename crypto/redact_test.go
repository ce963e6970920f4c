package crypto

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// secretForms lists representations of specKey's bytes that must never
// appear in output.
func secretForms(t *testing.T) []string {
	t.Helper()
	raw, err := base64.URLEncoding.DecodeString(specKey)
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		specKey,
		strings.TrimRight(specKey, "="),
		hex.EncodeToString(raw[:16]),
		hex.EncodeToString(raw[16:]),
		fmt.Sprint(raw[:4]),    // start of the signing key, as %v prints it
		fmt.Sprint(raw[16:20]), // start of the encryption key
	}
}

func checkNoLeak(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range secretForms(t) {
		if strings.Contains(out, s) {
			t.Errorf("%s leaks %q: %s", what, s, out)
		}
	}
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	k, err := ParseKey(specKey)
	if err != nil {
		t.Fatal(err)
	}
	ring := mustRing(t, specKey)
	type holder struct {
		Key  Key
		Ring *KeyRing
		Val  KeyRing
	}
	h := holder{Key: k, Ring: ring, Val: *ring}

	values := map[string]any{"Key": k, "*Key": &k, "*KeyRing": ring, "KeyRing": *ring}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10v"} {
			got := fmt.Sprintf(verb, v)
			if got != redacted {
				t.Errorf("Sprintf(%q, %s) = %q, want %q", verb, name, got, redacted)
			}
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%d", "%x"} {
		checkNoLeak(t, "holder "+verb, fmt.Sprintf(verb, h))
	}

	for name, s := range map[string]fmt.Stringer{"Key": k, "*KeyRing": ring} {
		if s.String() != redacted {
			t.Errorf("%s.String() = %q", name, s.String())
		}
	}
	for name, s := range map[string]fmt.GoStringer{"Key": k, "*KeyRing": ring} {
		if s.GoString() != redacted {
			t.Errorf("%s.GoString() = %q", name, s.GoString())
		}
	}
	for name, s := range map[string]slog.LogValuer{"Key": k, "*KeyRing": ring} {
		if v := s.LogValue(); v.String() != redacted {
			t.Errorf("%s.LogValue() = %q", name, v)
		}
	}
}

func TestRedactionInLogs(t *testing.T) {
	t.Parallel()
	k, err := ParseKey(specKey)
	if err != nil {
		t.Fatal(err)
	}
	ring := mustRing(t, specKey)
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := slog.New(newHandler(&buf))
		log.Info("keys", "key", k, "ring", ring, "ringValue", *ring,
			slog.Group("g", "key", &k), slog.Any("any", k))
		out := buf.String()
		checkNoLeak(t, name+" log", out)
		if n := strings.Count(out, redacted); n != 5 {
			t.Errorf("%s log has %d redactions, want 5: %s", name, n, out)
		}
	}
}
