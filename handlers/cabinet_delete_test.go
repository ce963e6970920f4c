package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"balance/events"
	"balance/integrations/email"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/erasure"
	"balance/service/notify"
)

// The client who deletes their account, and what they wrote (P2): all must be found nowhere after.
const (
	erasureEmail    = "adelaida.erase@example.com"
	erasureName     = "Аделаида Ксенофонтова"
	erasurePhone    = "79161234567"
	erasureDiary    = "Дневник: сегодня снова не спала до утра"
	erasureIntake   = "Анкета: боюсь ездить в метро с весны"
	erasureQuestion = "Вопрос: как перестать злиться на маму"
	erasureMessage  = "Сообщение формы: хочу прийти с мужем"
	erasureTGName   = "adelaida_tg"
	otherEmail      = "boris.keep@example.com"
	otherDiary      = "Дневник Бориса: сегодня всё спокойно"
)

type erasureEnv struct {
	*cabinetEnv
	be      *bookingEnv
	deleted *notify.DeletedMailer
}

func newErasureEnv(t *testing.T, db *repository.DB) *erasureEnv {
	t.Helper()
	be := bookingSetup(t, db, bookingOpts{})
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	jobs, err := events.NewOutbox(db, events.DefaultCatalog(), events.NewSubscriptions(), events.OutboxConfig{}, log)
	if err != nil {
		t.Fatal(err)
	}
	env := &erasureEnv{be: be}
	jobs.Handle(erasure.TaskDeletedEmail, func(ctx context.Context, raw json.RawMessage) error { return env.deleted.Send(ctx, raw) })
	env.cabinetEnv = newCabinetEnv(t, db, func(o *options) { o.bookings, o.deletionJobs = be.b, jobs })
	mail, err := email.New(email.Config{
		Host: env.smtp.Host(), Port: env.smtp.Port(), Username: "mailer", Password: "smtp-secret",
		From: "hello@balance.example", TLSConfig: env.smtp.ClientTLSConfig(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(notify.NewStores(db), mail, nil, jobs, env.s.clock, notify.Config{SiteURL: "https://balance.example"}, log)
	env.deleted = notify.NewDeletedMailer(n, erasure.New(erasure.Deps{Store: repository.NewErasure(db)}))
	// The cabinet stands on the morning of the bookings' day: the first (07:00 UTC) is past, the
	// second (09:00 UTC) upcoming; the booking service's clock, two days earlier, refunds it whole.
	env.s.clock.Set(bookingSlot(1))
	return env
}

// bookPaid books start for the client erasureEmail, pays it and fills in the intake form.
func (e *erasureEnv) bookPaid(t *testing.T, start time.Time, intake string) bookingBody {
	t.Helper()
	req := bookingRequest(start, erasureEmail)
	req["client"] = map[string]any{"name": erasureName, "email": erasureEmail, "phone": "+" + erasurePhone}
	r := e.be.s.api.Do("POST", "/api/v1/bookings", req)
	if r.Status != http.StatusCreated {
		t.Fatalf("book: %d %s", r.Status, r.Body)
	}
	var b bookingBody
	r.JSON(t, &b)
	id := providerPaymentID(t, b)
	e.be.yk.Succeed(id)
	e.be.notify(t, "payment.succeeded", id)
	r = e.be.s.api.Do("PUT", "/api/v1/bookings/"+b.ID+"/intake-form", map[string]any{"answers": map[string]any{"concern": intake}, "submit": true}, manage(b.ManageToken))
	if r.Status != http.StatusOK {
		t.Fatalf("intake form: %d %s", r.Status, r.Body)
	}
	return b
}

// deletionCode asks for a deletion code with the session's token and returns the one emailed.
func (e *erasureEnv) deletionCode(t *testing.T, token, to string) string {
	t.Helper()
	if r := e.s.api.Do("POST", "/api/v1/me/delete/code", nil, bearer(token)); r.Status != http.StatusAccepted {
		t.Fatalf("deletion code: %d %s", r.Status, r.Body)
	}
	sent := e.runCodeJobs(t)
	if len(sent) != 1 || sent[0].to != to || !strings.Contains(sent[0].subject, "удаления") {
		t.Fatalf("deletion code emails: %+v", sent)
	}
	return sent[0].code
}

// TestCabinetAccountDeletion: a client with a past appointment and its intake form, a paid
// upcoming one, diary entries, a question, a lead form message, a Telegram link and consents
// deletes their account with an emailed code. Afterwards the upcoming appointment is canceled and
// refunded through YooKassa, the session is dead, the old address got the confirmation, and no
// table holds their name, email, phone or anything they wrote — while the payments and refunds
// stay, amounts intact, and client B is untouched.
func TestCabinetAccountDeletion(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		e := newErasureEnv(t, db)
		now := e.s.clock.Now()
		past := e.bookPaid(t, bookingSlot(0), erasureIntake)
		upcoming := e.bookPaid(t, bookingSlot(4), erasureIntake+" (вторая)")
		a := e.signIn(t, e.s.api, erasureEmail, "token")
		if r := e.s.api.Do("PATCH", "/api/v1/me", map[string]any{"name": erasureName, "time_zone": "Europe/Moscow"}, bearer(a.Token)); r.Status != http.StatusOK {
			t.Fatalf("profile: %d %s", r.Status, r.Body)
		}
		r := e.be.s.api.Do("POST", "/api/v1/waitlist", map[string]any{
			"service_slug": "individual-session", "from": "2026-12-03", "to": "2026-12-04",
			"client":   map[string]any{"name": erasureName, "email": erasureEmail},
			"consents": []map[string]any{{"type": "personal_data", "version": "2026-01"}},
		})
		if r.Status != http.StatusCreated {
			t.Fatalf("waitlist: %d %s", r.Status, r.Body)
		}
		b := e.signIn(t, e.s.api, otherEmail, "token")
		aID, bID := mustUUID(t, a.Me.ID), mustUUID(t, b.Me.ID)

		diary, err := models.NewDiaryEntry(aID, now, erasureDiary, nil, []string{"сон"}, now)
		if err != nil {
			t.Fatal(err)
		}
		otherEntry, err := models.NewDiaryEntry(bID, now, otherDiary, nil, nil, now)
		if err != nil {
			t.Fatal(err)
		}
		question, err := models.NewQuestion(&aID, erasureQuestion, "", "", false, now)
		if err != nil {
			t.Fatal(err)
		}
		lead, err := models.NewLead("contact_form", models.UTM{}, now)
		if err != nil {
			t.Fatal(err)
		}
		// The booking made a lead known by the address and phone; this one, of a contact form,
		// is linked to the account.
		if err := lead.LinkUser(aID, now); err != nil {
			t.Fatal(err)
		}
		lead.Notes = "Звонила, говорила про " + erasureName
		msg, err := models.NewLeadSubmission(lead.ID, "contact_form", erasureName, erasureMessage, models.UTM{}, []models.LeadConsent{{Type: models.ConsentPersonalData, Version: "2026-01"}}, true, now)
		if err != nil {
			t.Fatal(err)
		}
		tg, err := models.NewTelegramAccount(424242, erasureTGName, 424242, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := tg.LinkUser(aID, now); err != nil {
			t.Fatal(err)
		}
		for _, err := range []error{
			repository.NewDiaryEntries(db).Create(ctx, diary), repository.NewDiaryEntries(db).Create(ctx, otherEntry),
			repository.NewQuestions(db).Create(ctx, question), repository.NewLeads(db).Create(ctx, lead),
			repository.NewLeadSubmissions(db).Create(ctx, msg), repository.NewTelegramAccounts(db).Create(ctx, tg),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}

		// Refusals change nothing: no code asked, a wrong one, a missing one, an expired one.
		if r := e.s.api.Do("DELETE", "/api/v1/me", map[string]string{"code": "123456"}, bearer(a.Token)); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("delete without a code asked: %d %s", r.Status, r.Body)
		}
		code := e.deletionCode(t, a.Token, erasureEmail)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for _, body := range []any{map[string]string{"code": wrong}, map[string]string{}, map[string]string{"code": "abc"}, nil} {
			if r := e.s.api.Do("DELETE", "/api/v1/me", body, bearer(a.Token)); r.Status < 400 || r.Status >= 500 {
				t.Errorf("delete with %v: %d %s", body, r.Status, r.Body)
			}
		}
		if r := e.s.api.Do("DELETE", "/api/v1/me", map[string]string{"code": code}); r.Status != http.StatusUnauthorized {
			t.Errorf("delete without a session: %d", r.Status)
		}
		if r := e.s.api.Do("DELETE", "/api/v1/me", map[string]string{"code": code}, bearer(b.Token)); r.Status != http.StatusUnprocessableEntity {
			t.Errorf("B with A's code: %d %s", r.Status, r.Body)
		}
		e.s.clock.Advance(11 * time.Minute)
		if r := e.s.api.Do("DELETE", "/api/v1/me", map[string]string{"code": code}, bearer(a.Token)); r.Status != http.StatusUnprocessableEntity || r.Problem(t).Type != "https://balance.example/problems/code-expired" {
			t.Errorf("expired code: %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("GET", "/api/v1/me", nil, bearer(a.Token)); r.Status != http.StatusOK || !strings.Contains(string(r.Body), erasureName) {
			t.Fatalf("after refusals: %d %s", r.Status, r.Body)
		}
		if dump := dumpAll(t, db); !strings.Contains(dump, erasureEmail) || !strings.Contains(dump, erasurePhone) {
			t.Fatal("the refusals erased something")
		}

		// The deletion.
		code = e.deletionCode(t, a.Token, erasureEmail)
		r = e.s.api.Do("DELETE", "/api/v1/me", map[string]string{"code": code}, bearer(a.Token))
		if r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := e.s.api.Do("GET", "/api/v1/me", nil, bearer(a.Token)); r.Status != http.StatusUnauthorized {
			t.Errorf("the session lives on: %d", r.Status)
		}
		if r := e.s.api.Do("DELETE", "/api/v1/me", map[string]string{"code": code}, bearer(a.Token)); r.Status != http.StatusUnauthorized {
			t.Errorf("delete twice: %d", r.Status)
		}

		// The upcoming appointment is canceled and refunded whole through YooKassa; the past one
		// stays; the payments and refunds keep their amounts.
		appt, err := e.be.appts.ByID(ctx, mustUUID(t, upcoming.ID))
		if err != nil || appt.Status != models.AppointmentStatusCanceled {
			t.Fatalf("upcoming appointment: %+v %v", appt, err)
		}
		if pastAppt, err := e.be.appts.ByID(ctx, mustUUID(t, past.ID)); err != nil || pastAppt.Status != models.AppointmentStatusConfirmed {
			t.Errorf("past appointment: %+v %v", pastAppt, err)
		}
		var refunds []models.Refund
		if err := db.Gorm.Find(&refunds).Error; err != nil || len(refunds) != 1 || refunds[0].AmountMinor != 500000 {
			t.Fatalf("refunds: %+v %v", refunds, err)
		}
		before := e.be.yk.Requests("/refunds")
		if err := e.be.b.RunRefund(ctx, refunds[0].ID); err != nil {
			t.Fatal(err)
		}
		if e.be.yk.Requests("/refunds") != before+1 {
			t.Errorf("the refund did not reach YooKassa")
		}
		if err := db.Gorm.Find(&refunds).Error; err != nil || refunds[0].ProviderRefundID == nil {
			t.Errorf("refund after the job: %+v %v", refunds, err)
		}
		var payments []models.Payment
		if err := db.Gorm.Order("created_at").Find(&payments).Error; err != nil || len(payments) != 2 ||
			payments[0].AmountMinor != 500000 || payments[1].AmountMinor != 500000 {
			t.Errorf("payments: %+v %v", payments, err)
		}

		// The confirmation goes to the old address, once; then the address is gone.
		var kept []models.OneTimeCode
		if err := db.Gorm.Select("id").Where("purpose = ?", models.CodeDeleteAccount).Find(&kept).Error; err != nil || len(kept) != 1 {
			t.Fatalf("kept deletion code: %+v %v", kept, err)
		}
		sentBefore := len(e.smtp.Messages())
		raw, _ := json.Marshal(erasure.DeletedEmailTask{CodeID: kept[0].ID})
		for range 2 {
			if err := e.deleted.Send(ctx, raw); err != nil {
				t.Fatal(err)
			}
		}
		var confirmations []string
		for _, m := range e.smtp.Messages()[sentBefore:] {
			p, err := m.Parse()
			if err != nil {
				t.Fatal(err)
			}
			confirmations = append(confirmations, p.To[0].Address+" "+p.Subject)
		}
		if len(confirmations) != 1 || confirmations[0] != erasureEmail+" Ваш аккаунт удалён" {
			t.Errorf("confirmations: %q", confirmations)
		}

		// Nothing names the client or holds what they wrote; B's diary stays.
		for table, rows := range dumpDatabase(t, db) {
			for _, secret := range []string{erasureEmail, erasureName, erasurePhone, erasureDiary, erasureIntake, erasureQuestion,
				erasureMessage, erasureTGName, "424242", "сегодня снова", "метро", "злиться", "с мужем"} {
				if strings.Contains(rows, secret) {
					t.Errorf("table %s still holds %q", table, secret)
				}
			}
		}
		if r := e.s.api.Do("GET", "/api/v1/me", nil, bearer(b.Token)); r.Status != http.StatusOK || !strings.Contains(string(r.Body), otherEmail) {
			t.Errorf("B: %d %s", r.Status, r.Body)
		}
		if entry, err := repository.NewDiaryEntries(db).ByID(ctx, bID, otherEntry.ID); err != nil || entry.Body != otherDiary {
			t.Errorf("B's diary: %+v %v", entry, err)
		}

		// A new sign-in with the old address starts a new, empty account.
		again := e.signIn(t, e.s.api, erasureEmail, "token")
		if again.Me.ID == a.Me.ID || again.Me.Name != "" || again.Me.Phone != nil {
			t.Errorf("the old address signs in to %+v", again.Me)
		}
		var linked int64
		if err := db.Gorm.Model(&models.Appointment{}).Where("client_user_id = ?", again.Me.ID).Count(&linked).Error; err != nil || linked != 0 {
			t.Errorf("the new account sees %d old appointments (%v)", linked, err)
		}
	})
}

// dumpAll is every table's rows as one text.
func dumpAll(t *testing.T, db *repository.DB) string {
	t.Helper()
	var b strings.Builder
	for _, rows := range dumpDatabase(t, db) {
		b.WriteString(rows)
	}
	return b.String()
}
