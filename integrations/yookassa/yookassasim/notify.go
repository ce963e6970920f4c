package yookassasim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// Delivery defaults. YooKassa retries a notification that was not answered 200 for a day; the
// simulator keeps the same shape on a short schedule: a wait of NotifyRetryWait doubling up to
// notifyMaxRetryWait, NotifyAttempts attempts in all (about 10 s with the defaults).
const (
	defaultNotifyAttempts  = 8
	defaultNotifyRetryWait = 100 * time.Millisecond
	notifyMaxRetryWait     = 3 * time.Second
	notifyTimeout          = 10 * time.Second
)

// note is a notification waiting for delivery.
type note struct {
	event  string
	id     string
	object []byte
	// tried closes once the first delivery attempt is over (or the note is dropped).
	tried chan struct{}
}

// notifier delivers notes in the order they were queued, one at a time, from a goroutine that runs
// while there is work: a payment's payment.succeeded always goes out before its refund.succeeded.
// A note that keeps failing holds back the ones after it until its attempts run out.
type notifier struct {
	client   *http.Client
	log      *slog.Logger
	target   func() string
	attempts int
	wait     time.Duration

	ctx    context.Context // canceled by close: stops waits and the request in flight
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []*note
	running bool
	idle    chan struct{} // closed when the worker stops with nothing left to do
	closed  bool
	done    sync.WaitGroup
}

func newNotifier(client *http.Client, log *slog.Logger, target func() string, attempts int, wait time.Duration) *notifier {
	if attempts <= 0 {
		attempts = defaultNotifyAttempts
	}
	if wait <= 0 {
		wait = defaultNotifyRetryWait
	}
	ctx, cancel := context.WithCancel(context.Background())
	idle := make(chan struct{})
	close(idle)
	return &notifier{client: client, log: log, target: target, attempts: attempts, wait: wait, ctx: ctx, cancel: cancel, idle: idle}
}

// enqueue queues n; the returned channel closes once its first delivery attempt is over. After
// close nothing is queued.
func (q *notifier) enqueue(n *note) <-chan struct{} {
	n.tried = make(chan struct{})
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		q.log.Warn("yookassasim: stopped, notification dropped", slog.String("event", n.event), slog.String("object_id", n.id))
		close(n.tried)
		return n.tried
	}
	q.queue = append(q.queue, n)
	if !q.running {
		q.running, q.idle = true, make(chan struct{})
		q.done.Add(1)
		go q.run()
	}
	return n.tried
}

func (q *notifier) run() {
	defer q.done.Done()
	for {
		q.mu.Lock()
		if len(q.queue) == 0 || q.closed {
			for _, n := range q.queue {
				q.log.Warn("yookassasim: stopped, notification dropped", slog.String("event", n.event), slog.String("object_id", n.id))
				close(n.tried)
			}
			q.queue, q.running = nil, false
			close(q.idle)
			q.mu.Unlock()
			return
		}
		n := q.queue[0]
		q.queue = q.queue[1:]
		q.mu.Unlock()
		q.deliver(n)
	}
}

// deliver POSTs n to the notify URL until it is answered 2xx or its attempts run out, waiting
// longer after each failure. A failure is logged, not returned: the payment has changed whether or
// not the shop heard about it.
func (q *notifier) deliver(n *note) {
	tried := sync.OnceFunc(func() { close(n.tried) })
	defer tried()
	target := q.target()
	if target == "" {
		return
	}
	body := Notification(n.event, json.RawMessage(n.object))
	log := q.log.With(slog.String("event", n.event), slog.String("object_id", n.id), slog.String("notify_url", target))
	wait := q.wait
	for attempt := 1; ; attempt++ {
		err := q.post(target, body)
		if err == nil {
			log.Info("yookassasim: notification delivered", slog.Int("attempt", attempt))
			return
		}
		if attempt == q.attempts || q.ctx.Err() != nil {
			log.Error("yookassasim: notification not delivered", slog.Int("attempts", attempt), slog.Any("error", err))
			return
		}
		log.Warn("yookassasim: notification failed, retrying", slog.Int("attempt", attempt), slog.Duration("wait", wait), slog.Any("error", err))
		tried()
		select {
		case <-time.After(wait):
		case <-q.ctx.Done():
		}
		wait = min(2*wait, notifyMaxRetryWait)
	}
}

func (q *notifier) post(target string, body []byte) error {
	req, err := http.NewRequestWithContext(q.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := q.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// flush waits until every queued notification was delivered or given up, or ctx ends.
func (q *notifier) flush(ctx context.Context) error {
	for {
		q.mu.Lock()
		idle, running := q.idle, q.running
		q.mu.Unlock()
		if !running {
			return nil
		}
		select {
		case <-idle:
			// The worker stopped; a note queued meanwhile may have started another: look again.
		case <-ctx.Done():
			return fmt.Errorf("yookassasim: notifications still queued: %w", ctx.Err())
		}
	}
}

// close stops delivery: the attempt in flight is abandoned, queued notes are dropped (and logged),
// later ones are not queued. It returns once the worker has stopped.
func (q *notifier) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.done.Wait()
}
