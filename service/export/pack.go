package export

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

// This file: the archive — one JSON file per kind of data and index.html, a readable summary in
// Russian. Every field is written out on purpose (no model is serialised whole), so that hashes of
// tokens and staff-only fields stay out.

// The files of the archive, in order.
const (
	FileSummary      = "index.html"
	FileProfile      = "profile.json"
	FileConsents     = "consents.json"
	FileAppointments = "appointments.json"
	FilePayments     = "payments.json"
	FileIntakeForms  = "intake_forms.json"
	FileDiary        = "diary.json"
	FileToolResults  = "self_help_results.json"
	FileQuestions    = "questions.json"
	FileTelegram     = "telegram.json"
	FileCRM          = "crm_identities.json"
)

// Archive is the archive's content before packing: the JSON files' values.
type Archive struct {
	GeneratedAt  time.Time      `json:"generated_at"`
	Profile      profileView    `json:"profile"`
	Consents     []consentView  `json:"consents"`
	Appointments []apptView     `json:"appointments"`
	Payments     []paymentView  `json:"payments"`
	IntakeForms  []intakeView   `json:"intake_forms"`
	Diary        []diaryView    `json:"diary"`
	ToolResults  []toolRunView  `json:"self_help_results"`
	Questions    []questionView `json:"questions"`
	Telegram     []telegramView `json:"telegram"`
	CRM          []leadView     `json:"crm_identities"`
}

type profileView struct {
	ID               uuid.UUID `json:"id"`
	Email            string    `json:"email,omitempty"`
	Phone            string    `json:"phone,omitempty"`
	DisplayName      string    `json:"display_name"`
	TimeZone         string    `json:"time_zone,omitempty"`
	TelegramUsername string    `json:"telegram_username,omitempty"`
	Status           string    `json:"status"`
	CreatedAt        time.Time `json:"created_at"`
}

type consentView struct {
	Type      string     `json:"type"`
	Granted   bool       `json:"granted"`
	Version   string     `json:"version"`
	Source    string     `json:"source"`
	GrantedAt time.Time  `json:"granted_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

type apptView struct {
	ID           uuid.UUID  `json:"id"`
	Service      string     `json:"service"`
	StartAt      time.Time  `json:"start_at"`
	EndAt        time.Time  `json:"end_at"`
	Timezone     string     `json:"timezone"`
	Status       string     `json:"status"`
	Format       string     `json:"format"`
	MeetingURL   string     `json:"meeting_url,omitempty"`
	Location     string     `json:"location,omitempty"`
	CancelReason string     `json:"cancel_reason,omitempty"`
	CanceledAt   *time.Time `json:"canceled_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
}

type refundView struct {
	ID          uuid.UUID `json:"id"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
}

type paymentView struct {
	ID            uuid.UUID    `json:"id"`
	AppointmentID uuid.UUID    `json:"appointment_id"`
	AmountMinor   int64        `json:"amount_minor"`
	Currency      string       `json:"currency"`
	Provider      string       `json:"provider"`
	Status        string       `json:"status"`
	RefundedMinor int64        `json:"refunded_minor"`
	PaidAt        *time.Time   `json:"paid_at,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	Refunds       []refundView `json:"refunds"`
}

type intakeView struct {
	AppointmentID uuid.UUID            `json:"appointment_id"`
	Status        string               `json:"status"`
	Answers       models.IntakeAnswers `json:"answers"`
	SubmittedAt   *time.Time           `json:"submitted_at,omitempty"`
}

type diaryView struct {
	ID        uuid.UUID `json:"id"`
	Date      string    `json:"date"`
	Body      string    `json:"body"`
	Mood      *int      `json:"mood,omitempty"`
	Tags      []string  `json:"tags"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type toolRunView struct {
	ID          uuid.UUID  `json:"id"`
	Tool        string     `json:"tool"`
	Status      string     `json:"status"`
	StartedAt   time.Time  `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	ResultLevel string     `json:"result_level,omitempty"`
	Profile     string     `json:"result_profile,omitempty"`
}

