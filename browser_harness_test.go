package main

// The harness of the browser tests (browser_test.go): the real server started in process by the
// serve command on a fresh database, the YooKassa fake beside it, a headless Chromium driven with
// chromedp, and small helpers for the steps of a scenario — each bounded by a timeout, each
// saving a screenshot when it fails.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"balance/config"
	"balance/crypto"
	"balance/handlers"
	"balance/integrations/yookassa/yookassatest"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

// docsScreenshotsEnv names a directory where the SQLite run saves the screenshots of
// docs/admin.md (docShot); unset, none are saved.
const docsScreenshotsEnv = "BALANCE_DOCS_SCREENSHOTS"

// browserRequiredEnv makes a missing browser a failure instead of a skip (CI sets it).
const browserRequiredEnv = "BALANCE_BROWSER_TESTS"

const (
	// stepTimeout bounds one step of a scenario (a click and what it should show). Generous:
	// under -race on a busy two-core machine a screen can take seconds.
	stepTimeout = 30 * time.Second
	// scenarioTimeout bounds a whole scenario.
	scenarioTimeout = 3 * time.Minute
	// Laptop and tablet sizes.
	laptopWidth, laptopHeight = 1280, 900
	tabletWidth, tabletHeight = 768, 1024
)

// findBrowser returns the Chromium to drive: Debian's /usr/bin/chromium, or chromium,
// chromium-browser or google-chrome on PATH. Without one the test is skipped, unless
// BALANCE_BROWSER_TESTS=required.
func findBrowser(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (/usr/bin/chromium, or chromium, chromium-browser, google-chrome on PATH): " +
		"the browser tests need one — `apt-get install chromium` (.ci/run does)"
	if os.Getenv(browserRequiredEnv) == "required" {
		t.Fatal(msg + "; " + browserRequiredEnv + "=required")
	}
	t.Skip(msg)
	return ""
}

