package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"balance/config"
	"balance/crypto"
	"balance/events"
	"balance/integrations/telegram/telegramtest"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

func runCLI(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut testkit.Buffer
	code = run(context.Background(), args, stdin, &out, &errOut)
	return code, out.String(), errOut.String()
}

// useSQLite points the CLI at a fresh SQLite file; migrated when migrated is true.
func useSQLite(t *testing.T, migrated bool) string {
	t.Helper()
	url := "sqlite:" + filepath.Join(t.TempDir(), "balance.db")
	if migrated {
		url = testkit.NewSQLiteURL(t)
	}
	t.Setenv("BALANCE_DATABASE_URL", url)
	t.Setenv("BALANCE_LOG_LEVEL", "warn")
	return url
}

func TestUsageAndVersion(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 2, "", "Usage: balance"},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"version"}, 0, "balance dev", ""},
		{[]string{"help"}, 0, "Usage: balance", ""},
		{[]string{"serve", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"serve", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"serve", "-h"}, 0, "Usage: balance serve", ""},
		{[]string{"serve", "--help"}, 0, "-workers", ""},
		{[]string{"demo", "--help"}, 0, "-addr", ""},
		{[]string{"worker", "--help"}, 0, "Usage: balance worker", ""},
		{[]string{"migrate", "--help"}, 0, "-config", ""},
		{[]string{"createadmin", "--help"}, 0, "-role", ""},
		{[]string{"crypto", "--help"}, 0, "-batch", ""},
		{[]string{"telegram", "--help"}, 0, "set-webhook URL", ""},
		{[]string{"healthcheck", "--help"}, 0, "-timeout", ""},
		{[]string{"version", "--help"}, 0, "Usage: balance version", ""},
		{[]string{"version", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"help", "crypto"}, 0, "Usage: balance crypto", ""},
		{[]string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"-h"}, 0, "Usage: balance <command>", ""},
		{[]string{"--help"}, 0, "Usage: balance <command>", ""},
		{[]string{"createadmin", "--email", "a@example.org", "--role", "boss"}, 2, "", `--role: "boss" is not a staff role; use owner, assistant or editor`},
		{[]string{"healthcheck", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"migrate"}, 2, "", "want one of up, down, status"},
		{[]string{"migrate", "sideways"}, 2, "", `unknown action "sideways"`},
		{[]string{"createadmin", "--role", "owner"}, 2, "", "--email is required"},
		{[]string{"createadmin", "--email", "a@example.org", "extra"}, 2, "", `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("code %d stdout %q stderr %q; want %d, %q, %q", code, stdout, stderr, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

// TestHelpForEveryCommand: `balance <command> --help` exits 0 and prints that command's usage
// line and every one of its flags (with a placeholder for the value, not Go's type name) on
// stdout, and nothing on stderr.
func TestHelpForEveryCommand(t *testing.T) {
	for cmd, flags := range map[string][]string{
		"serve":       {"-config FILE", "-migrate", "-workers"},
		"demo":        {"-config FILE", "-addr", "-db"},
		"worker":      {"-config FILE"},
		"migrate":     {"-config FILE"},
		"createadmin": {"-config FILE", "-email", "-role", "-name"},
		"crypto":      {"-config FILE", "-batch"},
		"telegram":    {"-config FILE"},
		"healthcheck": {"-config FILE", "-timeout"},
		"totp":        {"-config FILE", "-email EMAIL"},
		"version":     nil,
	} {
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-h"}, {"help", cmd}} {
			code, stdout, stderr := runCLI(t, nil, args...)
			if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage: balance "+cmd) {
				t.Errorf("%v: code %d stdout %q stderr %q; want 0 and the command's usage on stdout", args, code, stdout, stderr)
				continue
			}
			for _, f := range flags {
				if !strings.Contains(stdout, "  "+f+"\n") && !strings.Contains(stdout, "  "+f+" ") {
					t.Errorf("%v does not list %s:\n%s", args, f, stdout)
				}
			}
		}
	}
}

// TestUsageErrorNamesTheCommand: a command's usage error is its one line, then that command's
// usage and where to find its flags, not the whole list of commands.
func TestUsageErrorNamesTheCommand(t *testing.T) {
	code, _, stderr := runCLI(t, nil, "createadmin", "--email", "a@example.org", "--role", "boss")
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if code != 2 || lines[0] != `balance: createadmin: --role: "boss" is not a staff role; use owner, assistant or editor` ||
		!strings.Contains(stderr, "Usage: balance createadmin") || !strings.Contains(stderr, "balance createadmin --help") ||
		strings.Contains(stderr, "Commands:") {
		t.Errorf("code %d stderr %q", code, stderr)
	}
}

func TestInvalidConfigExits2WithOneLine(t *testing.T) {
	for _, tc := range []struct{ env, value, key string }{
		{"BALANCE_HTTP_ADDR", "abc", "http.addr"},
		{"BALANCE_DATABASE_URL", "mysql://db", "database.url"},
		{"BALANCE_LOG_LEVEL", "loud", "log.level"},
		{"BALANCE_ENCRYPTION_KEYS", "not-a-key", "encryption.keys"},
	} {
		t.Run(tc.env, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			for _, cmd := range [][]string{{"serve"}, {"migrate", "status"}} {
				code, _, stderr := runCLI(t, nil, cmd...)
				if code != 2 || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "config: "+tc.key+": ") {
					t.Errorf("%v: code %d, stderr %q; want 2 and one line naming %s", cmd, code, stderr, tc.key)
				}
				if tc.env == "BALANCE_ENCRYPTION_KEYS" && strings.Contains(stderr, tc.value) {
					t.Errorf("the error repeats the secret: %q", stderr)
				}
			}
		})
	}
}

func TestConfigFileFlag(t *testing.T) {
	useSQLite(t, true)
	file := filepath.Join(t.TempDir(), "balance.yaml")
	if err := os.WriteFile(file, []byte("http:\n  addr: nonsense\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, nil, "migrate", "status", "--config", file)
	if code != 2 || !strings.HasPrefix(stderr, "config: http.addr: ") {
		t.Errorf("code %d stderr %q", code, stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.yaml")
	for _, cmd := range [][]string{{"migrate", "status"}, {"createadmin", "--email", "a@example.org"}, {"demo"}, {"healthcheck"}} {
		code, _, stderr = runCLI(t, nil, append(cmd, "--config", missing)...)
		if want := "config: file " + missing + ": no such file or directory\n"; code != 2 || stderr != want {
			t.Errorf("%v with a missing file: code %d stderr %q; want 2 and %q", cmd, code, stderr, want)
		}
	}
	dir := t.TempDir()
	code, _, stderr = runCLI(t, nil, "migrate", "status", "--config", dir)
	if want := "config: file " + dir + ": is a directory, not a configuration file\n"; code != 2 || stderr != want {
		t.Errorf("a directory: code %d stderr %q; want 2 and %q", code, stderr, want)
	}
}

// migrationFiles lists the embedded migration files of d in version order.
func migrationFiles(t *testing.T, d migrations.Dialect) []string {
	t.Helper()
	fsys, err := migrations.FS(d)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("migration files of %s: %v %v", d, files, err)
	}
	return files
}

func TestMigrateCommands(t *testing.T) {
	for _, dialect := range []migrations.Dialect{migrations.SQLite, migrations.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			files := migrationFiles(t, dialect)
			first, last := files[0], files[len(files)-1]
			if dialect == migrations.SQLite {
				useSQLite(t, false) // a fresh, empty database
			} else {
				// A migrated clone: roll everything back to start from nothing.
				t.Setenv("BALANCE_DATABASE_URL", testkit.NewPostgresURL(t))
				t.Setenv("BALANCE_LOG_LEVEL", "warn")
				for range files {
					if code, _, stderr := runCLI(t, nil, "migrate", "down"); code != 0 {
						t.Fatalf("down: %d %s", code, stderr)
					}
				}
			}
			ours := regexp.MustCompile(`(?m)^\d{5}\s+\S+\.sql\s+pending$`)
			code, stdout, stderr := runCLI(t, nil, "migrate", "status")
			if code != 0 || len(ours.FindAllString(stdout, -1)) != len(files) || !strings.Contains(stdout, first) ||
				!strings.Contains(stdout, "job queue schema (River):") {
				t.Fatalf("status before: %d %q %q", code, stdout, stderr)
			}
			code, stdout, _ = runCLI(t, nil, "migrate", "up")
			if code != 0 || strings.Count(stdout, "applied  ") != len(files) ||
				!strings.Contains(stdout, fmt.Sprintf("%d migration(s) applied", len(files))) {
				t.Fatalf("up: %d %q", code, stdout)
			}
			code, stdout, _ = runCLI(t, nil, "migrate", "status")
			applied := regexp.MustCompile(`(?m)^\d{5}\s+\S+\.sql\s+applied 20\d\d-`).FindAllString(stdout, -1)
			queue := regexp.MustCompile(`(?m)^river \d{3}  .+  applied$`).FindAllString(stdout, -1)
			anyPending := regexp.MustCompile(`(?m)  pending$`)
			if code != 0 || len(applied) != len(files) || len(queue) == 0 || anyPending.MatchString(stdout) {
				t.Fatalf("status after: %d %q", code, stdout)
			}
			code, stdout, _ = runCLI(t, nil, "migrate", "down")
			if code != 0 || !strings.Contains(stdout, "rolled back") || !strings.Contains(stdout, last) {
				t.Fatalf("down: %d %q", code, stdout)
			}
			code, stdout, _ = runCLI(t, nil, "migrate", "status")
			if code != 0 || len(anyPending.FindAllString(stdout, -1)) != 1 || len(ours.FindAllString(stdout, -1)) != 1 {
				t.Fatalf("status after one down: %d %q", code, stdout)
			}
		})
	}
}

func TestCreateAdmin(t *testing.T) {
	useSQLite(t, true)
	t.Setenv("BALANCE_ADMIN_PASSWORD", "correct horse battery")
	code, stdout, stderr := runCLI(t, strings.NewReader(""), "createadmin", "--email", "Owner@Example.org", "--role", "owner", "--name", "Анна")
	if code != 0 || !strings.Contains(stdout, "created owner owner@example.org") {
		t.Fatalf("createadmin: %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, strings.NewReader(""), "createadmin", "--email", "owner@example.org", "--role", "editor")
	if code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("duplicate: %d %q", code, stderr)
	}
	code, _, stderr = runCLI(t, strings.NewReader(""), "createadmin", "--email", "x@example.org", "--role", "client")
	if code != 2 || !strings.Contains(stderr, `--role: "client" is not a staff role`) {
		t.Errorf("client role: %d %q", code, stderr)
	}

	// A password piped on stdin works when the environment has none.
	t.Setenv("BALANCE_ADMIN_PASSWORD", "")
	code, stdout, stderr = runCLI(t, strings.NewReader("another long password\n"), "createadmin", "--email", "editor@example.org", "--role", "editor")
	if code != 0 || !strings.Contains(stdout, "created editor") {
		t.Errorf("piped password: %d %q %q", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, strings.NewReader(""), "createadmin", "--email", "none@example.org")
	if code != 1 || !strings.Contains(stderr, "no password") {
		t.Errorf("no password: %d %q", code, stderr)
	}
}

func TestCreateAdminNeedsMigratedDatabase(t *testing.T) {
	useSQLite(t, false)
	t.Setenv("BALANCE_ADMIN_PASSWORD", "correct horse battery")
	code, _, stderr := runCLI(t, nil, "createadmin", "--email", "a@example.org")
	if code != 1 || !strings.Contains(stderr, "pending migrations") {
		t.Errorf("code %d stderr %q", code, stderr)
	}
}

// TestServe runs the real serve command on both databases: it migrates, answers health checks,
// signs a staff member in, and stops cleanly when its context ends (what SIGTERM does in main).
func TestServe(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			if dialect == "sqlite" {
				useSQLite(t, false) // serve applies the migrations itself
			} else {
				t.Setenv("BALANCE_DATABASE_URL", testkit.NewPostgresURL(t))
				t.Setenv("BALANCE_ENCRYPTION_KEYS", testkit.Key(t))
			}
			t.Setenv("BALANCE_HTTP_ADDR", "127.0.0.1:0")
			t.Setenv("BALANCE_METRICS_ADDR", "127.0.0.1:0")
			t.Setenv("BALANCE_LOG_LEVEL", "info")
			t.Setenv("BALANCE_AUTH_COOKIE_SECURE", "false")

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stderr testkit.Buffer
			done := make(chan int, 1)
			go func() { done <- run(ctx, []string{"serve"}, nil, io.Discard, &stderr) }()
			base := waitListening(t, &stderr, done)

			for _, path := range []string{"/healthz", "/readyz"} {
				resp, err := http.Get(base + path)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s = %d", path, resp.StatusCode)
				}
			}
			t.Setenv("BALANCE_ADMIN_PASSWORD", "correct horse battery")
			if code, _, errOut := runCLI(t, nil, "createadmin", "--email", "owner@example.org"); code != 0 {
				t.Fatalf("createadmin: %s", errOut)
			}
			body := strings.NewReader(`{"email":"owner@example.org","password":"correct horse battery"}`)
			resp, err := http.Post(base+"/admin/api/auth/login", "application/json", body)
			if err != nil {
				t.Fatal(err)
			}
			// By default (auth.require_totp=owner) the owner's password leads to enrolling an
			// authenticator before the session is full.
			var pending struct {
				Enrol bool `json:"totp_enrolment_required"`
			}
			json.NewDecoder(resp.Body).Decode(&pending)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !pending.Enrol {
				t.Errorf("login = %d %+v", resp.StatusCode, pending)
			}

			// Metrics are served on their own listener only.
			m := metricsListeningRe.FindStringSubmatch(stderr.String())
			if m == nil {
				t.Fatalf("no metrics listener in the log: %s", stderr.String())
			}
			for base, want := range map[string]int{base: http.StatusNotFound, "http://" + m[1]: http.StatusOK} {
				resp, err := http.Get(base + "/metrics")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("%s/metrics = %d, want %d", base, resp.StatusCode, want)
				}
				if want == http.StatusOK && !strings.Contains(string(body), `balance_jobs{state="available"}`) {
					t.Errorf("metrics lack the job queue:\n%s", body)
				}
			}

			cancel()
			select {
			case code := <-done:
				if code != 0 {
					t.Fatalf("serve exited %d: %s", code, stderr.String())
				}
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not stop")
			}
			logs := stderr.String()
			for _, want := range []string{`"msg":"starting balance"`, `"msg":"migrations applied"`, `"msg":"stopped"`, `"route":"/readyz"`} {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %s", want)
				}
			}
			if strings.Contains(logs, "correct horse battery") {
				t.Error("the password reached the logs")
			}
		})
	}
}

var (
	listeningRe        = regexp.MustCompile(`"msg":"listening","addr":"([^"]+)"`)
	metricsListeningRe = regexp.MustCompile(`"msg":"metrics listening","addr":"([^"]+)"`)
)

