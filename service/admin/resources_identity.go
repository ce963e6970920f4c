package admin

import "balance/models"

var (
	userStatusChoices = []Choice{
		{string(models.UserActive), "Активен"},
		{string(models.UserBlocked), "Заблокирован"},
		{string(models.UserDeleted), "Удалён"},
	}
	consentTypeChoices = []Choice{
		{string(models.ConsentPersonalData), "Обработка персональных данных"},
		{string(models.ConsentCommunications), "Рассылки"},
		{string(models.ConsentTelegram), "Сообщения в Telegram"},
		{string(models.ConsentReviewPublication), "Публикация отзыва"},
	}
	dataExportStatusChoices = []Choice{
		{string(models.DataExportStatusRequested), "Запрошена"},
		{string(models.DataExportStatusProcessing), "Готовится"},
		{string(models.DataExportStatusReady), "Готова"},
		{string(models.DataExportStatusFailed), "Ошибка"},
		{string(models.DataExportStatusExpired), "Истекла"},
	}
)

// identityResources: users (clients and staff; erased users are not shown), their consents and
// their data-export requests. Password hashes and the archive's location are not declared.
func identityResources() []Resource {
	return []Resource{
		{
			Name: "users", Label: "Пользователи", Singular: "Пользователь", Model: &models.User{},
			Access: readOnly(clientData), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "display_name", Label: "Имя", Type: Text, List: true, Sort: true, Search: true},
				{Name: "email", Label: "Email", Type: Text, List: true, Sort: true, Search: true},
				{Name: "phone", Label: "Телефон", Type: Text, List: true, Search: true},
				{Name: "telegram_username", Label: "Telegram", Type: Text, List: true, Search: true},
				{Name: "telegram_user_id", Label: "ID в Telegram", Type: Text},
				{Name: "status", Label: "Статус", Type: Enum, Choices: userStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "created_at", Label: "Зарегистрирован", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "consents", Label: "Согласия", Singular: "Согласие", Model: &models.Consent{},
			Access: readOnly(clientData), DefaultSort: "-granted_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "user_id", Label: "Пользователь", Type: Reference, Ref: "users", List: true, Filter: true},
				{Name: "consent_type", Label: "Согласие на", Type: Enum, Choices: consentTypeChoices, List: true, Filter: true},
				{Name: "granted", Label: "Дано", Type: Boolean, List: true, Filter: true},
				{Name: "version", Label: "Версия документа", Type: Text, List: true},
				{Name: "source", Label: "Где дано", Type: Text},
				{Name: "granted_at", Label: "Когда", Type: DateTime, List: true, Sort: true},
				{Name: "revoked_at", Label: "Отозвано", Type: DateTime, List: true, Sort: true},
			},
		},
		{
			Name: "data_export_requests", Label: "Выгрузки данных", Singular: "Выгрузка данных", Model: &models.DataExportRequest{},
			Access: readOnly(clientData), DefaultSort: "-requested_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "user_id", Label: "Пользователь", Type: Reference, Ref: "users", List: true, Filter: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: dataExportStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "requested_at", Label: "Запрошена", Type: DateTime, List: true, Sort: true},
				{Name: "started_at", Label: "Начата", Type: DateTime},
				{Name: "completed_at", Label: "Готова", Type: DateTime, List: true},
				{Name: "expires_at", Label: "Доступна до", Type: DateTime, List: true},
				{Name: "failure_reason", Label: "Причина ошибки", Type: Text},
				{Name: "version", Label: "Версия", Type: Integer},
			},
		},
	}
}
