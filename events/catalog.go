package events

import "balance/models"

// DefaultCatalog lists every domain event Balance records. A new event type must be added here
// (a test checks that every event the models declare is).
func DefaultCatalog() *Catalog {
	return NewCatalog(
		models.AppointmentBooked{}, models.AppointmentCanceled{}, models.AppointmentCompleted{},
		models.AppointmentConfirmed{}, models.AppointmentNoShow{}, models.AppointmentRescheduled{},
		models.ConsentChanged{},
		models.ContentArchived{}, models.ContentPublished{},
		models.DataExportFailed{}, models.DataExportReady{}, models.DataExportRequested{},
		models.DeepLinkUsed{},
		models.DiaryEntryEdited{}, models.DiaryEntryWritten{},
		models.IntakeFormSubmitted{},
		models.InteractiveRunCompleted{},
		models.LeadCaptured{}, models.LeadFormSubmitted{}, models.LeadIdentityAdded{}, models.LeadStatusChanged{}, models.LeadUserLinked{},
		models.MessageTemplateEdited{},
		models.ModerationDecided{},
		models.PaymentCanceled{}, models.PaymentFailed{}, models.PaymentSucceeded{}, models.RefundSucceeded{},
		models.QuestionSubmitted{},
		models.TelegramAccountBlocked{}, models.TelegramAccountLinked{}, models.TelegramAccountUnblocked{},
		models.WaitlistSlotFreed{},
	)
}
