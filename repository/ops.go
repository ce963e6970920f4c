package repository

import (
	"context"
	"fmt"

	"github.com/riverqueue/river/rivertype"

	"balance/models"
)

// OpsCounts counts rows by state for the operator's metrics: one grouped count per table, over
// indexed status columns.
type OpsCounts struct{ db *DB }

// NewOpsCounts returns the counts of db.
func NewOpsCounts(db *DB) *OpsCounts { return &OpsCounts{db: db} }

// The states every count lists, zero included, so that an alert needs no absent().
var (
	opsAppointmentStatuses = []models.AppointmentStatus{
		models.AppointmentStatusPendingPayment, models.AppointmentStatusConfirmed, models.AppointmentStatusCanceled,
		models.AppointmentStatusRescheduled, models.AppointmentStatusCompleted, models.AppointmentStatusNoShow,
	}
	opsPaymentStatuses = []models.PaymentStatus{
		models.PaymentStatusIntent, models.PaymentStatusPending, models.PaymentStatusSucceeded,
		models.PaymentStatusCanceled, models.PaymentStatusFailed, models.PaymentStatusPartiallyRefunded,
		models.PaymentStatusRefunded,
	}
)

// JobsByState counts the job queue's jobs (River's river_job) by state.
func (o *OpsCounts) JobsByState(ctx context.Context) (map[string]int64, error) {
	known := make([]string, 0, len(rivertype.JobStates()))
	for _, s := range rivertype.JobStates() {
		known = append(known, string(s))
	}
	return o.byColumn(ctx, "river_job", "state", known)
}

// FailedDeliveries counts the notification deliveries that failed for good.
func (o *OpsCounts) FailedDeliveries(ctx context.Context) (int64, error) {
	var n int64
	err := o.db.conn(ctx).Model(&models.NotificationDelivery{}).Where("status = ?", models.DeliveryFailed).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count failed deliveries: %w", translate(err))
	}
	return n, nil
}

// AppointmentsByStatus counts appointments by status.
func (o *OpsCounts) AppointmentsByStatus(ctx context.Context) (map[string]int64, error) {
	return o.byColumn(ctx, "appointments", "status", opsNames(opsAppointmentStatuses))
}

// PaymentsByStatus counts payments by status.
func (o *OpsCounts) PaymentsByStatus(ctx context.Context) (map[string]int64, error) {
	return o.byColumn(ctx, "payments", "status", opsNames(opsPaymentStatuses))
}

// byColumn counts the rows of table by column; every known value is listed, zero included.
func (o *OpsCounts) byColumn(ctx context.Context, table, column string, known []string) (map[string]int64, error) {
	var rows []struct {
		Value string
		N     int64
	}
	err := o.db.conn(ctx).Table(table).Select(column + " AS value, count(*) AS n").Group(column).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count %s by %s: %w", table, column, translate(err))
	}
	out := make(map[string]int64, len(known)+len(rows))
	for _, k := range known {
		out[k] = 0
	}
	for _, r := range rows {
		out[r.Value] = r.N
	}
	return out, nil
}

func opsNames[S ~string](states []S) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = string(s)
	}
	return out
}