func waitListening(t *testing.T, stderr *testkit.Buffer, done <-chan int) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRe.FindStringSubmatch(stderr.String()); m != nil {
			return "http://" + m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start listening: %s", stderr.String())
	return ""
}

// TestSIGTERMLetsInFlightRequestFinish sends a real SIGTERM to this process while a slow request
// is running: the signal context main uses ends, the server stops accepting, and the slow request
// still completes with its full response.
func TestSIGTERMLetsInFlightRequestFinish(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	started := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(500 * time.Millisecond)
		fmt.Fprint(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, &http.Server{Handler: mux}, ln, 10*time.Second) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done()

	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serveHTTP: %v", err)
	}
	// New connections are refused once shut down.
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("server still accepts connections after shutdown")
	}
}

func TestServeHTTPShutdownTimeout(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	started := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveHTTP(ctx, &http.Server{Handler: mux}, ln, 50*time.Millisecond) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	err = <-served
	close(release)
	if err == nil || !strings.Contains(err.Error(), "graceful shutdown") {
		t.Errorf("serveHTTP = %v, want a graceful-shutdown timeout error", err)
	}
}

// TestREADMEListsEveryKey keeps the README's configuration table complete.
func TestREADMEListsEveryKey(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range config.Keys {
		if !strings.Contains(string(readme), "| `"+k.Name+"` | `"+config.EnvName(k.Name)+"` |") {
			t.Errorf("README.md has no configuration row for %s", k.Name)
		}
	}
}

