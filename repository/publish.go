package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"balance/models"
)

// Publisher delivers domain events. Stores call it inside the transaction that saves the
// aggregates that recorded them, so an event exists exactly when its change was committed.
type Publisher interface {
	Publish(ctx context.Context, tx *Tx, events []models.Event) error
}

// Tx is the transaction events are published in.
type Tx struct {
	// SQL is the database/sql transaction (for outbox rows written beside the change).
	SQL *sql.Tx
	// Dialect tells an outbox which driver to use.
	Dialect string
	state   *txState
}

// AfterCommit runs fn once the transaction has committed; never if it rolls back.
func (t *Tx) AfterCommit(fn func()) { t.state.afterCommit = append(t.state.afterCommit, fn) }

// BeforeCommit runs fn inside the transaction once everything else in it is done, just before it
// commits (after its events are handed to the publisher); an error rolls the transaction back.
func (t *Tx) BeforeCommit(fn func(ctx context.Context, tx *sql.Tx) error) {
	t.state.beforeCommit = append(t.state.beforeCommit, fn)
}

// Gathers reports whether the transaction gathers writes for its commit (BeforeCommit runs): a
// transaction of InTx does; a bare one (GORM's implicit transaction of one statement, a test's)
// may not, and its writes must be made at once.
func (t *Tx) Gathers() bool { return t.state.inTx }

// Value returns what the transaction keeps under key, made by mk the first time it is asked for:
// a place to gather rows written together at commit (the outbox's job rows).
func (t *Tx) Value(key any, mk func() any) any {
	if v, ok := t.state.values[key]; ok {
		return v
	}
	if t.state.values == nil {
		t.state.values = map[any]any{}
	}
	v := mk()
	t.state.values[key] = v
	return v
}

// CurrentTx returns the transaction of InTx that ctx carries (false outside InTx), for writes that
// must join it at commit.
func CurrentTx(ctx context.Context) (*Tx, bool) {
	state, _ := ctx.Value(txStateKey{}).(*txState)
	sqlTx, ok := SQLTx(ctx)
	if state == nil || !ok || !state.inTx {
		return nil, false
	}
	return &Tx{SQL: sqlTx, state: state}, true
}

// txState is what one transaction collects: functions to run before and after commit, values kept
// for the commit, which events it published already (an aggregate saved twice in one transaction
// publishes its events once), and the events of InTx, published together just before commit.
type txState struct {
	// inTx is set for the transactions of InTx, which run beforeCommit.
	inTx         bool
	afterCommit  []func()
	beforeCommit []func(ctx context.Context, tx *sql.Tx) error
	values       map[any]any
	published    map[uuid.UUID]bool
	pending      []models.Event
	sources      []eventSource
}

func newTxState() *txState { return &txState{published: map[uuid.UUID]bool{}} }

// take adds the events of sources not taken yet to the transaction's pending events.
func (s *txState) take(sources []eventSource) int {
	n := 0
	for _, src := range sources {
		for _, e := range src.Events() {
			if !s.published[e.EventID()] {
				s.published[e.EventID()] = true
				s.pending = append(s.pending, e)
				n++
			}
		}
	}
	s.sources = append(s.sources, sources...)
	return n
}

// commit publishes the pending events of an InTx transaction in one call and runs the
// before-commit functions (which may add more: they run in order until none is left).
func (s *txState) commit(ctx context.Context, pub Publisher, g *gorm.DB) error {
	sqlTx, ok := g.Statement.ConnPool.(*sql.Tx)
	if !ok {
		if len(s.pending) > 0 || len(s.beforeCommit) > 0 {
			return fmt.Errorf("commit: not in a transaction (%T)", g.Statement.ConnPool)
		}
		return nil
	}
	tx := &Tx{SQL: sqlTx, Dialect: g.Dialector.Name(), state: s}
	if len(s.pending) > 0 && pub != nil {
		events := s.pending
		s.pending = nil
		// The publisher may keep ctx beyond this transaction (the in-memory bus hands it to
		// handlers): this transaction's state must not leak into the writes those make.
		if err := pub.Publish(context.WithValue(ctx, txStateKey{}, (*txState)(nil)), tx, events); err != nil {
			return fmt.Errorf("publish events: %w", err)
		}
	}
	for i := 0; i < len(s.beforeCommit); i++ {
		if err := s.beforeCommit[i](ctx, sqlTx); err != nil {
			return err
		}
	}
	sources := s.sources
	tx.AfterCommit(func() {
		for _, src := range sources {
			src.ClearEvents()
		}
	})
	return nil
}

// RecordEvents adds the events of aggregates written without GORM's create and update (a statement of
// its own) to the events the transaction of ctx publishes at commit.
func RecordEvents(ctx context.Context, aggregates ...EventSource) error {
	state, _ := ctx.Value(txStateKey{}).(*txState)
	if state == nil {
		return errors.New("record events: not in a transaction")
	}
	sources := make([]eventSource, 0, len(aggregates))
	for _, a := range aggregates {
		sources = append(sources, a)
	}
	state.take(sources)
	return nil
}

