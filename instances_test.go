package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"balance/integrations/email/emailtest"
	"balance/integrations/yookassa/yookassatest"
	"balance/internal/testkit"
	"balance/repository"
)

// instance is a running `balance serve` process and the address it listens on.
type instance struct {
	*proc
	base      string
	listening chan string
}

// startServe runs `balance serve` with env on top of the test's environment; wait returns once
// it listens.
func startServe(t *testing.T, env []string) *instance {
	t.Helper()
	cmd := exec.Command(binary(t), "serve")
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &testkit.Buffer{}, done: make(chan error, 1)}
	listening := make(chan string, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.logs, line)
			if m := listeningRe.FindStringSubmatch(line); m != nil {
				select {
				case listening <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return &instance{proc: p, listening: listening}
}

// wait waits until the process listens; its address comes from the log, as the process picks a
// free port itself.
func (in *instance) wait(t *testing.T) {
	t.Helper()
	select {
	case addr := <-in.listening:
		in.base = "http://" + addr
	case err := <-in.done:
		t.Fatalf("serve exited early: %v\n%s", err, in.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start listening:\n%s", in.logs.String())
	}
}

// call sends one JSON request and returns the status, the body and the response's headers.
func call(t *testing.T, method, url string, body any, header http.Header) (int, []byte, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Error(err)
			return 0, nil, nil
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Error(err)
		return 0, nil, nil
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, nil, nil
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, out, resp.Header
}

// countArgs is count with query arguments.
func countArgs(t *testing.T, db *repository.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Gorm.Raw(query, args...).Row().Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitFor polls cond until it holds, or fails with what after a deadline.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTwoInstances runs two `balance serve` processes on one PostgreSQL, each with its own job
// workers, and shows that they behave as one: one slot is booked once whatever process each of
// 100 concurrent requests reaches; a payment notification delivered to both at once confirms the
// booking once; every job runs once; and the sign-in lockout counts failures across both.
func TestTwoInstances(t *testing.T) {
	url := testkit.NewPostgresURL(t)
	key := testkit.Key(t)
	ctx := context.Background()
	db, err := repository.Open(ctx, url, repository.Options{Keys: testkit.KeyRing(t, key), MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := seedDemo(ctx, db, time.Now(), testkit.Logger(t)); err != nil {
		t.Fatal(err)
	}

	kassa := yookassatest.New(t, "shop-1", "kassa-secret")
	smtp := emailtest.New(t, emailtest.Options{NoSTARTTLS: true})
	const maxFailures = 5
	const reconcileEvery = time.Second
	env := []string{
		"BALANCE_DATABASE_URL=" + url,
		"BALANCE_ENCRYPTION_KEYS=" + key,
		"BALANCE_HTTP_ADDR=127.0.0.1:0",
		"BALANCE_METRICS_ADDR=127.0.0.1:0",
		"BALANCE_LOG_LEVEL=info",
		"BALANCE_AUTH_COOKIE_SECURE=false",
		"BALANCE_AUTH_LOGIN_MAX_FAILURES=" + strconv.Itoa(maxFailures),
		"BALANCE_JOBS_WORKERS=4",
		"BALANCE_JOBS_POLL_INTERVAL=50ms",
		"BALANCE_RATELIMIT_BOOKINGS=1000/1h",
		// A periodic task every second, to see that only one process enqueues it. Payments are
		// reconciled only after booking.reconcile_after (10 minutes), so it leaves ours alone.
		"BALANCE_BOOKING_RECONCILE_EVERY=" + reconcileEvery.String(),
		"BALANCE_YOOKASSA_SHOP_ID=shop-1",
		"BALANCE_YOOKASSA_SECRET_KEY=kassa-secret",
		"BALANCE_YOOKASSA_API_URL=" + kassa.URL(),
		"BALANCE_YOOKASSA_RETURN_URL=http://127.0.0.1/paid",
		"BALANCE_YOOKASSA_WEBHOOK_CIDRS=127.0.0.1/32",
		"BALANCE_SMTP_HOST=" + smtp.Host(),
		"BALANCE_SMTP_PORT=" + strconv.Itoa(smtp.Port()),
		"BALANCE_SMTP_FROM=noreply@example.org",
		"BALANCE_SMTP_TLS=none",
	}
	// Both start at once: the migration step of each waits for the other's under the lock.
	insts := []*instance{startServe(t, env), startServe(t, env)}
	for _, in := range insts {
		in.wait(t)
	}
	a, b := insts[0], insts[1]
	var wg sync.WaitGroup
	for _, in := range insts {
		for _, path := range []string{"/healthz", "/readyz"} {
			if code, body, _ := call(t, http.MethodGet, in.base+path, nil, nil); code != http.StatusOK {
				t.Fatalf("%s%s = %d %s", in.base, path, code, body)
			}
		}
	}

	// a. One slot, 100 concurrent requests spread across both processes: one booking.
	var slots struct {
		Slots []struct {
			Start string `json:"start"`
		} `json:"slots"`
	}
	from := time.Now().AddDate(0, 0, 3)
	code, body, _ := call(t, http.MethodGet, fmt.Sprintf("%s/api/v1/services/%s/slots?from=%s&to=%s&tz=Europe/Moscow",
		a.base, demoServiceSlug, from.Format(time.DateOnly), from.AddDate(0, 0, 7).Format(time.DateOnly)), nil, nil)
	if code != http.StatusOK || json.Unmarshal(body, &slots) != nil || len(slots.Slots) == 0 {
		t.Fatalf("slots: %d %s", code, body)
	}
	start := slots.Slots[0].Start
	const n = 100
	type answer struct {
		code    int
		body    []byte
		problem string
	}
	answers := make([]answer, n)
	ready := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-ready
			req := map[string]any{
				"service_slug": demoServiceSlug, "start": start, "format": "online",
				"client":   map[string]string{"name": "Клиент", "email": fmt.Sprintf("client%d@example.org", i)},
				"consents": []map[string]string{{"type": "personal_data", "version": "2026-01"}},
			}
			code, body, _ := call(t, http.MethodPost, insts[i%2].base+"/api/v1/bookings", req,
				http.Header{"Idempotency-Key": {fmt.Sprintf("race-%d", i)}})
			var p struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(body, &p)
			answers[i] = answer{code, body, p.Type}
		})
	}
	close(ready)
	wg.Wait()
	var booked struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		Payment struct {
			ConfirmationURL string `json:"confirmation_url"`
		} `json:"payment"`
	}
	created, taken, winner := 0, 0, -1
	for i, ans := range answers {
		switch {
		case ans.code == http.StatusCreated:
			created++
			winner = i
			if err := json.Unmarshal(ans.body, &booked); err != nil {
				t.Fatal(err)
			}
		case ans.code == http.StatusConflict && strings.HasSuffix(ans.problem, "/slot-taken"):
			taken++
		default:
			t.Errorf("request %d (process %d): %d %s", i, i%2, ans.code, ans.body)
		}
	}
	if created != 1 || taken != n-1 {
		t.Fatalf("%d created and %d slot-taken of %d requests; want 1 and %d", created, taken, n, n-1)
	}
	startAt, err := time.Parse(time.RFC3339, start)
	if err != nil {
		t.Fatal(err)
	}
	if got := countArgs(t, db, `SELECT count(*) FROM appointments WHERE start_at = ? AND status IN ('pending_payment', 'confirmed')`, startAt); got != 1 {
		t.Fatalf("%d active appointments at %s, want 1", got, start)
	}
	if got := count(t, db, `SELECT count(*) FROM appointments`); got != 1 {
		t.Errorf("%d appointments in all, want 1", got)
	}
	t.Logf("request %d (process %d) booked %s", winner, winner%2, start)

	// b. The payment succeeds; its notification reaches both processes at the same moment.
	var paymentID string
	if err := db.Gorm.Raw(`SELECT provider_payment_id FROM payments WHERE appointment_id = ?`, booked.ID).Row().Scan(&paymentID); err != nil {
		t.Fatalf("the booking's payment: %v", err)
	}
	if !kassa.Succeed(paymentID) {
		t.Fatalf("the fake has no payment %s", paymentID)
	}
	notification := json.RawMessage(yookassatest.Notification("payment.succeeded", kassa.PaymentJSON(paymentID)))
	outcomes := make([]string, 2)
	ready = make(chan struct{})
	for i, in := range insts {
		wg.Go(func() {
			<-ready
			code, body, _ := call(t, http.MethodPost, in.base+"/webhooks/yookassa", notification, nil)
			var out struct {
				Outcome string `json:"outcome"`
			}
			if code != http.StatusOK || json.Unmarshal(body, &out) != nil {
				t.Errorf("webhook on process %d: %d %s", i, code, body)
			}
			outcomes[i] = out.Outcome
		})
	}
	close(ready)
	wg.Wait()
	if !(outcomes[0] == "confirmed" && outcomes[1] == "duplicate" || outcomes[0] == "duplicate" && outcomes[1] == "confirmed") {
		t.Errorf("webhook outcomes %q; want one confirmed and one duplicate", outcomes)
	}
	if got := countArgs(t, db, `SELECT count(*) FROM appointments WHERE id = ? AND status = 'confirmed'`, booked.ID); got != 1 {
		t.Errorf("the booking is not confirmed")
	}
	if got := count(t, db, `SELECT count(*) FROM payment_notifications`); got != 1 {
		t.Errorf("%d payment notifications recorded, want 1", got)
	}
	// Each transition publishes its event with a fresh id: a second confirmation would be a
	// second appointment.confirmed event in the queue.
	for _, event := range []string{"appointment.booked", "appointment.confirmed"} {
		if got := countArgs(t, db, `SELECT count(DISTINCT args->>'event_id') FROM river_job WHERE kind = 'event' AND args->>'event' = ?`, event); got != 1 {
			t.Errorf("%d distinct %s events queued, want 1", got, event)
		}
	}

	// c. Every job runs once. Wait until nothing due is left: event jobs all done, and no task
	// that is due now is waiting or running (reminders and the hold's expiry stay scheduled).
	waitFor(t, "the jobs to settle", func() bool {
		return count(t, db, `SELECT count(*) FROM river_job WHERE kind = 'event' AND state <> 'completed'`) == 0 &&
			count(t, db, `SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'retryable', 'pending')`) == 0
	})
	if got := count(t, db, `SELECT count(*) FROM river_job WHERE state = 'completed' AND attempt <> 1`); got != 0 {
		t.Errorf("%d completed jobs ran more than once", got)
	}
	if got := count(t, db, `SELECT count(*) FROM (SELECT 1 FROM river_job WHERE kind = 'event' GROUP BY args->>'event_id', args->>'subscriber' HAVING count(*) > 1) d`); got != 0 {
		t.Errorf("%d (event, subscriber) pairs queued more than once", got)
	}
	if got := count(t, db, `SELECT count(*) FROM river_job WHERE state = 'discarded'`); got != 0 {
		t.Errorf("%d jobs discarded", got)
	}
	// A periodic task is enqueued by the elected leader only, once per interval across both
	// processes: its first six runs span at least five intervals (a late wake-up only widens the
	// gaps), where two leaders would fit six runs into about three.
	const reconciles = `SELECT count(*) FROM river_job WHERE kind = 'task' AND args->>'task' = 'booking.reconcile'`
	waitFor(t, "six periodic reconciliations", func() bool { return count(t, db, reconciles) >= 6 })
	var span float64
	if err := db.Gorm.Raw(`SELECT extract(epoch FROM max(created_at) - min(created_at))::float8 FROM (
		SELECT created_at FROM river_job WHERE kind = 'task' AND args->>'task' = 'booking.reconcile' ORDER BY id LIMIT 6) r`).Row().Scan(&span); err != nil {
		t.Fatal(err)
	}
	if least := 3.5 * reconcileEvery.Seconds(); span < least {
		t.Errorf("the first six runs of booking.reconcile (every %s) came within %.2fs; one leader needs at least %.1fs", reconcileEvery, span, least)
	}
	t.Logf("six runs of booking.reconcile within %.2fs", span)
	sent := count(t, db, `SELECT count(*) FROM notification_deliveries WHERE channel = 'email' AND status = 'sent'`)
	winnerEmail := fmt.Sprintf("client%d@example.org", winner)
	msgs := smtp.Messages()
	if sent == 0 || len(msgs) != sent {
		t.Errorf("the SMTP server got %d messages for %d sent email deliveries", len(msgs), sent)
	}
	toWinner, seen := 0, map[string]bool{}
	for _, m := range msgs {
		key := strings.Join(m.To, ",") + "\x00" + subject(m.Raw)
		if seen[key] {
			t.Errorf("message %q to %v arrived twice", subject(m.Raw), m.To)
		}
		seen[key] = true
		if strings.Join(m.To, ",") == winnerEmail {
			toWinner++
		}
	}
	if toWinner == 0 {
		t.Errorf("no email reached the client %s", winnerEmail)
	}
	jobs := count(t, db, `SELECT count(*) FROM river_job WHERE state = 'completed'`)
	runners := count(t, db, `SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE state = 'completed'`)
	t.Logf("%d jobs completed once each by %d worker clients; %d emails sent, %d to the client", jobs, runners, len(msgs), toWinner)

	// d. Sessions and the sign-in lockout are shared.
	const email, password = "staff@example.org", "correct horse battery"
	admin := exec.Command(binary(t), "createadmin", "--email", email, "--role", "editor")
	admin.Env = append(os.Environ(), append(env, "BALANCE_ADMIN_PASSWORD="+password)...)
	if out, err := admin.CombinedOutput(); err != nil {
		t.Fatalf("createadmin: %v\n%s", err, out)
	}
	login := func(in *instance, pw string) (int, http.Header) {
		code, _, h := call(t, http.MethodPost, in.base+"/admin/api/auth/login", map[string]string{"email": email, "password": pw}, nil)
		return code, h
	}
	code, h := login(a, password)
	if code != http.StatusOK {
		t.Fatalf("sign-in on process 0 = %d", code)
	}
	cookie := ""
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "balance_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if code, body, _ := call(t, http.MethodGet, b.base+"/admin/api/auth/me", nil, http.Header{"Cookie": {cookie}}); code != http.StatusOK || !strings.Contains(string(body), email) {
		t.Errorf("a session made on process 0, used on process 1: %d %s", code, body)
	}
	for i := range maxFailures {
		if code, _ := login(insts[i%2], "wrong password"); code != http.StatusUnauthorized {
			t.Fatalf("failed sign-in %d on process %d = %d, want 401", i+1, i%2, code)
		}
	}
	for i, in := range insts {
		code, h := login(in, password)
		if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
			t.Errorf("right password on process %d after %d failures across both = %d (Retry-After %q), want 429",
				i, maxFailures, code, h.Get("Retry-After"))
		}
	}

	a.stop(t)
	b.stop(t)
	if t.Failed() {
		t.Logf("process 0:\n%s\nprocess 1:\n%s", a.logs.String(), b.logs.String())
	}
}

// subject is the Subject header of a message, as sent (equal subjects compare equal).
func subject(raw []byte) string {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return ""
	}
	return m.Header.Get("Subject")
}
