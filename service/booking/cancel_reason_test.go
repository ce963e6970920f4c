package booking_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"balance/events"
	"balance/internal/testkit"
	"balance/migrations"
	"balance/models"
	"balance/repository"
	"balance/service/audit"
)

// cancelReasonMarker is in the reason the client writes, so that any copy of it can be found.
const cancelReasonMarker = "qx7-reason"

// TestClientCancelReasonStaysP2: the reason a client gives when canceling is stored encrypted and
// goes nowhere else — not into the job rows (events, tasks), the audit trail or the logs.
func TestClientCancelReasonStaysP2(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		logs := &testkit.Buffer{}
		e := newEnv(t, db, logTo(logs))
		logStore := repository.NewAuditLogs(db)
		if err := audit.Register(e.subs, logStore); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		reason := "после больницы тяжело говорить о себе " + cancelReasonMarker
		res := e.confirmed(t, 0, "p2@example.com")
		out, err := e.b.Cancel(ctx, res.Appointment.ID, res.ManageToken, reason)
		if err != nil {
			t.Fatal(err)
		}
		e.runRefunds(t, out.Appointment)

		// Stored as a Fernet token only; read back where it is returned (the client's data export),
		// never by the appointment's reads.
		var plain, token *string
		if err := db.Gorm.Raw("SELECT cancel_reason, cancel_reason_p2 FROM appointments WHERE id = ?", res.Appointment.ID).
			Row().Scan(&plain, &token); err != nil {
			t.Fatal(err)
		}
		if plain != nil && strings.Contains(*plain, cancelReasonMarker) {
			t.Errorf("cancel_reason holds the client's reason in plaintext")
		}
		if token == nil || strings.Contains(*token, cancelReasonMarker) {
			t.Fatalf("cancel_reason_p2 = %v, want a Fernet token", token)
		}
		if got, err := testkit.KeyRing(t, testkit.Key(t)).Decrypt(*token); err != nil || string(got) != reason {
			t.Errorf("cancel_reason_p2 decrypts to %q, %v", got, err)
		}
		if got := e.appointment(t, res.Appointment.ID); got.CancelReasonP2 != nil {
			t.Errorf("the appointment's read decrypted the reason: %v", *got.CancelReasonP2)
		}
		d, err := repository.NewClientDataReader(db).Gather(ctx, *res.Appointment.ClientUserID)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Appointments) != 1 || d.Appointments[0].CancelReasonP2 == nil || *d.Appointments[0].CancelReasonP2 != reason {
			t.Errorf("read back in the client's data export: %+v", d.Appointments)
		}

		// No job row carries it; the audit subscriber, run on the cancellation's event, writes a row
		// without it.
		args := "args"
		if db.Dialect == migrations.SQLite {
			args = "json(args)" // River keeps SQLite's args as JSONB
		}
		rows, err := db.SQL.Query(`SELECT ` + args + ` FROM river_job ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var canceled models.Event
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), cancelReasonMarker) {
				t.Errorf("a job row carries the reason: %s", raw)
			}
			var job struct {
				Event      string          `json:"event"`
				Subscriber string          `json:"subscriber"`
				Payload    json.RawMessage `json:"payload"`
			}
			if err := json.Unmarshal(raw, &job); err != nil {
				t.Fatal(err)
			}
			if job.Event == "appointment.canceled" && job.Subscriber == audit.Subscriber {
				var payload string // the outbox keeps an event's payload as one JSON string
				if err := json.Unmarshal(job.Payload, &payload); err != nil {
					t.Fatal(err)
				}
				if canceled, err = events.DefaultCatalog().Decode(job.Event, json.RawMessage(payload)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if canceled == nil {
			t.Fatal("no audit job for appointment.canceled")
		}
		sub, _ := e.subs.Get(canceled.EventName(), audit.Subscriber)
		if err := sub.Handle(ctx, canceled); err != nil {
			t.Fatal(err)
		}
		var changes []string
		if err := db.Gorm.Raw("SELECT changes FROM audit_logs WHERE resource_id = ?", res.Appointment.ID.String()).
			Scan(&changes).Error; err != nil {
			t.Fatal(err)
		}
		if len(changes) == 0 {
			t.Fatal("no audit row for the appointment")
		}
		for _, c := range changes {
			if strings.Contains(c, cancelReasonMarker) {
				t.Errorf("an audit row carries the reason: %s", c)
			}
		}

		if strings.Contains(logs.String(), cancelReasonMarker) {
			t.Errorf("the reason was logged:\n%s", logs.String())
		}
	})
}
