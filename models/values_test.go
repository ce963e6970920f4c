package models_test

import (
	"errors"
	"strings"
	"testing"

	"balance/models"
)

// wantValidationError fails unless err is a *models.ValidationError for field.
func wantValidationError(t *testing.T, err error, field string) *models.ValidationError {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error = %v (%T), want *models.ValidationError", err, err)
	}
	if ve.Field != field {
		t.Errorf("ValidationError.Field = %q, want %q", ve.Field, field)
	}
	if ve.Message == "" {
		t.Error("ValidationError.Message is empty")
	}
	return ve
}

// emailOfLength returns a syntactically valid address exactly n bytes long (n >= 80).
func emailOfLength(n int) string {
	local := strings.Repeat("a", 64)
	// Domain labels of at most 50 bytes, ending in ".org".
	rest := n - len(local) - 1 - len(".org")
	var labels []string
	for rest > 0 {
		size := min(rest, 50)
		if rest-size == 1 { // a label cannot be empty: avoid leaving only the dot
			size--
		}
		labels = append(labels, strings.Repeat("b", size))
		rest -= size + 1
	}
	return local + "@" + strings.Join(labels, ".") + ".org"
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	if got := len(emailOfLength(254)); got != 254 {
		t.Fatalf("emailOfLength(254) is %d bytes", got)
	}
	tests := []struct {
		name string
		in   string
		want models.Email
	}{
		{"plain", "anna@example.org", "anna@example.org"},
		{"lower-cased", "Anna@Example.ORG", "anna@example.org"},
		{"trimmed", " \t anna@example.org \n", "anna@example.org"},
		{"plus tag and subdomains", "anna.k+booking@mail.example.co.uk", "anna.k+booking@mail.example.co.uk"},
		{"cyrillic domain in punycode", "anna@xn--80ak6aa92e.com", "anna@xn--80ak6aa92e.com"},
		{"254 bytes", emailOfLength(254), models.Email(emailOfLength(254))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := models.ParseEmail(tt.in)
			if err != nil {
				t.Fatalf("ParseEmail(%q): %v", tt.in, err)
			}
			if got != tt.want || got.String() != string(tt.want) {
				t.Errorf("ParseEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseEmailRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		message string // empty: any message
	}{
		{"empty", "", "is required"},
		{"blank", "  \t ", "is required"},
		{"no at", "anna.example.org", ""},
		{"nothing before at", "@example.org", ""},
		{"nothing after at", "anna@", ""},
		{"two ats", "anna@b@example.org", ""},
		{"display-name form", "Anna <a@b.org>", ""},
		{"angle brackets only", "<a@b.org>", ""},
		{"space inside", "an na@example.org", ""},
		{"no dot in domain", "anna@localhost", ""},
		{"trailing dot only label", "anna@example.", ""},
		{"two addresses", "a@b.org, c@d.org", ""},
		{"255 bytes", emailOfLength(255), ""},
		{"far too long", emailOfLength(400), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := models.ParseEmail(tt.in)
			if got != "" {
				t.Errorf("ParseEmail(%q) returned %q along with the error", tt.in, got)
			}
			ve := wantValidationError(t, err, "email")
			if tt.message != "" && ve.Message != tt.message {
				t.Errorf("Message = %q, want %q", ve.Message, tt.message)
			}
		})
	}
}

func TestParsePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want models.Phone
	}{
		{"+7 (999) 123-45-67", "+79991234567"},
		{"8 999 123 45 67", "+79991234567"},
		{"89991234567", "+79991234567"},
		{"79991234567", "+79991234567"},
		{"+79991234567", "+79991234567"},
		{"+49 30 1234567", "+49301234567"},
		{"  +1-202-555-0143 ", "+12025550143"},
		{"+1234567890", "+1234567890"},           // 10 digits, the shortest accepted
		{"+123456789012345", "+123456789012345"}, // 15 digits, the E.164 maximum
		// Without +, a national number is read as Russian; with a + the 8 is a country code.
		{"+8 999 123 45 67", "+89991234567"},
		{"999 123-45-67", "+79991234567"},
		{"(495) 123-45-67", "+74951234567"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := models.ParsePhone(tt.in)
			if err != nil {
				t.Fatalf("ParsePhone(%q): %v", tt.in, err)
			}
			if got != tt.want || got.String() != string(tt.want) {
				t.Errorf("ParsePhone(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParsePhoneRejects(t *testing.T) {
	t.Parallel()
	const (
		badChars  = "may contain only digits, spaces, dashes, brackets and a leading +"
		badNumber = "is not a valid international phone number"
	)
	tests := []struct {
		name, in, message string
	}{
		{"empty", "", badNumber},
		{"letters", "+7 999 CALL-ME", badChars},
		{"extension", "+7 999 123 45 67 ext 5", badChars},
		{"dots", "+7.999.123.45.67", badChars},
		{"plus not first", "7+9991234567", badChars},
		{"two pluses", "++79991234567", badChars},
		{"slash", "+7 999/123-45-67", badChars},
		// Only ASCII digits belong in E.164: other scripts' digits must not pass through.
		{"fullwidth digits", "+７９９９１２３４５６７", badChars},
		{"arabic-indic digits", "+٧٩٩٩١٢٣", badChars},
		{"one non-ascii digit", "+7999123456٧", badChars},
		{"9 digits", "+123456789", badNumber},
		{"16 digits", "+1234567890123456", badNumber},
		{"plus only", "+", badNumber},
		{"leading zero", "+0 999 123 45 67", badNumber},
		{"international prefix 00", "0049 30 1234567", badNumber},
		{"national number with trunk 0", "030 1234567", badNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := models.ParsePhone(tt.in)
			if got != "" {
				t.Errorf("ParsePhone(%q) returned %q along with the error", tt.in, got)
			}
			ve := wantValidationError(t, err, "phone")
			if ve.Message != tt.message {
				t.Errorf("ParsePhone(%q) message = %q, want %q", tt.in, ve.Message, tt.message)
			}
		})
	}
}