type answerView struct {
	Body        string     `json:"body_markdown"`
	PublishedAt *time.Time `json:"published_at,omitempty"`
}

type questionView struct {
	ID          uuid.UUID    `json:"id"`
	Text        string       `json:"text"`
	PublicText  string       `json:"public_text,omitempty"`
	Topic       string       `json:"topic,omitempty"`
	SubmittedAt time.Time    `json:"submitted_at"`
	Answers     []answerView `json:"answers"`
}

type telegramView struct {
	TelegramUserID int64      `json:"telegram_user_id"`
	Username       string     `json:"username,omitempty"`
	Blocked        bool       `json:"blocked"`
	LinkedAt       *time.Time `json:"linked_at,omitempty"`
}

type identityView struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type leadView struct {
	ID         uuid.UUID      `json:"id"`
	Source     string         `json:"source"`
	CreatedAt  time.Time      `json:"created_at"`
	Identities []identityView `json:"identities"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// NewArchive turns the gathered data into the archive's views.
func NewArchive(d *repository.ClientData, now time.Time) *Archive {
	u := d.User
	a := &Archive{GeneratedAt: now.UTC(), Profile: profileView{
		ID: u.ID, DisplayName: u.DisplayName, TimeZone: str(u.TimeZone), TelegramUsername: str(u.TelegramUsername),
		Status: string(u.Status), CreatedAt: u.CreatedAt.UTC(),
	}}
	if u.Email != nil {
		a.Profile.Email = u.Email.String()
	}
	if u.Phone != nil {
		a.Profile.Phone = u.Phone.String()
	}
	a.Consents = make([]consentView, 0, len(d.Consents))
	for _, c := range d.Consents {
		a.Consents = append(a.Consents, consentView{Type: string(c.Type), Granted: c.Granted, Version: c.Version,
			Source: c.Source, GrantedAt: c.GrantedAt.UTC(), RevokedAt: c.RevokedAt})
	}
	a.Appointments = make([]apptView, 0, len(d.Appointments))
	for _, x := range d.Appointments {
		v := apptView{ID: x.ID, StartAt: x.StartAt.UTC(), EndAt: x.EndAt.UTC(), Timezone: x.Timezone,
			Status: string(x.Status), Format: string(x.Format), MeetingURL: str(x.MeetingURL), Location: str(x.LocationText),
			CancelReason: str(x.CancelReasonP2), CanceledAt: x.CanceledAt, CreatedAt: x.CreatedAt.UTC()}
		if x.Service != nil {
			v.Service = x.Service.Title
		}
		a.Appointments = append(a.Appointments, v)
	}
	refunds := map[uuid.UUID][]refundView{}
	for _, r := range d.Refunds {
		refunds[r.PaymentID] = append(refunds[r.PaymentID], refundView{ID: r.ID, AmountMinor: r.AmountMinor,
			Currency: r.Currency, Status: string(r.Status), CreatedAt: r.CreatedAt.UTC()})
	}
	a.Payments = make([]paymentView, 0, len(d.Payments))
	for _, p := range d.Payments {
		rs := refunds[p.ID]
		if rs == nil {
			rs = []refundView{}
		}
		a.Payments = append(a.Payments, paymentView{ID: p.ID, AppointmentID: p.AppointmentID, AmountMinor: p.AmountMinor,
			Currency: p.Currency, Provider: string(p.Provider), Status: string(p.Status), RefundedMinor: p.RefundedMinor,
			PaidAt: p.PaidAt, CreatedAt: p.CreatedAt.UTC(), Refunds: rs})
	}
	a.IntakeForms = make([]intakeView, 0, len(d.IntakeForms))
	for _, f := range d.IntakeForms {
		ans := f.Payload
		if ans == nil {
			ans = models.IntakeAnswers{}
		}
		a.IntakeForms = append(a.IntakeForms, intakeView{AppointmentID: f.AppointmentID, Status: string(f.Status),
			Answers: ans, SubmittedAt: f.SubmittedAt})
	}
	a.Diary = make([]diaryView, 0, len(d.Diary))
	for _, e := range d.Diary {
		tags := e.Tags
		if tags == nil {
			tags = []string{}
		}
		a.Diary = append(a.Diary, diaryView{ID: e.ID, Date: e.EntryDate.Format(time.DateOnly), Body: e.Body, Mood: e.Mood,
			Tags: tags, CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC()})
	}
	a.ToolResults = make([]toolRunView, 0, len(d.ToolRuns))
	for _, r := range d.ToolRuns {
		v := toolRunView{ID: r.ID, Status: string(r.Status), StartedAt: r.StartedAt.UTC(), CompletedAt: r.CompletedAt,
			Profile: str(r.ResultProfile)}
		if r.Definition != nil {
			v.Tool = r.Definition.Title
		}
		if r.ResultLevel != nil {
			v.ResultLevel = string(*r.ResultLevel)
		}
		a.ToolResults = append(a.ToolResults, v)
	}
	a.Questions = make([]questionView, 0, len(d.Questions))
	for _, q := range d.Questions {
		v := questionView{ID: q.ID, Text: q.Text, PublicText: str(q.PublicText), Topic: str(q.TopicCode),
			SubmittedAt: q.SubmittedAt.UTC(), Answers: []answerView{}}
		for _, ans := range q.Answers {
			v.Answers = append(v.Answers, answerView{Body: ans.BodyMarkdown, PublishedAt: ans.PublishedAt})
		}
		a.Questions = append(a.Questions, v)
	}
	a.Telegram = make([]telegramView, 0, len(d.Telegram))
	for _, t := range d.Telegram {
		a.Telegram = append(a.Telegram, telegramView{TelegramUserID: t.TelegramUserID, Username: str(t.Username),
			Blocked: t.Blocked, LinkedAt: t.LinkedAt})
	}
	a.CRM = make([]leadView, 0, len(d.Leads))
	for _, l := range d.Leads {
		v := leadView{ID: l.ID, Source: l.Source, CreatedAt: l.CreatedAt.UTC(), Identities: []identityView{}}
		for _, i := range l.Identities {
			v.Identities = append(v.Identities, identityView{Kind: string(i.Kind), Value: i.Value})
		}
		a.CRM = append(a.CRM, v)
	}
	return a
}

// Pack builds the zip archive of d.
func Pack(d *repository.ClientData, now time.Time) ([]byte, error) {
	a := NewArchive(d, now)
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	write := func(name string, body []byte) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: a.GeneratedAt})
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	var html bytes.Buffer
	if err := summary.Execute(&html, a); err != nil {
		return nil, fmt.Errorf("render the summary: %w", err)
	}
	if err := write(FileSummary, html.Bytes()); err != nil {
		return nil, fmt.Errorf("pack %s: %w", FileSummary, err)
	}
	files := []struct {
		name string
		v    any
	}{
		{FileProfile, a.Profile}, {FileConsents, a.Consents}, {FileAppointments, a.Appointments},
		{FilePayments, a.Payments}, {FileIntakeForms, a.IntakeForms}, {FileDiary, a.Diary},
		{FileToolResults, a.ToolResults}, {FileQuestions, a.Questions}, {FileTelegram, a.Telegram}, {FileCRM, a.CRM},
	}
	for _, f := range files {
		b, err := json.MarshalIndent(f.v, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", f.name, err)
		}
		if err := write(f.name, b); err != nil {
			return nil, fmt.Errorf("pack %s: %w", f.name, err)
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("close the archive: %w", err)
	}
	return buf.Bytes(), nil
}

func ts(t time.Time) string { return t.UTC().Format("02.01.2006 15:04 UTC") }

func tsp(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return ts(*t)
}

// summary is index.html: html/template escapes everything the client or anyone else wrote.
var summary = template.Must(template.New(FileSummary).Funcs(template.FuncMap{"ts": ts, "tsp": tsp}).Parse(`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>Ваши данные — Эмоциональный баланс</title></head>
<body>
<h1>Ваши данные</h1>
<p>Всё, что хранится о вас на сайте «Эмоциональный баланс», на {{ts .GeneratedAt}}. Те же данные в
машиночитаемом виде — в файлах JSON рядом с этим файлом.</p>
<h2>Профиль</h2>
<ul><li>Имя: {{.Profile.DisplayName}}</li><li>Email: {{.Profile.Email}}</li><li>Телефон: {{.Profile.Phone}}</li>
<li>Часовой пояс: {{.Profile.TimeZone}}</li><li>Аккаунт создан: {{ts .Profile.CreatedAt}}</li></ul>
<h2>Согласия</h2>
{{if .Consents}}<ul>{{range .Consents}}<li>{{.Type}}, версия {{.Version}}: {{if .Granted}}дано{{else}}не дано{{end}} {{ts .GrantedAt}}{{if .RevokedAt}}, отозвано {{tsp .RevokedAt}}{{end}}</li>{{end}}</ul>{{else}}<p>Нет.</p>{{end}}
<h2>Записи на консультации</h2>
{{if .Appointments}}<ul>{{range .Appointments}}<li>{{.Service}}: {{ts .StartAt}} ({{.Timezone}}), статус {{.Status}}</li>{{end}}</ul>{{else}}<p>Нет.</p>{{end}}
<h2>Платежи и возвраты</h2>
{{if .Payments}}<ul>{{range .Payments}}<li>{{.AmountMinor}} (в копейках) {{.Currency}}, статус {{.Status}}, создан {{ts .CreatedAt}}{{range .Refunds}}; возврат {{.AmountMinor}} {{.Currency}}, {{.Status}}{{end}}</li>{{end}}</ul>{{else}}<p>Нет.</p>{{end}}
<h2>Анкеты перед консультацией</h2>
{{if .IntakeForms}}{{range .IntakeForms}}<h3>Анкета к записи {{.AppointmentID}} ({{.Status}})</h3><dl>{{range $q, $a := .Answers}}<dt>{{$q}}</dt><dd>{{$a}}</dd>{{end}}</dl>{{end}}{{else}}<p>Нет.</p>{{end}}
<h2>Дневник</h2>
{{if .Diary}}{{range .Diary}}<h3>{{.Date}}{{if .Mood}}, настроение {{.Mood}}{{end}}</h3><p style="white-space: pre-wrap">{{.Body}}</p>{{end}}{{else}}<p>Нет записей.</p>{{end}}
<h2>Результаты тестов и упражнений</h2>
{{if .ToolResults}}<ul>{{range .ToolResults}}<li>{{.Tool}}: {{ts .StartedAt}}, {{.Status}}{{if .ResultLevel}}, результат: {{.ResultLevel}}{{end}}</li>{{end}}</ul>{{else}}<p>Нет.</p>{{end}}
<h2>Вопросы и ответы</h2>
{{if .Questions}}{{range .Questions}}<h3>Вопрос от {{ts .SubmittedAt}}</h3><p style="white-space: pre-wrap">{{.Text}}</p>{{range .Answers}}<p><b>Ответ:</b> {{.Body}}</p>{{end}}{{end}}{{else}}<p>Нет.</p>{{end}}
<h2>Telegram</h2>
{{if .Telegram}}<ul>{{range .Telegram}}<li>ID {{.TelegramUserID}}{{if .Username}}, @{{.Username}}{{end}}, привязан {{tsp .LinkedAt}}</li>{{end}}</ul>{{else}}<p>Не привязан.</p>{{end}}
<h2>Контакты в нашей базе обращений</h2>
{{if .CRM}}<ul>{{range .CRM}}{{range .Identities}}<li>{{.Kind}}: {{.Value}}</li>{{end}}{{end}}</ul>{{else}}<p>Нет.</p>{{end}}
</body></html>
`))
