package admin

import "balance/models"

var (
	moderationKindChoices = []Choice{
		{string(models.ModerationKindQuestion), "Вопрос"},
		{string(models.ModerationKindAnswer), "Ответ"},
		{string(models.ModerationKindReview), "Отзыв"},
	}
	moderationStatusChoices = []Choice{
		{string(models.ModerationStatusPending), "На модерации"},
		{string(models.ModerationStatusApproved), "Одобрено"},
		{string(models.ModerationStatusRejected), "Отклонено"},
		{string(models.ModerationStatusPublished), "Опубликовано"},
	}
)

// moderationResources: clients' questions, the answers and the moderation queue. The editor
// moderates too, so a question declares neither its text (P2) nor who asked (user, contact email):
// only the anonymised public text.
func moderationResources() []Resource {
	return []Resource{
		{
			Name: "questions", Label: "Вопросы", Singular: "Вопрос", Model: &models.Question{},
			Access: readOnly(staffAll), DefaultSort: "-submitted_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "public_text", Label: "Текст для публикации", Type: LongText, List: true, Search: true},
				{Name: "topic_code", Label: "Тема (код)", Type: Text, List: true, Filter: true},
				{Name: "crisis_flag", Label: "Кризисный", Type: Boolean, List: true, Filter: true},
				{Name: "submitted_at", Label: "Задан", Type: DateTime, List: true, Sort: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "answers", Label: "Ответы", Singular: "Ответ", Model: &models.Answer{},
			Access: readOnly(staffAll), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "question_id", Label: "Вопрос", Type: Reference, Ref: "questions", List: true, Filter: true},
				{Name: "author_user_id", Label: "Автор", Type: ID, Filter: true},
				{Name: "body_markdown", Label: "Текст", Type: Markdown, Search: true},
				{Name: "published_at", Label: "Опубликован", Type: DateTime, List: true, Sort: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "moderation_items", Label: "Модерация", Singular: "Элемент модерации", Model: &models.ModerationItem{},
			Access: readOnly(staffAll), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "kind", Label: "Что", Type: Enum, Choices: moderationKindChoices, List: true, Filter: true},
				{Name: "subject_id", Label: "ID предмета", Type: ID, List: true, Filter: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: moderationStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "moderator_id", Label: "Модератор", Type: ID, Filter: true},
				{Name: "decided_at", Label: "Решение принято", Type: DateTime, List: true, Sort: true},
				{Name: "reason", Label: "Причина отклонения", Type: Text},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
	}
}