// startBrowser starts one headless Chromium for the whole test and answers its context: tabs are
// made from it, each role in a browser context of its own (cookies are not shared).
func startBrowser(t *testing.T, execPath string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(laptopWidth, laptopHeight),
		// The staff's browser asks for Russian (navigator.language, Accept-Language). Native date
		// inputs keep the browser's own format unless its locales (chromium-l10n) are installed.
		chromedp.Flag("lang", "ru-RU"),
		chromedp.Flag("accept-lang", "ru-RU,ru"),
		chromedp.Flag("disable-gpu", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	// The first Do starts the browser; its context has no deadline, so that the browser lives as
	// long as the test.
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(browserCtx) }()
	select {
	case err := <-start:
		if err != nil {
			t.Fatalf("start %s: %v", execPath, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start within 60s", execPath)
	}
	return browserCtx
}

// staff are the accounts each server gets, one per role.
var browserStaff = []struct {
	role  models.Role
	email string
}{
	{models.RoleOwner, "owner@example.org"},
	{models.RoleAssistant, "assistant@example.org"},
	{models.RoleEditor, "editor@example.org"},
}

// browserServer is `balance serve` running in process on a fresh database, with payments through
// the YooKassa fake.
type browserServer struct {
	dialect   string
	base      string
	db        *repository.DB // the test's own connection, for what a scenario sets up or checks
	yk        *yookassatest.Server
	logs      *testkit.Buffer
	passwords map[models.Role]string
	browser   context.Context

	// What one scenario leaves for the next (each falls back to setting it up itself).
	owner         *tab     // the owner's signed-in tab
	recoveryCodes []string // the owner's unused recovery codes
	serviceSlug   string   // a published service with weekly hours
}

// startBrowserServer runs the serve command on a fresh database of the dialect, with the owner
// required to use an authenticator (the default) and YooKassa replaced by the in-process fake,
// and creates the staff accounts with the createadmin command.
func startBrowserServer(t *testing.T, dialect migrations.Dialect, browser context.Context) *browserServer {
	t.Helper()
	url := testkit.NewSQLiteURL(t)
	if dialect == migrations.Postgres {
		url = testkit.NewPostgresURL(t)
	}
	key := testkit.Key(t)
	const shop, secret = "browser-shop", "browser-secret"
	yk := yookassatest.New(t, shop, secret)
	cfg := map[string]any{
		"http":       map[string]any{"addr": "127.0.0.1:0"},
		"metrics":    map[string]any{"addr": ""},
		"database":   map[string]any{"url": url, "max_open_conns": 4},
		"log":        map[string]any{"level": "info", "format": "json"},
		"encryption": map[string]any{"keys": []string{key}},
		"auth":       map[string]any{"cookie_secure": false, "require_totp": []string{"owner"}},
		"jobs":       map[string]any{"poll_interval": "50ms", "retry_base": "100ms", "workers": 2},
		"yookassa": map[string]any{
			"shop_id": shop, "secret_key": secret, "api_url": yk.URL(),
			"return_url": "http://127.0.0.1/paid", "webhook_cidrs": []string{"127.0.0.1/32", "::1/128"},
		},
	}
	raw, err := json.Marshal(cfg) // JSON is YAML
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "balance.yaml")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	s := &browserServer{dialect: string(dialect), yk: yk, logs: &testkit.Buffer{}, passwords: map[models.Role]string{}, browser: browser}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--config", file}, nil, io.Discard, s.logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitOK {
				t.Errorf("serve exited with %d", code)
			}
		case <-time.After(60 * time.Second):
			t.Error("serve did not stop within 60s")
		}
	})
	s.base = waitListening(t, s.logs, done)
	yk.SetNotifyURL(s.base + "/webhooks/yookassa")
	for deadline := time.Now().Add(60 * time.Second); ; {
		if resp, err := http.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz not 200 within 60s:\n%s", s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	for _, st := range browserStaff {
		password := "browser-" + string(st.role) + "-password"
		var out, errOut testkit.Buffer
		code := run(context.Background(), []string{"createadmin", "--email", st.email, "--role", string(st.role), "--config", file},
			strings.NewReader(password+"\n"), &out, &errOut)
		if code != exitOK {
			t.Fatalf("createadmin %s: %d %s", st.role, code, errOut.String())
		}
		s.passwords[st.role] = password
	}
	s.db, err = repository.Open(context.Background(), url, repository.Options{MaxOpenConns: 2, Keys: testkit.KeyRing(t, key)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.Close() })
	return s
}

// logTail is the end of the server's log, for a failure message.
func (s *browserServer) logTail() string {
	l := s.logs.String()
	if len(l) > 6000 {
		l = "…" + l[len(l)-6000:]
	}
	return l
}

// call sends a request to the server's public API and decodes a JSON answer into out (when not
// nil and the status is below 300); it answers the status and the body.
func (s *browserServer) call(t *testing.T, method, path string, body, out any, header ...string) (int, []byte) {
	t.Helper()
	return callJSON(t, s.base, method, path, body, out, header...)
}

// publicBooking is what the public booking API answers (the fields the scenarios use).
type publicBooking struct {
	ID          string `json:"id"`
	Status      string `json:"status"`
	Start       string `json:"start"`
	ManageToken string `json:"manage_token"`
	Payment     *struct {
		ID              string  `json:"id"`
		Status          string  `json:"status"`
		ConfirmationURL *string `json:"confirmation_url"`
	} `json:"payment"`
}

// slots lists the service's free slot starts over the next two weeks.
func (s *browserServer) slots(t *testing.T, slug string) []string {
	t.Helper()
	today := time.Now().UTC()
	var out struct {
		Slots []struct {
			Start string `json:"start"`
		} `json:"slots"`
	}
	path := fmt.Sprintf("/api/v1/services/%s/slots?from=%s&to=%s&tz=Europe/Moscow", slug,
		today.Format(time.DateOnly), today.AddDate(0, 0, 13).Format(time.DateOnly))
	if code, body := s.call(t, http.MethodGet, path, nil, &out); code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, code, body)
	}
	starts := make([]string, 0, len(out.Slots))
	for _, sl := range out.Slots {
		starts = append(starts, sl.Start)
	}
	return starts
}

