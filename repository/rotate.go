package repository

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"

	"gorm.io/gorm/schema"

	"balance/crypto"
)

// P2Table is a table with encrypted (P2) columns.
type P2Table struct {
	Table string
	// Key is the primary-key column rows are walked by.
	Key     string
	Columns []string
}

// P2Tables lists every table with columns tagged `serializer:fernet`, found through Models().
func (db *DB) P2Tables() ([]P2Table, error) { return db.p2Tables(Models()) }

func (db *DB) p2Tables(models []any) ([]P2Table, error) {
	var out []P2Table
	cache := &sync.Map{}
	for _, m := range models {
		s, err := schema.Parse(m, cache, db.Gorm.NamingStrategy)
		if err != nil {
			return nil, fmt.Errorf("parse %T: %w", m, err)
		}
		var cols []string
		for _, f := range s.Fields {
			if _, ok := f.Serializer.(fernetSerializer); ok && f.DBName != "" {
				cols = append(cols, f.DBName)
			}
		}
		if len(cols) > 0 {
			if len(s.PrimaryFields) != 1 {
				return nil, fmt.Errorf("%s: P2 tables need a one-column primary key", s.Table)
			}
			out = append(out, P2Table{Table: s.Table, Key: s.PrimaryFields[0].DBName, Columns: cols})
		}
	}
	slices.SortFunc(out, func(a, b P2Table) int {
		if a.Table < b.Table {
			return -1
		}
		if a.Table > b.Table {
			return 1
		}
		return 0
	})
	return out, nil
}

// RotateProgress reports one finished batch of a key rotation.
type RotateProgress struct {
	Table   string
	Scanned int // rows read in this table so far
	Rotated int // values re-encrypted in this table so far
}

// RotateP2 re-encrypts every P2 value under the first key of ring, table by table, in batches of
// batch rows, each batch in its own transaction. Values already under the first key are left as
// they are, so a rotation that was interrupted can simply be run again. ring must hold every key
// the data may be encrypted with. Errors name table, column and row id, never content.
func (db *DB) RotateP2(ctx context.Context, ring *crypto.KeyRing, batch int, report func(RotateProgress)) error {
	return db.rotateP2(ctx, Models(), ring, batch, report)
}

func (db *DB) rotateP2(ctx context.Context, models []any, ring *crypto.KeyRing, batch int, report func(RotateProgress)) error {
	if batch <= 0 {
		batch = 500
	}
	tables, err := db.p2Tables(models)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if err := db.rotateTable(ctx, ring, t, batch, report); err != nil {
			return err
		}
	}
	return nil
}

func (db *DB) rotateTable(ctx context.Context, ring *crypto.KeyRing, t P2Table, batch int, report func(RotateProgress)) error {
	progress := RotateProgress{Table: t.Table}
	cursor := ""
	for {
		n, last, rotated, err := db.rotateBatch(ctx, ring, t, cursor, batch)
		if err != nil {
			return err
		}
		progress.Scanned += n
		progress.Rotated += rotated
		if report != nil {
			report(progress)
		}
		if n < batch {
			return nil
		}
		cursor = last
	}
}

// rotateBatch handles up to batch rows with key > cursor ("" = from the start) and returns how
// many rows it read, the last id, and how many values it re-encrypted.
func (db *DB) rotateBatch(ctx context.Context, ring *crypto.KeyRing, t P2Table, cursor string, batch int) (int, string, int, error) {
	var n, rotated int
	var last string
	err := db.InTx(ctx, func(ctx context.Context) error {
		tx := db.conn(ctx)
		cols := t.Key
		for _, c := range t.Columns {
			cols += ", " + c
		}
		q := tx.Table(t.Table).Select(cols).Order(t.Key).Limit(batch)
		if cursor != "" {
			q = q.Where(t.Key+" > ?", cursor)
		}
		rows, err := q.Rows()
		if err != nil {
			return fmt.Errorf("rotate %s: %w", t.Table, err)
		}
		type update struct{ id, column, token string }
		var updates []update
		for rows.Next() {
			vals := make([]sql.NullString, len(t.Columns)+1)
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return fmt.Errorf("rotate %s: scan: %w", t.Table, err)
			}
			n++
			last = vals[0].String
			for i, c := range t.Columns {
				v := vals[i+1]
				if !v.Valid {
					continue
				}
				needs, err := ring.NeedsRotation(v.String)
				if err != nil {
					rows.Close()
					return fmt.Errorf("rotate %s.%s row %s: %w", t.Table, c, last, err)
				}
				if !needs {
					continue
				}
				token, err := ring.Rotate(v.String)
				if err != nil {
					rows.Close()
					return fmt.Errorf("rotate %s.%s row %s: %w", t.Table, c, last, err)
				}
				updates = append(updates, update{last, c, token})
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("rotate %s: %w", t.Table, err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("rotate %s: %w", t.Table, err)
		}
		for _, u := range updates {
			if err := tx.Table(t.Table).Where(t.Key+" = ?", u.id).Update(u.column, u.token).Error; err != nil {
				return fmt.Errorf("rotate %s.%s row %s: %w", t.Table, u.column, u.id, translate(err))
			}
		}
		rotated = len(updates)
		return nil
	})
	return n, last, rotated, err
}
