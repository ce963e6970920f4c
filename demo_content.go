package main

// The demo's public site: a topic, two articles, a short anxiety self-check and one answered
// question, so that every part of the site API has something to show.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

const (
	demoTopicCode    = "anxiety"
	demoArticleSlug  = "kak-spravitsya-s-trevozhnostyu"
	demoArticle2Slug = "son-i-stress"
	demoToolSlug     = "trevoga-samoproverka"
)

// demoArticles are the demo's two published articles, both on the demo topic.
var demoArticles = []models.ContentFields{
	{
		Type:    models.ContentTypeArticle,
		Slug:    demoArticleSlug,
		Title:   "Как справиться с тревожностью: пять шагов",
		Summary: "Тревожность — не враг, а сигнал. Пять простых шагов, которые помогают вернуть опору.",
		BodyMarkdown: `Тревожность знакома каждому: сердце бьётся чаще, мысли бегут по кругу.

## Заметьте, что происходит

Назовите чувство словами: «я тревожусь». Это уже снижает его силу.

## Дыхание 4–7–8

Вдох на четыре счёта, задержка на семь, выдох на восемь. Повторите четыре раза.

## Вернитесь в настоящее

Назовите пять предметов, которые видите, четыре звука, которые слышите, три ощущения в теле.

## Отложите тревожные мысли

Выделите себе «время для тревоги» — пятнадцать минут вечером — и переносите туда мысли, которые
приходят днём.

## Обратитесь за поддержкой

Если тревога мешает жить неделями, поговорите с психологом: это нормально и это помогает.`,
		SEOTitle:       "Как справиться с тревожностью — Эмоциональный баланс",
		SEODescription: "Пять шагов, которые помогают справиться с тревожностью: дыхание, заземление, время для тревоги.",
	},
	{
		Type:    models.ContentTypeArticle,
		Slug:    demoArticle2Slug,
		Title:   "Сон и стресс: как наладить отдых",
		Summary: "Почему при стрессе трудно уснуть и что помогает восстановить сон.",
		BodyMarkdown: `Стресс и сон связаны: напряжение мешает уснуть, а недосып усиливает напряжение.

## Режим

Ложитесь и вставайте в одно и то же время, даже в выходные.

## Вечер без экранов

За час до сна отложите телефон: свет экрана и новости будят мозг.

## Если не спится

Встаньте, займитесь спокойным делом при неярком свете и вернитесь в постель, когда захочется спать.`,
	},
}

// demoToolConfig is a short anxiety self-check: four questions scored 0–3 (low, moderate, high)
// and one that, answered "yes", starts the crisis flow.
func demoToolConfig() models.InteractiveConfig {
	frequency := func(q string) []models.InteractiveOption {
		return []models.InteractiveOption{
			{ID: q + "-0", Text: "Ни разу", Score: 0},
			{ID: q + "-1", Text: "Несколько дней", Score: 1},
			{ID: q + "-2", Text: "Больше половины дней", Score: 2},
			{ID: q + "-3", Text: "Почти каждый день", Score: 3},
		}
	}
	return models.InteractiveConfig{
		Description: "Пять вопросов о последних двух неделях. Это не диагноз, а повод прислушаться к себе.",
		Questions: []models.InteractiveQuestion{
			{ID: "nervous", Text: "Как часто за последние две недели вы чувствовали нервозность или беспокойство?", Options: frequency("nervous")},
			{ID: "worry", Text: "Как часто вы не могли остановить или контролировать беспокойство?", Options: frequency("worry")},
			{ID: "relax", Text: "Как часто вам было трудно расслабиться?", Options: frequency("relax")},
			{ID: "sleep", Text: "Как часто тревога мешала вам уснуть?", Options: frequency("sleep")},
			{ID: "harm", Text: "Бывали ли у вас за последние две недели мысли причинить себе вред?", Options: []models.InteractiveOption{
				{ID: "harm-no", Text: "Нет", Score: 0},
				{ID: "harm-yes", Text: "Да", Score: 0},
			}},
		},
		Bands: []models.InteractiveBand{
			{Level: models.InteractiveLevelLow, MinScore: 0, MaxScore: 3},
			{Level: models.InteractiveLevelModerate, MinScore: 4, MaxScore: 7},
			{Level: models.InteractiveLevelHigh, MinScore: 8, MaxScore: 12},
		},
		CrisisRules: []models.InteractiveCrisisRule{{QuestionID: "harm", OptionIDs: []string{"harm-yes"}}},
		Recommendations: models.InteractiveRecommendations{Levels: map[models.InteractiveLevel]string{
			models.InteractiveLevelLow:      "Тревога сейчас невысокая. Продолжайте замечать, что вам помогает, и берегите сон.",
			models.InteractiveLevelModerate: "Тревога заметна. Попробуйте дыхание 4–7–8 и «время для тревоги» из статьи о тревожности; если через две недели легче не станет, обсудите это с психологом.",
			models.InteractiveLevelHigh:     "Тревога сильно влияет на вашу жизнь. Стоит поговорить с психологом: запишитесь на консультацию.",
		}},
	}
}

