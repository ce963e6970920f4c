package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"balance/internal/testkit"
	"balance/repository"
)

// demoRun is a `balance demo` running in process.
type demoRun struct {
	base   string
	logs   *testkit.Buffer
	out    *testkit.Buffer // the walk-through for the person at the terminal
	cancel context.CancelFunc
	exited chan struct{}
	code   int // set before exited closes
}

var demoStaffRE = regexp.MustCompile(`(?m)^  (owner|assistant|editor) +(\S+@example\.com) +(\S+)$`)

// staffPasswords reads the staff accounts the demo printed on the terminal: role → password.
func (d *demoRun) staffPasswords(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range demoStaffRE.FindAllStringSubmatch(d.out.String(), -1) {
		if m[2] != m[1]+"@example.com" {
			t.Errorf("%s account printed as %s", m[1], m[2])
		}
		out[m[1]] = m[3]
	}
	if len(out) != 3 {
		t.Fatalf("the demo printed %d staff accounts, want 3:\n%s", len(out), d.out.String())
	}
	return out
}

var demoReadyRE = regexp.MustCompile(`"msg":"demo ready","url":"(http://[^"]+)"`)

// startDemo runs the demo command on a free port against dbURL and waits until /readyz answers 200.
func startDemo(t *testing.T, dbURL string) *demoRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d := &demoRun{logs: &testkit.Buffer{}, out: &testkit.Buffer{}, cancel: cancel, exited: make(chan struct{})}
	go func() {
		defer close(d.exited)
		d.code = run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--db", dbURL}, nil, d.out, d.logs)
	}()
	t.Cleanup(func() { cancel(); <-d.exited })

	deadline := time.Now().Add(60 * time.Second)
	for d.base == "" {
		select {
		case <-d.exited:
			t.Fatalf("demo exited with %d before it was ready:\n%s", d.code, d.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m := demoReadyRE.FindStringSubmatch(d.logs.String()); m != nil {
			d.base = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("demo not ready after 60s:\n%s", d.logs.String())
		}
	}
	for {
		resp, err := http.Get(d.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %v %v\n%s", resp, err, d.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var (
	demoRefundDeliveredRE = regexp.MustCompile(`"msg":"yookassasim: notification delivered"[^\n]*"event":"refund.succeeded"`)
	demoCancelDeliveredRE = regexp.MustCompile(`"msg":"yookassasim: notification delivered"[^\n]*"event":"payment.canceled"`)
)

// waitForLog waits until the demo's log has a line matching re, failing the test at deadline.
func (d *demoRun) waitForLog(t *testing.T, re *regexp.Regexp, deadline time.Time) {
	t.Helper()
	for !re.MatchString(d.logs.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no log line matching %s:\n%s", re, d.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop cancels the demo's context, as SIGTERM does, and expects exit code 0.
func (d *demoRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		t.Fatal("demo did not stop within 60s of its context ending")
	}
	if d.code != exitOK {
		t.Errorf("demo exit code %d, want 0:\n%s", d.code, d.logs.String())
	}
}

// call sends a request and decodes a JSON answer into out (when not nil); it returns the status.
func (d *demoRun) call(t *testing.T, method, url string, body any, out any, header ...string) int {
	t.Helper()
	status, raw := callJSON(t, d.base, method, url, body, out, header...)
	if status >= 300 {
		t.Logf("%s %s: %d %s", method, url, status, raw)
	}
	return status
}

// callJSON sends a request to base+path (or to path, when it is a full URL) with body as JSON and
// header as name, value pairs, decodes a JSON answer into out (when not nil and the status is
// below 300), and answers the status and the body.
func callJSON(t *testing.T, base, method, path string, body, out any, header ...string) (int, []byte) {
	t.Helper()
	url := path
	if !strings.HasPrefix(url, "http") {
		url = base + path
	}
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, url, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, raw
}

type demoMoney struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	Amount      string `json:"amount"`
}

type demoBooking struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Start       string `json:"start"`
	ManageToken string `json:"manage_token"`
	Payment     *struct {
		Status          string    `json:"status"`
		Amount          demoMoney `json:"amount"`
		Refunded        demoMoney `json:"refunded"`
		ConfirmationURL *string   `json:"confirmation_url"`
	} `json:"payment"`
	RefundIfCanceled *demoMoney `json:"refund_if_canceled"`
	Refund           *demoMoney `json:"refund"`
}

type demoServices struct {
	Items []struct {
		Slug            string    `json:"slug"`
		Title           string    `json:"title"`
		Formats         []string  `json:"formats"`
		DurationMinutes int       `json:"duration_minutes"`
		Price           demoMoney `json:"price"`
		Timezone        string    `json:"timezone"`
	} `json:"items"`
}

// freeSlots lists the demo service's slot starts over the next 14 days, shown in Berlin time.
func (d *demoRun) freeSlots(t *testing.T) []string {
	t.Helper()
	moscow, err := time.LoadLocation(demoZone)
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(moscow)
	var out struct {
		Slots []struct {
			Start      string `json:"start"`
			StartLocal string `json:"start_local"`
		} `json:"slots"`
	}
	url := fmt.Sprintf("/api/v1/services/%s/slots?from=%s&to=%s&tz=Europe/Berlin", demoServiceSlug,
		today.Format(time.DateOnly), today.AddDate(0, 0, 13).Format(time.DateOnly))
	if code := d.call(t, http.MethodGet, url, nil, &out); code != http.StatusOK {
		t.Fatalf("slots: %d", code)
	}
	starts := make([]string, 0, len(out.Slots))
	for _, s := range out.Slots {
		starts = append(starts, s.Start)
	}
	return starts
}

// TestDemoWalkthrough follows README's "Try it: the demo" over HTTP against the demo command:
// services, slots, book, pay on the simulator's checkout, confirmed, slot gone, cancel and refund;
// then a second start on the same database seeds nothing twice.
func TestDemoWalkthrough(t *testing.T) {
	t.Setenv("BALANCE_LOG_LEVEL", "info")
	t.Setenv("BALANCE_LOG_FORMAT", "json")
	t.Setenv("BALANCE_ENCRYPTION_KEYS", "")        // the demo keeps a generated key beside its database
	t.Setenv("BALANCE_JOBS_POLL_INTERVAL", "50ms") // the refund runs as a job
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "demo.db")

	d := startDemo(t, dbURL)
	// The walk-through is plain text on stdout; the JSON log lines stay on stderr.
	if out := d.out.String(); !strings.Contains(out, "Balance demo at "+d.base) || !strings.Contains(out, "curl "+d.base+"/api/v1/services") {
		t.Errorf("stdout lacks the walk-through:\n%s", out)
	}
	if strings.Contains(d.logs.String(), "curl ") {
		t.Error("the walk-through is mixed into the log on stderr")
	}

	var services demoServices
	if code := d.call(t, http.MethodGet, "/api/v1/services", nil, &services); code != http.StatusOK || len(services.Items) != 1 {
		t.Fatalf("services: %d %+v", code, services)
	}
	svc := services.Items[0]
	if svc.Slug != demoServiceSlug || svc.Title != "Индивидуальная консультация" || svc.DurationMinutes != 50 ||
		svc.Price != (demoMoney{500000, "RUB", "5000.00"}) || svc.Timezone != demoZone ||
		strings.Join(svc.Formats, ",") != "online,offline" {
		t.Errorf("seeded service: %+v", svc)
	}

	// The first slot more than a day ahead: cancelling it refunds in full (cancel_free_hours 24).
	var start string
	for _, s := range d.freeSlots(t) {
		if at, err := time.Parse(time.RFC3339, s); err == nil && time.Until(at) > 25*time.Hour {
			start = s
			break
		}
	}
	if start == "" {
		t.Fatal("no free slot more than a day ahead over the next 14 days")
	}

	var booked demoBooking
	code := d.call(t, http.MethodPost, "/api/v1/bookings", map[string]any{
		"service_slug": demoServiceSlug, "start": start, "format": "online",
		"client":   map[string]string{"name": "Анна", "email": "anna@example.com"},
		"consents": []map[string]string{{"type": "personal_data", "version": "2026-01"}},
	}, &booked, "Idempotency-Key", "demo-test-1")
	if code != http.StatusCreated || booked.ID == "" || booked.ManageToken == "" || booked.Status != "pending_payment" ||
		booked.Payment == nil || booked.Payment.ConfirmationURL == nil {
		t.Fatalf("book: %d %+v", code, booked)
	}
	checkout := *booked.Payment.ConfirmationURL
	if !strings.HasPrefix(checkout, d.base+"/demo/yookassa/checkout/") {
		t.Errorf("confirmation_url %q is not the simulator's checkout page", checkout)
	}
	if code := d.call(t, http.MethodGet, checkout, nil, nil); code != http.StatusOK {
		t.Errorf("checkout page: %d", code)
	}

	var paid struct {
		Status string `json:"status"`
		Paid   bool   `json:"paid"`
	}
	if code := d.call(t, http.MethodPost, checkout+"/pay", nil, &paid, "Accept", "application/json"); code != http.StatusOK || paid.Status != "succeeded" || !paid.Paid {
		t.Fatalf("pay: %d %+v", code, paid)
	}

	manage := []string{"X-Manage-Token", booked.ManageToken}
	var got demoBooking
	if code := d.call(t, http.MethodGet, "/api/v1/bookings/"+booked.ID, nil, &got, manage...); code != http.StatusOK ||
		got.Status != "confirmed" || got.Payment == nil || got.Payment.Status != "succeeded" {
		t.Fatalf("booking after paying: %d %+v\n%s", code, got, d.logs.String())
	}
	for _, s := range d.freeSlots(t) {
		if s == start {
			t.Errorf("the booked slot %s is still offered", start)
		}
	}
	// The confirmation email is written to the log (the demo sends no email).
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(d.logs.String(), "Запись подтверждена"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no confirmation email in the demo's log:\n%s", d.logs.String())
		}
	}
	if !strings.Contains(d.logs.String(), "email (not sent: demo)") || !strings.Contains(d.logs.String(), "Telegram and Google Calendar are off") {
		t.Error("the demo does not say where emails go and what is off")
	}

	var canceled demoBooking
	canceledAt := time.Now()
	if code := d.call(t, http.MethodPost, "/api/v1/bookings/"+booked.ID+"/cancel", nil, &canceled, manage...); code != http.StatusOK || canceled.Status != "canceled" {
		t.Fatalf("cancel: %d %+v", code, canceled)
	}
	if got.RefundIfCanceled == nil || got.RefundIfCanceled.AmountMinor != 500000 || canceled.Refund == nil || canceled.Refund.AmountMinor != 500000 {
		t.Fatalf("refund: promised %+v, given %+v; want 500000 both", got.RefundIfCanceled, canceled.Refund)
	}
	// The refund job asks the simulator, then records the refund.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		d.call(t, http.MethodGet, "/api/v1/bookings/"+booked.ID, nil, &got, manage...)
		if got.Payment != nil && got.Payment.Status == "refunded" && got.Payment.Refunded.AmountMinor == 500000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("refund not recorded: %+v\n%s", got.Payment, d.logs.String())
		}
	}
	// The simulator notifies apart from the refund request, so the server reading the refund back
	// does not wait on the simulator's busy connection (which used to stall every refund for the
	// client's 10-second timeout and answer the first notification 503). The notification may
	// still take a second attempt, 100 ms later: it can overtake the refund job's commit of the
	// provider's refund id, and the webhook then answers 503 so that it comes again. So: delivered
	// well before that timeout, and no read-back timed out. (A time bound, not a benchmark: 5 s is
	// half the stall it guards against, far from the milliseconds it takes.)
	d.waitForLog(t, demoRefundDeliveredRE, canceledAt.Add(30*time.Second))
	if took := time.Since(canceledAt); took > 5*time.Second {
		t.Errorf("cancel to refund.succeeded delivered: %s; the refund stalled", took)
	}
	if logs := d.logs.String(); strings.Contains(logs, "Client.Timeout") || strings.Contains(logs, "context deadline exceeded") ||
		strings.Contains(logs, "yookassasim: notification not delivered") {
		t.Errorf("a read-back timed out or a notification was given up:\n%s", logs)
	}
	if code := d.call(t, http.MethodGet, "/demo/paid", nil, nil); code != http.StatusOK {
		t.Errorf("return page: %d", code)
	}
	// The staff accounts printed on the terminal sign in to the admin API without a second factor,
	// and the owner finds the booking there.
	firstPasswords := d.staffPasswords(t)
	for role, password := range firstPasswords {
		var me struct {
			Roles []string `json:"roles"`
		}
		if code := d.call(t, http.MethodPost, "/admin/api/auth/login", map[string]string{"email": role + "@example.com", "password": password}, &me); code != http.StatusOK ||
			len(me.Roles) != 1 || me.Roles[0] != role {
			t.Errorf("%s signs in with the printed password: %d %+v", role, code, me)
		}
	}
	if strings.Contains(d.logs.String(), firstPasswords["owner"]) {
		t.Error("a demo password is in the log")
	}
	if !strings.Contains(d.logs.String(), `"msg":"demo data seeded"`) {
		t.Error("the first start did not log what it seeded")
	}
	d.stop(t)

	// A second start on the same database finds the demo data and adds nothing.
	d = startDemo(t, dbURL)
	services = demoServices{}
	if code := d.call(t, http.MethodGet, "/api/v1/services", nil, &services); code != http.StatusOK || len(services.Items) != 1 {
		t.Errorf("services after a second start: %d %+v", code, services)
	}
	if !strings.Contains(d.logs.String(), `"msg":"demo data already present, left as it is"`) {
		t.Error("the second start did not say the demo data was already there")
	}
	// New passwords at every start: the old one no longer signs in, the new one does.
	second := d.staffPasswords(t)
	old := d.call(t, http.MethodPost, "/admin/api/auth/login", map[string]string{"email": "owner@example.com", "password": firstPasswords["owner"]}, nil)
	fresh := d.call(t, http.MethodPost, "/admin/api/auth/login", map[string]string{"email": "owner@example.com", "password": second["owner"]}, nil)
	if second["owner"] == firstPasswords["owner"] || old != http.StatusUnauthorized || fresh != http.StatusOK {
		t.Errorf("after a restart: the old password %d, the new %d (same: %v)", old, fresh, second["owner"] == firstPasswords["owner"])
	}
	d.stop(t)

	db, err := repository.Open(context.Background(), dbURL, repository.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stored, err := repository.NewServices(db).BySlug(context.Background(), demoServiceSlug)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := repository.NewAvailability(db).RulesFor(context.Background(), stored.ID)
	if err != nil {
		t.Fatal(err)
	}
	var days []string
	for _, r := range rules {
		days = append(days, fmt.Sprintf("%d %d-%d %s", r.Weekday, r.StartMinute, r.EndMinute, r.Timezone))
	}
	if want := "1 600-1140 Europe/Moscow,2 600-1140 Europe/Moscow,3 600-1140 Europe/Moscow,4 600-1140 Europe/Moscow,5 600-1140 Europe/Moscow"; strings.Join(days, ",") != want {
		t.Errorf("availability rules after two starts:\n got %s\nwant %s", strings.Join(days, ","), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "encryption.key")); err != nil {
		t.Errorf("the demo's key is not beside its database: %v", err)
	}
}

