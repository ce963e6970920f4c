package crypto

import (
	"fmt"
	"io"
	"log/slog"
)

// redacted is how secrets render in every textual form.
const redacted = "[redacted]"

// String implements fmt.Stringer without revealing the key.
func (Key) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing the key.
func (Key) GoString() string { return redacted }

// Format implements fmt.Formatter so that no verb (%d, %x, %+v, ...) can
// print the key bytes.
func (Key) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer without revealing the key.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

// The methods below use value receivers on purpose: that way both KeyRing
// and *KeyRing are redacted, including a KeyRing value that is printed
// directly (fmt would otherwise dump its unexported key bytes).

// String implements fmt.Stringer without revealing the keys.
func (KeyRing) String() string { return redacted }

// GoString implements fmt.GoStringer without revealing the keys.
func (KeyRing) GoString() string { return redacted }

// Format implements fmt.Formatter so that no verb can print the keys.
func (KeyRing) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// LogValue implements slog.LogValuer without revealing the keys.
func (KeyRing) LogValue() slog.Value { return slog.StringValue(redacted) }
