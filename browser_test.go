package main

// The admin panel in a real browser: headless Chromium (chromedp) against `balance serve` on a
// fresh database, SQLite and PostgreSQL side by side. The five scenarios of issue 12 run in order
// on each database; each saves screenshots of its key screens in its artifact directory (kept
// under -outputdir with `go test -artifacts`, as `make test` does), and a failing step saves one
// too. Without Chromium the test is skipped, unless BALANCE_BROWSER_TESTS=required (CI).
// With BALANCE_DOCS_SCREENSHOTS=<dir> the SQLite run also saves the screenshots of docs/admin.md
// there (see docShot).

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"balance/migrations"
	"balance/models"
	"balance/repository"
)

func TestBrowserAdminPanel(t *testing.T) {
	execPath := findBrowser(t)
	clearConfigEnv(t)
	browser := startBrowser(t, execPath)
	for _, dialect := range []migrations.Dialect{migrations.SQLite, migrations.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			s := startBrowserServer(t, dialect, browser)
			t.Run("1_owner_signs_in_and_opens_a_service", s.ownerSetsUpAService)
			t.Run("2_owner_cancels_a_paid_booking", s.ownerCancelsAPaidBooking)
			t.Run("3_assistant_confirms_a_cash_payment", s.assistantConfirmsCash)
			t.Run("4_editor_publishes_and_moderates", s.editorPublishesAndModerates)
			t.Run("5_expired_session_returns_to_sign_in", s.expiredSessionSignsOut)
		})
	}
}

// Scenario 1: the owner signs in with her password and enrols an authenticator, creates a service
// in the panel, publishes it and adds weekly hours; the public slots API then offers its times.
func (s *browserServer) ownerSetsUpAService(t *testing.T) {
	b := s.newTab(t, models.RoleOwner)
	b.signIn()
	b.shot("home")
	s.owner = b

	b.do("open the services", chromedp.Click(menuLink("services")))
	b.waitPath("/admin/services")
	b.do("press «Создать»", chromedp.Click(chromedp.CSS(`a[href="/admin/services/create"]`)))
	b.waitText("Услуга: создание")
	b.typeInto("slug", "family-session")
	b.typeInto("title", "Семейная консультация")
	b.choose("format", "Онлайн")
	b.typeInto("duration_minutes", "80")
	b.typeInto("price_minor", "8000") // typed in roubles
	b.typeInto("currency", "RUB")
	b.typeInto("cancel_free_hours", "24")
	b.typeInto("timezone", "Europe/Moscow")
	b.shot("service-form")
	b.do("press «Сохранить»", chromedp.Click(button("Сохранить")))
	b.waitJS("the new service's screen", `/^\/admin\/services\/[0-9a-f-]{36}\/show$/.test(location.pathname)`)
	b.waitText("Семейная консультация")
	b.waitText("8 000,00 ₽")
	id := strings.Split(evalJS[string](b, "read the path", `location.pathname`), "/")[3]

	b.act("publish", nil)
	b.waitJS("the service published", `!!document.querySelector('button[data-action="unpublish"]') && shows("Опубликовано")`)
	b.shot("service-published")

	// Weekly hours, 10:00–18:00 Moscow time, on the next two days' weekdays: the first slots are
	// then within two days (the dashboard shows today's and tomorrow's sessions).
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	tomorrow := time.Now().In(moscow).AddDate(0, 0, 1)
	weekdays := []int{isoWeekday(tomorrow), isoWeekday(tomorrow.AddDate(0, 0, 1))}
	b.do("open the schedule", chromedp.Click(testID("service-schedule-link")))
	b.waitPath("/admin/services/" + id + "/schedule")
	b.do("the schedule grid", chromedp.WaitVisible(testID("schedule-grid")))
	for _, wd := range weekdays {
		form := fmt.Sprintf(`[data-testid="schedule-form-%d"] `, wd)
		b.do(fmt.Sprintf("add a window on day %d", wd), chromedp.Click(testID(fmt.Sprintf("schedule-add-%d", wd))),
			chromedp.WaitVisible(chromedp.CSS(form+`[data-testid="schedule-start"]`)))
		b.setValue(form+`[data-testid="schedule-start"]`, "10:00")
		b.setValue(form+`[data-testid="schedule-end"]`, "18:00")
		b.shot(fmt.Sprintf("schedule-window-form-%d", wd))
		b.do("press «Добавить»", chromedp.Click(chromedp.CSS(form+`[data-testid="schedule-save"]`)))
		b.waitJS("the window in the grid", `!!document.querySelector(args[0])`,
			fmt.Sprintf(`[data-testid="schedule-day-%d"] [data-testid="schedule-window"]`, wd))
	}
	b.waitJS("two windows, 10:00–18:00", `[...document.querySelectorAll('[data-testid="schedule-window"]')].length === 2 &&
		[...document.querySelectorAll('[data-testid="schedule-window"]')].every(w => norm(w.innerText).includes("10:00–18:00"))`)
	b.shot("schedule-grid")
	b.docShot("admin-schedule")
	// The grid's windows are the weekly hours' records.
	b.do("open the weekly hours", chromedp.Click(menuLink("availability_rules")))
	b.waitPath("/admin/availability_rules")
	b.waitJS("two rules listed", `document.querySelectorAll("tbody tr").length === 2 && row("Семейная консультация")`)
	b.shot("weekly-hours")

	// The public site offers the new service's times, on those weekdays, 10:00–18:00 Moscow time.
	slots := s.slots(t, "family-session")
	if len(slots) == 0 {
		t.Fatalf("the public slots API offers no time of the service set up in the panel:\n%s", s.logTail())
	}
	for _, start := range slots {
		at, err := time.Parse(time.RFC3339, start)
		if err != nil {
			t.Fatal(err)
		}
		local := at.In(moscow)
		if wd := isoWeekday(local); (wd != weekdays[0] && wd != weekdays[1]) || local.Hour() < 10 || local.Add(80*time.Minute).After(time.Date(local.Year(), local.Month(), local.Day(), 18, 0, 0, 0, moscow)) {
			t.Errorf("slot %s (%s Moscow) is outside the weekly hours set in the panel", start, local.Format("Mon 15:04"))
		}
	}
	s.serviceSlug = "family-session"
}

