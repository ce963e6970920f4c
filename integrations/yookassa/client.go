package yookassa

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"balance/models"
)

const (
	// descriptionMaxRunes is YooKassa's limit for payment and receipt item descriptions.
	descriptionMaxRunes = 128
	// idempotenceKeyMaxLen is YooKassa's limit for an Idempotence-Key.
	idempotenceKeyMaxLen = 64
	// maxProcessingWait bounds the wait a 202 "processing" answer may ask for.
	maxProcessingWait = 30 * time.Second
	maxResponseBytes  = 1 << 20
)

// Client calls the YooKassa API. It is safe for concurrent use.
type Client struct {
	cfg Config
}

// New validates cfg, fills its defaults and returns a client.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg}, nil
}

// Customer is whom a 54-FZ receipt is sent to: an email, a phone (E.164), or both.
type Customer struct {
	Email string
	Phone string
}

// CreatePaymentRequest describes a payment to create.
type CreatePaymentRequest struct {
	Amount models.Money
	// Description is shown to the client; it is cut to 128 characters.
	Description   string
	AppointmentID uuid.UUID
	// PaymentID is our payment's id, kept in the metadata beside the appointment's.
	PaymentID uuid.UUID
	// ManualCapture asks for a two-stage payment (waiting_for_capture, then CapturePayment); by
	// default the payment is captured at once.
	ManualCapture bool
	// Customer receives the receipt; required when the client sends receipts.
	Customer *Customer
	// IdempotenceKey is required: the same key for the same booking, so a retry cannot pay twice.
	IdempotenceKey string
}

// CreateRefundRequest describes a refund of (part of) a succeeded payment.
type CreateRefundRequest struct {
	PaymentID      string
	Amount         models.Money
	Description    string
	IdempotenceKey string
}

// CreatePayment creates a payment with a redirect confirmation and returns it, with the URL the
// client pays at.
func (c *Client) CreatePayment(ctx context.Context, req CreatePaymentRequest) (*Payment, error) {
	if err := checkAmount(req.Amount); err != nil {
		return nil, fmt.Errorf("create payment: %w", err)
	}
	description := truncateRunes(req.Description, descriptionMaxRunes)
	body := wireCreatePayment{
		Amount:       toWire(req.Amount),
		Capture:      !req.ManualCapture,
		Confirmation: wireConfirmation{Type: "redirect", ReturnURL: c.cfg.ReturnURL},
		Description:  description,
	}
	if req.AppointmentID != uuid.Nil || req.PaymentID != uuid.Nil {
		body.Metadata = map[string]string{}
	}
	if req.AppointmentID != uuid.Nil {
		body.Metadata[MetadataAppointmentID] = req.AppointmentID.String()
	}
	if req.PaymentID != uuid.Nil {
		body.Metadata[MetadataPaymentID] = req.PaymentID.String()
	}
	if c.cfg.Receipts {
		receipt, err := newReceipt(req.Customer, description, req.Amount)
		if err != nil {
			return nil, fmt.Errorf("create payment: %w", err)
		}
		body.Receipt = receipt
	}
	var out wirePayment
	if err := c.do(ctx, http.MethodPost, "/payments", req.IdempotenceKey, body, &out); err != nil {
		return nil, fmt.Errorf("create payment: %w", err)
	}
	return out.payment()
}

// GetPayment reads a payment's current state.
func (c *Client) GetPayment(ctx context.Context, id string) (*Payment, error) {
	if id == "" {
		return nil, fmt.Errorf("get payment: %w: empty id", ErrInvalidInput)
	}
	var out wirePayment
	if err := c.do(ctx, http.MethodGet, "/payments/"+url.PathEscape(id), "", nil, &out); err != nil {
		return nil, fmt.Errorf("get payment %s: %w", id, err)
	}
	return out.payment()
}

// CapturePayment captures a payment waiting_for_capture; a zero amount captures all of it.
func (c *Client) CapturePayment(ctx context.Context, id string, amount models.Money, idempotenceKey string) (*Payment, error) {
	if id == "" {
		return nil, fmt.Errorf("capture payment: %w: empty id", ErrInvalidInput)
	}
	var body wireCapture
	if amount.Minor != 0 {
		if err := checkAmount(amount); err != nil {
			return nil, fmt.Errorf("capture payment %s: %w", id, err)
		}
		a := toWire(amount)
		body.Amount = &a
	}
	var out wirePayment
	if err := c.do(ctx, http.MethodPost, "/payments/"+url.PathEscape(id)+"/capture", idempotenceKey, body, &out); err != nil {
		return nil, fmt.Errorf("capture payment %s: %w", id, err)
	}
	return out.payment()
}

// CancelPayment cancels a payment that is pending or waiting_for_capture.
func (c *Client) CancelPayment(ctx context.Context, id, idempotenceKey string) (*Payment, error) {
	if id == "" {
		return nil, fmt.Errorf("cancel payment: %w: empty id", ErrInvalidInput)
	}
	var out wirePayment
	if err := c.do(ctx, http.MethodPost, "/payments/"+url.PathEscape(id)+"/cancel", idempotenceKey, struct{}{}, &out); err != nil {
		return nil, fmt.Errorf("cancel payment %s: %w", id, err)
	}
	return out.payment()
}

