package repository_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// appointmentRow is every column of one appointment as text (NULL: absent).
func appointmentRow(t *testing.T, db *repository.DB, id uuid.UUID) map[string]string {
	t.Helper()
	rows, err := db.Gorm.Raw("SELECT * FROM appointments WHERE id = ?", id).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatalf("appointment %s: no row", id)
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for i, c := range cols {
		switch v := vals[i].(type) {
		case nil:
		case []byte:
			out[c] = string(v)
		default:
			out[c] = fmt.Sprint(v)
		}
	}
	return out
}

// tokenColumn is the column of row holding a Fernet token that ring decrypts to plain ("" when none).
func tokenColumn(row map[string]string, ring *crypto.KeyRing, plain string) string {
	for c, v := range row {
		if got, err := ring.Decrypt(v); err == nil && string(got) == plain {
			return c
		}
	}
	return ""
}

// exportedCancelReasons reads the cancel reasons of a client's appointments through the client's
// data export, a read that returns them.
func exportedCancelReasons(t *testing.T, db *repository.DB, clientID uuid.UUID) map[uuid.UUID]*string {
	t.Helper()
	d, err := repository.NewClientDataReader(db).Gather(context.Background(), clientID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uuid.UUID]*string{}
	for _, a := range d.Appointments {
		out[a.ID] = a.CancelReasonP2
	}
	return out
}

