package notify

import (
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
	"time"

	"balance/integrations/email"
	"balance/models"
)

// Data is what templates may use. Every field is plain text: text/template writes it as is (email
// text and subject), html/template escapes it (email HTML and Telegram's HTML parse mode).
type Data struct {
	ClientName   string
	ServiceTitle string
	// When is the appointment's start on the client's clock, in Russian, with the zone.
	When         string
	Format       string
	MeetingURL   string
	Location     string
	Amount       string
	RefundAmount string
	SiteURL      string
	Link         string
	Code         string
	// Contacts are a lead's contacts on one line (the owner's new-lead email).
	Contacts string
	// Kind says what an owner's alert is about: the form, or "тест" / "вопрос" for a crisis signal.
	Kind string
	// ManageURL is the booking's manage link (ManageLink): view, cancel, reschedule, intake form.
	ManageURL string
}

// renderEmail renders subject, text and (when the template has it) HTML; any error means nothing
// is sent.
func renderEmail(t *models.MessageTemplate, d Data) (email.Message, error) {
	var m email.Message
	if t.Subject == nil {
		return m, fmt.Errorf("template %s/%s has no subject", t.Key, t.Channel)
	}
	subject, err := renderText(t.Key+".subject", *t.Subject, d)
	if err != nil {
		return m, err
	}
	if m.Text, err = renderText(t.Key+".text", t.BodyText, d); err != nil {
		return m, err
	}
	if t.BodyHTML != nil {
		if m.HTML, err = renderHTML(t.Key+".html", *t.BodyHTML, d); err != nil {
			return m, err
		}
	}
	m.Subject = oneLine(subject)
	return m, nil
}

// renderTelegram renders a Telegram template as HTML: user text is escaped (<, >, &).
func renderTelegram(t *models.MessageTemplate, d Data) (string, error) {
	return renderHTML(t.Key+".telegram", t.BodyText, d)
}

func renderText(name, src string, d Data) (string, error) {
	t, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
	return execute(name, t, err, d)
}

func renderHTML(name, src string, d Data) (string, error) {
	t, err := htmltemplate.New(name).Option("missingkey=error").Parse(src)
	return execute(name, t, err, d)
}

// execute runs a parsed text or HTML template (or reports why it did not parse).
func execute(name string, t interface{ Execute(io.Writer, any) error }, parseErr error, d Data) (string, error) {
	if parseErr != nil {
		return "", fmt.Errorf("template %s: %w", name, parseErr)
	}
	var b strings.Builder
	if err := t.Execute(&b, d); err != nil {
		return "", fmt.Errorf("template %s: %w", name, err)
	}
	return b.String(), nil
}

var (
	ruWeekdays = [...]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"}
	ruMonths   = [...]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
		"сентября", "октября", "ноября", "декабря"}
)

// russianTime writes t on the clock of zone, e.g. "четверг, 3 декабря 2026, 08:00 (Europe/Berlin)".
func russianTime(t time.Time, zone string) string {
	loc := time.UTC
	if z, err := models.ParseTimeZone("timezone", zone); err == nil { // from the zone cache
		loc = z.Location()
	} else {
		zone = "UTC"
	}
	t = t.In(loc)
	return fmt.Sprintf("%s, %d %s %d, %02d:%02d (%s)", ruWeekdays[t.Weekday()], t.Day(), ruMonths[t.Month()-1],
		t.Year(), t.Hour(), t.Minute(), zone)
}

// money writes an amount as "5000.00 RUB".
func money(m models.Money) string { return m.Decimal() + " " + m.Currency }

// formatName is how a format reads in a message.
func formatName(f models.AppointmentFormat) string {
	if f == models.AppointmentFormatOffline {
		return "очно"
	}
	return "онлайн"
}

// Rendered is a template rendered with data, as the recipient would get it: Subject and HTML only
// for an email (HTML empty when the template has no HTML part); Text is Telegram's HTML for a
// Telegram template.
type Rendered struct {
	Subject, Text, HTML string
}

// RenderError: one part of a template ("subject", "body_text" or "body_html") does not render,
// e.g. it names a field messages do not have.
type RenderError struct {
	Part string
	Err  error
}

