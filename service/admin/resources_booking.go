package admin

import "balance/models"

var (
	publicationChoices = []Choice{
		{string(models.PublicationDraft), "Черновик"},
		{string(models.PublicationPublished), "Опубликовано"},
		{string(models.PublicationArchived), "В архиве"},
	}
	serviceFormatChoices = []Choice{
		{string(models.ServiceFormatOnline), "Онлайн"},
		{string(models.ServiceFormatOffline), "Очно"},
		{string(models.ServiceFormatHybrid), "Онлайн или очно"},
	}
	appointmentStatusChoices = []Choice{
		{string(models.AppointmentStatusPendingPayment), "Ожидает оплаты"},
		{string(models.AppointmentStatusConfirmed), "Подтверждена"},
		{string(models.AppointmentStatusCanceled), "Отменена"},
		{string(models.AppointmentStatusRescheduled), "Перенесена"},
		{string(models.AppointmentStatusCompleted), "Проведена"},
		{string(models.AppointmentStatusNoShow), "Неявка"},
	}
	appointmentFormatChoices = []Choice{
		{string(models.AppointmentFormatOnline), "Онлайн"},
		{string(models.AppointmentFormatOffline), "Очно"},
	}
	bookingActorChoices = []Choice{
		{string(models.BookingActorClient), "Клиент"},
		{string(models.BookingActorStaff), "Сотрудник"},
		{string(models.BookingActorSystem), "Система"},
	}
	intakeStatusChoices = []Choice{
		{string(models.IntakeFormStatusDraft), "Черновик"},
		{string(models.IntakeFormStatusSubmitted), "Отправлена"},
	}
	// The states the appointment actions apply to.
	activeAppointment    = []string{string(models.AppointmentStatusPendingPayment), string(models.AppointmentStatusConfirmed)}
	confirmedAppointment = []string{string(models.AppointmentStatusConfirmed)}
	unpaidAppointment    = []string{string(models.AppointmentStatusPendingPayment)}
	exceptionKindChoices = []Choice{
		{string(models.AvailabilityExceptionKindDayOff), "Выходной"},
		{string(models.AvailabilityExceptionKindExtraHours), "Дополнительные часы"},
	}
)

