package admin

import "balance/models"

var (
	leadStatusChoices = []Choice{
		{string(models.LeadStatusNew), "Новый"},
		{string(models.LeadStatusEngaged), "В работе"},
		{string(models.LeadStatusBooked), "Записался"},
		{string(models.LeadStatusClient), "Клиент"},
		{string(models.LeadStatusLost), "Потерян"},
	}
	leadIdentityKindChoices = []Choice{
		{string(models.LeadIdentityKindEmail), "Email"},
		{string(models.LeadIdentityKindPhone), "Телефон"},
		{string(models.LeadIdentityKindTelegram), "Telegram"},
		{string(models.LeadIdentityKindAnonymousID), "Посетитель сайта"},
		{string(models.LeadIdentityKindTelegramUsername), "Telegram (имя пользователя)"},
	}
)

// crmResources: leads, from first contact to client, with the campaign (UTM) that brought them,
// the identities they are recognised by and their timeline. Staff move a lead along its funnel,
// add notes and merge two leads of one person; identities and the timeline are read-only (the
// site and the other contexts write them).
func crmResources() []Resource {
	return []Resource{
		{
			Name: "leads", Label: "Лиды", Singular: "Лид", Model: &models.Lead{},
			Access: readOnly(clientData), DefaultSort: "-last_activity_at",
			Actions: []Action{
				{Name: "set_status", Label: "Сменить статус", Roles: clientData, Run: setLeadStatus, Fields: []Field{
					{Name: "status", Label: "Новый статус", Type: Enum, Choices: leadStatusChoices, Required: true},
				}},
				{Name: "add_note", Label: "Добавить заметку", Roles: clientData, Run: addLeadNote, Fields: []Field{
					{Name: "note", Label: "Заметка", Type: LongText, Required: true},
				}},
				{Name: "merge", Label: "Объединить с другим лидом", Roles: clientData, Run: mergeLead, Fields: []Field{
					{Name: "other_id", Label: "Лид, который войдёт в этот", Type: Reference, Ref: "leads", Required: true},
				}},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "status", Label: "Статус", Type: Enum, Choices: leadStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "source", Label: "Источник", Type: Text, List: true, Filter: true, Search: true},
				{Name: "utm", Label: "UTM-метки", Type: JSON},
				{Name: "notes", Label: "Заметки", Type: LongText, Search: true},
				{Name: "user_id", Label: "Пользователь", Type: Reference, Ref: "users", Filter: true},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "last_activity_at", Label: "Последняя активность", Type: DateTime, List: true, Sort: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "lead_identities", Label: "Контакты лидов", Singular: "Контакт лида", Model: &models.LeadIdentity{},
			Access: readOnly(clientData), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "lead_id", Label: "Лид", Type: Reference, Ref: "leads", List: true, Filter: true},
				{Name: "kind", Label: "Вид", Type: Enum, Choices: leadIdentityKindChoices, List: true, Filter: true},
				{Name: "value", Label: "Значение", Type: Text, List: true, Search: true},
				{Name: "created_at", Label: "Добавлен", Type: DateTime, List: true, Sort: true},
			},
		},
		{
			Name: "lead_timeline_events", Label: "История лидов", Singular: "Событие лида", Model: &models.LeadTimelineEvent{},
			Access: readOnly(clientData), DefaultSort: "-occurred_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "lead_id", Label: "Лид", Type: Reference, Ref: "leads", List: true, Filter: true},
				{Name: "kind", Label: "Событие", Type: Text, List: true, Filter: true},
				{Name: "occurred_at", Label: "Когда", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "data", Label: "Подробности", Type: JSON, List: true},
				{Name: "source_event_id", Label: "ID доменного события", Type: ID},
				{Name: "created_at", Label: "Записано", Type: DateTime, Sort: true},
			},
		},
		{
			// Leads and consents: the site's contact and subscription forms. The message is what a
			// visitor wrote, maybe about their state: the owner's alone, each read audited.
			Name: "lead_submissions", Label: "Заявки с сайта", Singular: "Заявка с сайта", Model: &models.LeadSubmission{},
			Access: readOnly(clientData), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "lead_id", Label: "Лид", Type: Reference, Ref: "leads", List: true, Filter: true},
				{Name: "source", Label: "Форма", Type: Text, List: true, Filter: true},
				{Name: "name", Label: "Имя", Type: Text, List: true, Search: true},
				{Name: "message", Label: "Сообщение", Type: LongText, P2: true},
				{Name: "utm", Label: "UTM-метки", Type: JSON},
				{Name: "consents", Label: "Согласия", Type: JSON},
				{Name: "created_at", Label: "Отправлена", Type: DateTime, List: true, Sort: true, Filter: true},
			},
		},
	}
}
