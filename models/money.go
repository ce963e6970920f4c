package models

import (
	"fmt"
	"strings"
)

// CurrencyRUB is the practice's currency.
const CurrencyRUB = "RUB"

// Money is an amount in minor units (kopecks) of an ISO 4217 currency. Never a float.
type Money struct {
	Minor    int64
	Currency string
}

// NewMoney validates an amount: non-negative, three-letter upper-case currency.
func NewMoney(minor int64, currency string) (Money, error) {
	if minor < 0 {
		return Money{}, &ValidationError{Field: "amount", Message: "must not be negative"}
	}
	if len(currency) != 3 || strings.ToUpper(currency) != currency {
		return Money{}, &ValidationError{Field: "currency", Message: "must be an ISO 4217 code such as RUB"}
	}
	return Money{Minor: minor, Currency: currency}, nil
}

// Decimal renders the amount with two decimals, as payment APIs want it: 150000 → "1500.00".
func (m Money) Decimal() string {
	sign := ""
	minor := m.Minor
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d", sign, minor/100, minor%100)
}

func (m Money) String() string { return m.Decimal() + " " + m.Currency }
