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
	// The states the moderation actions apply to (models.ModerationItem's transitions).
	pendingItem    = []string{string(models.ModerationStatusPending)}
	approvedItem   = []string{string(models.ModerationStatusApproved)}
	rejectableItem = []string{
		string(models.ModerationStatusPending), string(models.ModerationStatusApproved), string(models.ModerationStatusPublished),
	}
)

// moderationResources: clients' questions, the answers and the moderation queue, moderated by
// the owner, the assistant and the editor alike. A question's own text is P2: only the owner sees
// it, one question at a time, and each read is audited. Who asked (the user, the contact email) is
// client data the editor does not see; everyone works from the anonymised public text.
func moderationResources() []Resource {
	return []Resource{
		{
			Name: "questions", Label: "Вопросы", Singular: "Вопрос", Model: &models.Question{},
			Access: readOnly(staffAll), DefaultSort: "-crisis_flag,-submitted_at",
			Actions: []Action{
				{
					Name: "set_public_text", Label: "Текст для публикации", Roles: staffAll, Run: setPublicText,
					Fields: []Field{{Name: "public_text", Label: "Обезличенный текст вопроса", Type: LongText, Edit: true, Required: true}},
				},
				{
					Name: "answer", Label: "Ответить", Roles: staffAll, Run: answerQuestion,
					Fields: []Field{{Name: "body_markdown", Label: "Ответ", Type: Markdown, Edit: true, Required: true}},
				},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "text", Label: "Текст клиента", Type: LongText, P2: true},
				{Name: "public_text", Label: "Текст для публикации", Type: LongText, List: true, Search: true},
				{Name: "user_id", Label: "Клиент", Type: Reference, Ref: "users", Filter: true, Roles: clientData},
				{Name: "contact_email", Label: "Email для ответа", Type: Text, Roles: clientData},
				{Name: "topic_code", Label: "Тема (код)", Type: Text, List: true, Filter: true},
				{Name: "crisis_flag", Label: "Кризисный", Type: Boolean, List: true, Filter: true, Sort: true},
				{Name: "submitted_at", Label: "Задан", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "answers", Label: "Ответы", Singular: "Ответ", Model: &models.Answer{},
			Access:      map[Verb][]models.Role{List: staffAll, Show: staffAll, Create: nobody, Update: staffAll, Delete: nobody},
			DefaultSort: "-created_at", Writer: answerWriter{},
			Actions: []Action{
				{Name: "publish", Label: "Опубликовать", Roles: staffAll, Run: answerChange((*models.Answer).Publish)},
				{Name: "unpublish", Label: "Снять с публикации", Roles: staffAll, Run: answerChange((*models.Answer).Unpublish)},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "question_id", Label: "Вопрос", Type: Reference, Ref: "questions", List: true, Filter: true},
				{Name: "author_user_id", Label: "Автор", Type: ID, Filter: true},
				{Name: "body_markdown", Label: "Текст", Type: Markdown, Search: true, Edit: true},
				{Name: "published_at", Label: "Опубликован", Type: DateTime, List: true, Sort: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "moderation_items", Label: "Модерация", Singular: "Элемент модерации", Model: &models.ModerationItem{},
			Access: readOnly(staffAll), DefaultSort: "-crisis,-created_at",
			Actions: []Action{
				{Name: "approve", Label: "Одобрить", Roles: staffAll, States: pendingItem, Run: moderate((*models.ModerationItem).Approve)},
				{Name: "publish", Label: "Опубликовать", Roles: staffAll, States: approvedItem, Run: publishItem},
				{
					Name: "reject", Label: "Отклонить", Roles: staffAll, States: rejectableItem, Run: rejectItem,
					Fields: []Field{{Name: "reason", Label: "Причина отклонения", Type: LongText, Edit: true, Required: true}},
				},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "kind", Label: "Что", Type: Enum, Choices: moderationKindChoices, List: true, Filter: true},
				{Name: "subject_id", Label: "ID предмета", Type: ID, List: true, Filter: true},
				{Name: "crisis", Label: "Кризисный", Type: Boolean, List: true, Filter: true, Sort: true},
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