// TestJobTimingDefaultsAgree: the job queue's own defaults (tests, tools) are the product's.
func TestJobTimingDefaultsAgree(t *testing.T) {
	want := map[string]time.Duration{"jobs.job_timeout": events.DefaultJobTimeout, "jobs.rescue_after": events.DefaultRescueAfter}
	for _, k := range config.Keys {
		if d, ok := want[k.Name]; ok && k.Default != d {
			t.Errorf("%s defaults to %v in config, %s in events", k.Name, k.Default, d)
		}
	}
}

func TestCryptoGenkey(t *testing.T) {
	code, stdout, _ := runCLI(t, nil, "crypto", "genkey")
	key := strings.TrimSpace(stdout)
	if code != 0 || len(key) != 44 {
		t.Fatalf("genkey: %d %q", code, stdout)
	}
	if _, err := crypto.NewKeyRing(key); err != nil {
		t.Errorf("genkey printed an unusable key: %v", err)
	}
	if _, again, _ := runCLI(t, nil, "crypto", "genkey"); strings.TrimSpace(again) == key {
		t.Error("genkey printed the same key twice")
	}
	for _, args := range [][]string{{"crypto"}, {"crypto", "shred"}} {
		if code, _, _ := runCLI(t, nil, args...); code != 2 {
			t.Errorf("%v exited %d, want 2", args, code)
		}
	}
}

