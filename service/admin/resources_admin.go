package admin

import (
	"balance/models"
	"balance/repository"
)

var (
	auditActionChoices = []Choice{
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
	// jobStateChoices are River's job states (rivertype.JobStates), in the order of a job's life.
	jobStateChoices = []Choice{
		{"available", "Ждёт выполнения"}, {"running", "Выполняется"}, {"retryable", "Ждёт повтора"},
		{"scheduled", "Запланирована"}, {"completed", "Выполнена"}, {"cancelled", "Отменена"},
		{"discarded", "Не выполнена"}, {"pending", "Отложена"},
	}
	jobKindChoices = []Choice{{"event", "Доставка события"}, {"task", "Задача"}}
)

// auditResources: the append-only audit log (its diffs name fields, never P2 values or secrets)
// and the job queue. Both are the owner's and the assistant's to read; only the owner retries a
// job (the assistant reads the queue).
func auditResources() []Resource {
	return []Resource{
		{
			Name: "audit_logs", Label: "Журнал действий", Singular: "Запись журнала", Model: &models.AuditLog{},
			Access: readOnly(clientData), DefaultSort: "-at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "at", Label: "Когда", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "actor_user_id", Label: "Кто", Type: Reference, Ref: "staff", List: true, Filter: true},
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
		{
			// River's jobs: event deliveries and tasks, with their attempts and last error. The ids
			// are River's integers; the action's states are the job's "state". POST
			// /admin/api/jobs/{id}/retry is an older URL of the retry action (handlers).
			Name: "jobs", Label: "Фоновые задачи", Singular: "Фоновая задача", Model: &repository.QueueJob{},
			Access: readOnly(clientData), DefaultSort: "-id", IntID: true, StateField: "state",
			Actions: []Action{
				{Name: "retry", Label: "Повторить", Roles: ownerOnly, States: RetryableJobStates, RunInt: retryJob},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: Integer, List: true, Sort: true},
				{Name: "kind", Label: "Вид", Type: Enum, Choices: jobKindChoices, List: true, Filter: true},
				// event, subscriber and task are read out of the job's JSON: filtered by equality
				// (a scan of the queue's table), never sorted or searched.
				{Name: "event", Label: "Событие", Type: Text, List: true, Filter: true},
				{Name: "subscriber", Label: "Получатель события", Type: Text, List: true, Filter: true},
				{Name: "task", Label: "Задача", Type: Text, List: true, Filter: true},
				{Name: "state", Label: "Состояние", Type: Enum, Choices: jobStateChoices, List: true, Filter: true, Sort: true},
				{Name: "attempt", Label: "Попытка", Type: Integer, List: true},
				{Name: "max_attempts", Label: "Попыток всего", Type: Integer, List: true},
				{Name: "last_error", Label: "Последняя ошибка", Type: LongText},
				{Name: "queue", Label: "Очередь", Type: Text},
				{Name: "scheduled_at", Label: "Запланирована на", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "attempted_at", Label: "Последний запуск", Type: DateTime},
				{Name: "created_at", Label: "Создана", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "finalized_at", Label: "Завершена", Type: DateTime, List: true, Sort: true},
			},
		},
	}
}
