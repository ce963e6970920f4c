package admin

import "balance/models"

var (
	paymentStatusChoices = []Choice{
		{string(models.PaymentStatusIntent), "Создан"},
		{string(models.PaymentStatusPending), "Ожидает оплаты"},
		{string(models.PaymentStatusSucceeded), "Оплачен"},
		{string(models.PaymentStatusCanceled), "Отменён"},
		{string(models.PaymentStatusFailed), "Не прошёл"},
		{string(models.PaymentStatusPartiallyRefunded), "Частично возвращён"},
		{string(models.PaymentStatusRefunded), "Возвращён"},
	}
	paymentProviderChoices = []Choice{
		{string(models.PaymentProviderYooKassa), "ЮKassa"},
	}
	refundStatusChoices = []Choice{
		{string(models.RefundStatusPending), "В обработке"},
		{string(models.RefundStatusSucceeded), "Выполнен"},
		{string(models.RefundStatusCanceled), "Отменён"},
	}
)

// paymentResources: payments for appointments and their refunds. Idempotence keys are internal
// and not declared.
func paymentResources() []Resource {
	return []Resource{
		{
			Name: "payments", Label: "Платежи", Singular: "Платёж", Model: &models.Payment{},
			Access: readOnly(practice), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "appointment_id", Label: "Запись", Type: Reference, Ref: "appointments", List: true, Filter: true},
				{Name: "amount_minor", Label: "Сумма", Type: Money, List: true, Sort: true},
				{Name: "refunded_minor", Label: "Возвращено", Type: Money, List: true},
				{Name: "currency", Label: "Валюта", Type: Text, List: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: paymentStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "provider", Label: "Платёжная система", Type: Enum, Choices: paymentProviderChoices, Filter: true},
				{Name: "provider_payment_id", Label: "ID платежа у провайдера", Type: Text, Search: true},
				{Name: "confirmation_url", Label: "Ссылка на оплату", Type: Text},
				{Name: "failure_reason", Label: "Причина отказа", Type: Text},
				{Name: "paid_at", Label: "Оплачен", Type: DateTime, List: true, Sort: true},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
		{
			Name: "refunds", Label: "Возвраты", Singular: "Возврат", Model: &models.Refund{},
			Access: readOnly(practice), DefaultSort: "-created_at",
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "payment_id", Label: "Платёж", Type: Reference, Ref: "payments", List: true, Filter: true},
				{Name: "amount_minor", Label: "Сумма", Type: Money, List: true, Sort: true},
				{Name: "currency", Label: "Валюта", Type: Text, List: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: refundStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "provider_refund_id", Label: "ID возврата у провайдера", Type: Text, Search: true},
				{Name: "reason", Label: "Причина", Type: Text, List: true},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, Sort: true},
			},
		},
	}
}