var bookingSeq atomic.Int64

// book books the n-th free slot of the service through the public API for the client (a name
// and an email), unpaid.
func (s *browserServer) book(t *testing.T, slug string, n int, name, email string) *publicBooking {
	t.Helper()
	slots := s.slots(t, slug)
	if len(slots) <= n {
		t.Fatalf("%s offers %d slots, want more than %d", slug, len(slots), n)
	}
	var b publicBooking
	key := fmt.Sprintf("browser-%s-%d", s.dialect, bookingSeq.Add(1))
	code, body := s.call(t, http.MethodPost, "/api/v1/bookings", map[string]any{
		"service_slug": slug, "start": slots[n], "format": "online",
		"client":   map[string]string{"name": name, "email": email},
		"consents": []map[string]string{{"type": "personal_data", "version": "2026-01"}},
	}, &b, "Idempotency-Key", key)
	if code != http.StatusCreated || b.Status != "pending_payment" || b.Payment == nil || b.Payment.ConfirmationURL == nil {
		t.Fatalf("book %s: %d %s", slug, code, body)
	}
	return &b
}

// pay pays the booking on the fake's checkout page (as the client's browser would POST it); the
// fake then notifies /webhooks/yookassa, and the booking is confirmed.
func (s *browserServer) pay(t *testing.T, b *publicBooking) {
	t.Helper()
	code, body := s.call(t, http.MethodPost, *b.Payment.ConfirmationURL+"/pay", nil, nil, "Accept", "application/json")
	if code != http.StatusOK {
		t.Fatalf("pay: %d %s", code, body)
	}
	s.yk.Flush(t)
	var got publicBooking
	for deadline := time.Now().Add(stepTimeout); ; time.Sleep(50 * time.Millisecond) {
		s.call(t, http.MethodGet, "/api/v1/bookings/"+b.ID, nil, &got, "X-Manage-Token", b.ManageToken)
		if got.Status == "confirmed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the paid booking is %q, not confirmed:\n%s", got.Status, s.logTail())
		}
	}
}

// tab is one browser tab signed in as one staff member, in a browser context of its own.
type tab struct {
	t     *testing.T
	srv   *browserServer
	ctx   context.Context // the scenario's: derived from the tab's, with the scenario's deadline
	tab   context.Context // the tab itself; cancelling it closes the tab
	role  models.Role
	shots *atomic.Int32
}

// newTab opens a tab in a fresh browser context (no cookies), at the laptop size.
func (s *browserServer) newTab(t *testing.T, role models.Role) *tab {
	t.Helper()
	tabCtx, cancel := chromedp.NewContext(s.browser, chromedp.WithNewBrowserContext())
	// The first Do on a context opens its tab for as long as the context it is given lives: the
	// tab's own context here, not a step's, whose deadline would close the tab.
	opened := make(chan error, 1)
	go func() { opened <- chromedp.Do(tabCtx) }()
	select {
	case err := <-opened:
		if err != nil {
			cancel()
			t.Fatalf("open a tab: %v", err)
		}
	case <-time.After(stepTimeout):
		cancel()
		t.Fatal("open a tab: no tab within the step's time")
	}
	b := &tab{srv: s, tab: tabCtx, role: role}
	b = b.in(t)
	t.Cleanup(func() {
		if b.srv.owner == nil || b.srv.owner.tab != tabCtx {
			cancel()
		}
	})
	b.do("open a tab", chromedp.EmulateViewport(laptopWidth, laptopHeight))
	return b
}

