package admin

import (
	"context"

	"github.com/google/uuid"

	"balance/models"
	"balance/repository"
)

var waitlistStatusChoices = []Choice{
	{string(models.WaitlistStatusActive), "Ожидает"},
	{string(models.WaitlistStatusNotified), "Уведомлён"},
	{string(models.WaitlistStatusBooked), "Записался"},
	{string(models.WaitlistStatusCanceled), "Отменён"},
}

// waitingEntry: the states a waitlist entry may still be canceled from.
var waitingEntry = []string{string(models.WaitlistStatusActive), string(models.WaitlistStatusNotified)}

// cancelWaitlistEntry takes a client off the waitlist (they asked, or no longer need the time).
func cancelWaitlistEntry(ctx context.Context, c *Call, id uuid.UUID) error {
	return repository.NewWaitlist(c.DB).Update(ctx, id, func(w *models.WaitlistEntry) error { return w.Cancel(c.Now) })
}

// waitlistResources: clients waiting for a time of a service to free up.
func waitlistResources() []Resource {
	return []Resource{
		{
			Name: "waitlist_entries", Label: "Лист ожидания", Singular: "Запись в листе ожидания", Model: &models.WaitlistEntry{},
			Access: readOnly(practice), DefaultSort: "-created_at",
			Actions: []Action{
				{Name: "cancel", Label: "Убрать из листа ожидания", Roles: practice, States: waitingEntry, Run: cancelWaitlistEntry},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "service_id", Label: "Услуга", Type: Reference, Ref: "services", List: true, Filter: true},
				{Name: "client_user_id", Label: "Клиент", Type: Reference, Ref: "users", Filter: true},
				{Name: "lead_id", Label: "Лид", Type: Reference, Ref: "leads", Filter: true},
				{Name: "email", Label: "Email", Type: Text, List: true, Search: true},
				{Name: "preferred_from", Label: "Удобно с", Type: DateTime, List: true},
				{Name: "preferred_to", Label: "Удобно до", Type: DateTime, List: true},
				{Name: "timezone", Label: "Часовой пояс клиента", Type: Text},
				{Name: "status", Label: "Статус", Type: Enum, Choices: waitlistStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "notified_at", Label: "Уведомлён", Type: DateTime},
				{Name: "created_at", Label: "Создана", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменена", Type: DateTime, Sort: true},
			},
		},
	}
}