func TestDemoArguments(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"demo", "extra"}, `unexpected argument "extra"`},
		{[]string{"demo", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"demo", "--addr", "abc"}, `config: http.addr: "abc" is not host:port`},
		{[]string{"demo", "--db", "mysql://db"}, "config: database.url: "},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("code %d stderr %q; want 2 and %q", code, stderr, tc.stderr)
			}
		})
	}
}

// TestDemoHoldLapsesThroughTheJobQueue books without paying and lets the job workers expire the
// hold: the booking and its payment (at the simulator too) are canceled and the time is offered
// again. It proves the hold-expiry task is registered and scheduled with the booking.
func TestDemoHoldLapsesThroughTheJobQueue(t *testing.T) {
	t.Setenv("BALANCE_LOG_LEVEL", "info")
	t.Setenv("BALANCE_LOG_FORMAT", "json")
	t.Setenv("BALANCE_ENCRYPTION_KEYS", "")
	t.Setenv("BALANCE_JOBS_POLL_INTERVAL", "50ms")
	t.Setenv("BALANCE_BOOKING_HOLD_TTL", "1s")
	d := startDemo(t, "sqlite:"+filepath.Join(t.TempDir(), "demo.db"))

	slots := d.freeSlots(t)
	if len(slots) == 0 {
		t.Fatal("no free slots")
	}
	var b demoBooking
	if code := d.call(t, http.MethodPost, "/api/v1/bookings", map[string]any{
		"service_slug": demoServiceSlug, "start": slots[0], "format": "online",
		"client":   map[string]any{"name": "Анна", "email": "hold@example.com"},
		"consents": []map[string]any{{"type": "personal_data", "version": "2026-01"}},
	}, &b); code != http.StatusCreated || b.Status != "pending_payment" {
		t.Fatalf("book: %d %+v", code, b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var got demoBooking
		d.call(t, http.MethodGet, "/api/v1/bookings/"+b.ID, nil, &got, "X-Manage-Token", b.ManageToken)
		if got.Status == "canceled" {
			if got.Payment == nil || got.Payment.Status != "canceled" {
				t.Errorf("payment after the hold: %+v", got.Payment)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the hold did not lapse within 30s: %+v\n%s", got, d.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !slices.Contains(d.freeSlots(t), slots[0]) {
		t.Error("the lapsed time is not offered again")
	}
	// The simulator's payment.canceled is delivered at once, as the cancel's answer does not wait
	// for it (before, each cancel stalled for the client's 10-second timeout).
	d.waitForLog(t, demoCancelDeliveredRE, time.Now().Add(5*time.Second))
	// Paying on the simulator's page now is refused: the job canceled the payment there first.
	if code := d.call(t, http.MethodPost, *b.Payment.ConfirmationURL+"/pay", nil, nil, "Accept", "application/json"); code != http.StatusConflict {
		t.Errorf("paying a canceled payment: %d", code)
	}
	d.stop(t)
}