// in makes the tab report to t (a scenario's test) with the scenario's deadline.
func (b *tab) in(t *testing.T) *tab {
	ctx, cancel := context.WithTimeout(b.tab, scenarioTimeout)
	t.Cleanup(cancel)
	c := *b
	c.t, c.ctx, c.shots = t, ctx, &atomic.Int32{}
	return &c
}

// do runs the step's actions within stepTimeout; a failing step saves a screenshot of the page
// (fail-….png) and ends the test with what the page and the server said.
func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(what, err)
	}
}

// value runs one action that answers a value, as a step.
func value[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(what, err)
	}
	return v
}

// fail saves a screenshot of the failing step and ends the test.
func (b *tab) fail(what string, err error) {
	b.t.Helper()
	file := b.save("fail-" + what)
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 3000) : ""`))
	b.t.Fatalf("%s (%s, %s): step %q failed: %v\nscreenshot: %s\npage %s:\n%s\nserver log:\n%s",
		b.srv.dialect, b.role, b.t.Name(), what, err, file, where, text, b.srv.logTail())
}

var fileUnsafe = regexp.MustCompile(`[^\p{L}\p{N}_.-]+`)

// shot saves a screenshot of the whole page as NN-name.png in the test's artifact directory
// (kept with `go test -artifacts`).
func (b *tab) shot(name string) {
	b.t.Helper()
	if file := b.save(name); file == "" {
		b.t.Errorf("no screenshot of %s", name)
	}
}

func (b *tab) save(name string) string {
	ctx, cancel := context.WithTimeout(b.tab, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	// The artifact directories' names do not say which test they belong to (for the root package
	// Go 1.26 names them with a number only), so the file names do: dialect, scenario, step.
	file := filepath.Join(b.t.ArtifactDir(), fmt.Sprintf("%s-%02d-%s.png", b.scenario(), b.shots.Add(1), fileUnsafe.ReplaceAllString(name, "-")))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	return file
}

// docShot saves what the window shows (the laptop size, 1280 × 900) as <name>.png in the
// directory of BALANCE_DOCS_SCREENSHOTS, for the documentation; only on SQLite (one run's
// pictures), and only when that variable is set.
func (b *tab) docShot(name string) {
	b.t.Helper()
	dir := b.docsDir()
	if dir == "" {
		return
	}
	// The screen settles before the shot: no spinner, skeleton or progress bar, no notification
	// (they hide themselves after a few seconds), the fonts loaded.
	b.waitJS("the screen settled for "+name, `!document.querySelector('.MuiSkeleton-root, .MuiLinearProgress-root, .MuiCircularProgress-root, .MuiSnackbar-root') && document.fonts.status === "loaded"`)
	png := value(b, "capture "+name, chromedp.CaptureScreenshot())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// docsDir is the directory of BALANCE_DOCS_SCREENSHOTS on SQLite, else "" (no docs' shots).
func (b *tab) docsDir() string {
	if b.srv.dialect != string(migrations.SQLite) {
		return ""
	}
	return os.Getenv(docsScreenshotsEnv)
}

// docShotAt saves a docs' screenshot (docShot) with the element the CSS selector finds at the top
// of the window, then scrolls back to the top of the page. Scrolling hides the app bar and moves
// the menu, so the next step waits until they are back and still.
func (b *tab) docShotAt(selector, name string) {
	b.t.Helper()
	if b.docsDir() == "" {
		return
	}
	b.scrollTo(selector)
	b.docShot(name)
	b.waitJS("back at the top of the page", `(window.scrollTo(0, 0), window.scrollY === 0) &&
		document.getAnimations().every(a => !(a instanceof CSSTransition))`)
}

// scenario names the test in screenshot files: "sqlite-1" for TestBrowserAdminPanel/sqlite/1_….
func (b *tab) scenario() string {
	parts := strings.Split(b.t.Name(), "/")
	if len(parts) < 3 {
		return b.srv.dialect
	}
	n, _, _ := strings.Cut(parts[2], "_")
	return b.srv.dialect + "-" + n
}

// open navigates to a path of the server (a full page load).
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.srv.base+path))
}

// waitJS waits until the JavaScript expression is truthy. A poll does not survive a page load
// (the panel reloads itself after signing in), so one cut short by a load is started again.
func (b *tab) waitJS(what, expr string, args ...any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	fn := fmt.Sprintf("(...args) => { try { %s return !!(%s); } catch (e) { return false; } }", jsHelpers, expr)
	for {
		_, err := chromedp.Run(ctx, chromedp.PollFunction[chromedp.Void](fn,
			chromedp.WithPollingArgs(args...), chromedp.WithPollingTimeout(0), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			b.fail(what, err)
		}
		select { // the page is loading: try again once it has a document
		case <-ctx.Done():
			b.fail(what, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// jsHelpers are defined for the expressions of waitJS: norm folds every run of white space
// (Intl puts no-break spaces in amounts and dates) to one space; shows(text) says whether the
// page shows text; row(...texts) finds the first list row that shows every one of texts.
const jsHelpers = `
const norm = s => String(s).replace(/\s+/g, " ");
const shows = text => norm(document.body.innerText).includes(norm(text));
const row = (...texts) => [...document.querySelectorAll("tbody tr")].find(r => texts.every(x => norm(r.innerText).includes(norm(x))));
`

// waitText waits until the page shows text (anywhere in its visible text; runs of white space
// count as one space).
func (b *tab) waitText(text string) {
	b.t.Helper()
	b.waitJS("see «"+text+"»", `shows(args[0])`, text)
}

// waitPath waits until the panel is at path (react-admin routes without reloading).
func (b *tab) waitPath(path string) {
	b.t.Helper()
	b.waitJS("be at "+path, `location.pathname === args[0]`, path)
}

// eval evaluates JavaScript in the page (awaiting a promise) and decodes its value.
func evalJS[T any](b *tab, what, expr string) T {
	b.t.Helper()
	return value(b, what, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// pageText is the page's visible text.
func (b *tab) pageText() string {
	b.t.Helper()
	return evalJS[string](b, "read the page", `document.body.innerText`)
}

// --- What the scenarios select in the panel: one helper each, to adapt in one place when the
// screens change (the hand-made screens replace some generated ones). ---

// xpathText quotes s for an XPath string literal.
func xpathText(s string) string {
	if !strings.Contains(s, `"`) {
		return `"` + s + `"`
	}
	return "concat(\"" + strings.ReplaceAll(s, `"`, `", '"', "`) + "\")"
}

