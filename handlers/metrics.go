package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// OpsCounter counts, in the database, what an operator alerts on. Maps are keyed by state and list
// every known state, zero included. *repository.OpsCounts is one.
type OpsCounter interface {
	JobsByState(ctx context.Context) (map[string]int64, error)
	FailedDeliveries(ctx context.Context) (int64, error)
	AppointmentsByStatus(ctx context.Context) (map[string]int64, error)
	PaymentsByStatus(ctx context.Context) (map[string]int64, error)
}

// opsScrapeTimeout bounds the database queries of one scrape.
const opsScrapeTimeout = 3 * time.Second

// opsCollector reads its gauges from the database at each scrape: cheap grouped counts, never
// stale, and nothing to keep in step between scrapes or instances.
type opsCollector struct {
	counts                                         OpsCounter
	jobs, failedDeliveries, appointments, payments *prometheus.Desc
}

func newOpsCollector(counts OpsCounter) *opsCollector {
	return &opsCollector{
		counts: counts,
		jobs: prometheus.NewDesc("balance_jobs",
			"Jobs in the durable queue (event deliveries and scheduled tasks) by state.", []string{"state"}, nil),
		failedDeliveries: prometheus.NewDesc("balance_notification_deliveries_failed",
			"Notifications (email, Telegram) whose delivery failed for good.", nil, nil),
		appointments: prometheus.NewDesc("balance_appointments",
			"Appointments by status.", []string{"status"}, nil),
		payments: prometheus.NewDesc("balance_payments",
			"Payments by status.", []string{"status"}, nil),
	}
}

func (o *opsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- o.jobs
	ch <- o.failedDeliveries
	ch <- o.appointments
	ch <- o.payments
}

// Collect reports a failed query as an invalid metric: the scrape still serves everything else.
func (o *opsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), opsScrapeTimeout)
	defer cancel()
	o.byLabel(ctx, ch, o.jobs, o.counts.JobsByState)
	if n, err := o.counts.FailedDeliveries(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(o.failedDeliveries, err)
	} else {
		ch <- prometheus.MustNewConstMetric(o.failedDeliveries, prometheus.GaugeValue, float64(n))
	}
	o.byLabel(ctx, ch, o.appointments, o.counts.AppointmentsByStatus)
	o.byLabel(ctx, ch, o.payments, o.counts.PaymentsByStatus)
}

func (o *opsCollector) byLabel(ctx context.Context, ch chan<- prometheus.Metric, desc *prometheus.Desc,
	count func(context.Context) (map[string]int64, error),
) {
	counts, err := count(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(desc, err)
		return
	}
	for label, n := range counts {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n), label)
	}
}

// MetricsHandler serves reg at GET /metrics in Prometheus's formats, for the metrics listener
// (metrics.addr), apart from the public API. A collector that fails (the database is down) is
// logged and left out; the rest is still served.
func MetricsHandler(reg *prometheus.Registry, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
	}))
	return mux
}
