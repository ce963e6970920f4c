package admin

import "balance/models"

var leadStatusChoices = []Choice{
	{string(models.LeadStatusNew), "Новый"},
	{string(models.LeadStatusEngaged), "В работе"},
	{string(models.LeadStatusBooked), "Записался"},
	{string(models.LeadStatusClient), "Клиент"},
	{string(models.LeadStatusLost), "Потерян"},
}

// crmResources: leads, from first contact to client, with the campaign (UTM) that brought them.
func crmResources() []Resource {
	return []Resource{
		{
			Name: "leads", Label: "Лиды", Singular: "Лид", Model: &models.Lead{},
			Access: readOnly(clientData), DefaultSort: "-last_activity_at",
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
	}
}