// button is a button whose text is label («Войти», «Сохранить», «Выполнить»).
func button(label string) chromedp.Search {
	return chromedp.Search(`//button[normalize-space(.)=` + xpathText(label) + `]`)
}

// dialogButton is a button whose text is label inside the open dialog.
func dialogButton(label string) chromedp.Search {
	return chromedp.Search(`//div[@role="dialog"]//button[normalize-space(.)=` + xpathText(label) + `]`)
}

// actionButton is a record's action button (data-action="<name>" on the generated show screen).
func actionButton(name string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`button[data-action=%q]`, name))
}

// testID is the element of the hand-made screens with the data-testid.
func testID(id string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`[data-testid=%q]`, id))
}

// setValue sets the value of the input the CSS selector finds as typing would end (React sees an
// input event): for native time and date inputs, whose typing depends on the browser's locale.
func (b *tab) setValue(selector, v string) {
	b.t.Helper()
	b.waitJS("set "+selector+" to "+v, `(() => {
		const el = document.querySelector(args[0]);
		if (!el) return false;
		Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(el, args[1]);
		el.dispatchEvent(new Event("input", { bubbles: true }));
		return el.value === args[1];
	})()`, selector, v)
}

// scrollTo scrolls the element the CSS selector finds to the top of the window, below the app
// bar, and waits until the page is still (the app bar hides itself in a transition).
func (b *tab) scrollTo(selector string) {
	b.t.Helper()
	b.waitJS("scroll to "+selector, `(() => {
		const el = document.querySelector(args[0]);
		if (!el) return false;
		if (!el.dataset.scrolled) {
			window.scrollBy(0, el.getBoundingClientRect().top - (document.querySelector("header")?.offsetHeight ?? 0) - 16);
			el.dataset.scrolled = "1";
		}
		return document.getAnimations().every(a => !(a instanceof CSSTransition));
	})()`, selector)
}

