package repository

import (
	"context"
	"database/sql"
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

// txState is what one transaction collects: functions to run after commit, and which events it
// published already (an aggregate saved twice in one transaction publishes its events once).
type txState struct {
	afterCommit []func()
	published   map[uuid.UUID]bool
}

func newTxState() *txState { return &txState{published: map[uuid.UUID]bool{}} }

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

// eventSource is an aggregate that records events (models.Recorder).
type eventSource interface {
	Events() []models.Event
	ClearEvents()
}

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
	if state == nil {
		state = newTxState()
		g.InstanceSet(implicitTxState, state)
	}
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
