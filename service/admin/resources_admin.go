package admin

import "balance/models"

var auditActionChoices = []Choice{
	{string(models.AuditActionCreate), "Создание"},
	{string(models.AuditActionUpdate), "Изменение"},
	{string(models.AuditActionDelete), "Удаление"},
	{string(models.AuditActionLogin), "Вход"},
	{string(models.AuditActionLogout), "Выход"},
	{string(models.AuditActionLoginFailed), "Неудачный вход"},
	{string(models.AuditActionRead), "Просмотр P2-данных"},
	{string(models.AuditActionExport), "Выдача выгрузки"},
	{string(models.AuditActionEvent), "Событие"},
}

// auditResources: the append-only audit log; its diffs name fields, never P2 values or secrets.
func auditResources() []Resource {
	return []Resource{
		{
			Name: "audit_logs", Label: "Журнал действий", Singular: "Запись журнала", Model: &models.AuditLog{},
			Access: readOnly(clientData), DefaultSort: "-at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "at", Label: "Когда", Type: DateTime, List: true, Sort: true},
				{Name: "actor_user_id", Label: "Кто", Type: Reference, Ref: "users", List: true, Filter: true},
				{Name: "actor_role", Label: "В роли", Type: Text, List: true, Filter: true},
				{Name: "action", Label: "Действие", Type: Enum, Choices: auditActionChoices, List: true, Filter: true},
				{Name: "resource", Label: "Ресурс", Type: Text, List: true, Filter: true},
				{Name: "resource_id", Label: "ID записи", Type: Text, List: true, Filter: true},
				{Name: "changes", Label: "Изменённые поля", Type: JSON},
				{Name: "ip", Label: "IP", Type: Text},
				{Name: "user_agent", Label: "Браузер", Type: Text},
				{Name: "event_id", Label: "ID события", Type: ID},
			},
		},
	}
}