// mondayOf is the Monday (YYYY-MM-DD, Moscow time) of the week that holds the instant start.
func mondayOf(t *testing.T, start string) string {
	t.Helper()
	at, err := time.Parse(time.RFC3339, start)
	if err != nil {
		t.Fatal(err)
	}
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		t.Fatal(err)
	}
	local := at.In(moscow)
	return local.AddDate(0, 0, 1-isoWeekday(local)).Format(time.DateOnly)
}

// isoWeekday is 1 for Monday … 7 for Sunday, as the weekly hours count.
func isoWeekday(t time.Time) int {
	if t.Weekday() == time.Sunday {
		return 7
	}
	return int(t.Weekday())
}

// Scenario 2: a booking made through the public API and paid through the YooKassa fake appears in
// the owner's appointments; she opens it, reads its intake form, cancels it with a refund (which
// reaches YooKassa), and the audit log shows these steps.
func (s *browserServer) ownerCancelsAPaidBooking(t *testing.T) {
	s.ensureService(t)
	bk := s.book(t, s.serviceSlug, 0, "Анна", "anna@example.com")
	const answer = "Тревога перед сменой работы"
	if code, body := s.call(t, http.MethodPut, "/api/v1/bookings/"+bk.ID+"/intake-form", map[string]any{
		"answers": map[string]any{"reason": answer, "sleep_hours": 5}, "submit": true,
	}, nil, "X-Manage-Token", bk.ManageToken); code != http.StatusOK {
		t.Fatalf("submit the intake form: %d %s", code, body)
	}
	s.pay(t, bk)

	b := s.ownerTab(t)
	// The dashboard's «Новые записи»: the booking just made, whatever its day; a click opens it.
	b.open("/admin/")
	b.waitText("Здравствуйте")
	newBooking := fmt.Sprintf(`[data-testid="dashboard-new-bookings"] [data-testid="dashboard-item"][data-id=%q]`, bk.ID)
	b.do("the booking in «Новые записи»", chromedp.WaitVisible(chromedp.CSS(newBooking)))
	b.waitJS("listed as confirmed, with its service", `norm(document.querySelector(args[0]).innerText).includes("Подтверждена") &&
		norm(document.querySelector(args[0]).innerText).includes("Семейная консультация")`, newBooking)
	b.shot("dashboard")
	b.docShot("admin-dashboard")
	b.do("open the booking from the dashboard", chromedp.Click(chromedp.CSS(newBooking)))
	b.waitPath("/admin/appointments/" + bk.ID + "/show")
	b.waitText("Подтверждена")

	// The week calendar, turned to the booking's week; a click on the booking opens it.
	b.do("open the calendar", chromedp.Click(testID("menu-calendar")))
	b.waitPath("/admin/calendar")
	b.do("the calendar", chromedp.WaitVisible(testID("calendar-grid")))
	week := mondayOf(t, bk.Start)
	if evalJS[string](b, "read the calendar's week", `document.querySelector('[data-testid="calendar-grid"]').dataset.week`) != week {
		b.do("the next week", chromedp.Click(testID("calendar-next")))
		b.waitJS("the booking's week", `document.querySelector('[data-testid="calendar-grid"]').dataset.week === args[0]`, week)
	}
	event := fmt.Sprintf(`[data-testid="calendar-event"][data-id=%q]`, bk.ID)
	b.do("the booking in the calendar", chromedp.WaitVisible(chromedp.CSS(event)))
	b.shot("calendar")
	b.docShot("admin-calendar")
	b.do("open the booking from the calendar", chromedp.Click(chromedp.CSS(event)))
	b.waitPath("/admin/appointments/" + bk.ID + "/show")
	b.waitText("Подтверждена")

	// The appointments list has it too.
	b.do("open the appointments", chromedp.Click(menuLink("appointments")))
	b.waitPath("/admin/appointments")
	row := listRow("anna@example.com")
	b.do("the paid booking is listed", chromedp.WaitVisible(row))
	b.waitJS("listed as confirmed", `row("anna@example.com", "Подтверждена")`)
	b.shot("appointments")
	b.do("open the booking", chromedp.Click(row))
	b.waitPath("/admin/appointments/" + bk.ID + "/show")
	b.waitText("Подтверждена")

	// The intake form on the appointment's screen, as questions and answers (the owner's only).
	b.do("the intake form", chromedp.WaitVisible(testID("intake-answers")))
	b.waitJS("the answer shown", `norm(document.querySelector('[data-testid="intake-answers"]').innerText).includes(norm(args[0]))`, answer)
	b.shot("appointment")
	b.docShot("admin-appointment")
	b.docShotAt(`[data-testid="intake-form"]`, "admin-intake")
	// The generated screen of the form says the same, marked P2.
	b.do("open the intake forms", chromedp.Click(menuLink("intake_forms")))
	b.waitPath("/admin/intake_forms")
	b.do("open the form", chromedp.Click(listRow("Отправлена")))
	b.waitJS("the form's screen", `/^\/admin\/intake_forms\/[0-9a-f-]{36}\/show$/.test(location.pathname)`)
	b.waitText(answer)
	b.waitText("P2 · конфиденциально")
	b.shot("intake-form")

	b.open("/admin/appointments/" + bk.ID + "/show")
	b.waitText("Подтверждена")
	b.act("cancel", nil) // the owner's refund: everything paid, by default
	b.waitJS("the booking canceled", `!document.querySelector('button[data-action="cancel"]') && shows("Отменена")`)
	b.shot("appointment-canceled")

	// The refund reaches YooKassa (a job) and comes back through its notification.
	s.waitPayment(t, bk, "refunded")
	b.do("open the refunds", chromedp.Click(menuLink("refunds")))
	b.waitJS("the refund listed as made", `row("8 000,00 ₽", "Выполнен")`)
	b.shot("refunds")

	// The audit log: the P2 read of the form, and the cancellation.
	b.do("open the audit log", chromedp.Click(menuLink("audit_logs")))
	b.waitPath("/admin/audit_logs")
	b.waitJS("the cancellation and the form's read listed",
		`row(args[0], "appointments", "owner") && row("intake_forms", "Просмотр P2-данных", "owner")`, bk.ID)
	b.shot("audit-log")
	b.do("open the cancellation's record", chromedp.Click(listRow(bk.ID, "appointments", "owner")))
	b.waitJS("the record's screen", `/^\/admin\/audit_logs\/[0-9a-f-]{36}\/show$/.test(location.pathname)`)
	b.waitText("action:cancel")
	b.shot("audit-record")
}

