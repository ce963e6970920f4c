package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"balance/models"
	"balance/service/booking"
)

// Catalogue is the public service catalogue: published services only, anything else is
// models.ErrNotFound. booking.Catalogue is one.
type Catalogue interface {
	PublishedServices(ctx context.Context, limit, offset int) ([]models.Service, error)
	PublishedService(ctx context.Context, slug string) (*models.Service, error)
}

// SlotFinder lists the free slots of the published service of a slug; *booking.Slots is one.
type SlotFinder interface {
	FindPublished(ctx context.Context, slug, fromDate, toDate string, clientZone models.TimeZone) (*models.Service, []booking.Slot, error)
}

type publicServices struct {
	catalogue Catalogue
	slots     SlotFinder
}

type moneyJSON struct {
	AmountMinor int64  `json:"amount_minor"`
	Currency    string `json:"currency"`
	Amount      string `json:"amount"`
}

func newMoneyJSON(m models.Money) moneyJSON {
	return moneyJSON{AmountMinor: m.Minor, Currency: m.Currency, Amount: m.Decimal()}
}

type serviceJSON struct {
	Slug                string     `json:"slug"`
	Title               string     `json:"title"`
	DescriptionMarkdown string     `json:"description_markdown"`
	Formats             []string   `json:"formats"`
	DurationMinutes     int        `json:"duration_minutes"`
	Price               moneyJSON  `json:"price"`
	Deposit             *moneyJSON `json:"deposit"`
	Timezone            string     `json:"timezone"`
	CancelFreeHours     *int       `json:"cancel_free_hours"`
	CancelPartialHours  *int       `json:"cancel_partial_hours"`
	RescheduleMinHours  *int       `json:"reschedule_min_hours"`
}

func newServiceJSON(s *models.Service) serviceJSON {
	out := serviceJSON{
		Slug: s.Slug, Title: s.Title, DescriptionMarkdown: s.DescriptionMarkdown, Formats: []string{},
		DurationMinutes: s.DurationMinutes, Price: newMoneyJSON(s.Price()), Timezone: s.Timezone,
		CancelFreeHours: s.CancelFreeHours, CancelPartialHours: s.CancelPartialHours, RescheduleMinHours: s.RescheduleMinHours,
	}
	for _, f := range []models.AppointmentFormat{models.AppointmentFormatOnline, models.AppointmentFormatOffline} {
		if s.Allows(f) {
			out.Formats = append(out.Formats, string(f))
		}
	}
	if s.DepositMinor != nil {
		d := newMoneyJSON(models.Money{Minor: *s.DepositMinor, Currency: s.Currency})
		out.Deposit = &d
	}
	return out
}

// slotsJSON is the body of GET /api/v1/services/{slug}/slots:
//
//	{"service": slug, "slots": [{"start", "end", "start_local", "end_local"}, …], "timezone": tz}
//
// written by hand: a 31-day window holds hundreds of slots, and formatting four strings per slot
// and encoding them again by reflection cost more than the rest of the handler. The times are
// RFC 3339, which needs no JSON escaping; the two strings from outside go through encoding/json.
func slotsJSON(slug, zone string, slots []booking.Slot) ([]byte, error) {
	quotedSlug, err := json.Marshal(slug)
	if err != nil {
		return nil, err
	}
	quotedZone, err := json.Marshal(zone)
	if err != nil {
		return nil, err
	}
	const perSlot = len(`{"start":"","end":"","start_local":"","end_local":""},`) + 2*len("2006-01-02T15:04:05Z") + 2*len(time.RFC3339)
	buf := make([]byte, 0, 48+len(quotedSlug)+len(quotedZone)+len(slots)*perSlot)
	buf = append(append(append(buf, `{"service":`...), quotedSlug...), `,"slots":[`...)
	for i, s := range slots {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendRFC3339(append(buf, `{"start":"`...), s.Start.UTC())
		buf = appendRFC3339(append(buf, `","end":"`...), s.End.UTC())
		buf = appendRFC3339(append(buf, `","start_local":"`...), s.ClientStart)
		buf = appendRFC3339(append(buf, `","end_local":"`...), s.ClientEnd)
		buf = append(buf, `"}`...)
	}
	buf = append(append(append(buf, `],"timezone":`...), quotedZone...), '}')
	return buf, nil
}

