package admin

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
	"balance/service/booking"
)

// refundReasonMaxLen bounds a refund's reason: YooKassa takes at most 250 characters.
const refundReasonMaxLen = 250

// refundPayment refunds (part of) a succeeded payment through the booking use case: the refund is
// recorded and a job asks the provider, with the refund's idempotence key. amount_minor defaults
// to what is still refundable.
func refundPayment(ctx context.Context, c *Call, id uuid.UUID) error {
	if c.Bookings == nil {
		return fmt.Errorf("refund payment %s: %w", id, ErrNotAvailable)
	}
	in := c.In
	amount, reason := in.OptInt64("amount_minor"), in.String("reason")
	if amount != nil && *amount <= 0 {
		in.fail("amount_minor", "сумма возврата должна быть больше нуля")
	}
	if utf8.RuneCountInString(reason) > refundReasonMaxLen {
		in.fail("reason", fmt.Sprintf("не длиннее %d символов", refundReasonMaxLen))
	}
	if err := in.Err(); err != nil {
		return err
	}
	_, err := c.Bookings.RefundPayment(ctx, id, amount, reason)
	return refundError(err, "amount_minor")
}

// refundError puts a refund amount the payment cannot give back beside the form's field, in
// Russian; other errors go on as bookingInputError says.
func refundError(err error, field string) error {
	var ae *booking.RefundAmountError
	if !errors.As(err, &ae) {
		return bookingInputError(err)
	}
	msg := "сумма возврата должна быть больше нуля"
	switch {
	case ae.Refundable == 0:
		msg = "возвращать нечего: оплата уже возвращена или возврат выполняется"
	case ae.Asked > ae.Refundable:
		msg = "можно вернуть не больше " + models.Money{Minor: ae.Refundable, Currency: ae.Currency}.String()
	case ae.Asked < 0:
		msg = "сумма возврата не может быть отрицательной"
	}
	return &InputError{Fields: map[string]string{field: msg}}
}
