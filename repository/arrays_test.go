package repository_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/lib/pq"

	"balance/internal/testkit"
	"balance/migrations"
)

// The job queue's arrays go to PostgreSQL in text form, and arrays of every kind still make the
// round trip, through lib/pq's wrappers (as the job queue sends them) and as Go slices.
func TestPostgresArraysTravelAsText(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, migrations.Postgres)
	ctx := context.Background()
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		m := dc.(*stdlib.Conn).Conn().TypeMap()
		for _, oid := range []uint32{pgtype.JSONBArrayOID, pgtype.Int8ArrayOID, pgtype.TextArrayOID, pgtype.TimestamptzArrayOID, pgtype.ByteaArrayOID} {
			if f := m.FormatCodeForOID(oid); f != pgtype.TextFormatCode {
				t.Errorf("array type %d goes in format %d, want text", oid, f)
			}
		}
		if f := m.FormatCodeForOID(pgtype.TimestamptzOID); f != pgtype.BinaryFormatCode {
			t.Errorf("timestamptz goes in format %d, want binary (only arrays change)", f)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	args := []string{`{"event": "a", "note": "quote \" and comma, brace }"}`, `{"n": 1}`}
	var gotArgs []string
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT $1::jsonb[], cardinality($1::jsonb[])`, pq.Array(args)).
		Scan(pq.Array(&gotArgs), &n); err != nil {
		t.Fatal(err)
	}
	if n != 2 || gotArgs[1] != `{"n": 1}` || gotArgs[0] != `{"note": "quote \" and comma, brace }", "event": "a"}` {
		t.Errorf("jsonb[] round trip: %d elements %q", n, gotArgs)
	}

	at := []time.Time{time.Date(2026, 12, 3, 10, 0, 0, 123000, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	keys := [][]byte{{0, 1, 255}, nil}
	var gotIDs []int64
	var gotTags []string
	var gotKey []byte
	var last time.Time
	if err := conn.QueryRowContext(ctx,
		`SELECT $1::bigint[], $2::text[], ($3::bytea[])[1], ($4::timestamptz[])[2]`,
		[]int64{1, -7}, []string{"a b", `c"d`}, pq.ByteaArray(keys), pq.Array(at)).
		Scan(pq.Array(&gotIDs), pq.Array(&gotTags), &gotKey, &last); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(gotIDs, []int64{1, -7}) || !slices.Equal(gotTags, []string{"a b", `c"d`}) ||
		!slices.Equal(gotKey, keys[0]) || !last.Equal(at[1]) {
		t.Errorf("round trip: ids %v, tags %q, key %v, time %v", gotIDs, gotTags, gotKey, last)
	}

}
