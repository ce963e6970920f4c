package repository_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

func TestInTx(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")

	// Each case writes a user and a session for it (maybe through a nested InTx) and says whether
	// both must exist afterwards.
	tests := []struct {
		name    string
		run     func(ctx context.Context, db *repository.DB, write func(context.Context) error) error
		wantErr error
		persist bool
	}{
		{
			name: "commit",
			run: func(ctx context.Context, db *repository.DB, write func(context.Context) error) error {
				return db.InTx(ctx, write)
			},
			persist: true,
		},
		{
			name: "error rolls back",
			run: func(ctx context.Context, db *repository.DB, write func(context.Context) error) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					if err := write(ctx); err != nil {
						return err
					}
					return errBoom
				})
			},
			wantErr: errBoom,
		},
		{
			name: "nested commit",
			run: func(ctx context.Context, db *repository.DB, write func(context.Context) error) error {
				return db.InTx(ctx, func(ctx context.Context) error { return db.InTx(ctx, write) })
			},
			persist: true,
		},
		{
			name: "nested call joins the outer transaction",
			run: func(ctx context.Context, db *repository.DB, write func(context.Context) error) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					if err := db.InTx(ctx, write); err != nil {
						return err
					}
					return errBoom // the inner InTx returned nil, yet its writes go too
				})
			},
			wantErr: errBoom,
		},
		{
			name: "inner error fails the outer",
			run: func(ctx context.Context, db *repository.DB, write func(context.Context) error) error {
				return db.InTx(ctx, func(ctx context.Context) error {
					return db.InTx(ctx, func(ctx context.Context) error {
						if err := write(ctx); err != nil {
							return err
						}
						return errBoom
					})
				})
			},
			wantErr: errBoom,
		},
	}

	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		users := repository.NewUsers(db)
		sessions := repository.NewSessions(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx := context.Background()
				u := newStaff(t, t0)
				s := models.NewSession(u.ID, "hash-"+uuid.NewString(), time.Hour, "", "", t0)
				write := func(ctx context.Context) error {
					if err := users.Create(ctx, u); err != nil {
						return err
					}
					// Read-your-writes: the store joins the transaction carried by ctx (on SQLite
					// another connection would not see the uncommitted user at all).
					if _, err := users.ByID(ctx, u.ID); err != nil {
						return err
					}
					return sessions.Create(ctx, s)
				}
				err := tt.run(ctx, db, write)
				if (tt.wantErr == nil && err != nil) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				_, userErr := users.ByID(ctx, u.ID)
				_, sessErr := sessions.ByTokenHash(ctx, s.TokenHash)
				for what, err := range map[string]error{"user": userErr, "session": sessErr} {
					switch {
					case tt.persist && err != nil:
						t.Errorf("%s not committed: %v", what, err)
					case !tt.persist && !errors.Is(err, models.ErrNotFound):
						t.Errorf("%s not rolled back: err = %v", what, err)
					}
				}
			})
		}
	})
}

func TestInTxPanicRollsBack(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		users := repository.NewUsers(db)
		u := newStaff(t, t0)

		recovered := func() (r any) {
			defer func() { r = recover() }()
			_ = db.InTx(ctx, func(ctx context.Context) error {
				if err := users.Create(ctx, u); err != nil {
					t.Errorf("create: %v", err)
				}
				panic("kaboom")
			})
			return nil
		}()
		if recovered != "kaboom" {
			t.Fatalf("recovered %v, want the panic to propagate", recovered)
		}
		if _, err := users.ByID(ctx, u.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("user after panic: err = %v, want ErrNotFound", err)
		}
		// The transaction was really ended: on SQLite a leaked write lock would make this wait for
		// the busy timeout and fail.
		if err := users.Create(ctx, newStaff(t, t0)); err != nil {
			t.Errorf("write after panic: %v", err)
		}
	})
}