func TestServeRequiresKeysOnPostgres(t *testing.T) {
	t.Setenv("BALANCE_DATABASE_URL", testkit.NewPostgresURL(t))
	t.Setenv("BALANCE_HTTP_ADDR", "127.0.0.1:0")
	code, _, stderr := runCLI(t, nil, "serve")
	if code != 2 || !strings.Contains(stderr, "config: encryption.keys: required with PostgreSQL") {
		t.Errorf("code %d stderr %q", code, stderr)
	}
}

// On SQLite without configured keys, the first start writes a local key file (0600) and later
// starts reuse it.
func TestLocalKeyFile(t *testing.T) {
	url := useSQLite(t, true)
	file := filepath.Join(filepath.Dir(strings.TrimPrefix(url, "sqlite:")), "encryption.key")
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	var logs testkit.Buffer
	log := newLogger(cfg.Log, &logs)
	if _, err := loadKeyRing(cfg, false, log); err == nil {
		t.Fatal("without create, a missing key file must be an error")
	}
	ring, err := loadKeyRing(cfg, true, log)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(file)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file %s: %v %v", file, info, err)
	}
	if !strings.Contains(logs.String(), "generated a local key file") {
		t.Errorf("generation not logged: %s", logs.String())
	}
	token, err := ring.EncryptString("p2")
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadKeyRing(cfg, true, log)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := again.DecryptString(token); err != nil || got != "p2" {
		t.Errorf("second start uses another key: %q %v", got, err)
	}

	// Configured keys win; a local file they do not include is pointed out.
	t.Setenv("BALANCE_ENCRYPTION_KEYS", testkit.Key(t))
	cfg, err = loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	logs = testkit.Buffer{}
	configured, err := loadKeyRing(cfg, true, newLogger(cfg.Log, &logs))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := configured.DecryptString(token); err == nil {
		t.Error("configured keys should not include the local file's key")
	}
	if !strings.Contains(logs.String(), "not among encryption.keys") {
		t.Errorf("missing warning: %s", logs.String())
	}
}