// field is a form input by its field name (react-admin names inputs after their source).
func field(name string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`input[name=%q], textarea[name=%q]`, name, name))
}

// menuLink is the menu entry of a resource.
func menuLink(resource string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`a[href="/admin/%s"]`, resource))
}

// menuToggle is the app bar's button that folds the menu (when open) or unfolds it.
func menuToggle(open bool) chromedp.CSS {
	if open {
		return chromedp.CSS(`header button[aria-label="Закрыть меню"]`)
	}
	return chromedp.CSS(`header button[aria-label="Открыть меню"]`)
}

// listRow is the row of a generated list that shows every one of texts (an id, a name, a role).
func listRow(texts ...string) chromedp.Search {
	conds := make([]string, len(texts))
	for i, text := range texts {
		conds[i] = `contains(normalize-space(.), ` + xpathText(text) + `)`
	}
	return chromedp.Search(`//tbody/tr[` + strings.Join(conds, " and ") + `]`)
}

// choose picks label in the select input of the field (a MUI select: open it, click the option).
func (b *tab) choose(name, label string) {
	b.t.Helper()
	b.do("choose «"+label+"» for "+name,
		chromedp.Click(chromedp.Search(fmt.Sprintf(`//input[@name=%s]/preceding-sibling::div[@role="combobox"]`, xpathText(name)))),
		chromedp.Click(chromedp.Search(`//li[@role="option"][normalize-space(.)=`+xpathText(label)+`]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`ul[role="listbox"]`)),
	)
}

// typeInto types text into the field: a click to focus it, then the text inserted as an input
// method would (one input event, as fast for a whole article as for a word; React sees it as
// typing).
func (b *tab) typeInto(name, text string) {
	b.t.Helper()
	b.do("type into "+name, chromedp.Click(field(name)), insertText(text))
}

// insertText inserts text at the focused element.
func insertText(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
		return err
	})
}

// act runs a record's action from its show screen: the button, then «Выполнить» in the
// confirmation or in the action's form (after fill fills it, when given).
func (b *tab) act(name string, fill func()) {
	b.t.Helper()
	b.do("press "+name, chromedp.Click(actionButton(name)), chromedp.WaitVisible(chromedp.CSS(`div[role="dialog"]`)))
	b.shot("action-" + name)
	if fill != nil {
		fill()
	}
	b.do("confirm "+name, chromedp.Click(dialogButton("Выполнить")), chromedp.WaitNotPresent(chromedp.CSS(`div[role="dialog"]`)))
}

// signIn signs the tab's user in on /admin/login with the password; for the owner the
// authenticator step follows: enrolment (the secret read off the screen, the code computed, the
// recovery codes kept) the first time, a recovery code afterwards.
func (b *tab) signIn() {
	b.t.Helper()
	email := ""
	for _, st := range browserStaff {
		if st.role == b.role {
			email = st.email
		}
	}
	b.open("/admin/login")
	b.do("the sign-in page", chromedp.WaitVisible(field("email")))
	b.waitText("Вход")
	b.shot("sign-in")
	b.typeInto("email", email)
	b.typeInto("password", b.srv.passwords[b.role])
	b.do("press «Войти»", chromedp.Click(button("Войти")))
	if b.role != models.RoleOwner {
		b.waitSignedIn()
		return
	}
	b.waitJS("the authenticator step", `document.body.innerText.includes("Настройка двухфакторного входа") || document.body.innerText.includes("Подтверждение входа")`)
	if strings.Contains(b.pageText(), "Подтверждение входа") {
		if len(b.srv.recoveryCodes) == 0 {
			b.fail("sign in with a recovery code", errors.New("the owner has an authenticator and no recovery code is left"))
		}
		code := b.srv.recoveryCodes[0]
		b.srv.recoveryCodes = b.srv.recoveryCodes[1:]
		b.do("use a recovery code", chromedp.Click(button("Войти с резервным кодом")))
		b.waitText("Резервный код")
		b.typeInto("code", code)
		b.do("press «Войти»", chromedp.Click(button("Войти")))
		b.waitSignedIn()
		return
	}
	secretSel := chromedp.CSS(`[aria-label="Ключ для ручного ввода"]`)
	b.do("the enrolment screen", chromedp.WaitVisible(secretSel), chromedp.WaitVisible(chromedp.CSS(`img[alt="QR-код для приложения-аутентификатора"]`)))
	b.shot("totp-enrolment")
	secret := strings.Join(strings.Fields(value(b, "read the secret", chromedp.Text(secretSel))), "")
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		b.fail("compute the code", err)
	}
	b.typeInto("code", code)
	b.do("press «Подтвердить»", chromedp.Click(button("Подтвердить")))
	codesSel := chromedp.CSS(`ol[aria-label="Резервные коды"]`)
	b.do("the recovery codes", chromedp.WaitVisible(codesSel))
	b.shot("recovery-codes")
	codes := strings.Fields(value(b, "read the recovery codes", chromedp.Text(codesSel)))
	if len(codes) != 10 {
		b.fail("read the recovery codes", fmt.Errorf("%d codes on the screen, want 10: %q", len(codes), codes))
	}
	b.srv.recoveryCodes = codes
	b.do("press «Я сохранил(а) коды»", chromedp.Click(button("Я сохранил(а) коды")))
	b.waitSignedIn()
}

// waitSignedIn waits for the panel's home screen with its menu.
func (b *tab) waitSignedIn() {
	b.t.Helper()
	// Where the person was going (a session that ended mid-work comes back to its screen), else
	// the home screen.
	b.waitJS("the panel after signing in", `location.pathname !== "/admin/login" && !!document.querySelector('a[role="menuitem"][href^="/admin/"]')`)
	if evalJS[string](b, "read the path", `location.pathname`) == "/admin/" {
		b.waitText("Здравствуйте")
	}
}

// sessionCookie is the tab's staff session cookie (HttpOnly: read through the protocol).
func (b *tab) sessionCookie() string {
	b.t.Helper()
	cookies := value(b, "read the cookies", chromedp.Action[[]*network.Cookie](func(ctx context.Context, t *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{b.srv.base + "/admin/api/auth/me"}})
		return res.Cookies, err
	}))
	for _, c := range cookies {
		if c.Name == handlers.SessionCookie {
			return c.Value
		}
	}
	b.fail("read the session cookie", errors.New("no session cookie"))
	return ""
}

// revokeSession ends the session of the cookie on the server, as signing out elsewhere or an
// operator would: through the sessions store.
func (s *browserServer) revokeSession(t *testing.T, token string) {
	t.Helper()
	ctx := context.Background()
	sessions := repository.NewSessions(s.db)
	sess, err := sessions.ByTokenHash(ctx, crypto.HashToken(token))
	if err != nil {
		t.Fatalf("the tab's session: %v", err)
	}
	now := time.Now().UTC()
	sess.RevokedAt = &now
	if err := sessions.Revoke(ctx, sess); err != nil {
		t.Fatal(err)
	}
}

// browserEnvKeys are cleared for the browser test: its servers read their configuration from
// their own files, and the environment would override them.
func clearConfigEnv(t *testing.T) {
	for _, k := range config.Keys {
		t.Setenv(config.EnvName(k.Name), "")
	}
	t.Setenv("BALANCE_ADMIN_PASSWORD", "") // createadmin reads the password from stdin
}
