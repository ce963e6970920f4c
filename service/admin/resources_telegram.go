package admin

import "balance/models"

var deepLinkPurposeChoices = []Choice{
	{string(models.DeepLinkPurposePlan), "План после интерактива"},
	{string(models.DeepLinkPurposeBooking), "Уведомления о записи"},
	{string(models.DeepLinkPurposeSubscribe), "Подписка на новости"},
}

// telegramResources: the bot's Telegram accounts and deep links. A deep link's code is a bearer
// secret (whoever sends /start <code> uses the link) and is not declared.
func telegramResources() []Resource {
	return []Resource{
		{
			Name: "telegram_accounts", Label: "Аккаунты Telegram", Singular: "Аккаунт Telegram", Model: &models.TelegramAccount{},
			Access: readOnly(clientData), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "username", Label: "Имя пользователя", Type: Text, List: true, Sort: true, Search: true},
				{Name: "telegram_user_id", Label: "ID в Telegram", Type: Integer, List: true, Filter: true},
				{Name: "chat_id", Label: "ID чата", Type: Integer},
				{Name: "user_id", Label: "Пользователь", Type: Reference, Ref: "users", List: true, Filter: true},
				{Name: "lead_id", Label: "Лид", Type: Reference, Ref: "leads", Filter: true},
				{Name: "blocked", Label: "Бот заблокирован", Type: Boolean, List: true, Filter: true},
				{Name: "blocked_at", Label: "Заблокирован", Type: DateTime},
				{Name: "linked_at", Label: "Связан с пользователем", Type: DateTime, Sort: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "deep_links", Label: "Ссылки в бот", Singular: "Ссылка в бот", Model: &models.DeepLink{},
			Access: readOnly(clientData), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "purpose", Label: "Назначение", Type: Enum, Choices: deepLinkPurposeChoices, List: true, Filter: true},
				{Name: "payload", Label: "Параметры", Type: JSON},
				{Name: "entry_point", Label: "Где выдана", Type: Text, List: true, Filter: true, Search: true},
				{Name: "lead_id", Label: "Лид", Type: Reference, Ref: "leads", Filter: true},
				{Name: "user_id", Label: "Пользователь", Type: Reference, Ref: "users", Filter: true},
				{Name: "uses", Label: "Использована раз", Type: Integer, List: true},
				{Name: "max_uses", Label: "Можно раз", Type: Integer},
				{Name: "used_at", Label: "Первое использование", Type: DateTime, List: true, Sort: true},
				{Name: "expires_at", Label: "Действует до", Type: DateTime, List: true, Sort: true},
				{Name: "created_at", Label: "Выдана", Type: DateTime, List: true, Sort: true},
			},
		},
	}
}
