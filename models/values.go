package models

import (
	"net/mail"
	"strings"
)

// Email is a normalized (trimmed, lower-cased) email address. Obtain one with ParseEmail.
type Email string

// ParseEmail validates and normalizes a bare address like "Anna@Example.org".
func ParseEmail(s string) (Email, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", &ValidationError{Field: "email", Message: "is required"}
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" || len(s) > 254 {
		return "", &ValidationError{Field: "email", Message: "is not a valid email address"}
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	if !strings.Contains(domain, ".") {
		return "", &ValidationError{Field: "email", Message: "is not a valid email address"}
	}
	return Email(s), nil
}

func (e Email) String() string { return string(e) }

// Phone is a phone number in E.164 form ("+79991234567"). Obtain one with ParsePhone.
type Phone string

// ParsePhone accepts common spellings ("+7 (999) 123-45-67", "8 999 123 45 67") and returns E.164.
// A number without "+" is read as Russian: a leading 8 of 11 digits, or 10 digits alone, become +7.
func ParsePhone(s string) (Phone, error) {
	var digits strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case '0' <= r && r <= '9': // ASCII only: E.164 has no other digits
			digits.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '(' || r == ')':
		default:
			return "", &ValidationError{Field: "phone", Message: "may contain only digits, spaces, dashes, brackets and a leading +"}
		}
	}
	d := digits.String()
	// Without "+", read the number as Russian, as clients of this practice write it:
	// 8 999 123-45-67 and 999 123-45-67 are both +7 999 123-45-67.
	switch {
	case !plus && len(d) == 11 && d[0] == '8':
		d = "7" + d[1:]
	case !plus && len(d) == 10 && d[0] != '0':
		d = "7" + d
	}
	if len(d) < 10 || len(d) > 15 || d[0] == '0' {
		return "", &ValidationError{Field: "phone", Message: "is not a valid international phone number"}
	}
	return Phone("+" + d), nil
}

func (p Phone) String() string { return string(p) }

// visibleASCII reports whether s holds only printable ASCII other than space (0x21–0x7e): what
// opaque client-supplied keys and ids may contain.
func visibleASCII(s string) bool {
	for i := range len(s) {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}