func (s *txState) runAfterCommit() {
	for _, fn := range s.afterCommit {
		fn()
	}
}

type (
	txStateKey   struct{}
	publisherKey struct{}
)

// SetPublisher makes every store of db publish the events of the aggregates it saves. Call it
// once at start, before the stores are used.
func (db *DB) SetPublisher(p Publisher) { db.publisher = p }

// EventSource is an aggregate that records events (it embeds models.Recorder).
type EventSource interface {
	Events() []models.Event
	ClearEvents()
}

type eventSource = EventSource

const implicitTxState = "balance:tx_state"

// registerPublishCallbacks hooks event publishing into GORM: after a row is created or updated,
// the events of its aggregate are published in the same transaction, and cleared from the
// aggregate after commit. Statements outside InTx run in GORM's own implicit transaction, whose
// commit is hooked too. Publishing must come before that implicit commit: GORM appends a callback
// that has only an After constraint to the end of the chain, after the commit.
func registerPublishCallbacks(g *gorm.DB) error {
	cb := g.Callback()
	const commit = "gorm:commit_or_rollback_transaction"
	for _, err := range []error{
		cb.Create().After("gorm:create").Before(commit).Register("balance:publish_events", publishEvents),
		cb.Update().After("gorm:update").Before(commit).Register("balance:publish_events", publishEvents),
		cb.Create().After(commit).Register("balance:after_commit", afterImplicitCommit),
		cb.Update().After(commit).Register("balance:after_commit", afterImplicitCommit),
	} {
		if err != nil {
			return fmt.Errorf("register event callbacks: %w", err)
		}
	}
	return nil
}

func publishEvents(g *gorm.DB) {
	if g.Error != nil || g.Statement.Context == nil {
		return
	}
	ctx := g.Statement.Context
	pub, _ := ctx.Value(publisherKey{}).(Publisher)
	if pub == nil {
		return // no bus configured: events stay on the aggregate
	}
	sources := collectSources(g.Statement.ReflectValue)
	if len(sources) == 0 {
		return
	}
	state, _ := ctx.Value(txStateKey{}).(*txState)
	if state != nil {
		// Inside InTx: the events wait for the commit, where they are published together.
		state.take(sources)
		return
	}
	state = newTxState()
	g.InstanceSet(implicitTxState, state)
	var events []models.Event
	for _, src := range sources {
		for _, e := range src.Events() {
			if !state.published[e.EventID()] {
				state.published[e.EventID()] = true
				events = append(events, e)
			}
		}
	}
	if len(events) == 0 {
		return
	}
	sqlTx, ok := g.Statement.ConnPool.(*sql.Tx)
	if !ok {
		_ = g.AddError(fmt.Errorf("publish events: statement is not in a transaction (%T)", g.Statement.ConnPool))
		return
	}
	tx := &Tx{SQL: sqlTx, Dialect: g.Dialector.Name(), state: state}
	// The publisher may keep ctx beyond this transaction (the in-memory bus hands it to handlers):
	// this transaction's state must not leak into the writes those make.
	ctx = context.WithValue(ctx, txStateKey{}, (*txState)(nil))
	if err := pub.Publish(ctx, tx, events); err != nil {
		_ = g.AddError(fmt.Errorf("publish events: %w", err))
		return
	}
	tx.AfterCommit(func() {
		for _, src := range sources {
			src.ClearEvents()
		}
	})
}

func afterImplicitCommit(g *gorm.DB) {
	if g.Error != nil {
		return
	}
	if v, ok := g.InstanceGet(implicitTxState); ok {
		v.(*txState).runAfterCommit()
	}
}

// collectSources finds the event-recording aggregates in a statement's value (one or a slice).
func collectSources(v reflect.Value) []eventSource {
	if !v.IsValid() {
		return nil
	}
	var out []eventSource
	add := func(e reflect.Value) {
		if e.Kind() != reflect.Pointer && e.CanAddr() {
			e = e.Addr()
		}
		if e.Kind() == reflect.Pointer && e.IsNil() {
			return
		}
		if src, ok := e.Interface().(eventSource); ok {
			out = append(out, src)
		}
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			add(v.Index(i))
		}
	default:
		add(v)
	}
	return out
}

// SQLTx returns the database/sql transaction carried by ctx (from InTx), so that job rows can be
// written in the same transaction as a change.
func SQLTx(ctx context.Context) (*sql.Tx, bool) {
	g, ok := ctx.Value(txKey{}).(*gorm.DB)
	if !ok {
		return nil, false
	}
	tx, ok := g.Statement.ConnPool.(*sql.Tx)
	return tx, ok
}

// NewTxForTest wraps a bare transaction for publishing outside a store (tests and tools).
func NewTxForTest(sqlTx *sql.Tx) *Tx { return &Tx{SQL: sqlTx, state: newTxState()} }