// waitPayment waits until the public API shows the booking's payment in status.
func (s *browserServer) waitPayment(t *testing.T, bk *publicBooking, status string) {
	t.Helper()
	var got publicBooking
	for deadline := time.Now().Add(stepTimeout); ; time.Sleep(50 * time.Millisecond) {
		s.call(t, http.MethodGet, "/api/v1/bookings/"+bk.ID, nil, &got, "X-Manage-Token", bk.ManageToken)
		if got.Payment != nil && got.Payment.Status == status {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the booking's payment is %+v, not %s:\n%s", got.Payment, status, s.logTail())
		}
	}
}

// Scenario 3: the assistant signs in without an authenticator; no intake form anywhere — not in
// the menu, not on the appointment screen, and the API refuses her browser session — and she
// confirms a cash payment. The appointments list is also checked at a tablet's size.
func (s *browserServer) assistantConfirmsCash(t *testing.T) {
	s.ensureService(t)
	bk := s.book(t, s.serviceSlug, 1, "Борис", "boris@example.com") // not paid online: pending payment

	b := s.newTab(t, models.RoleAssistant)
	b.signIn()
	b.do("the appointments in the menu", chromedp.WaitVisible(menuLink("appointments")))
	if n := evalJS[int](b, "count the intake forms' menu entries", `document.querySelectorAll('a[href^="/admin/intake_forms"]').length`); n != 0 {
		t.Errorf("the assistant's menu has %d entries of the intake forms", n)
	}
	if text := b.pageText(); strings.Contains(text, "Анкет") {
		t.Errorf("the assistant's home screen mentions the intake forms:\n%s", text)
	}
	b.shot("assistant-home")
	for _, path := range []string{"/admin/api/intake_forms", "/admin/api/intake_forms/" + uuid.NewString()} {
		status := evalJS[int](b, "ask the API for intake forms", fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => r.status)`, path))
		if status != http.StatusForbidden {
			t.Errorf("GET %s from the assistant's browser: %d, want 403", path, status)
		}
	}

	b.do("open the appointments", chromedp.Click(menuLink("appointments")))
	row := listRow("boris@example.com")
	b.do("the unpaid booking is listed", chromedp.WaitVisible(row))
	b.do("open the booking", chromedp.Click(row))
	b.waitPath("/admin/appointments/" + bk.ID + "/show")
	b.waitText("Ожидает оплаты")
	b.do("the confirm button", chromedp.WaitVisible(actionButton("confirm")))
	if n := evalJS[int](b, "look for the intake form", `document.querySelectorAll('[data-testid="intake-answers"], [data-testid="intake-form"]').length`); n != 0 {
		t.Error("the assistant's appointment screen shows the intake form")
	}
	if text := b.pageText(); strings.Contains(text, "Анкет") || strings.Contains(text, "P2") {
		t.Errorf("the assistant's appointment screen mentions the intake form:\n%s", text)
	}
	b.shot("assistant-appointment")
	b.act("confirm", nil) // by default the amount the booking waited for
	b.waitJS("the booking confirmed", `!document.querySelector('button[data-action="confirm"]') && shows("Подтверждена")`)
	b.shot("assistant-confirmed")
	s.waitPayment(t, bk, "succeeded")

	// On a tablet (the owner checks her day on an iPad): the list shows the booking and its
	// status; with the menu folded to its icons the page fits the screen, no sideways scrolling.
	b.do("tablet size", chromedp.EmulateViewport(tabletWidth, tabletHeight))
	b.open("/admin/appointments")
	b.do("the booking on a tablet", chromedp.WaitVisible(listRow("boris@example.com")))
	b.waitJS("its status on a tablet", `row("boris@example.com", "Подтверждена")`)
	b.shot("tablet-appointments")
	b.do("fold the menu", chromedp.Click(menuToggle(true)), chromedp.WaitVisible(menuToggle(false)))
	b.waitJS("the list fits a tablet's screen", `document.documentElement.scrollWidth <= window.innerWidth`)
	b.shot("tablet-appointments-menu-folded")
	b.do("open the booking on a tablet", chromedp.Click(listRow("boris@example.com")))
	b.waitPath("/admin/appointments/" + bk.ID + "/show")
	b.waitJS("the booking fits a tablet's screen", `shows("Подтверждена") && document.documentElement.scrollWidth <= window.innerWidth`)
	b.shot("tablet-appointment")
	b.do("laptop size", chromedp.EmulateViewport(laptopWidth, laptopHeight))
}

// Scenario 4: the editor writes an article and publishes it, then moderates two questions
// (approves one, rejects the other with a reason).
func (s *browserServer) editorPublishesAndModerates(t *testing.T) {
	ctx := context.Background()
	var questions []*models.Question
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		for _, q := range []struct {
			text   string
			crisis bool
		}{
			{"Как перестать просыпаться в четыре утра?", false},
			{"Мне очень тяжело, не вижу смысла ни в чём", true},
		} {
			question, err := models.NewQuestion(nil, q.text, "", "sleep", q.crisis, time.Now())
			if err != nil {
				return err
			}
			if err := repository.NewQuestions(s.db).Create(ctx, question); err != nil {
				return err
			}
			item, err := models.NewQuestionModerationItem(question, time.Now())
			if err != nil {
				return err
			}
			if err := repository.NewModerationItems(s.db).Create(ctx, item); err != nil {
				return err
			}
			questions = append(questions, question)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	b := s.newTab(t, models.RoleEditor)
	b.signIn()
	b.shot("editor-home")
	b.do("open the content", chromedp.Click(menuLink("content_items")))
	b.waitPath("/admin/content_items")
	b.do("press «Создать»", chromedp.Click(chromedp.CSS(`a[href="/admin/content_items/create"]`)))
	b.waitText("Материал: создание")
	b.choose("type", "Статья")
	b.typeInto("slug", "kak-usnut")
	b.typeInto("title", "Как уснуть")
	b.typeInto("summary", "Пять простых шагов к спокойному сну.")
	b.typeInto("body_markdown", "# Как уснуть\n\nЛожитесь в одно и то же время.\n\n- Без экрана за час до сна\n- Прохладная комната\n")
	b.waitJS("the preview shows the heading and the list", `document.querySelector('[data-testid="markdown-editor-body_markdown"] [data-testid="markdown-preview"] h1')?.innerText === "Как уснуть" &&
		document.querySelectorAll('[data-testid="markdown-preview"] li').length === 2`)
	b.shot("article-form")
	b.docShotAt(`[data-testid="markdown-editor-body_markdown"]`, "admin-markdown")
	b.do("press «Сохранить»", chromedp.Click(button("Сохранить")))
	b.waitJS("the article's screen", `/^\/admin\/content_items\/[0-9a-f-]{36}\/show$/.test(location.pathname)`)
	b.waitText("Как уснуть")
	b.waitText("Черновик")
	b.act("publish", nil)
	b.waitJS("the article published", `!!document.querySelector('button[data-action="unpublish"]') && shows("Опубликовано")`)
	b.shot("article-published")
	var item models.ContentItem
	if err := s.db.Gorm.Where("slug = ?", "kak-usnut").First(&item).Error; err != nil || item.Status != models.PublicationPublished {
		t.Errorf("the article in the database: %+v (%v), want published", item.Status, err)
	}

	// Moderation: the crisis question comes first; the editor approves the other one and rejects
	// the crisis one with a reason.
	b.do("open the moderation queue", chromedp.Click(menuLink("moderation_items")))
	b.waitPath("/admin/moderation_items")
	b.waitJS("both questions queued", `document.querySelectorAll("tbody tr").length === 2 &&
		document.querySelector("tbody tr").innerText.includes(args[0])`, questions[1].ID.String())
	b.shot("moderation-queue")
	b.do("open the first question", chromedp.Click(listRow(questions[0].ID.String())))
	b.waitText("На модерации")
	b.act("approve", nil)
	b.waitJS("approved", `!document.querySelector('button[data-action="approve"]') && shows("Одобрено")`)
	b.shot("question-approved")
	b.do("open the moderation queue", chromedp.Click(menuLink("moderation_items")))
	b.waitPath("/admin/moderation_items")
	b.do("open the crisis question", chromedp.Click(listRow(questions[1].ID.String())))
	b.waitText("На модерации")
	const reason = "Вопрос о кризисе: ответим лично, не публично"
	b.act("reject", func() { b.typeInto("reason", reason) })
	b.waitJS("rejected", `shows("Отклонено") && shows(args[0])`, reason)
	b.shot("question-rejected")
	for i, want := range []models.ModerationStatus{models.ModerationStatusApproved, models.ModerationStatusRejected} {
		m, err := repository.NewModerationItems(s.db).BySubject(ctx, models.ModerationKindQuestion, questions[i].ID)
		if err != nil || m.Status != want {
			t.Errorf("question %d's moderation item: %+v (%v), want %s", i, m, err, want)
		}
	}
}

// Scenario 5: a session that ends on the server mid-work (revoked, as signing out elsewhere does)
// sends the next click back to the sign-in page, which signs in again.
func (s *browserServer) expiredSessionSignsOut(t *testing.T) {
	b := s.newTab(t, models.RoleEditor)
	b.signIn()
	b.do("open the content", chromedp.Click(menuLink("content_items")))
	b.waitPath("/admin/content_items")
	b.shot("before-expiry")

	s.revokeSession(t, b.sessionCookie())
	// The click's request answers 401 and the panel goes to the sign-in page at once: the menu
	// entry may be gone before the click's own bookkeeping ends, which is not a failure.
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	err := chromedp.Do(ctx, chromedp.Click(menuLink("topics")))
	cancel()
	if err != nil && !strings.Contains(err.Error(), "Could not find node") {
		b.fail("open the topics", err)
	}
	b.waitPath("/admin/login")
	b.do("the sign-in form", chromedp.WaitVisible(field("email")), chromedp.WaitVisible(field("password")))
	b.waitText("Вход")
	b.shot("signed-out")
	if strings.Contains(b.pageText(), "Темы") {
		t.Error("the sign-in page still shows the panel's menu")
	}
	b.signIn()
	b.shot("signed-in-again")
}

// ownerTab is the owner's signed-in tab of scenario 1, or a new one signed in now (with a
// recovery code when scenario 1 enrolled her authenticator).
func (s *browserServer) ownerTab(t *testing.T) *tab {
	t.Helper()
	if s.owner != nil {
		return s.owner.in(t)
	}
	b := s.newTab(t, models.RoleOwner)
	b.signIn()
	s.owner = b
	return b
}

// ensureService makes sure a published service with weekly hours exists: the one scenario 1 set
// up in the panel, or one seeded through the stores when scenario 1 did not run.
func (s *browserServer) ensureService(t *testing.T) {
	t.Helper()
	if s.serviceSlug != "" {
		return
	}
	ctx, now := context.Background(), time.Now()
	slug := "family-session"
	if _, err := repository.NewServices(s.db).BySlug(ctx, slug); err == nil {
		slug = "family-session-seeded" // scenario 1 created it, then failed
	}
	hours := 24
	svc, err := models.NewService(models.ServiceDetails{
		Slug: slug, Title: "Семейная консультация", Format: models.ServiceFormatOnline,
		DurationMinutes: 80, Price: models.Money{Minor: 800000, Currency: models.CurrencyRUB},
		CancelFreeHours: &hours, Timezone: "Europe/Moscow",
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Publish(now); err != nil {
		t.Fatal(err)
	}
	err = s.db.InTx(ctx, func(ctx context.Context) error {
		if err := repository.NewServices(s.db).Create(ctx, svc); err != nil {
			return err
		}
		for wd := 1; wd <= 7; wd++ {
			rule, err := models.NewAvailabilityRule(&svc.ID, wd, 10*60, 18*60, "Europe/Moscow", nil, nil, now)
			if err != nil {
				return err
			}
			if err := repository.NewAvailability(s.db).CreateRule(ctx, rule); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.serviceSlug = svc.Slug
}