func TestCryptoRotateOnEmptyDatabase(t *testing.T) {
	useSQLite(t, true)
	t.Setenv("BALANCE_ENCRYPTION_KEYS", testkit.Key(t))
	code, stdout, stderr := runCLI(t, nil, "crypto", "rotate")
	if code != 0 || !strings.Contains(stdout, "rotation complete") {
		t.Errorf("rotate: %d %q %q", code, stdout, stderr)
	}
}

// TestCryptoRotateCommand writes diary entries with one key, rotates to a new first key through
// the CLI, and reads every entry back with the new key alone — on both databases.
func TestCryptoRotateCommand(t *testing.T) {
	for _, dialect := range []migrations.Dialect{migrations.SQLite, migrations.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			url := testkit.NewSQLiteURL(t)
			if dialect == migrations.Postgres {
				url = testkit.NewPostgresURL(t)
			}
			t.Setenv("BALANCE_DATABASE_URL", url)
			t.Setenv("BALANCE_LOG_LEVEL", "warn")
			ctx := context.Background()
			oldKey, newKey := testkit.Key(t), mustGenerateKey(t)

			db, err := repository.Open(ctx, url, repository.Options{Keys: testkit.KeyRing(t, oldKey)})
			if err != nil {
				t.Fatal(err)
			}
			user := models.NewClientUser("client@example.org", "Клиентка", time.Now())
			if err := repository.NewUsers(db).Create(ctx, user); err != nil {
				t.Fatal(err)
			}
			diary := repository.NewDiaryEntries(db)
			bodies := []string{"Сегодня было тревожно", "Спала лучше", "Поговорила с мамой"}
			for i, body := range bodies {
				e, err := models.NewDiaryEntry(user.ID, time.Date(2026, 11, 20+i, 0, 0, 0, 0, time.UTC), body, nil, nil, time.Now())
				if err != nil {
					t.Fatal(err)
				}
				if err := diary.Create(ctx, e); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()

			t.Setenv("BALANCE_ENCRYPTION_KEYS", newKey+","+oldKey)
			code, stdout, stderr := runCLI(t, nil, "crypto", "rotate", "--batch", "2")
			if code != 0 || !strings.Contains(stdout, "diary_entries") || !strings.Contains(stdout, "rotation complete") {
				t.Fatalf("rotate: %d\n%s\n%s", code, stdout, stderr)
			}
			// Each entry has an encrypted body and tag list (mood is NULL): 6 values in 3 rows.
			if !regexp.MustCompile(`diary_entries\s+scanned\s+3 rows, re-encrypted\s+6 values`).MatchString(stdout) {
				t.Errorf("progress does not account for the 3 entries:\n%s", stdout)
			}

			db, err = repository.Open(ctx, url, repository.Options{Keys: testkit.KeyRing(t, newKey)})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			entries, err := repository.NewDiaryEntries(db).ListByUser(ctx, user.ID, repository.Page{})
			if err != nil {
				t.Fatalf("read with the new key only: %v", err)
			}
			var got []string
			for _, e := range entries {
				got = append(got, e.Body)
			}
			slices.Sort(got)
			want := slices.Clone(bodies)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("bodies after rotation = %q, want %q", got, want)
			}
			var raw string
			if err := db.Gorm.Raw("SELECT body FROM diary_entries LIMIT 1").Row().Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(raw, "gAAAAA") || strings.Contains(raw, "тревож") {
				t.Errorf("raw body column = %q, want a Fernet token", raw)
			}
		})
	}
}

