package admin

import (
	"balance/models"
	"balance/repository"
)

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
	staffRoleChoices = []Choice{
		{string(models.RoleOwner), "Владелец"},
		{string(models.RoleAssistant), "Ассистент"},
		{string(models.RoleEditor), "Редактор"},
	}
	activeUser  = []string{string(models.UserActive)}
	blockedUser = []string{string(models.UserBlocked)}
	// clientsOnly: the users resource lists clients; staff have their own resource.
	clientsOnly = &repository.Condition{
		SQL:  "NOT EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = users.id AND r.role IN ?)",
		Args: []any{[]string{string(models.RoleOwner), string(models.RoleAssistant), string(models.RoleEditor)}},
	}
	dataExportStatusChoices = []Choice{
		{string(models.DataExportStatusRequested), "Запрошена"},
		{string(models.DataExportStatusProcessing), "Готовится"},
		{string(models.DataExportStatusReady), "Готова"},
		{string(models.DataExportStatusFailed), "Ошибка"},
		{string(models.DataExportStatusExpired), "Истекла"},
	}
)

// identityResources: clients (erased ones are not shown), their consents and data-export
// requests; staff members (invited by the owner), and staff sessions. Password hashes, session
// tokens and the archive's location are not declared.
func identityResources() []Resource {
	return []Resource{
		{
			Name: "users", Label: "Клиенты", Singular: "Клиент", Model: &models.User{},
			Access: readOnly(clientData), TitleField: "email", DefaultSort: "-created_at", Scope: clientsOnly,
			Actions: []Action{
				{Name: "block", Label: "Заблокировать", Roles: ownerOnly, States: activeUser, Run: blockUser},
				{Name: "unblock", Label: "Разблокировать", Roles: ownerOnly, States: blockedUser, Run: unblockUser},
			},
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
				{Name: "source", Label: "Где дано", Type: Text, List: true, Filter: true},
				{Name: "granted_at", Label: "Когда", Type: DateTime, List: true, Sort: true},
				{Name: "revoked_at", Label: "Отозвано", Type: DateTime, List: true, Sort: true},
			},
		},
		{
			// Users holding a staff role (a view: each with their highest role). The owner invites
			// them (they set their own password through the emailed link) and changes their role.
			Name: "staff", Label: "Сотрудники", Singular: "Сотрудник", Model: &repository.StaffMember{},
			Access: map[Verb][]models.Role{
				List: clientData, Show: clientData, Create: ownerOnly, Update: ownerOnly, Delete: nobody,
			},
			TitleField: "email", DefaultSort: "display_name", Writer: staffWriter{},
			Actions: []Action{
				{Name: "disable", Label: "Отключить доступ", Roles: ownerOnly, States: activeUser, Run: blockUser},
				{Name: "enable", Label: "Вернуть доступ", Roles: ownerOnly, States: blockedUser, Run: unblockUser},
				{Name: "resend_invite", Label: "Отправить приглашение ещё раз", Roles: ownerOnly, States: activeUser, Run: resendInvite},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "display_name", Label: "Имя", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "email", Label: "Email", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "role", Label: "Роль", Type: Enum, Choices: staffRoleChoices, List: true, Filter: true, Sort: true, Edit: true, Required: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: userStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "password_set", Label: "Пароль задан", Type: Boolean, List: true, Filter: true},
				{Name: "created_at", Label: "Приглашён", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			// Staff sessions of the admin panel; the token's hash is not declared.
			Name: "sessions", Label: "Сеансы входа", Singular: "Сеанс входа", Model: &models.Session{},
			Access: readOnly(clientData), DefaultSort: "-created_at",
			Actions: []Action{
				{Name: "revoke", Label: "Завершить сеанс", Roles: ownerOnly, Run: revokeSession},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "user_id", Label: "Сотрудник", Type: Reference, Ref: "staff", List: true, Filter: true},
				{Name: "created_at", Label: "Начат", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "last_seen_at", Label: "Последняя активность", Type: DateTime, List: true, Sort: true},
				{Name: "ip", Label: "IP", Type: Text, List: true, Filter: true},
				{Name: "user_agent", Label: "Браузер", Type: Text, List: true},
				{Name: "expires_at", Label: "Истекает", Type: DateTime, List: true, Sort: true},
				{Name: "revoked_at", Label: "Завершён", Type: DateTime, List: true, Sort: true},
				{Name: "mfa_pending", Label: "Ждёт второго фактора", Type: Boolean, Filter: true},
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
