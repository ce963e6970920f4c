package admin

import "balance/models"

var (
	templateChannelChoices = []Choice{
		{string(models.TemplateChannelEmail), "Email"},
		{string(models.TemplateChannelTelegram), "Telegram"},
	}
	deliveryStatusChoices = []Choice{
		{string(models.DeliveryPending), "В очереди"},
		{string(models.DeliverySent), "Отправлено"},
		{string(models.DeliveryFailed), "Ошибка"},
		{string(models.DeliverySkipped), "Пропущено"},
	}
)

// notificationResources: message templates and the delivery log (which names recipients by
// reference, never the text).
func notificationResources() []Resource {
	return []Resource{
		{
			Name: "message_templates", Label: "Шаблоны сообщений", Singular: "Шаблон сообщения", Model: &models.MessageTemplate{},
			// The code that sends a message names its template: templates are edited, never
			// created or deleted here. An edit that does not render with sample data is refused.
			Access:      map[Verb][]models.Role{List: staffAll, Show: staffAll, Create: nobody, Update: editorial, Delete: nobody},
			DefaultSort: "key", Writer: templateWriter{},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "key", Label: "Ключ", Type: Text, List: true, Sort: true, Search: true},
				{Name: "channel", Label: "Канал", Type: Enum, Choices: templateChannelChoices, List: true, Filter: true},
				{Name: "locale", Label: "Язык", Type: Text, List: true, Filter: true},
				{Name: "subject", Label: "Тема письма", Type: Text, List: true, Search: true, Edit: true},
				{Name: "body_text", Label: "Текст", Type: LongText, Edit: true},
				{Name: "body_html", Label: "HTML", Type: LongText, Edit: true},
				{Name: "version", Label: "Версия", Type: Integer, List: true},
				{Name: "updated_by", Label: "Кем изменён", Type: ID},
				{Name: "created_at", Label: "Создан", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, List: true, Sort: true},
			},
		},
		{
			Name: "notification_deliveries", Label: "Журнал отправки", Singular: "Отправка", Model: &models.NotificationDelivery{},
			Access: readOnly(clientData), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "channel", Label: "Канал", Type: Enum, Choices: templateChannelChoices, List: true, Filter: true},
				{Name: "template_key", Label: "Шаблон", Type: Text, List: true, Filter: true, Search: true},
				{Name: "recipient_user_id", Label: "Получатель", Type: Reference, Ref: "users", Filter: true},
				{Name: "recipient_ref", Label: "Адрес получателя", Type: Text, List: true},
				{Name: "subject_id", Label: "ID предмета", Type: ID, Filter: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: deliveryStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "attempts", Label: "Попыток", Type: Integer, List: true},
				{Name: "last_error", Label: "Последняя ошибка", Type: Text, List: true},
				{Name: "provider_message_id", Label: "ID сообщения у провайдера", Type: Text},
				{Name: "dedup_key", Label: "Ключ дедупликации", Type: Text},
				{Name: "sent_at", Label: "Отправлено", Type: DateTime, List: true, Sort: true},
				{Name: "created_at", Label: "Создано", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "updated_at", Label: "Изменено", Type: DateTime, Sort: true},
			},
		},
	}
}