func mustGenerateKey(t *testing.T) string {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTelegramSetWebhookCommand(t *testing.T) {
	const token = "123456:ABCdefGHIjklMNOpqrSTUvwxYZ0123456789"
	fake := telegramtest.New(t, token)
	t.Setenv("BALANCE_LOG_LEVEL", "warn")
	t.Setenv("BALANCE_TELEGRAM_API_URL", fake.URL())
	t.Setenv("BALANCE_TELEGRAM_WEBHOOK_SECRET", "s3cret_token")

	t.Setenv("BALANCE_TELEGRAM_BOT_TOKEN", "")
	if code, _, stderr := runCLI(t, nil, "telegram", "set-webhook", "https://balance.example/webhooks/telegram"); code != 2 || !strings.Contains(stderr, "telegram.bot_token") {
		t.Errorf("without a token: %d %s", code, stderr)
	}
	t.Setenv("BALANCE_TELEGRAM_BOT_TOKEN", token)
	if code, _, stderr := runCLI(t, nil, "telegram", "set-webhook"); code != 2 || !strings.Contains(stderr, "set-webhook URL") {
		t.Errorf("without a URL: %d %s", code, stderr)
	}
	code, stdout, stderr := runCLI(t, nil, "telegram", "set-webhook", "https://balance.example/webhooks/telegram")
	if code != 0 || !strings.Contains(stdout, "webhook set") {
		t.Fatalf("set-webhook: %d %s %s", code, stdout, stderr)
	}
	if url, secret := fake.Webhook(); url != "https://balance.example/webhooks/telegram" || secret != "s3cret_token" {
		t.Errorf("Telegram got %q with secret %q", url, secret)
	}
	if strings.Contains(stdout+stderr, token) || strings.Contains(stdout+stderr, "s3cret_token") {
		t.Error("the output shows a secret")
	}
}

// TestHealthcheckCommand: the container's health check asks /healthz at the configured address
// (a wildcard host on loopback) and exits 0 only on 200.
func TestHealthcheckCommand(t *testing.T) {
	status := atomic.Int32{}
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	t.Setenv("BALANCE_HTTP_ADDR", "0.0.0.0:"+port)
	if code, stdout, stderr := runCLI(t, nil, "healthcheck"); code != 0 || !strings.Contains(stdout, "healthy: http://127.0.0.1:"+port+"/healthz") {
		t.Errorf("healthy: %d %q %q", code, stdout, stderr)
	}
	status.Store(http.StatusServiceUnavailable)
	if code, _, stderr := runCLI(t, nil, "healthcheck"); code != 1 || !strings.Contains(stderr, "503") {
		t.Errorf("unhealthy: %d %q", code, stderr)
	}
	srv.Close()
	if code, _, _ := runCLI(t, nil, "healthcheck", "--timeout", "2s"); code != 1 {
		t.Errorf("nothing listening: %d", code)
	}
	for in, want := range map[string]string{"0.0.0.0:8080": "127.0.0.1:8080", "[::]:80": "[::1]:80", ":9": "127.0.0.1:9", "10.1.2.3:8080": "10.1.2.3:8080"} {
		if got := loopbackFor(in); got != want {
			t.Errorf("loopbackFor(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTOTPResetCommand: an operator removes a staff member's authenticator and recovery codes;
// their sessions end, the reset is audited, and their next sign-in would enrol again.
func TestTOTPResetCommand(t *testing.T) {
	for _, dialect := range []migrations.Dialect{migrations.SQLite, migrations.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			url := testkit.NewSQLiteURL(t)
			if dialect == migrations.Postgres {
				url = testkit.NewPostgresURL(t)
			}
			key := testkit.Key(t)
			t.Setenv("BALANCE_DATABASE_URL", url)
			t.Setenv("BALANCE_ENCRYPTION_KEYS", key)
			t.Setenv("BALANCE_LOG_LEVEL", "warn")
			t.Setenv("BALANCE_ADMIN_PASSWORD", "correct horse battery")
			ctx := context.Background()
			if code, _, stderr := runCLI(t, strings.NewReader(""), "createadmin", "--email", "owner@example.org"); code != 0 {
				t.Fatalf("createadmin: %d %s", code, stderr)
			}
			db, err := repository.Open(ctx, url, repository.Options{Keys: testkit.KeyRing(t, key)})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			u, err := repository.NewUsers(db).ByEmail(ctx, "owner@example.org")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			store := repository.NewTOTP(db)
			if err := store.PutPending(ctx, models.NewTOTPFactor(u.ID, "JBSWY3DPEHPK3PXP", now)); err != nil {
				t.Fatal(err)
			}
			codes := []models.RecoveryCode{{ID: models.NewID(), UserID: u.ID, CodeHash: "h1", CreatedAt: now}}
			if ok, err := store.Confirm(ctx, u.ID, models.TOTPStepAt(now), now, codes); err != nil || !ok {
				t.Fatalf("confirm: %v %v", ok, err)
			}
			session := &models.Session{ID: models.NewID(), UserID: u.ID, TokenHash: "t1", CreatedAt: now, ExpiresAt: now.Add(time.Hour), LastSeenAt: now}
			if err := repository.NewSessions(db).Create(ctx, session); err != nil {
				t.Fatal(err)
			}

			for _, tc := range []struct {
				args []string
				code int
				err  string
			}{
				{[]string{"totp", "reset"}, 2, "--email is required"},
				{[]string{"totp", "reset", "--email", "not-an-email"}, 2, "is not an email address"},
				{[]string{"totp", "wipe", "--email", "owner@example.org"}, 2, "want reset"},
				{[]string{"totp", "reset", "--email", "nobody@example.org"}, 1, "no user with the email"},
			} {
				if code, _, stderr := runCLI(t, nil, tc.args...); code != tc.code || !strings.Contains(stderr, tc.err) {
					t.Errorf("%v: %d %q, want %d and %q", tc.args, code, stderr, tc.code, tc.err)
				}
			}
			code, stdout, stderr := runCLI(t, nil, "totp", "reset", "--email", "Owner@Example.org")
			if code != 0 || !strings.Contains(stdout, "removed") {
				t.Fatalf("reset: %d %q %q", code, stdout, stderr)
			}
			if _, err := store.Factor(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
				t.Errorf("the factor after the reset: %v", err)
			}
			var left int64
			if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM recovery_codes").Scan(&left); err != nil || left != 0 {
				t.Errorf("%d recovery codes left (%v)", left, err)
			}
			if s, err := repository.NewSessions(db).ByTokenHash(ctx, "t1"); err != nil || s.RevokedAt == nil {
				t.Errorf("the session after the reset: %+v %v", s, err)
			}
			rows, err := repository.NewAuditLogs(db).List(ctx, repository.AuditLogFilter{Resource: "totp_factors", ResourceID: u.ID.String()}, repository.Page{Limit: 5})
			if err != nil || len(rows) != 1 || rows[0].Action != models.AuditActionDelete || rows[0].ActorRole != "operator" {
				t.Errorf("audit %+v (%v)", rows, err)
			}
			if code, stdout, _ := runCLI(t, nil, "totp", "reset", "--email", "owner@example.org"); code != 0 || !strings.Contains(stdout, "had no authenticator") {
				t.Errorf("a second reset: %d %q", code, stdout)
			}
		})
	}
}