// bookingResources: the practice's services, schedule and appointments.
func bookingResources() []Resource {
	return []Resource{
		{
			Name: "services", Label: "Услуги", Singular: "Услуга", Model: &models.Service{},
			Access:     map[Verb][]models.Role{List: practice, Show: practice, Create: practice, Update: practice, Delete: nobody},
			TitleField: "title", DefaultSort: "title", Writer: serviceWriter{},
			Actions: publicationActions(practice, publication((*models.Service).Publish),
				publication((*models.Service).Unpublish), publication((*models.Service).Archive)),
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "slug", Label: "Адрес (slug)", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "title", Label: "Название", Type: Text, List: true, Sort: true, Search: true, Edit: true, Required: true},
				{Name: "description_markdown", Label: "Описание", Type: Markdown, Edit: true},
				{Name: "format", Label: "Формат", Type: Enum, Choices: serviceFormatChoices, List: true, Filter: true, Edit: true, Required: true},
				{Name: "duration_minutes", Label: "Длительность, мин", Type: Integer, List: true, Sort: true, Edit: true, Required: true},
				{Name: "price_minor", Label: "Цена", Type: Money, List: true, Sort: true, Edit: true, Required: true},
				{Name: "deposit_minor", Label: "Предоплата", Type: Money, Edit: true},
				{Name: "currency", Label: "Валюта", Type: Text, Edit: true},
				{Name: "cancel_free_hours", Label: "Бесплатная отмена, ч", Type: Integer, Edit: true},
				{Name: "cancel_partial_hours", Label: "Частичный возврат, ч", Type: Integer, Edit: true},
				{Name: "reschedule_min_hours", Label: "Перенос не позднее, ч", Type: Integer, Edit: true},
				{Name: "buffer_minutes", Label: "Перерыв после, мин", Type: Integer, Edit: true},
				{Name: "min_notice_minutes", Label: "Запись не позднее, мин", Type: Integer, Edit: true},
				{Name: "booking_horizon_days", Label: "Запись вперёд, дней", Type: Integer, Edit: true},
				{Name: "slot_step_minutes", Label: "Шаг слотов, мин", Type: Integer, Edit: true},
				{Name: "timezone", Label: "Часовой пояс", Type: Text, Edit: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: publicationChoices, List: true, Filter: true, Sort: true},
				{Name: "published_at", Label: "Опубликована", Type: DateTime},
				{Name: "created_at", Label: "Создана", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменена", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "availability_rules", Label: "Часы приёма", Singular: "Правило расписания", Model: &models.AvailabilityRule{},
			Access:      map[Verb][]models.Role{List: practice, Show: practice, Create: practice, Update: nobody, Delete: practice},
			DefaultSort: "weekday", Writer: ruleWriter{},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "service_id", Label: "Услуга", Type: Reference, Ref: "services", List: true, Filter: true, Edit: true},
				{Name: "weekday", Label: "День недели (1 — пн)", Type: Integer, List: true, Sort: true, Filter: true, Edit: true, Required: true},
				{Name: "start_minute", Label: "Начало, мин от полуночи", Type: Integer, List: true, Sort: true, Edit: true, Required: true},
				{Name: "end_minute", Label: "Конец, мин от полуночи", Type: Integer, List: true, Edit: true, Required: true},
				{Name: "timezone", Label: "Часовой пояс", Type: Text, List: true, Edit: true},
				{Name: "valid_from", Label: "Действует с", Type: Date, List: true, Edit: true},
				{Name: "valid_to", Label: "Действует по", Type: Date, List: true, Edit: true},
				{Name: "created_at", Label: "Создано", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "availability_exceptions", Label: "Исключения в расписании", Singular: "Исключение", Model: &models.AvailabilityException{},
			Access:      map[Verb][]models.Role{List: practice, Show: practice, Create: practice, Update: nobody, Delete: practice},
			DefaultSort: "-date_from", Writer: exceptionWriter{},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "service_id", Label: "Услуга", Type: Reference, Ref: "services", List: true, Filter: true, Edit: true},
				{Name: "kind", Label: "Вид", Type: Enum, Choices: exceptionKindChoices, List: true, Filter: true, Edit: true, Required: true},
				{Name: "date_from", Label: "С даты", Type: Date, List: true, Sort: true, Edit: true, Required: true},
				{Name: "date_to", Label: "По дату", Type: Date, List: true, Sort: true, Edit: true, Required: true},
				{Name: "start_minute", Label: "Начало, мин от полуночи", Type: Integer, List: true, Edit: true},
				{Name: "end_minute", Label: "Конец, мин от полуночи", Type: Integer, List: true, Edit: true},
				{Name: "timezone", Label: "Часовой пояс", Type: Text, Edit: true},
				{Name: "reason", Label: "Причина", Type: Text, List: true, Search: true, Edit: true},
				{Name: "created_at", Label: "Создано", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "appointments", Label: "Записи", Singular: "Запись", Model: &models.Appointment{},
			Access:     map[Verb][]models.Role{List: practice, Show: practice, Create: practice, Update: practice, Delete: nobody},
			TitleField: "start_at", DefaultSort: "-start_at", Writer: appointmentWriter{},
			// A create books a client staff talked to (on the phone): through the public booking's
			// slot checks, confirmed at once without an online payment.
			CreateFields: []Field{
				{Name: "service_id", Label: "Услуга", Type: Reference, Ref: "services", Required: true},
				{Name: "start_at", Label: "Начало", Type: DateTime, Required: true},
				{Name: "format", Label: "Формат", Type: Enum, Choices: appointmentFormatChoices, Required: true},
				{Name: "client_name", Label: "Имя клиента", Type: Text, Required: true},
				{Name: "client_email", Label: "Email клиента", Type: Text},
				{Name: "client_phone", Label: "Телефон клиента", Type: Text},
				{Name: "comment", Label: "Комментарий (в заметки лида)", Type: LongText},
			},
			Actions: []Action{
				{
					Name: "cancel", Label: "Отменить с возвратом оплаты", Roles: practice, States: activeAppointment, Run: cancelByStaff,
					Fields: []Field{{Name: "refund_minor", Label: "Сумма возврата (только владелец; по умолчанию — всё оплаченное)", Type: Money}},
				},
				{
					Name: "reschedule", Label: "Перенести", Roles: practice, States: confirmedAppointment, Run: rescheduleByStaff,
					Fields: []Field{{Name: "start_at", Label: "Новое время", Type: DateTime, Required: true}},
				},
				{
					Name: "confirm", Label: "Подтвердить оплату наличными или переводом", Roles: practice, States: unpaidAppointment, Run: confirmPaidOffline,
					Fields: []Field{{Name: "amount_minor", Label: "Получено (по умолчанию — сумма к оплате)", Type: Money}},
				},
				{Name: "complete", Label: "Отметить проведённой", Roles: practice, States: confirmedAppointment, Run: appointmentChange((*models.Appointment).Complete)},
				{Name: "no_show", Label: "Отметить неявку", Roles: practice, States: confirmedAppointment, Run: appointmentChange((*models.Appointment).MarkNoShow)},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "service_id", Label: "Услуга", Type: Reference, Ref: "services", List: true, Filter: true},
				{Name: "client_user_id", Label: "Клиент", Type: Reference, Ref: "users", List: true, Filter: true},
				{Name: "lead_id", Label: "Лид", Type: Reference, Ref: "leads", Filter: true},
				{Name: "start_at", Label: "Начало", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "end_at", Label: "Конец", Type: DateTime, List: true},
				{Name: "timezone", Label: "Часовой пояс клиента", Type: Text},
				{Name: "status", Label: "Статус", Type: Enum, Choices: appointmentStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "format", Label: "Формат", Type: Enum, Choices: appointmentFormatChoices, List: true, Filter: true},
				{Name: "meeting_url", Label: "Ссылка на встречу", Type: Text, Edit: true},
				{Name: "location_text", Label: "Место", Type: Text, Edit: true},
				{Name: "hold_expires_at", Label: "Бронь до", Type: DateTime},
				{Name: "canceled_by", Label: "Кем отменена", Type: Enum, Choices: bookingActorChoices, Filter: true},
				{Name: "canceled_at", Label: "Отменена", Type: DateTime},
				{Name: "cancel_reason", Label: "Причина отмены (системная)", Type: Text},
				{Name: "rescheduled_from_id", Label: "Перенесена с записи", Type: Reference, Ref: "appointments", Filter: true},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "created_at", Label: "Создана", Type: DateTime, Sort: true, Filter: true},
				{Name: "updated_at", Label: "Изменена", Type: DateTime, Sort: true},
			},
		},
		{
			// What a client tells the psychologist before the session: the owner's alone. The list
			// shows only whether it was filled; reading one is audited.
			Name: "intake_forms", Label: "Анкеты", Singular: "Анкета", Model: &models.IntakeForm{},
			Access: readOnly(ownerOnly), DefaultSort: "-updated_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "appointment_id", Label: "Запись", Type: Reference, Ref: "appointments", List: true, Filter: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: intakeStatusChoices, List: true, Filter: true},
				{Name: "submitted_at", Label: "Отправлена", Type: DateTime, List: true, Sort: true},
				{Name: "payload", Label: "Ответы", Type: JSON, P2: true},
				{Name: "created_at", Label: "Начата", Type: DateTime, Sort: true},
				{Name: "updated_at", Label: "Изменена", Type: DateTime, List: true, Sort: true},
			},
		},
	}
}
