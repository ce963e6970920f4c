package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"balance/events"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// binary builds the real balance executable once per test run.
func binary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "balance-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "balance")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// proc is a running balance process.
type proc struct {
	cmd  *exec.Cmd
	logs *testkit.Buffer
	done chan error
}

// startWorker runs `balance worker` against url and waits until it works.
func startWorker(t *testing.T, url string) *proc {
	t.Helper()
	cmd := exec.Command(binary(t), "worker")
	cmd.Env = append(os.Environ(),
		"BALANCE_DATABASE_URL="+url,
		"BALANCE_ENCRYPTION_KEYS="+testkit.Key(t),
		"BALANCE_LOG_LEVEL=info",
		"BALANCE_JOBS_WORKERS=4",
		"BALANCE_JOBS_POLL_INTERVAL=50ms",
		"BALANCE_JOBS_JOB_TIMEOUT=1s",
		"BALANCE_JOBS_RESCUE_AFTER=2s",
		"BALANCE_JOBS_RETRY_BASE=100ms",
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &testkit.Buffer{}, done: make(chan error, 1)}
	started := make(chan struct{})
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.logs, line)
			if strings.Contains(line, `"msg":"working"`) {
				once.Do(func() { close(started) })
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
	select {
	case <-started:
	case err := <-p.done:
		t.Fatalf("worker exited early: %v\n%s", err, p.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("worker did not start:\n%s", p.logs.String())
	}
	return p
}

// kill9 ends the process the hard way: no shutdown, no handing jobs back.
func (p *proc) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// stop ends the process with SIGTERM and expects a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("worker exit: %v\n%s", err, p.logs.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("worker did not stop on SIGTERM")
	}
}

// producer commits leads in the test process through an insert-only outbox carrying the same
// subscribers as the binary, as an HTTP-only `serve --workers=false` would.
func producer(t *testing.T, url string) (*repository.DB, *repository.Leads) {
	t.Helper()
	ctx := context.Background()
	db, err := repository.Open(ctx, url, repository.Options{Keys: testkit.KeyRing(t, testkit.Key(t)), MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	subs := events.NewSubscriptions()
	if err := registerSubscribers(subs, db, testkit.Logger(t)); err != nil {
		t.Fatal(err)
	}
	outbox, err := events.NewOutbox(db, events.DefaultCatalog(), subs, events.OutboxConfig{}, testkit.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	db.SetPublisher(outbox)
	return db, repository.NewLeads(db)
}

func captureLeads(t *testing.T, leads *repository.Leads, n int) []models.Lead {
	t.Helper()
	out := make([]models.Lead, 0, n)
	for range n {
		l, err := models.NewLead("site", models.UTM{}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := leads.Create(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		out = append(out, *l)
	}
	return out
}

func count(t *testing.T, db *repository.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Gorm.Raw(query).Row().Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// waitCount polls until query counts want, or fails after a generous bound.
func waitCount(t *testing.T, db *repository.DB, query string, want int, what string) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		n := count(t, db, query)
		if n == want {
			return
		}
		if n > want {
			t.Fatalf("%s: %d, more than the %d expected", what, n, want)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d of %d", what, n, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

const (
	timelineRows   = `SELECT count(*) FROM lead_timeline_events WHERE kind = 'lead.captured'`
	completedJobs  = `SELECT count(*) FROM river_job WHERE kind = 'event' AND state = 'completed'`
	eventJobs      = `SELECT count(*) FROM river_job WHERE kind = 'event'`
	distinctEvents = `SELECT count(DISTINCT source_event_id) FROM lead_timeline_events WHERE kind = 'lead.captured'`
)

// TestWorkerCrashLosesNothing: events committed while no worker runs wait in the database; a
// worker killed with SIGKILL in the middle of delivering them loses none — its unfinished jobs are
// rescued — and a restarted worker delivers the rest, each subscriber's effect exactly once.
func TestWorkerCrashLosesNothing(t *testing.T) {
	for _, dialect := range []migrations.Dialect{migrations.SQLite, migrations.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			url := testkit.NewSQLiteURL(t)
			if dialect == migrations.Postgres {
				url = testkit.NewPostgresURL(t)
			}
			db, leads := producer(t, url)
			const n = 60
			captureLeads(t, leads, n)
			jobs := count(t, db, eventJobs)
			if jobs < n {
				t.Fatalf("only %d event jobs for %d events", jobs, n)
			}
			if got := count(t, db, timelineRows); got != 0 {
				t.Fatalf("%d timeline rows before any worker ran", got)
			}

			// First worker: killed as soon as it has delivered something, mid-flight.
			w1 := startWorker(t, url)
			deadline := time.Now().Add(60 * time.Second)
			for count(t, db, timelineRows) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("first worker delivered nothing:\n%s", w1.logs.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			w1.kill9(t)
			delivered := count(t, db, timelineRows)
			t.Logf("killed the first worker after %d of %d deliveries", delivered, n)

			// Second worker finishes the job, including what was running when the first died.
			w2 := startWorker(t, url)
			waitCount(t, db, timelineRows, n, "timeline rows")
			waitCount(t, db, completedJobs, jobs, "completed event jobs")
			w2.stop(t)
			if got := count(t, db, distinctEvents); got != n {
				t.Errorf("timeline rows for %d distinct events, want %d", got, n)
			}
		})
	}
}

// TestTwoWorkersShareTheWork: two worker processes against one PostgreSQL run every job of 1,000
// events exactly once between them.
func TestTwoWorkersShareTheWork(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns two processes and delivers 1,000 events")
	}
	url := testkit.NewPostgresURL(t)
	db, leads := producer(t, url)
	w1, w2 := startWorker(t, url), startWorker(t, url)
	const n = 1000
	captureLeads(t, leads, n)
	jobs := count(t, db, eventJobs)
	waitCount(t, db, completedJobs, jobs, "completed event jobs")
	waitCount(t, db, timelineRows, n, "timeline rows")
	w1.stop(t)
	w2.stop(t)
	if got := count(t, db, `SELECT count(*) FROM river_job WHERE kind = 'event' AND attempt <> 1`); got != 0 {
		t.Errorf("%d event jobs ran more than once", got)
	}
	if got := count(t, db, distinctEvents); got != n {
		t.Errorf("timeline rows for %d distinct events, want %d", got, n)
	}
	// Both processes took part: River records which client ran each job.
	if got := count(t, db, `SELECT count(DISTINCT attempted_by[1]) FROM river_job WHERE kind = 'event'`); got != 2 {
		t.Errorf("jobs were run by %d distinct workers, want 2", got)
	}
}
