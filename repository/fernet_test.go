package repository_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// fernetProbe is a throwaway model with every shape of P2 field the serializer supports.
type fernetProbe struct {
	ID    uuid.UUID         `gorm:"primaryKey"`
	Body  string            `gorm:"serializer:fernet"`
	Note  *string           `gorm:"serializer:fernet"`
	Data  fernetProbeData   `gorm:"serializer:fernet"`
	Score *int              `gorm:"serializer:fernet"`
	Tags  []string          `gorm:"serializer:fernet"`
	Extra map[string]string `gorm:"serializer:fernet"`
}

type fernetProbeData struct {
	Answers map[string]string `json:"answers"`
	Scale   int               `json:"scale"`
}

func (fernetProbe) TableName() string { return "fernet_probe" }

func fernetProbeTable(t *testing.T, db *repository.DB) {
	t.Helper()
	err := db.Gorm.Exec(`CREATE TABLE fernet_probe (id TEXT PRIMARY KEY, body TEXT, note TEXT, data TEXT,
		score TEXT, tags TEXT, extra TEXT)`).Error
	if err != nil {
		t.Fatal(err)
	}
}

func fernetRaw(t *testing.T, db *repository.DB, id uuid.UUID, column string) *string {
	t.Helper()
	var v *string
	if err := db.Gorm.Raw("SELECT "+column+" FROM fernet_probe WHERE id = ?", id).Row().Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFernetSerializerRoundTrip(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		fernetProbeTable(t, db)
		ctx := context.Background()
		note, score := "ночью не спится", 7
		full := fernetProbe{
			ID: models.NewID(), Body: "Мне тревожно перед встречей", Note: &note,
			Data:  fernetProbeData{Answers: map[string]string{"q1": "часто"}, Scale: 3},
			Score: &score, Tags: []string{"тревога", "сон"}, Extra: map[string]string{"k": "v"},
		}
		empty := fernetProbe{ID: models.NewID()}
		for _, p := range []*fernetProbe{&full, &empty} {
			if err := db.Gorm.WithContext(ctx).Create(p).Error; err == nil {
				t.Fatal("writing through the raw *gorm.DB must fail: it carries no key ring")
			}
		}
		// Stores write through the DB's context-carrying connection; reproduce that with InTx.
		err := db.InTx(ctx, func(ctx context.Context) error {
			return db.ConnForTest(ctx).Create([]*fernetProbe{&full, &empty}).Error
		})
		if err != nil {
			t.Fatal(err)
		}

		var got []fernetProbe
		if err := db.ConnForTest(ctx).Order("id").Find(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("read %d rows", len(got))
		}
		g := got[0]
		if g.Body != full.Body || *g.Note != note || g.Data.Answers["q1"] != "часто" || g.Data.Scale != 3 ||
			*g.Score != 7 || strings.Join(g.Tags, ",") != "тревога,сон" || g.Extra["k"] != "v" {
			t.Errorf("read back %+v", g)
		}
		if e := got[1]; e.Body != "" || e.Note != nil || e.Score != nil || e.Tags != nil || e.Extra != nil {
			t.Errorf("empty row read back %+v", e)
		}

		// In the table: only Fernet tokens, decryptable with the test key; nil pointers stay NULL.
		ring := testkit.KeyRing(t, testkit.Key(t))
		for col, plain := range map[string]string{
			"body": full.Body, "note": note, "data": `{"answers":{"q1":"часто"},"scale":3}`,
			"score": "7", "tags": `["тревога","сон"]`,
		} {
			raw := fernetRaw(t, db, full.ID, col)
			if raw == nil || !strings.HasPrefix(*raw, "gAAAAA") || strings.Contains(*raw, "трев") {
				t.Errorf("%s stored as %v, want a Fernet token", col, raw)
				continue
			}
			if dec, err := ring.DecryptString(*raw); err != nil || dec != plain {
				t.Errorf("%s decrypts to %q (%v), want %q", col, dec, err, plain)
			}
		}
		if raw := fernetRaw(t, db, empty.ID, "note"); raw != nil {
			t.Errorf("nil pointer stored as %q, want NULL", *raw)
		}
		if raw := fernetRaw(t, db, empty.ID, "body"); raw == nil || !strings.HasPrefix(*raw, "gAAAAA") {
			t.Errorf("empty string stored as %v, want a token (P2 is never stored in the clear)", raw)
		}
	})
}

// A token made by Python's cryptography.fernet (Fernet(key).encrypt("…".encode())) reads back.
func TestFernetReadsPythonToken(t *testing.T) {
	const (
		pythonKey   = "Vd7vQ0KzJ1m6bYxqkq9c3Yb2F8lN4wE5tR7uI9oP0aQ="
		pythonToken = "gAAAAABrBytRCoDvHwkDMdTI93ftstwSpw7sSuLO3dNz3SLa_at0Fjv38Tuf6iNkZas6GbwShxfR0s4WcP7WoIsNNMMPK7n3-bWU34dDj8W3F0I-Nu2EJnaIocYP-qhwe1VX14CMX4xnYLOIFHCvpBB1DKcbON2XmA=="
	)
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		fernetProbeTable(t, db)
		id := models.NewID()
		if err := db.Gorm.Exec("INSERT INTO fernet_probe (id, body) VALUES (?, ?)", id.String(), pythonToken).Error; err != nil {
			t.Fatal(err)
		}
		pyDB := db.WithKeys(testkit.KeyRing(t, testkit.Key(t), pythonKey))
		var p fernetProbe
		if err := pyDB.ConnForTest(context.Background()).First(&p, "id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		if p.Body != "Мне тревожно перед встречей" {
			t.Errorf("body = %q", p.Body)
		}
	})
}

