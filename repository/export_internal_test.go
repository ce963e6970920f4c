package repository

import (
	"context"

	"gorm.io/gorm"

	"balance/crypto"
)

// RotateModels runs a key rotation over the given models instead of Models(), so tests can rotate
// a probe table of their own.
func (db *DB) RotateModels(ctx context.Context, models []any, ring *crypto.KeyRing, batch int, report func(RotateProgress)) error {
	return db.rotateP2(ctx, models, ring, batch, report)
}

// WithKeys returns a copy of db that encrypts P2 fields with ring.
func (db *DB) WithKeys(ring *crypto.KeyRing) *DB {
	c := *db
	c.keys = ring
	return &c
}

// ConnForTest is the connection stores use: the transaction in ctx or the pool, carrying the key ring.
func (db *DB) ConnForTest(ctx context.Context) *gorm.DB { return db.conn(ctx) }
