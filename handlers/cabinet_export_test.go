package handlers_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/integrations/email"
	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/export"
	"balance/service/notify"
)

// exportJobs queues the data export's jobs for the test to run, as a worker would.
type exportJobs struct{ jobs []queuedJob }

type queuedJob struct {
	name    string
	payload json.RawMessage
}

func (q *exportJobs) Schedule(_ context.Context, name string, payload any, _ time.Time) (int64, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return 0, err
	}
	q.jobs = append(q.jobs, queuedJob{name, raw})
	return int64(len(q.jobs)), nil
}

type exportEnv struct {
	*cabinetEnv
	jobs    *exportJobs
	clock   *testkit.Clock
	exports *export.Exports
	mailer  *notify.ExportMailer
}

func newExportEnv(t *testing.T, db *repository.DB, stores ...func(*export.Stores)) *exportEnv {
	t.Helper()
	x := &exportEnv{jobs: &exportJobs{}, clock: testkit.NewClock(t0)}
	st := export.NewStores(db)
	for _, f := range stores {
		f(&st)
	}
	x.exports = export.New(st, x.jobs, x.clock)
	x.cabinetEnv = newCabinetEnv(t, db, func(o *options) { o.dataExports, o.adminResources = x.exports, true })
	mail, err := email.New(email.Config{
		Host: x.smtp.Host(), Port: x.smtp.Port(), Username: "mailer", Password: "smtp-secret",
		From: "hello@balance.example", TLSConfig: x.smtp.ClientTLSConfig(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	n := notify.New(notify.NewStores(db), mail, nil, x.outbox, x.clock, notify.Config{SiteURL: "https://balance.example"}, testkit.Logger(t))
	x.mailer = notify.NewExportMailer(n, x.exports)
	return x
}

// runJobs runs the queued jobs (each twice: a retried job must do nothing more), including the
// ones they queue.
func (x *exportEnv) runJobs(t *testing.T) {
	t.Helper()
	for len(x.jobs.jobs) > 0 {
		j := x.jobs.jobs[0]
		x.jobs.jobs = x.jobs.jobs[1:]
		for range 2 {
			var err error
			switch j.name {
			case export.TaskBuild:
				err = x.exports.Build(context.Background(), j.payload)
			case export.TaskEmail:
				err = x.mailer.Send(context.Background(), j.payload)
			default:
				t.Fatalf("unexpected job %s", j.name)
			}
			if err != nil {
				t.Fatalf("%s: %v", j.name, err)
			}
		}
	}
}

// linkToken returns the token of the download link in the only new email to addr.
func (x *exportEnv) linkToken(t *testing.T, before int, addr string) string {
	t.Helper()
	msgs := x.smtp.Messages()[before:]
	if len(msgs) != 1 {
		t.Fatalf("%d new emails, want 1 ready email", len(msgs))
	}
	p, err := msgs[0].Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.To[0].Address != addr || !strings.Contains(p.Subject, "Ваши данные") || !strings.Contains(p.Text, "24 часов") {
		t.Fatalf("ready email to %s %q:\n%s", p.To[0].Address, p.Subject, p.Text)
	}
	m := regexp.MustCompile(`https://balance\.example/api/v1/me/export/download\?token=([A-Za-z0-9_-]{43})`).FindStringSubmatch(p.Text)
	if m == nil {
		t.Fatalf("no download link in:\n%s", p.Text)
	}
	return m[1]
}

// The data a client of the export test has, each kind with a phrase to find in the archive.
const (
	exportDiaryText    = "Сегодня было тревожно <script>alert(1)</script>"
	exportIntakeAnswer = "Плохо сплю последние две недели"
	exportQuestionText = "Как справиться с бессонницей перед экзаменом?"
)

// seedClientData gives the user every kind of data the export gathers.
func seedClientData(t *testing.T, db *repository.DB, userID string) {
	t.Helper()
	ctx := context.Background()
	uid := mustUUID(t, userID)
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	check("consent", repository.NewUsers(db).Update(ctx, uid, func(u *models.User) error {
		return u.GrantConsent(models.ConsentCommunications, "2026-02", "cabinet", t0)
	}))
	svc, err := models.NewService(models.ServiceDetails{
		Slug: "export-svc", Title: "Консультация для экспорта", DescriptionMarkdown: "50 минут",
		Format: models.ServiceFormatOnline, DurationMinutes: 50, Price: models.Money{Minor: 500000, Currency: "RUB"},
		Timezone: "Europe/Moscow",
	}, t0)
	check("service", err)
	check("publish", svc.Publish(t0))
	check("service", repository.NewServices(db).Create(ctx, svc))
	appt, err := models.NewAppointment(svc, t0.Add(72*time.Hour), models.MustTimeZone("Europe/Moscow"), models.AppointmentFormatOnline, &uid, nil,
		models.AppointmentMetadata{}, 15*time.Minute, t0)
	check("appointment", err)
	check("appointment", repository.NewAppointments(db).Create(ctx, appt))
	pay, err := models.NewPayment(appt.ID, models.Money{Minor: 500000, Currency: "RUB"}, "export-pay-1", t0)
	check("payment", err)
	check("payment", repository.NewPayments(db).Create(ctx, pay))
	ref, err := models.NewRefund(pay.ID, models.Money{Minor: 100000, Currency: "RUB"}, "export-refund-1", "client asked", t0)
	check("refund", err)
	check("refund", repository.NewRefunds(db).Create(ctx, ref))
	form, err := models.NewIntakeForm(appt.ID, models.IntakeAnswers{"complaint": exportIntakeAnswer}, t0)
	check("intake form", err)
	check("intake form", repository.NewIntakeForms(db).Save(ctx, form))
	mood := 4
	entry, err := models.NewDiaryEntry(uid, t0, exportDiaryText, &mood, []string{"сон"}, t0)
	check("diary", err)
	check("diary", repository.NewDiaryEntries(db).Create(ctx, entry))
	def, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
		Type: models.InteractiveTypeQuiz, Slug: "export-test", Title: "Тест тревожности для экспорта", Config: anxietyConfig(),
	}, t0)
	check("definition", err)
	check("definition", def.Publish(t0))
	check("definition", repository.NewInteractiveDefinitions(db).Create(ctx, def))
	run, err := models.NewInteractiveRun(def, &uid, nil, models.InteractiveRunMetadata{}, t0)
	check("run", err)
	check("run", repository.NewInteractiveRuns(db).Create(ctx, run))
	q, err := models.NewQuestion(&uid, exportQuestionText, "", "", false, t0)
	check("question", err)
	check("question", repository.NewQuestions(db).Create(ctx, q))
	tg, err := models.NewTelegramAccount(987654321, "anna_export", 987654321, t0)
	check("telegram", err)
	tg.UserID, tg.LinkedAt = &uid, &t0
	check("telegram", repository.NewTelegramAccounts(db).Create(ctx, tg))
	lead, err := models.NewLead("site", models.UTM{}, t0)
	check("lead", err)
	lead.UserID = &uid
	check("lead", lead.AddIdentity(models.LeadIdentityKindPhone, "+79991112233", t0))
	check("lead", repository.NewLeads(db).Create(ctx, lead))
}

type dataExportBody struct {
	ID        string     `json:"id"`
	Status    string     `json:"status"`
	ReadyAt   *time.Time `json:"ready_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func decodeExport(t *testing.T, r *testkit.Response) dataExportBody {
	t.Helper()
	var b dataExportBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("%s: %v", r.Body, err)
	}
	return b
}

func unzipArchive(t *testing.T, body []byte) map[string]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip archive: %v", err)
	}
	out := map[string]string{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(b)
	}
	return out
}

// TestCabinetDataExport: a client with every kind of data asks for an export; the job builds one
// archive, stored encrypted; the emailed link works once, with the client's own session only;
// expiry deletes an archive nobody downloaded; another client sees and opens nothing.
func TestCabinetDataExport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		x := newExportEnv(t, db)
		a := x.signIn(t, x.s.api, "anna@example.org", "token")
		b := x.signIn(t, x.s.api, "boris@example.org", "token")
		seedClientData(t, db, a.Me.ID)
		api := x.s.api

		if r := api.Do("GET", "/api/v1/me/export", nil, bearer(a.Token)); r.Status != http.StatusNotFound {
			t.Fatalf("GET before any request = %d %s", r.Status, r.Body)
		}
		r := api.Do("POST", "/api/v1/me/export", nil, bearer(a.Token))
		if r.Status != http.StatusAccepted {
			t.Fatalf("POST = %d %s", r.Status, r.Body)
		}
		first := decodeExport(t, r)
		if first.Status != "requested" {
			t.Fatalf("status %q, want requested", first.Status)
		}
		// One open request at a time: the second POST answers with the same one, queuing nothing.
		if again := decodeExport(t, api.Do("POST", "/api/v1/me/export", nil, bearer(a.Token))); again.ID != first.ID {
			t.Fatalf("second POST made %s, want the open %s", again.ID, first.ID)
		}
		if len(x.jobs.jobs) != 1 {
			t.Fatalf("%d jobs queued, want 1", len(x.jobs.jobs))
		}
		if r := api.Do("GET", "/api/v1/me/export", nil, bearer(b.Token)); r.Status != http.StatusNotFound {
			t.Fatalf("B sees A's export: %d %s", r.Status, r.Body)
		}

		before := len(x.smtp.Messages())
		x.runJobs(t)
		ready := decodeExport(t, api.Do("GET", "/api/v1/me/export", nil, bearer(a.Token)))
		if ready.Status != "ready" || ready.ExpiresAt == nil || !ready.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
			t.Fatalf("after the job: %+v", ready)
		}
		token := x.linkToken(t, before, "anna@example.org")

		// Staff see the request and its state in the panel, never the archive.
		x.s.staff(t, "owner@example.org", models.RoleOwner)
		if r := login(t, x.s, "owner@example.org"); r.Status != http.StatusOK {
			t.Fatalf("staff login = %d %s", r.Status, r.Body)
		}
		if r := api.Do("GET", "/admin/api/data_export_requests/"+first.ID, nil); r.Status != http.StatusOK ||
			!strings.Contains(string(r.Body), `"status":"ready"`) {
			t.Fatalf("panel's request = %d %s", r.Status, r.Body)
		}
		if r := api.Do("GET", "/admin/api/data_export_archives", nil); r.Status != http.StatusNotFound {
			t.Fatalf("panel's archives = %d, want 404", r.Status)
		}

		// At rest the archive is a Fernet token, and the token only a hash.
		var raw struct{ Content, TokenHash string }
		if err := db.Gorm.Raw("SELECT content, token_hash FROM data_export_archives").Scan(&raw).Error; err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw.Content, "gAAAAA") || strings.Contains(raw.Content, "тревожно") || raw.TokenHash == token || raw.TokenHash == "" {
			t.Fatalf("archive stored in the clear or token unhashed: %.40s… %q", raw.Content, raw.TokenHash)
		}
		dl := func(token string) string { return "/api/v1/me/export/download?token=" + url.QueryEscape(token) }
		hostile := []struct {
			name   string
			path   string
			header http.Header
			want   int
		}{
			{"no session", dl(token), nil, http.StatusUnauthorized},
			{"another client's session", dl(token), bearer(b.Token), http.StatusNotFound},
			{"no token", "/api/v1/me/export/download", bearer(a.Token), http.StatusUnprocessableEntity},
			{"short token", dl("abc"), bearer(a.Token), http.StatusUnprocessableEntity},
			{"bad characters", dl(strings.Repeat("'", 43)), bearer(a.Token), http.StatusUnprocessableEntity},
			{"overlong token", dl(token + "A"), bearer(a.Token), http.StatusUnprocessableEntity},
			{"unknown token", dl(strings.Repeat("A", 43)), bearer(a.Token), http.StatusNotFound},
			{"repeated parameter", dl(strings.Repeat("A", 43)) + "&token=x", bearer(a.Token), http.StatusNotFound},
		}
		for _, h := range hostile {
			if r := api.Do("GET", h.path, nil, h.header); r.Status != h.want {
				t.Errorf("%s: %d %s, want %d", h.name, r.Status, r.Body, h.want)
			}
		}

		got := api.Do("GET", dl(token), nil, bearer(a.Token))
		if got.Status != http.StatusOK || got.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("download = %d %s", got.Status, got.Header.Get("Content-Type"))
		}
		files := unzipArchive(t, got.Body)
		wants := map[string][]string{
			export.FileProfile:      {"anna@example.org"},
			export.FileConsents:     {"communications", "2026-02"},
			export.FileAppointments: {"Консультация для экспорта", "pending_payment"},
			export.FilePayments:     {"500000", `"amount_minor": 100000`},
			export.FileIntakeForms:  {exportIntakeAnswer},
			export.FileDiary:        {"Сегодня было тревожно", "сон"},
			export.FileToolResults:  {"Тест тревожности для экспорта"},
			export.FileQuestions:    {exportQuestionText},
			export.FileTelegram:     {"987654321", "anna_export"},
			export.FileCRM:          {"+79991112233"},
			export.FileSummary:      {"Ваши данные", exportIntakeAnswer, "Сегодня было тревожно &lt;script&gt;", exportQuestionText, "Тест тревожности для экспорта"},
		}
		for name, phrases := range wants {
			body, ok := files[name]
			if !ok {
				t.Errorf("archive has no %s (has %d files)", name, len(files))
				continue
			}
			for _, p := range phrases {
				if !strings.Contains(body, p) {
					t.Errorf("%s lacks %q:\n%s", name, p, body)
				}
			}
		}
		if strings.Contains(files[export.FileSummary], "<script>") {
			t.Error("the summary carries the diary's markup unescaped")
		}
		for name, body := range files {
			if strings.Contains(body, "boris@example.org") {
				t.Errorf("%s has B's data", name)
			}
		}

		// Once only: the archive is gone.
		if r := api.Do("GET", dl(token), nil, bearer(a.Token)); r.Status != http.StatusNotFound {
			t.Fatalf("second download = %d", r.Status)
		}
		if st := decodeExport(t, api.Do("GET", "/api/v1/me/export", nil, bearer(a.Token))); st.Status != "expired" {
			t.Fatalf("after the download: %+v", st)
		}
		countArchives := func() int64 {
			var n int64
			if err := db.Gorm.Table("data_export_archives").Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := countArchives(); n != 0 {
			t.Fatalf("%d archives after the download", n)
		}

		// An archive nobody downloads is deleted at its expiry by the cleanup job.
		second := decodeExport(t, api.Do("POST", "/api/v1/me/export", nil, bearer(a.Token)))
		if second.ID == first.ID || second.Status != "requested" {
			t.Fatalf("new request after a finished one: %+v", second)
		}
		before = len(x.smtp.Messages())
		x.runJobs(t)
		late := x.linkToken(t, before, "anna@example.org")
		x.clock.Advance(23 * time.Hour)
		if n, err := x.exports.Cleanup(context.Background()); err != nil || n != 0 {
			t.Fatalf("cleanup before expiry deleted %d: %v", n, err)
		}
		x.clock.Advance(time.Hour)
		if r := api.Do("GET", dl(late), nil, bearer(a.Token)); r.Status != http.StatusNotFound {
			t.Fatalf("download at expiry = %d", r.Status)
		}
		if n, err := x.exports.Cleanup(context.Background()); err != nil || n != 1 {
			t.Fatalf("cleanup at expiry deleted %d: %v", n, err)
		}
		if n := countArchives(); n != 0 {
			t.Fatalf("%d archives after expiry", n)
		}
		if st := decodeExport(t, api.Do("GET", "/api/v1/me/export", nil, bearer(a.Token))); st.Status != "expired" || st.ID != second.ID {
			t.Fatalf("after expiry: %+v", st)
		}
	})
}

func mustUUID(t *testing.T, s string) uuid.UUID {
	t.Helper()
	id, err := uuid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// brokenData fails to gather, as a database that went away would.
type brokenData struct{}

func (brokenData) Gather(context.Context, uuid.UUID) (*repository.ClientData, error) {
	return nil, errors.New("connection reset")
}

// TestCabinetDataExportFailure: an archive that cannot be built fails the request (no email, no
// archive); the client may then ask again.
func TestCabinetDataExportFailure(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		x := newExportEnv(t, db, func(st *export.Stores) { st.Data = brokenData{} })
		a := x.signIn(t, x.s.api, "anna@example.org", "token")
		first := decodeExport(t, x.s.api.Do("POST", "/api/v1/me/export", nil, bearer(a.Token)))
		before := len(x.smtp.Messages())
		x.runJobs(t)
		if st := decodeExport(t, x.s.api.Do("GET", "/api/v1/me/export", nil, bearer(a.Token))); st.Status != "failed" || st.ReadyAt != nil {
			t.Fatalf("after a failed build: %+v", st)
		}
		if n := len(x.smtp.Messages()) - before; n != 0 {
			t.Fatalf("%d emails after a failed build", n)
		}
		again := decodeExport(t, x.s.api.Do("POST", "/api/v1/me/export", nil, bearer(a.Token)))
		if again.ID == first.ID || again.Status != "requested" {
			t.Fatalf("a new request after a failed one: %+v", again)
		}
	})
}