func TestFernetFailuresRevealNothing(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		fernetProbeTable(t, db)
		ctx := context.Background()
		secret := "суицидальные мысли"
		p := fernetProbe{ID: models.NewID(), Body: secret}
		if err := db.ConnForTest(ctx).Create(&p).Error; err != nil {
			t.Fatal(err)
		}
		other, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		for name, reader := range map[string]*repository.DB{
			"wrong key": db.WithKeys(testkit.KeyRing(t, other)),
			"no keys":   db.WithKeys(nil),
		} {
			var got fernetProbe
			err := reader.ConnForTest(ctx).First(&got, "id = ?", p.ID).Error
			if err == nil {
				t.Errorf("%s: read succeeded: %+v", name, got)
				continue
			}
			if !strings.Contains(err.Error(), "decrypt body") || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), other) {
				t.Errorf("%s: error %q should name the column and nothing else", name, err)
			}
		}
		if err := db.WithKeys(nil).ConnForTest(ctx).Create(&fernetProbe{ID: models.NewID(), Body: secret}).Error; !errors.Is(err, repository.ErrNoEncryptionKeys) {
			t.Errorf("write without keys: %v, want ErrNoEncryptionKeys", err)
		}
		// A corrupted column is an error too, not garbage.
		if err := db.Gorm.Exec("UPDATE fernet_probe SET body = 'not-a-token' WHERE id = ?", p.ID.String()).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.ConnForTest(ctx).First(&fernetProbe{}, "id = ?", p.ID).Error; !errors.Is(err, crypto.ErrInvalidToken) {
			t.Errorf("corrupt token read: %v, want ErrInvalidToken", err)
		}
	})
}

func TestRotateP2(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		fernetProbeTable(t, db)
		ctx := context.Background()
		oldKey, newKey := testkit.Key(t), mustKey(t)
		var ids []uuid.UUID
		for i := range 5 {
			note := fmt.Sprintf("note %d", i)
			p := fernetProbe{ID: models.NewID(), Body: fmt.Sprintf("body %d", i), Data: fernetProbeData{Scale: i}}
			if i%2 == 0 {
				p.Note = &note // odd rows keep a NULL note
			}
			if err := db.ConnForTest(ctx).Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		before := *fernetRaw(t, db, ids[0], "body")

		both := testkit.KeyRing(t, newKey, oldKey)
		var reports []repository.RotateProgress
		if err := db.RotateModels(ctx, []any{&fernetProbe{}}, both, 2, func(p repository.RotateProgress) {
			reports = append(reports, p)
		}); err != nil {
			t.Fatal(err)
		}
		// 5 rows in batches of 2: 3 batches. Body and data on every row plus 3 notes = 13 values;
		// nil score, tags and extra are NULL and have nothing to rotate.
		last := reports[len(reports)-1]
		if len(reports) != 3 || last.Table != "fernet_probe" || last.Scanned != 5 || last.Rotated != 13 {
			t.Errorf("progress = %+v", reports)
		}
		if after := *fernetRaw(t, db, ids[0], "body"); after == before {
			t.Error("body token unchanged by rotation")
		}

		// The old key is gone: everything still reads with the new key alone.
		newOnly := db.WithKeys(testkit.KeyRing(t, newKey))
		var got []fernetProbe
		if err := newOnly.ConnForTest(ctx).Order("id").Find(&got).Error; err != nil {
			t.Fatalf("read after rotation with the new key only: %v", err)
		}
		for i, p := range got {
			if p.Body != fmt.Sprintf("body %d", i) || p.Data.Scale != i || (i%2 == 0) != (p.Note != nil) {
				t.Errorf("row %d after rotation: %+v", i, p)
			}
		}

		// Running it again finds nothing to do (an interrupted rotation resumes cheaply).
		reports = nil
		if err := db.RotateModels(ctx, []any{&fernetProbe{}}, both, 2, func(p repository.RotateProgress) {
			reports = append(reports, p)
		}); err != nil {
			t.Fatal(err)
		}
		if last := reports[len(reports)-1]; last.Rotated != 0 || last.Scanned != 5 {
			t.Errorf("second rotation: %+v", last)
		}

		// A value no key of the ring can read stops the rotation with an error naming where.
		if err := db.Gorm.Exec("UPDATE fernet_probe SET body = 'garbage' WHERE id = ?", ids[3].String()).Error; err != nil {
			t.Fatal(err)
		}
		err := db.RotateModels(ctx, []any{&fernetProbe{}}, both, 2, nil)
		if err == nil || !strings.Contains(err.Error(), "fernet_probe.body row "+ids[3].String()) {
			t.Errorf("rotation over a corrupt value: %v", err)
		}
	})
}

func TestP2TablesListsEncryptedColumns(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	tables, err := db.P2Tables()
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		if len(tbl.Columns) == 0 || tbl.Table == "" {
			t.Errorf("empty entry %+v", tbl)
		}
		if tbl.Table == "users" || tbl.Table == "sessions" {
			t.Errorf("%s has no P2 columns but is listed: %+v", tbl.Table, tbl)
		}
	}
}

func mustKey(t *testing.T) string {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