// TestCancelReasonIsP2: what a client or staff member writes when canceling is P2 — stored only as a
// Fernet token, read back transparently where it is returned (never by an appointment's reads),
// re-encrypted by key rotation. The system's own reasons (fixed phrases such as "payment hold
// expired") stay readable for every staff role.
func TestCancelReasonIsP2(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, nil)
		client := bookingCreateClient(t, db)
		ring := testkit.KeyRing(t, testkit.Key(t))

		tests := []struct {
			by     models.BookingActor
			reason string
		}{
			{models.BookingActorClient, "панические атаки, не могу выйти из дома"},
			{models.BookingActorStaff, "клиентка сообщила о госпитализации"},
		}
		ids := make([]uuid.UUID, len(tests))
		for i, tt := range tests {
			a := bookingCreate(t, db, svc, bookingAt(60, 10+i), &client.ID)
			ids[i] = a.ID
			if err := appts.Update(ctx, a.ID, func(x *models.Appointment) error {
				return x.Cancel(tt.by, tt.reason, t0.Add(time.Minute))
			}); err != nil {
				t.Fatal(err)
			}
			row := appointmentRow(t, db, a.ID)
			for c, v := range row {
				if strings.Contains(v, tt.reason) {
					t.Errorf("canceled by %s: column %s holds the reason in plaintext", tt.by, c)
				}
			}
			if c := tokenColumn(row, ring, tt.reason); c != "cancel_reason_p2" {
				t.Errorf("canceled by %s: the reason's Fernet token is in column %q, want cancel_reason_p2", tt.by, c)
			}
			// An appointment's reads leave the reason out (not decrypted); the client's data export
			// returns it.
			got, err := appts.ByID(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.CancelReasonP2 != nil || got.CancelReason != "" {
				t.Errorf("canceled by %s: ByID read P2 %v, plain %q", tt.by, got.CancelReasonP2, got.CancelReason)
			}
			if r := exportedCancelReasons(t, db, client.ID)[a.ID]; r == nil || *r != tt.reason {
				t.Errorf("canceled by %s: exported P2 %v", tt.by, r)
			}
		}

		// Without a reason nothing is encrypted: the column stays NULL.
		silent := bookingCreate(t, db, svc, bookingAt(60, 14), &client.ID)
		if err := appts.Update(ctx, silent.ID, func(x *models.Appointment) error {
			return x.Cancel(models.BookingActorClient, "", t0.Add(time.Minute))
		}); err != nil {
			t.Fatal(err)
		}
		if v, ok := appointmentRow(t, db, silent.ID)["cancel_reason_p2"]; ok {
			t.Errorf("canceled without a reason: cancel_reason_p2 = %q, want NULL", v)
		}

		// The system's reason is its own fixed phrase, not P2: kept readable.
		lapsed := bookingCreate(t, db, svc, bookingAt(60, 16), &client.ID)
		if err := appts.Update(ctx, lapsed.ID, func(x *models.Appointment) error {
			return x.ExpireHold(t0.Add(time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := appts.ByID(ctx, lapsed.ID); err != nil || !got.HoldLapsed() || got.CancelReasonP2 != nil {
			t.Errorf("lapsed hold read back: %+v, %v", got, err)
		}

		// Rotation re-encrypts the reasons under the new key; the old key may then go.
		newKey := mustKey(t)
		before := appointmentRow(t, db, ids[0])["cancel_reason_p2"]
		if err := db.RotateP2(ctx, testkit.KeyRing(t, newKey, testkit.Key(t)), 100, nil); err != nil {
			t.Fatal(err)
		}
		newOnly := db.WithKeys(testkit.KeyRing(t, newKey))
		after := appointmentRow(t, newOnly, ids[0])["cancel_reason_p2"]
		if after == before || tokenColumn(map[string]string{"cancel_reason_p2": after}, testkit.KeyRing(t, newKey), tests[0].reason) == "" {
			t.Errorf("rotation left the reason's token as it was, or unreadable with the new key")
		}
		exported := exportedCancelReasons(t, newOnly, client.ID)
		for i, id := range ids {
			if r := exported[id]; r == nil || *r != tests[i].reason {
				t.Errorf("after rotation, appointment %d: %v", i, r)
			}
		}
	})
}

// TestP2ColumnsAreNeverAudited: every encrypted column is named in models.AuditP2Fields (or
// models.AuditSecretFields), so that no audit diff can carry it.
func TestP2ColumnsAreNeverAudited(t *testing.T) {
	t.Parallel()
	db := testkit.NewDB(t, "sqlite")
	tables, err := db.P2Tables()
	if err != nil {
		t.Fatal(err)
	}
	for _, tbl := range tables {
		for _, c := range tbl.Columns {
			if _, err := models.NewAuditLog(models.AuditActor{Role: "owner"}, models.AuditActionUpdate, "probe", "1",
				map[string]models.AuditChange{c: {To: "x"}}, t0); err == nil {
				t.Errorf("%s.%s is encrypted but an audit diff may carry it: list it in models.AuditP2Fields", tbl.Table, c)
			}
		}
	}
}

// TestCancelReasonMigrationErasesPlaintext: the migration that made people's cancel reasons P2
// leaves none of them in plaintext (SQL cannot encrypt them), keeps the system's reasons, and
// leaves every appointment readable.
func TestCancelReasonMigrationErasesPlaintext(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		appts := repository.NewAppointments(db)
		svc := bookingCreateService(t, db, nil)
		client := bookingCreateClient(t, db)
		byClient := bookingCreate(t, db, svc, bookingAt(62, 10), &client.ID)
		byStaff := bookingCreate(t, db, svc, bookingAt(62, 12), &client.ID)
		lapsed := bookingCreate(t, db, svc, bookingAt(62, 14), &client.ID)
		for _, c := range []struct {
			id uuid.UUID
			fn func(*models.Appointment) error
		}{
			{byClient.ID, func(a *models.Appointment) error { return a.Cancel(models.BookingActorClient, "", t0) }},
			{byStaff.ID, func(a *models.Appointment) error { return a.Cancel(models.BookingActorStaff, "", t0) }},
			{lapsed.ID, func(a *models.Appointment) error { return a.ExpireHold(t0.Add(time.Hour)) }},
		} {
			if err := appts.Update(ctx, c.id, c.fn); err != nil {
				t.Fatal(err)
			}
		}

		// Back to the schema before the migration, where people's reasons were plaintext.
		m, err := db.Migrator(testkit.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		for {
			res, err := m.Down(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(res.Source.Path, "_cancel_reason_p2.sql") {
				break
			}
		}
		for id, reason := range map[uuid.UUID]string{byClient.ID: "старое: депрессия", byStaff.ID: "старое: болезнь"} {
			if err := db.Gorm.Exec("UPDATE appointments SET cancel_reason = ? WHERE id = ?", reason, id).Error; err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m.Up(ctx); err != nil {
			t.Fatal(err)
		}

		for _, id := range []uuid.UUID{byClient.ID, byStaff.ID} {
			for c, v := range appointmentRow(t, db, id) {
				if strings.Contains(v, "старое") {
					t.Errorf("after the migration, column %s still holds a reason in plaintext", c)
				}
			}
			if got, err := appts.ByID(ctx, id); err != nil || got.CancelReason != "" || got.CancelReasonP2 != nil {
				t.Errorf("after the migration: %+v, %v", got, err)
			}
		}
		if got, err := appts.ByID(ctx, lapsed.ID); err != nil || !got.HoldLapsed() {
			t.Errorf("the system's reason did not survive the migration: %+v, %v", got, err)
		}
	})
}
