package repository

import (
	"time"

	"balance/migrations"
)

// QueueJob is a row of the job queue's table (River's river_job) as the admin panel reads it:
// River's own columns and, computed from its JSON, what the job is about and its last error. It is
// read only: jobs change through the queue (events.Outbox), never through this model.
type QueueJob struct {
	ID          int64 `gorm:"primaryKey"`
	Kind        string
	Queue       string
	State       string
	Attempt     int
	MaxAttempts int
	// Event and Subscriber name an event job's event and receiver, Task a task job's task.
	Event      *string `gorm:"->;-:migration"`
	Subscriber *string `gorm:"->;-:migration"`
	Task       *string `gorm:"->;-:migration"`
	// LastError is the error of the job's latest failed attempt.
	LastError   *string `gorm:"->;-:migration"`
	ScheduledAt time.Time
	AttemptedAt *time.Time
	CreatedAt   time.Time
	FinalizedAt *time.Time
}

// TableName is River's job table.
func (QueueJob) TableName() string { return "river_job" }

// computedColumns reads River's JSON: args (jsonb on PostgreSQL, SQLite's binary JSONB) and
// errors (a jsonb[] on PostgreSQL, a JSONB array on SQLite; River keeps an error written out of
// band as plain text, shown as it is).
func (*QueueJob) computedColumns(d migrations.Dialect) map[string]string {
	if d == migrations.SQLite {
		return map[string]string{
			"event":      "json_extract(args, '$.event')",
			"subscriber": "json_extract(args, '$.subscriber')",
			"task":       "json_extract(args, '$.task')",
			"last_error": "CASE WHEN errors IS NULL THEN NULL WHEN typeof(errors) = 'text' AND NOT json_valid(errors) THEN errors " +
				"ELSE json_extract(errors, '$[#-1].error') END",
		}
	}
	return map[string]string{
		"event":      "args->>'event'",
		"subscriber": "args->>'subscriber'",
		"task":       "args->>'task'",
		"last_error": "errors[array_length(errors, 1)]->>'error'",
	}
}
