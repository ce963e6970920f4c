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
		{string(models.PaymentProviderManual), "Наличные или перевод"},
	}
	// A payment can be refunded while some of it is left.
	refundablePayment   = []string{string(models.PaymentStatusSucceeded), string(models.PaymentStatusPartiallyRefunded)}
	refundStatusChoices = []Choice{
		{string(models.RefundStatusPending), "В обработке"},
		{string(models.RefundStatusSucceeded), "Выполнен"},
		{string(models.RefundStatusCanceled), "Отменён"},
	}
)

// paymentResources: payments for appointments and their refunds. Idempotence keys are internal
// and not declared. A payment's state is kept in step with YooKassa by its notifications and by
// reconciliation (service/booking: a payment still pending is re-read from the provider): its
// status is the reconciled state, failure_reason the provider's reason, updated_at when it
// last changed. Refunds are made through the payment's refund action, never by editing.
func paymentResources() []Resource {
	return []Resource{
		{
			Name: "payments", Label: "Платежи", Singular: "Платёж", Model: &models.Payment{},
			Access: readOnly(practice), DefaultSort: "-created_at",
			Actions: []Action{
				{
					Name: "refund", Label: "Вернуть деньги", Roles: practice, States: refundablePayment, Run: refundPayment,
					Fields: []Field{
						{Name: "amount_minor", Label: "Сумма возврата (по умолчанию — всё, что можно вернуть)", Type: Money},
						{Name: "reason", Label: "Причина (видна клиенту в выписке)", Type: Text},
					},
				},
			},
			Fields: []Field{
				{Name: "id", Label: "ID", Type: ID},
				{Name: "appointment_id", Label: "Запись", Type: Reference, Ref: "appointments", List: true, Filter: true},
				{Name: "amount_minor", Label: "Сумма", Type: Money, List: true, Sort: true},
				{Name: "refunded_minor", Label: "Возвращено", Type: Money, List: true, Sort: true},
				{Name: "currency", Label: "Валюта", Type: Text, List: true},
				{Name: "status", Label: "Статус", Type: Enum, Choices: paymentStatusChoices, List: true, Filter: true, Sort: true},
				{Name: "provider", Label: "Платёжная система", Type: Enum, Choices: paymentProviderChoices, List: true, Filter: true},
				{Name: "provider_payment_id", Label: "ID платежа у провайдера", Type: Text, List: true, Search: true},
				{Name: "confirmation_url", Label: "Ссылка на оплату", Type: Text},
				{Name: "failure_reason", Label: "Причина отказа (от провайдера)", Type: Text},
				{Name: "paid_at", Label: "Оплачен", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "version", Label: "Версия", Type: Integer},
				{Name: "created_at", Label: "Создан", Type: DateTime, List: true, Sort: true, Filter: true},
				{Name: "updated_at", Label: "Изменён", Type: DateTime, List: true, Sort: true},
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
