// Package export is the client's right to a copy of everything held about them (152-FZ, GDPR):
// a request from the cabinet, a job that builds one zip archive (JSON files and a readable HTML
// summary, P2 decrypted) and keeps it Fernet-encrypted in the database, a one-time download within
// 24 hours, and the cleanup of archives nobody downloaded.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/models"
	"balance/repository"
	"balance/service"
)

// The jobs of the data export; keep the names stable, queued jobs carry them.
const (
	// TaskBuild builds the archive of one request (payload: Task).
	TaskBuild = "cabinet.export"
	// TaskEmail emails the download link of a ready archive (payload: Task).
	TaskEmail = "cabinet.export_email"
	// TaskCleanup deletes archives past their expiry (periodic).
	TaskCleanup = "cabinet.export_cleanup"
)

// Task is the payload of TaskBuild and TaskEmail: the request's id only.
type Task struct {
	RequestID uuid.UUID `json:"request_id"`
}

// Requests stores export requests; *repository.DataExportRequests is one.
type Requests interface {
	Create(ctx context.Context, x *models.DataExportRequest) error
	ByID(ctx context.Context, id uuid.UUID) (*models.DataExportRequest, error)
	OpenByUser(ctx context.Context, userID uuid.UUID) (*models.DataExportRequest, error)
	ListByUser(ctx context.Context, userID uuid.UUID, p repository.Page) ([]models.DataExportRequest, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*models.DataExportRequest) error) error
	ExpireReady(ctx context.Context, before time.Time) (int64, error)
}