// CreateRefund refunds an amount of a succeeded payment.
func (c *Client) CreateRefund(ctx context.Context, req CreateRefundRequest) (*Refund, error) {
	if req.PaymentID == "" {
		return nil, fmt.Errorf("create refund: %w: empty payment id", ErrInvalidInput)
	}
	if err := checkAmount(req.Amount); err != nil {
		return nil, fmt.Errorf("create refund: %w", err)
	}
	body := wireCreateRefund{
		PaymentID:   req.PaymentID,
		Amount:      toWire(req.Amount),
		Description: truncateRunes(req.Description, descriptionMaxRunes),
	}
	var out wireRefund
	if err := c.do(ctx, http.MethodPost, "/refunds", req.IdempotenceKey, body, &out); err != nil {
		return nil, fmt.Errorf("create refund for payment %s: %w", req.PaymentID, err)
	}
	return out.refund()
}

// GetRefund reads a refund's current state.
func (c *Client) GetRefund(ctx context.Context, id string) (*Refund, error) {
	if id == "" {
		return nil, fmt.Errorf("get refund: %w: empty id", ErrInvalidInput)
	}
	var out wireRefund
	if err := c.do(ctx, http.MethodGet, "/refunds/"+url.PathEscape(id), "", nil, &out); err != nil {
		return nil, fmt.Errorf("get refund %s: %w", id, err)
	}
	return out.refund()
}

func checkAmount(m models.Money) error {
	if _, err := models.NewMoney(m.Minor, m.Currency); err != nil || m.Minor == 0 {
		return fmt.Errorf("%w: amount %s must be positive in an ISO 4217 currency", ErrInvalidInput, m)
	}
	return nil
}

func newReceipt(cust *Customer, description string, amount models.Money) (*wireReceipt, error) {
	if cust == nil || (cust.Email == "" && cust.Phone == "") {
		return nil, fmt.Errorf("%w: a receipt needs the customer's email or phone", ErrInvalidInput)
	}
	return &wireReceipt{
		// YooKassa wants the phone as E.164 digits without the plus.
		Customer: wireCustomer{Email: cust.Email, Phone: strings.TrimPrefix(cust.Phone, "+")},
		Items: []wireReceiptItem{{
			Description:    description,
			Quantity:       "1.00",
			Amount:         toWire(amount),
			VATCode:        1, // without VAT
			PaymentSubject: "service",
			PaymentMode:    "full_prepayment",
		}},
	}, nil
}

// truncateRunes cuts s to at most n characters, never inside a UTF-8 sequence.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// attempt is the outcome of one HTTP exchange.
type attempt struct {
	err   error
	retry bool
	// wait overrides the backoff when the server named one (202 retry_after).
	wait time.Duration
}

// do sends one operation, retrying network errors, 5xx and 202 "processing" with the same body and
// the same Idempotence-Key, waiting RetryWait, then twice as long, and so on.
func (c *Client) do(ctx context.Context, method, path, key string, body, out any) error {
	var payload []byte
	if method == http.MethodPost {
		if key == "" || len(key) > idempotenceKeyMaxLen {
			return fmt.Errorf("%w: Idempotence-Key is required, at most %d characters", ErrInvalidInput, idempotenceKeyMaxLen)
		}
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
	}
	backoff := c.cfg.RetryWait
	for n := 0; ; n++ {
		a := c.once(ctx, method, path, key, payload, out)
		if a.err == nil || !a.retry || n >= c.cfg.MaxRetries {
			return a.err
		}
		wait := backoff
		if a.wait > 0 {
			wait = a.wait
		}
		backoff *= 2
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (after %d attempts; last: %w)", ctx.Err(), n+1, a.err)
		case <-t.C:
		}
	}
}

func (c *Client) once(ctx context.Context, method, path, key string, payload []byte, out any) attempt {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.APIURL+path, body)
	if err != nil {
		return attempt{err: fmt.Errorf("build request: %w", err)}
	}
	req.SetBasicAuth(c.cfg.ShopID, c.cfg.SecretKey)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotence-Key", key)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return attempt{err: ctx.Err()}
		}
		return attempt{err: fmt.Errorf("%s %s: %w", method, path, err), retry: true}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return attempt{err: fmt.Errorf("%s %s: read response: %w", method, path, err), retry: ctx.Err() == nil}
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		if err := json.Unmarshal(raw, out); err != nil {
			return attempt{err: fmt.Errorf("%s %s: decode response: %w", method, path, err)}
		}
		return attempt{}
	case resp.StatusCode == http.StatusAccepted:
		var w wireError
		_ = json.Unmarshal(raw, &w) // a body without retry_after falls back to the backoff
		wait := min(time.Duration(w.RetryAfter)*time.Millisecond, maxProcessingWait)
		return attempt{err: fmt.Errorf("%s %s: %w", method, path, ErrProcessing), retry: true, wait: wait}
	default:
		apiErr := &APIError{Status: resp.StatusCode}
		var w wireError
		if json.Unmarshal(raw, &w) == nil {
			apiErr.Type, apiErr.ID, apiErr.Code, apiErr.Description, apiErr.Parameter = w.Type, w.ID, w.Code, w.Description, w.Parameter
		}
		if apiErr.Description == "" {
			apiErr.Description = http.StatusText(resp.StatusCode)
		}
		return attempt{err: apiErr, retry: apiErr.Temporary()}
	}
}