func (e *RenderError) Error() string { return e.Part + ": " + e.Err.Error() }

func (e *RenderError) Unwrap() error { return e.Err }

// Preview renders t with the sample data of its key (SampleData), exactly as a message would be
// rendered: what the admin panel shows before a template is saved, and the check that refuses a
// template that would fail when a message is sent.
func Preview(t *models.MessageTemplate) (Rendered, error) {
	d := SampleData(t.Key)
	var r Rendered
	var err error
	if t.Channel == models.TemplateChannelTelegram {
		if r.Text, err = renderHTML(t.Key+".telegram", t.BodyText, d); err != nil {
			return r, &RenderError{Part: "body_text", Err: err}
		}
		return r, nil
	}
	if t.Subject == nil {
		return r, &RenderError{Part: "subject", Err: fmt.Errorf("template %s/%s has no subject", t.Key, t.Channel)}
	}
	if r.Subject, err = renderText(t.Key+".subject", *t.Subject, d); err != nil {
		return r, &RenderError{Part: "subject", Err: err}
	}
	r.Subject = oneLine(r.Subject)
	if r.Text, err = renderText(t.Key+".text", t.BodyText, d); err != nil {
		return r, &RenderError{Part: "body_text", Err: err}
	}
	if t.BodyHTML != nil {
		if r.HTML, err = renderHTML(t.Key+".html", *t.BodyHTML, d); err != nil {
			return r, &RenderError{Part: "body_html", Err: err}
		}
	}
	return r, nil
}

// sampleSite is the site address of the sample data.
const sampleSite = "https://balance.example"

// SampleData is what a message of key is rendered with in a preview: the fields the code that
// sends key fills (subscribers.go, the sign-in and export mails, the bot's replies), with
// plausible values; every field for a key the code does not know.
func SampleData(key string) Data {
	appointment := Data{
		ClientName: "Анна", ServiceTitle: "Индивидуальная консультация",
		When:   russianTime(time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC), "Europe/Moscow"),
		Format: formatName(models.AppointmentFormatOnline), MeetingURL: "https://meet.example/anna-0312",
		Amount: money(models.Money{Minor: 500000, Currency: models.CurrencyRUB}), SiteURL: sampleSite,
	}
	switch key {
	case "booking_received", "booking_confirmed":
		appointment.ManageURL = ManageLink(sampleSite, models.NewID(), "sample-token")
		return appointment
	case "booking_rescheduled", "reminder":
		return appointment
	case "booking_canceled", "refund_succeeded":
		appointment.RefundAmount = appointment.Amount
		return appointment
	case "waitlist_slot_freed":
		return Data{ClientName: "Анна", ServiceTitle: appointment.ServiceTitle, When: appointment.When, SiteURL: sampleSite, Link: sampleSite}
	case "signin_code":
		return Data{Code: "482913", SiteURL: sampleSite}
	case "data_export_ready":
		return Data{ClientName: "Анна", Link: DataExportLink(sampleSite, "sample-token"), SiteURL: sampleSite}
	case "telegram_welcome", "telegram_plan", "telegram_unknown_code", "telegram_login", "telegram_not_linked":
		return Data{ClientName: "Анна", Link: sampleSite + "/plan/sample", SiteURL: sampleSite}
	case TemplateOwnerNewLead:
		return Data{ClientName: "Анна", Contacts: "email anna@example.org, телефон +79991234567, Telegram @anna_k",
			Kind: "форма обратной связи", When: appointment.When, Link: sampleSite + "/admin/leads/sample/show", SiteURL: sampleSite}
	case TemplateOwnerCrisisAlert:
		return Data{Kind: "тест", When: appointment.When, Link: sampleSite + "/admin/interactive_runs/sample/show", SiteURL: sampleSite}
	case TemplateQuestionAnswered:
		return Data{Link: sampleSite + "/answers/sample", SiteURL: sampleSite}
	}
	all := appointment
	all.RefundAmount, all.Link, all.Code, all.Location = appointment.Amount, sampleSite, "482913", "Москва, ул. Примерная, 1"
	all.Contacts, all.Kind = "email anna@example.org", "форма обратной связи"
	all.ManageURL = ManageLink(sampleSite, models.NewID(), "sample-token")
	return all
}