// Archives stores built archives; *repository.DataExportArchives is one.
type Archives interface {
	Create(ctx context.Context, a *models.DataExportArchive) error
	SetTokenHash(ctx context.Context, requestID uuid.UUID, hash string) error
	TakeByToken(ctx context.Context, userID uuid.UUID, hash string, now time.Time) (*models.DataExportArchive, error)
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// Gatherer reads everything held about a client; *repository.ClientDataReader is one.
type Gatherer interface {
	Gather(ctx context.Context, userID uuid.UUID) (*repository.ClientData, error)
}

// Users finds the recipient of the ready email; *repository.Users is one.
type Users interface {
	ByID(ctx context.Context, id uuid.UUID) (*models.User, error)
}

// Tx runs fn in one transaction; *repository.DB is one.
type Tx interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Scheduler queues jobs in the caller's transaction; *events.Outbox is one.
type Scheduler interface {
	Schedule(ctx context.Context, name string, payload any, at time.Time) (int64, error)
}

// Stores are the stores the export uses.
type Stores struct {
	Tx       Tx
	Requests Requests
	Archives Archives
	Data     Gatherer
	Users    Users
}

// NewStores returns the stores over db.
func NewStores(db *repository.DB) Stores {
	return Stores{
		Tx: db, Requests: repository.NewDataExportRequests(db), Archives: repository.NewDataExportArchives(db),
		Data: repository.NewClientDataReader(db), Users: repository.NewUsers(db),
	}
}

// Exports is the data export use case.
type Exports struct {
	st    Stores
	jobs  Scheduler
	clock service.Clock
}

// New returns the data export use case.
func New(st Stores, jobs Scheduler, clock service.Clock) *Exports {
	return &Exports{st: st, jobs: jobs, clock: clock}
}

// Request queues a new export for userID. While one is open (requested or processing), that one
// is returned instead, with created false: a client has one open request at a time.
func (e *Exports) Request(ctx context.Context, userID uuid.UUID) (*models.DataExportRequest, bool, error) {
	// Twice at most: the open request met on the first try may finish before it is read back.
	for range 2 {
		x, err := models.NewDataExportRequest(userID, e.clock.Now())
		if err != nil {
			return nil, false, err
		}
		err = e.st.Tx.InTx(ctx, func(ctx context.Context) error {
			if err := e.st.Requests.Create(ctx, x); err != nil {
				return err
			}
			_, err := e.jobs.Schedule(ctx, TaskBuild, Task{RequestID: x.ID}, time.Time{})
			return err
		})
		if err == nil {
			return x, true, nil
		}
		if !errors.Is(err, models.ErrConflict) {
			return nil, false, fmt.Errorf("request data export: %w", err)
		}
		open, err := e.st.Requests.OpenByUser(ctx, userID)
		if err == nil {
			return open, false, nil
		}
		if !errors.Is(err, models.ErrNotFound) {
			return nil, false, fmt.Errorf("data export of user %s: %w", userID, err)
		}
	}
	return nil, false, fmt.Errorf("data export of user %s: %w", userID, models.ErrConflict)
}

// Latest is userID's newest request; none is models.ErrNotFound.
func (e *Exports) Latest(ctx context.Context, userID uuid.UUID) (*models.DataExportRequest, error) {
	xs, err := e.st.Requests.ListByUser(ctx, userID, repository.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("data export of user %s: %w", userID, models.ErrNotFound)
	}
	return &xs[0], nil
}

// Build runs TaskBuild: it gathers the client's data, stores the encrypted archive, marks the
// request ready and queues the email, all in one transaction. A request no longer being built is
// left alone, so a retried job does nothing more. An archive that cannot be built fails the
// request (the client may ask again); the reason names no data.
func (e *Exports) Build(ctx context.Context, raw json.RawMessage) error {
	var t Task
	if err := json.Unmarshal(raw, &t); err != nil || t.RequestID == uuid.Nil {
		return fmt.Errorf("%s payload: request_id is required (%v)", TaskBuild, err)
	}
	var x *models.DataExportRequest
	err := e.st.Requests.Update(ctx, t.RequestID, func(r *models.DataExportRequest) error {
		x = r
		if r.Status == models.DataExportStatusRequested {
			return r.Start(e.clock.Now())
		}
		return nil
	})
	if errors.Is(err, models.ErrNotFound) {
		return nil // the account is gone
	}
	if err != nil {
		return err
	}
	if x.Status != models.DataExportStatusProcessing {
		return nil
	}
	now := e.clock.Now().UTC()
	content, err := e.archive(ctx, x.UserID, now)
	if err != nil {
		return e.st.Requests.Update(ctx, x.ID, func(r *models.DataExportRequest) error {
			return r.Fail("the archive could not be built: "+err.Error(), e.clock.Now())
		})
	}
	expires := now.Add(models.DataExportTTL)
	return e.st.Tx.InTx(ctx, func(ctx context.Context) error {
		a := &models.DataExportArchive{RequestID: x.ID, UserID: x.UserID, Content: content, ExpiresAt: expires, CreatedAt: now}
		if err := e.st.Archives.Create(ctx, a); err != nil {
			return err
		}
		if err := e.st.Requests.Update(ctx, x.ID, func(r *models.DataExportRequest) error {
			return r.MarkReady(models.DataExportFileRef(x.ID), expires, now)
		}); err != nil {
			return err
		}
		_, err := e.jobs.Schedule(ctx, TaskEmail, Task{RequestID: x.ID}, time.Time{})
		return err
	})
}

// archive gathers userID's data and packs it.
func (e *Exports) archive(ctx context.Context, userID uuid.UUID, now time.Time) ([]byte, error) {
	d, err := e.st.Data.Gather(ctx, userID)
	if err != nil {
		return nil, err
	}
	return Pack(d, now)
}

// Recipient says whom the ready email of requestID goes to: the client of a downloadable request.
// A request no longer ready (downloaded, expired, gone) is models.ErrNotFound.
func (e *Exports) Recipient(ctx context.Context, requestID uuid.UUID) (*models.User, *models.DataExportRequest, error) {
	x, err := e.st.Requests.ByID(ctx, requestID)
	if err != nil {
		return nil, nil, err
	}
	if !x.Downloadable(e.clock.Now()) {
		return nil, nil, fmt.Errorf("data export %s is %s: %w", requestID, x.Status, models.ErrNotFound)
	}
	u, err := e.st.Users.ByID(ctx, x.UserID)
	if err != nil {
		return nil, nil, err
	}
	return u, x, nil
}

// IssueToken makes the one-time download token of requestID's archive, storing only its hash; a
// token issued before stops working. An archive that is gone is models.ErrNotFound.
func (e *Exports) IssueToken(ctx context.Context, requestID uuid.UUID) (string, error) {
	token, err := crypto.NewToken()
	if err != nil {
		return "", err
	}
	if err := e.st.Archives.SetTokenHash(ctx, requestID, crypto.HashToken(token)); err != nil {
		return "", err
	}
	return token, nil
}

// Download hands userID the archive the token opens, once: the archive is deleted as it is taken
// and the request becomes expired. Another user's token, a used or expired one is
// models.ErrNotFound.
func (e *Exports) Download(ctx context.Context, userID uuid.UUID, token string) ([]byte, error) {
	now := e.clock.Now()
	a, err := e.st.Archives.TakeByToken(ctx, userID, crypto.HashToken(token), now)
	if err != nil {
		return nil, err
	}
	err = e.st.Requests.Update(ctx, a.RequestID, func(r *models.DataExportRequest) error {
		if r.Status != models.DataExportStatusReady {
			return nil
		}
		return r.Expire()
	})
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	return a.Content, nil
}

// Cleanup runs TaskCleanup: it deletes the archives past their expiry and marks their requests
// expired, returning how many archives it deleted.
func (e *Exports) Cleanup(ctx context.Context) (int64, error) {
	now := e.clock.Now()
	n, err := e.st.Archives.DeleteExpired(ctx, now)
	if err != nil {
		return 0, err
	}
	if _, err := e.st.Requests.ExpireReady(ctx, now); err != nil {
		return n, err
	}
	return n, nil
}
