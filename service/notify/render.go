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
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc, zone = time.UTC, "UTC"
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
