package notify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
	"balance/service/notify"
)

// owner saves an active owner, with a Telegram chat linked to the bot when chat is not 0.
func (e *env) owner(t *testing.T, mail models.Email, chat int64) *models.User {
	t.Helper()
	ctx := context.Background()
	u, err := models.NewStaffUser(mail, "Елена", models.RoleOwner, "$argon2id$v=19$m=8192,t=1,p=1$c2FsdA$aGFzaA", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.Users.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	if chat != 0 {
		acc, err := models.NewTelegramAccount(chat, "elena", chat, now)
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.LinkUser(u.ID, now); err != nil {
			t.Fatal(err)
		}
		if err := e.st.Telegram.Create(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

// TestCrisisAlertsReachEveryOwner: a self-help run that triggered the crisis rules and a question
// flagged as a crisis alert every active owner by email and (when linked) Telegram, once however
// often the job runs, with the kind, the time and the admin link — never what the client wrote.
// Nothing goes out for runs and questions without the flag, nor to clients or blocked owners. Each
// owner reads the time in her own zone, or in the practice's default one when she has none.
func TestCrisisAlertsReachEveryOwner(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		owner := e.owner(t, "owner@example.org", 888)
		second := e.owner(t, "second.owner@example.org", 0)
		if err := e.st.Users.Update(ctx, second.ID, func(u *models.User) error {
			zone := "Asia/Yekaterinburg"
			u.TimeZone = &zone
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		when := map[string]string{
			"owner@example.org":        "четверг, 3 декабря 2026, 10:00 (Europe/Moscow)",
			"second.owner@example.org": "четверг, 3 декабря 2026, 12:00 (Asia/Yekaterinburg)",
		}
		blocked := e.owner(t, "former@example.org", 999)
		if err := e.st.Users.Update(ctx, blocked.ID, func(u *models.User) error { return u.Block(now) }); err != nil {
			t.Fatal(err)
		}
		run, question := models.NewID(), models.NewID()
		for _, tc := range []struct {
			ev      models.Event
			kind    string
			link    string
			alerted bool
		}{
			{models.InteractiveRunCompleted{EventMeta: models.NewEventMeta(run, start), RunID: run, DefinitionID: models.NewID(), CrisisTriggered: true},
				"тест", "https://balance.example/admin/interactive_runs/" + run.String() + "/show", true},
			{models.QuestionSubmitted{EventMeta: models.NewEventMeta(question, start), CrisisFlag: true},
				"вопрос", "https://balance.example/admin/questions/" + question.String() + "/show", true},
			{models.InteractiveRunCompleted{EventMeta: models.NewEventMeta(run, start), RunID: run, DefinitionID: models.NewID()}, "", "", false},
			{models.QuestionSubmitted{EventMeta: models.NewEventMeta(question, start), UserID: &e.user.ID}, "", "", false},
		} {
			mails, chats := len(e.smtp.Messages()), len(e.tg.Sent())
			for range 2 { // a job runs at least once: the second run sends nothing
				if err := e.deliver(t, notify.AlertsSubscriber, tc.ev); err != nil {
					t.Fatalf("%s: %v", tc.ev.EventName(), err)
				}
			}
			newMails, newChats := e.smtp.Messages()[mails:], e.tg.Sent()[chats:]
			if !tc.alerted {
				if len(newMails)+len(newChats) != 0 {
					t.Errorf("%s without the flag: %d emails, %d telegram messages", tc.ev.EventName(), len(newMails), len(newChats))
				}
				continue
			}
			if len(newMails) != 2 || len(newChats) != 1 || newChats[0].ChatID != 888 {
				t.Fatalf("%s: %d emails, telegram %+v; want one email per active owner and the linked owner's chat", tc.ev.EventName(), len(newMails), newChats)
			}
			to := map[string]bool{}
			for _, m := range newMails {
				to[m.To[0]] = true
				p, err := m.Parse()
				if err != nil {
					t.Fatal(err)
				}
				if p.Subject != "Кризисный сигнал: "+tc.kind || !strings.Contains(p.Text, tc.link) ||
					!strings.Contains(p.Text, when[m.To[0]]) {
					t.Errorf("%s: subject %q text %q", tc.ev.EventName(), p.Subject, p.Text)
				}
			}
			if !to["owner@example.org"] || !to["second.owner@example.org"] {
				t.Errorf("%s went to %v", tc.ev.EventName(), to)
			}
			if text := newChats[0].Text; !strings.Contains(text, "<b>Кризисный сигнал</b>: "+tc.kind) || !strings.Contains(text, tc.link) {
				t.Errorf("telegram %q", text)
			}
			log, err := e.st.Deliveries.BySubject(ctx, tc.ev.AggregateID())
			if err != nil {
				t.Fatal(err)
			}
			sent := 0
			for _, d := range log {
				if d.TemplateKey == notify.TemplateOwnerCrisisAlert && d.Status == models.DeliverySent {
					sent++
				}
				if d.Channel == models.TemplateChannelTelegram && d.Status == models.DeliverySent && (d.RecipientUserID == nil || *d.RecipientUserID != owner.ID) {
					t.Errorf("a telegram alert to someone else than the linked owner: %+v", d)
				}
				if d.RecipientUserID != nil && *d.RecipientUserID == blocked.ID {
					t.Errorf("a blocked owner has a delivery: %+v", d)
				}
			}
			if sent != 3 {
				t.Errorf("%d sent deliveries, want 3 (two emails, one telegram): %+v", sent, log)
			}
		}
	})
}

// TestQuestionAnsweredEmail: publishing a question tells its asker, when they left an email, with
// the link to the answer page — never the question's text; once; and nothing for other decisions
// or a question without an email.
func TestQuestionAnsweredEmail(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		questions := repository.NewQuestions(db)
		ask := func(contact string) *models.Question {
			q, err := models.NewQuestion(nil, "Как справиться с тревогой перед экзаменом?", contact, "", false, now)
			if err != nil {
				t.Fatal(err)
			}
			if err := questions.Create(ctx, q); err != nil {
				t.Fatal(err)
			}
			return q
		}
		withEmail, withoutEmail := ask("Asker@Example.org"), ask("")
		decided := func(q *models.Question, kind models.ModerationKind, to models.ModerationStatus) models.ModerationDecided {
			return models.ModerationDecided{EventMeta: models.NewEventMeta(models.NewID(), now), Kind: kind, SubjectID: q.ID,
				From: models.ModerationStatusApproved, To: to, ModeratorID: uuid.New()}
		}
		for _, tc := range []struct {
			name string
			ev   models.ModerationDecided
			sent int
		}{
			{"approved, not yet published", decided(withEmail, models.ModerationKindQuestion, models.ModerationStatusApproved), 0},
			{"an answer's item", decided(withEmail, models.ModerationKindAnswer, models.ModerationStatusPublished), 0},
			{"no email", decided(withoutEmail, models.ModerationKindQuestion, models.ModerationStatusPublished), 0},
			{"a question that is gone", models.ModerationDecided{EventMeta: models.NewEventMeta(models.NewID(), now), Kind: models.ModerationKindQuestion,
				SubjectID: models.NewID(), To: models.ModerationStatusPublished}, 0},
			{"published", decided(withEmail, models.ModerationKindQuestion, models.ModerationStatusPublished), 1},
		} {
			before := len(e.smtp.Messages())
			for range 2 {
				if err := e.deliver(t, notify.AlertsSubscriber, tc.ev); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
			}
			msgs := e.smtp.Messages()[before:]
			if len(msgs) != tc.sent {
				t.Fatalf("%s: %d emails, want %d", tc.name, len(msgs), tc.sent)
			}
			if tc.sent == 0 {
				continue
			}
			p, err := msgs[0].Parse()
			if err != nil {
				t.Fatal(err)
			}
			if msgs[0].To[0] != "asker@example.org" || p.Subject != "На ваш вопрос ответили" ||
				!strings.Contains(p.Text, "https://balance.example/answers/"+withEmail.ID.String()) ||
				strings.Contains(string(msgs[0].Raw), "экзамен") {
				t.Errorf("%s: to %v subject %q text %q", tc.name, msgs[0].To, p.Subject, p.Text)
			}
		}
	})
}

// TestLeadAndAlertTemplatesRenderWithSampleData: the seeded templates of this file pass the admin
// panel's check (they render with the sample data of their key), so an editor can save them.
func TestLeadAndAlertTemplatesRenderWithSampleData(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		st := notify.NewStores(db)
		for _, tc := range []struct {
			key     string
			channel models.TemplateChannel
			want    string
		}{
			{notify.TemplateOwnerNewLead, models.TemplateChannelEmail, "email anna@example.org"},
			{notify.TemplateOwnerCrisisAlert, models.TemplateChannelEmail, "/admin/interactive_runs/sample/show"},
			{notify.TemplateOwnerCrisisAlert, models.TemplateChannelTelegram, "Кризисный сигнал"},
			{notify.TemplateQuestionAnswered, models.TemplateChannelEmail, "/answers/sample"},
		} {
			m, err := st.Templates.ByKey(context.Background(), tc.key, tc.channel, notify.Locale)
			if err != nil {
				t.Fatalf("%s/%s is not seeded: %v", tc.key, tc.channel, err)
			}
			r, err := notify.Preview(m)
			if err != nil {
				t.Fatalf("%s/%s: %v", tc.key, tc.channel, err)
			}
			if !strings.Contains(r.Text, tc.want) {
				t.Errorf("%s/%s renders %q", tc.key, tc.channel, r.Text)
			}
		}
	})
}
