package yookassa

import (
	"strings"
	"testing"
	"unicode/utf8"

	"balance/models"
)

func TestAmountRoundTrip(t *testing.T) {
	t.Parallel()
	for _, minor := range []int64{150000, 1, 10, 99, 100, 500000, 123456789} {
		m := models.Money{Minor: minor, Currency: "RUB"}
		w := toWire(m)
		got, err := parseAmount(w)
		if err != nil || got != m {
			t.Errorf("%d → %q → %v, %v", minor, w.Value, got, err)
		}
	}
	if w := toWire(models.Money{Minor: 150000, Currency: "RUB"}); w.Value != "1500.00" {
		t.Errorf("150000 on the wire = %q, want 1500.00", w.Value)
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value, currency string
		want            int64
		ok              bool
	}{
		{"1500.00", "RUB", 150000, true},
		{"0.01", "RUB", 1, true},
		{"0.10", "RUB", 10, true},
		{"2.5", "RUB", 250, true},
		{"12", "RUB", 1200, true},
		{"0.00", "RUB", 0, true},
		{"", "RUB", 0, false},
		{"1.", "RUB", 0, false},
		{".50", "RUB", 0, false},
		{"1.005", "RUB", 0, false},
		{"-1.00", "RUB", 0, false},
		{"+1.00", "RUB", 0, false},
		{"1,00", "RUB", 0, false},
		{"1e3", "RUB", 0, false},
		{" 1.00", "RUB", 0, false},
		{"99999999999999999999.00", "RUB", 0, false},
		{"1.00", "rub", 0, false},
		{"1.00", "", 0, false},
	}
	for _, tt := range tests {
		got, err := parseAmount(wireAmount{Value: tt.value, Currency: tt.currency})
		if tt.ok != (err == nil) || (tt.ok && got != (models.Money{Minor: tt.want, Currency: tt.currency})) {
			t.Errorf("parseAmount(%q %q) = %v, %v; want %d ok=%t", tt.value, tt.currency, got, err, tt.want, tt.ok)
		}
	}
}

func TestTruncateRunes(t *testing.T) {
	t.Parallel()
	cyr := strings.Repeat("Консультация психолога ", 10) // 230 runes, 2 bytes each mostly
	tests := []struct {
		name, in string
		want     int
	}{
		{"short", "Сессия", 6},
		{"exactly 128", strings.Repeat("я", 128), 128},
		{"129 cyrillic", strings.Repeat("я", 129), 128},
		{"long mixed", cyr, 128},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		got := truncateRunes(tt.in, descriptionMaxRunes)
		if n := utf8.RuneCountInString(got); n != tt.want || !utf8.ValidString(got) || !strings.HasPrefix(tt.in, got) {
			t.Errorf("%s: %d runes (valid %t), want %d", tt.name, n, utf8.ValidString(got), tt.want)
		}
	}
}