// demoQuestion is the demo's answered question: what the asker wrote (stored encrypted), the
// moderator's anonymised wording and the answer.
var demoQuestion = struct{ text, public, answer string }{
	text:   "Перед каждым выступлением на работе у меня трясутся руки и я почти не сплю ночь. Это нормально?",
	public: "Перед выступлениями на работе сильно волнуюсь и плохо сплю накануне. Это нормально?",
	answer: "Волнение перед выступлением — естественная реакция: тело готовится к важному делу. " +
		"Помогают подготовка, короткая дыхательная практика перед выходом и разрешение себе " +
		"волноваться. Если тревога мешает работе неделями, приходите на консультацию — разберём, " +
		"что за ней стоит.",
}

// seedDemoSite publishes the demo's topic, articles, self-check and answered question (answered
// by the demo's owner, who must exist) unless the demo topic exists: a second run changes nothing.
func seedDemoSite(ctx context.Context, db *repository.DB, now time.Time, log *slog.Logger) error {
	ownerEmail, err := models.ParseEmail(demoStaffEmails[0].email)
	if err != nil {
		return err
	}
	owner, err := repository.NewUsers(db).ByEmail(ctx, ownerEmail)
	if err != nil {
		return fmt.Errorf("seed demo site: the demo's owner: %w", err)
	}
	author := owner.ID
	topics := repository.NewTopics(db)
	if _, err := topics.ByCode(ctx, demoTopicCode); err == nil {
		log.Info("demo site content already present, left as it is", "topic", demoTopicCode)
		return nil
	} else if !errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("seed demo site: %w", err)
	}
	err = db.InTx(ctx, func(ctx context.Context) error {
		topic, err := models.NewTopic(demoTopicCode, "Тревога", "Тревога, беспокойство, страхи", 1, now)
		if err != nil {
			return err
		}
		if err := topics.Create(ctx, topic); err != nil {
			return err
		}
		tag, err := models.NewTag("samopomoshch", "Самопомощь", now)
		if err != nil {
			return err
		}
		if err := repository.NewTags(db).Create(ctx, tag); err != nil {
			return err
		}
		items := repository.NewContentItems(db)
		for i, f := range demoArticles {
			f.TopicID = &topic.ID
			// The first article is the newer: it is listed first.
			at := now.Add(time.Duration(i-len(demoArticles)) * time.Hour)
			item, err := models.NewContentItem(f, at)
			if err != nil {
				return err
			}
			if err := item.SetTags([]models.Tag{*tag}, at); err != nil {
				return err
			}
			if err := item.Publish(at.Add(-time.Duration(i) * time.Hour)); err != nil {
				return err
			}
			if err := items.Create(ctx, item); err != nil {
				return err
			}
		}

		code := demoTopicCode
		tool, err := models.NewInteractiveDefinition(models.InteractiveDefinitionFields{
			Type: models.InteractiveTypeQuiz, Slug: demoToolSlug, Title: "Тревога: короткая самопроверка",
			TopicCode: &code, Config: demoToolConfig(),
		}, now)
		if err != nil {
			return err
		}
		if err := tool.Publish(now); err != nil {
			return err
		}
		if err := repository.NewInteractiveDefinitions(db).Create(ctx, tool); err != nil {
			return err
		}
		return seedDemoQuestion(ctx, db, author, now)
	})
	if err != nil {
		return fmt.Errorf("seed demo site: %w", err)
	}
	log.Info("demo site content seeded", "topic", demoTopicCode, "articles", len(demoArticles),
		"tool", demoToolSlug, "answered_questions", 1)
	return nil
}

// seedDemoQuestion records the demo's question as a visitor would ask it, then moderates,
// answers and publishes it.
func seedDemoQuestion(ctx context.Context, db *repository.DB, author uuid.UUID, now time.Time) error {
	asked := now.Add(-48 * time.Hour)
	q, err := models.NewQuestion(nil, demoQuestion.text, "", demoTopicCode, false, asked)
	if err != nil {
		return err
	}
	if err := q.SetPublicText(demoQuestion.public, now); err != nil {
		return err
	}
	if err := repository.NewQuestions(db).Create(ctx, q); err != nil {
		return err
	}
	answer, err := models.NewAnswer(q.ID, author, demoQuestion.answer, now)
	if err != nil {
		return err
	}
	if err := answer.Publish(now); err != nil {
		return err
	}
	if err := repository.NewAnswers(db).Create(ctx, answer); err != nil {
		return err
	}
	item, err := models.NewQuestionModerationItem(q, asked)
	if err != nil {
		return err
	}
	if err := item.Approve(author, now); err != nil {
		return err
	}
	if err := item.Publish(author, now); err != nil {
		return err
	}
	return repository.NewModerationItems(db).Create(ctx, item)
}
