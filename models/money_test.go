package models_test

import (
	"errors"
	"testing"

	"balance/models"
)

func TestMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		minor    int64
		currency string
		decimal  string
		field    string
	}{
		{150000, "RUB", "1500.00", ""},
		{5, "RUB", "0.05", ""},
		{0, "EUR", "0.00", ""},
		{199, "USD", "1.99", ""},
		{-1, "RUB", "", "amount"},
		{100, "rub", "", "currency"},
		{100, "RUBL", "", "currency"},
	} {
		m, err := models.NewMoney(tc.minor, tc.currency)
		if tc.field != "" {
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("NewMoney(%d, %q) err = %v, want on %s", tc.minor, tc.currency, err, tc.field)
			}
			continue
		}
		if err != nil || m.Decimal() != tc.decimal || m.String() != tc.decimal+" "+tc.currency {
			t.Errorf("NewMoney(%d, %q) = %v %q, %v", tc.minor, tc.currency, m, m.Decimal(), err)
		}
	}
	if got := (models.Money{Minor: -250, Currency: "RUB"}).Decimal(); got != "-2.50" {
		t.Errorf("negative Decimal = %q", got)
	}
}