// appendRFC3339 appends t as time.RFC3339 does (2006-01-02T15:04:05Z07:00) for the years 0–9999
// slots have, without interpreting a layout: a month's slots are hundreds of times.
func appendRFC3339(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDigits(b, y, 4)
	b = appendDigits(append(b, '-'), int(mo), 2)
	b = appendDigits(append(b, '-'), d, 2)
	b = appendDigits(append(b, 'T'), h, 2)
	b = appendDigits(append(b, ':'), mi, 2)
	b = appendDigits(append(b, ':'), s, 2)
	_, off := t.Zone()
	if off == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = appendDigits(append(b, sign), off/3600, 2)
	return appendDigits(append(b, ':'), off/60%60, 2)
}

// appendDigits appends n (0 ≤ n < 10^width) in width digits, zero-padded.
func appendDigits(b []byte, n, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		p := 1
		for range i {
			p *= 10
		}
		b = append(b, byte('0'+n/p%10))
	}
	return b
}

// list answers GET /api/v1/services?limit=&offset=.
func (h *publicServices) list(c *gin.Context) {
	var fields []FieldError
	limit := queryInt(c, "limit", &fields)
	offset := queryInt(c, "offset", &fields)
	if len(fields) > 0 {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
		return
	}
	services, err := h.catalogue.PublishedServices(c.Request.Context(), limit, offset)
	if err != nil {
		respondError(c, err)
		return
	}
	items := make([]serviceJSON, 0, len(services))
	for i := range services {
		items = append(items, newServiceJSON(&services[i]))
	}
	c.JSON(http.StatusOK, gin.H{"items": items})
}

// queryInt reads an optional integer query parameter (0 when absent), noting a malformed one.
func queryInt(c *gin.Context, name string, fields *[]FieldError) int {
	raw, ok := c.GetQuery(name)
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(raw)
	if err != nil {
		*fields = append(*fields, FieldError{Field: name, Message: "must be an integer"})
		return 0
	}
	if v == 0 && name == "limit" {
		// 0 means "the default" to the catalogue; an explicit limit=0 is a mistake.
		*fields = append(*fields, FieldError{Field: name, Message: "must be at least 1"})
	}
	return v
}

// get answers GET /api/v1/services/{slug}.
func (h *publicServices) get(c *gin.Context) {
	svc, err := h.catalogue.PublishedService(c.Request.Context(), c.Param("slug"))
	if err != nil {
		respondError(c, err)
		return
	}
	c.JSON(http.StatusOK, newServiceJSON(svc))
}

// freeSlots answers GET /api/v1/services/{slug}/slots?from=&to=&tz=.
func (h *publicServices) freeSlots(c *gin.Context) {
	var fields []FieldError
	params := map[string]string{}
	for _, name := range []string{"from", "to", "tz"} {
		v := c.Query(name)
		if v == "" {
			fields = append(fields, FieldError{Field: name, Message: "is required"})
		}
		params[name] = v
	}
	if len(fields) > 0 {
		problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields", fields...)
		return
	}
	zone, err := models.ParseTimeZone("tz", params["tz"])
	if err != nil {
		respondError(c, err)
		return
	}
	svc, slots, err := h.slots.FindPublished(c.Request.Context(), c.Param("slug"), params["from"], params["to"], zone)
	if err != nil {
		respondError(c, err)
		return
	}
	body, err := slotsJSON(svc.Slug, zone.Name(), slots)
	if err != nil {
		respondError(c, err)
		return
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
}
