package repository_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// telegramCode returns a valid deep-link code unique to this call.
func telegramCode() string {
	return strings.ReplaceAll(uuid.NewString(), "-", "_")
}

// telegramNewLink returns an unsaved plan link valid for an hour from now.
func telegramNewLink(t *testing.T, maxUses int, now time.Time) *models.DeepLink {
	t.Helper()
	l, err := models.NewDeepLink(telegramCode(), models.DeepLinkPurposePlan, map[string]string{"run_id": models.NewID().String()}, "interactive_result", time.Hour, maxUses, now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// telegramCreateLink saves a new link and returns it.
func telegramCreateLink(t *testing.T, db *repository.DB, maxUses int, now time.Time) *models.DeepLink {
	t.Helper()
	l := telegramNewLink(t, maxUses, now)
	if err := repository.NewDeepLinks(db).Create(context.Background(), l); err != nil {
		t.Fatalf("create deep link: %v", err)
	}
	return l
}

// telegramAssertLink compares every stored field of got with want.
func telegramAssertLink(t *testing.T, got, want *models.DeepLink) {
	t.Helper()
	if got.ID != want.ID || got.Code != want.Code || got.Purpose != want.Purpose || got.EntryPoint != want.EntryPoint ||
		got.Uses != want.Uses || got.MaxUses != want.MaxUses || !reflect.DeepEqual(got.Payload, want.Payload) {
		t.Errorf("link = %+v\nwant %+v", got, want)
	}
	eqPtr(t, "LeadID", got.LeadID, want.LeadID)
	eqPtr(t, "UserID", got.UserID, want.UserID)
	assertUTC(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTCPtr(t, "UsedAt", got.UsedAt, want.UsedAt)
}

// telegramNewAccount returns an unsaved account of Telegram user tgUserID.
func telegramNewAccount(t *testing.T, tgUserID int64, now time.Time) *models.TelegramAccount {
	t.Helper()
	a, err := models.NewTelegramAccount(tgUserID, "user_"+uuid.NewString()[:8], tgUserID, now)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// telegramAssertAccount compares every stored field of got with want.
func telegramAssertAccount(t *testing.T, got, want *models.TelegramAccount) {
	t.Helper()
	if got.ID != want.ID || got.TelegramUserID != want.TelegramUserID || got.ChatID != want.ChatID || got.Blocked != want.Blocked {
		t.Errorf("account = %+v\nwant %+v", got, want)
	}
	eqPtr(t, "Username", got.Username, want.Username)
	eqPtr(t, "UserID", got.UserID, want.UserID)
	eqPtr(t, "LeadID", got.LeadID, want.LeadID)
	assertUTCPtr(t, "BlockedAt", got.BlockedAt, want.BlockedAt)
	assertUTCPtr(t, "LinkedAt", got.LinkedAt, want.LinkedAt)
	assertUTC(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	assertUTC(t, "UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func TestDeepLinksRoundTrip(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	tests := []struct {
		name string
		link func(userID uuid.UUID) *models.DeepLink
	}{
		{
			name: "every field",
			link: func(userID uuid.UUID) *models.DeepLink {
				return &models.DeepLink{
					ID: models.NewID(), Code: strings.Repeat("Zz9_-", 12) + "abcd", Purpose: models.DeepLinkPurposeBooking,
					Payload:    map[string]string{"appointment_id": models.NewID().String(), "topic": "тревога"},
					EntryPoint: "booking_page", LeadID: ptr(models.NewID()), UserID: &userID,
					ExpiresAt: created.Add(24 * time.Hour), UsedAt: ptr(created.Add(time.Minute)), Uses: 2, MaxUses: 3,
					CreatedAt: created,
				}
			},
		},
		{
			name: "fresh link without payload, lead or user",
			link: func(uuid.UUID) *models.DeepLink {
				l, err := models.NewDeepLink(telegramCode(), models.DeepLinkPurposeSubscribe, nil, "", time.Minute, 1, created)
				if err != nil {
					t.Fatal(err)
				}
				return l
			},
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		links := repository.NewDeepLinks(db)
		user := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := tt.link(user.ID)
				if err := links.Create(ctx, want); err != nil {
					t.Fatalf("Create: %v", err)
				}
				got, err := links.ByCode(ctx, want.Code)
				if err != nil {
					t.Fatalf("ByCode: %v", err)
				}
				telegramAssertLink(t, got, want)
			})
		}
	})
}

func TestDeepLinksRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		spoil            func(l, existing *models.DeepLink)
		kind             error // nil: a check violation, untranslated
		postgres, sqlite string
	}{
		{"code taken", func(l, e *models.DeepLink) { l.Code = e.Code }, models.ErrConflict, "deep_links_code_key", "deep_links.code"},
		{"unknown user", func(l, _ *models.DeepLink) { l.UserID = ptr(models.NewID()) }, models.ErrInvalidReference, "deep_links_user_id_fkey", ""},
		{"code outside the alphabet", func(l, _ *models.DeepLink) { l.Code = strings.Repeat("a", 20) + "=" }, nil, "", ""},
		{"code too short", func(l, _ *models.DeepLink) { l.Code = "abc" }, nil, "", ""},
		{"unknown purpose", func(l, _ *models.DeepLink) { l.Purpose = "pay" }, nil, "", ""},
		{"zero max uses", func(l, _ *models.DeepLink) { l.MaxUses = 0 }, nil, "", ""},
		{"more uses than allowed", func(l, _ *models.DeepLink) { l.Uses = 2; l.UsedAt = ptr(t0) }, nil, "", ""},
		{"used without a first use", func(l, _ *models.DeepLink) { l.Uses = 1 }, nil, "", ""},
		{"expires before created", func(l, _ *models.DeepLink) { l.ExpiresAt = l.CreatedAt }, nil, "", ""},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		links := repository.NewDeepLinks(db)
		existing := telegramCreateLink(t, db, 1, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := telegramNewLink(t, 1, t0)
				tt.spoil(l, existing)
				err := links.Create(ctx, l)
				if tt.kind != nil {
					assertConstraint(t, err, tt.kind, byDialect(db, tt.postgres, tt.sqlite))
				} else if ce := (*models.ConstraintError)(nil); err == nil || errors.As(err, &ce) {
					t.Errorf("err = %v, want a check violation", err)
				}
				if n := count(t, db, "deep_links", "id = ?", l.ID); n != 0 {
					t.Errorf("%d rows of the rejected link", n)
				}
				if err != nil && strings.Contains(err.Error(), l.Code) {
					t.Errorf("error %q quotes the code", err)
				}
			})
		}
	})
}

func TestDeepLinksByCodeNotFound(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		telegramCreateLink(t, db, 1, t0)
		code := telegramCode()
		l, err := repository.NewDeepLinks(db).ByCode(ctx, code)
		if !errors.Is(err, models.ErrNotFound) || l != nil {
			t.Errorf("ByCode = %+v, %v; want ErrNotFound", l, err)
		}
		if err != nil && strings.Contains(err.Error(), code) {
			t.Errorf("error %q quotes the code", err)
		}
		l, err = repository.NewDeepLinks(db).Use(ctx, code, t0)
		if !errors.Is(err, models.ErrNotFound) || l != nil {
			t.Errorf("Use = %+v, %v; want ErrNotFound", l, err)
		}
	})
}

func TestDeepLinksUse(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Minute)
	tests := []struct {
		name    string
		maxUses int
		// at lists the times of successive uses and the error each must get.
		uses []struct {
			at      time.Time
			wantErr error
		}
		wantUses   int
		wantUsedAt *time.Time
	}{
		{
			name: "single use", maxUses: 1,
			uses: []struct {
				at      time.Time
				wantErr error
			}{{t1, nil}, {t1.Add(time.Second), models.ErrDeepLinkUsedUp}},
			wantUses: 1, wantUsedAt: &t1,
		},
		{
			name: "three uses", maxUses: 3,
			uses: []struct {
				at      time.Time
				wantErr error
			}{{t1, nil}, {t1.Add(time.Second), nil}, {t1.Add(2 * time.Second), nil}, {t1.Add(3 * time.Second), models.ErrDeepLinkUsedUp}},
			wantUses: 3, wantUsedAt: &t1,
		},
		{
			name: "expired", maxUses: 1,
			uses: []struct {
				at      time.Time
				wantErr error
			}{{t0.Add(time.Hour), models.ErrDeepLinkExpired}},
			wantUses: 0,
		},
		{
			name: "expires between uses", maxUses: 2,
			uses: []struct {
				at      time.Time
				wantErr error
			}{{t1, nil}, {t0.Add(2 * time.Hour), models.ErrDeepLinkExpired}},
			wantUses: 1, wantUsedAt: &t1,
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		links := repository.NewDeepLinks(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				created := telegramCreateLink(t, db, tt.maxUses, t0)
				for i, u := range tt.uses {
					got, err := links.Use(ctx, created.Code, u.at)
					if u.wantErr != nil {
						if !errors.Is(err, u.wantErr) || got != nil {
							t.Errorf("use %d: %+v, %v; want %v", i, got, err, u.wantErr)
						}
						continue
					}
					if err != nil {
						t.Fatalf("use %d: %v", i, err)
					}
					if got.Uses != i+1 || len(got.Events()) != 1 {
						t.Errorf("use %d: link has %d uses and events %+v", i, got.Uses, got.Events())
					}
				}
				got, err := links.ByCode(ctx, created.Code)
				if err != nil {
					t.Fatal(err)
				}
				want := *created
				want.Uses, want.UsedAt = tt.wantUses, tt.wantUsedAt
				telegramAssertLink(t, got, &want)
			})
		}
	})
}

func TestDeepLinksUseConcurrently(t *testing.T) {
	t.Parallel()
	const starts = 20
	tests := []struct {
		name    string
		maxUses int
	}{
		{"single use", 1},
		{"five uses", 5},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		links := repository.NewDeepLinks(db)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				l := telegramCreateLink(t, db, tt.maxUses, t0)
				clock := testkit.NewClock(t0.Add(time.Minute))
				errs := make([]error, starts)
				var wg sync.WaitGroup
				for i := range starts {
					wg.Go(func() {
						_, errs[i] = links.Use(ctx, l.Code, clock.Now())
					})
				}
				wg.Wait()
				var ok, usedUp int
				for _, err := range errs {
					switch {
					case err == nil:
						ok++
					case errors.Is(err, models.ErrDeepLinkUsedUp):
						usedUp++
					default:
						t.Errorf("unexpected error: %v", err)
					}
				}
				if ok != tt.maxUses || usedUp != starts-tt.maxUses {
					t.Errorf("%d succeeded and %d were used up; want %d and %d", ok, usedUp, tt.maxUses, starts-tt.maxUses)
				}
				got, err := links.ByCode(ctx, l.Code)
				if err != nil {
					t.Fatal(err)
				}
				if got.Uses != tt.maxUses {
					t.Errorf("stored uses = %d, want %d", got.Uses, tt.maxUses)
				}
			})
		}
	})
}

func TestDeepLinksDeleteExpired(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		links := repository.NewDeepLinks(db)
		// Created at t0-3h, t0-2h, t0-1h, t0 with a one-hour TTL: they expire at t0-2h ... t0+1h.
		var all []*models.DeepLink
		for h := 3; h >= 0; h-- {
			all = append(all, telegramCreateLink(t, db, 1, t0.Add(-time.Duration(h)*time.Hour)))
		}
		n, err := links.DeleteExpired(ctx, t0.Add(-time.Hour)) // the one expiring exactly then stays
		if err != nil || n != 1 {
			t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
		}
		n, err = links.DeleteExpired(ctx, t0.Add(time.Minute))
		if err != nil || n != 2 {
			t.Fatalf("DeleteExpired = %d, %v; want 2", n, err)
		}
		for i, l := range all {
			_, err := links.ByCode(ctx, l.Code)
			if wantGone := i < 3; wantGone != errors.Is(err, models.ErrNotFound) {
				t.Errorf("link %d: err = %v, want gone %v", i, err, wantGone)
			}
		}
		if n, err := links.DeleteExpired(ctx, t0.Add(time.Minute)); err != nil || n != 0 {
			t.Errorf("DeleteExpired again = %d, %v; want 0", n, err)
		}
	})
}

func TestTelegramAccountsRoundTrip(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 29, 3, 30, 0, 123456000, msk)
	tests := []struct {
		name    string
		account func(userID uuid.UUID) *models.TelegramAccount
	}{
		{
			name: "every field, ids beyond 32 bits",
			account: func(userID uuid.UUID) *models.TelegramAccount {
				return &models.TelegramAccount{
					ID: models.NewID(), TelegramUserID: 7_123_456_789, Username: ptr("Anna_T"), ChatID: -1_001_234_567_890,
					UserID: &userID, LeadID: ptr(models.NewID()), Blocked: true, BlockedAt: ptr(created.Add(2 * time.Hour)),
					LinkedAt: ptr(created.Add(time.Hour)), CreatedAt: created, UpdatedAt: created.Add(2 * time.Hour),
				}
			},
		},
		{
			name: "new account without username",
			account: func(uuid.UUID) *models.TelegramAccount {
				a, err := models.NewTelegramAccount(42, "", 42, created)
				if err != nil {
					t.Fatal(err)
				}
				return a
			},
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		accounts := repository.NewTelegramAccounts(db)
		user := createStaff(t, db, t0)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				want := tt.account(user.ID)
				if err := accounts.Create(ctx, want); err != nil {
					t.Fatalf("Create: %v", err)
				}
				loads := map[string]func() (*models.TelegramAccount, error){
					"ByID":             func() (*models.TelegramAccount, error) { return accounts.ByID(ctx, want.ID) },
					"ByTelegramUserID": func() (*models.TelegramAccount, error) { return accounts.ByTelegramUserID(ctx, want.TelegramUserID) },
				}
				if want.UserID != nil {
					loads["ByUserID"] = func() (*models.TelegramAccount, error) { return accounts.ByUserID(ctx, *want.UserID) }
				}
				for name, load := range loads {
					got, err := load()
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					telegramAssertAccount(t, got, want)
				}
			})
		}
	})
}

func TestTelegramAccountsNotFound(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		accounts := repository.NewTelegramAccounts(db)
		if err := accounts.Create(ctx, telegramNewAccount(t, 1, t0)); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name string
			load func() (*models.TelegramAccount, error)
		}{
			{"ByID", func() (*models.TelegramAccount, error) { return accounts.ByID(ctx, models.NewID()) }},
			{"ByTelegramUserID", func() (*models.TelegramAccount, error) { return accounts.ByTelegramUserID(ctx, 2) }},
			{"ByUserID", func() (*models.TelegramAccount, error) { return accounts.ByUserID(ctx, models.NewID()) }},
		}
		for _, tt := range tests {
			a, err := tt.load()
			if !errors.Is(err, models.ErrNotFound) || a != nil {
				t.Errorf("%s = %+v, %v; want ErrNotFound", tt.name, a, err)
			}
		}
		called := false
		err := accounts.Update(ctx, models.NewID(), func(*models.TelegramAccount) error { called = true; return nil })
		if !errors.Is(err, models.ErrNotFound) || called {
			t.Errorf("Update of an unknown account: err = %v, callback called %v", err, called)
		}
	})
}

func TestTelegramAccountsRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		spoil            func(a, existing *models.TelegramAccount)
		kind             error // nil: a check violation, untranslated
		postgres, sqlite string
	}{
		{"telegram user taken", func(a, e *models.TelegramAccount) { a.TelegramUserID = e.TelegramUserID }, models.ErrConflict, "telegram_accounts_telegram_user_id_key", "telegram_accounts.telegram_user_id"},
		{"site user taken", func(a, e *models.TelegramAccount) { a.UserID = e.UserID }, models.ErrConflict, "telegram_accounts_user_id_key", "telegram_accounts.user_id"},
		{"unknown user", func(a, _ *models.TelegramAccount) { a.UserID = ptr(models.NewID()) }, models.ErrInvalidReference, "telegram_accounts_user_id_fkey", ""},
		{"blocked without a time", func(a, _ *models.TelegramAccount) { a.Blocked = true }, nil, "", ""},
		{"zero telegram user", func(a, _ *models.TelegramAccount) { a.TelegramUserID = 0 }, nil, "", ""},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		accounts := repository.NewTelegramAccounts(db)
		user := createStaff(t, db, t0)
		existing := telegramNewAccount(t, 1000, t0)
		if err := existing.LinkUser(user.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := accounts.Create(ctx, existing); err != nil {
			t.Fatal(err)
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a := telegramNewAccount(t, int64(2000+i), t0)
				tt.spoil(a, existing)
				err := accounts.Create(ctx, a)
				if tt.kind != nil {
					assertConstraint(t, err, tt.kind, byDialect(db, tt.postgres, tt.sqlite))
				} else if ce := (*models.ConstraintError)(nil); err == nil || errors.As(err, &ce) {
					t.Errorf("err = %v, want a check violation", err)
				}
				if n := count(t, db, "telegram_accounts", "id = ?", a.ID); n != 0 {
					t.Errorf("%d rows of the rejected account", n)
				}
			})
		}
	})
}

func TestTelegramAccountsUpdate(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	lead := models.NewID()
	tests := []struct {
		name   string
		change func(a *models.TelegramAccount, userID uuid.UUID) error
		want   func(want *models.TelegramAccount, userID uuid.UUID)
	}{
		{
			name:   "link user",
			change: func(a *models.TelegramAccount, userID uuid.UUID) error { return a.LinkUser(userID, t1) },
			want: func(w *models.TelegramAccount, userID uuid.UUID) {
				w.UserID, w.LinkedAt, w.UpdatedAt = &userID, &t1, t1
			},
		},
		{
			name:   "link lead",
			change: func(a *models.TelegramAccount, _ uuid.UUID) error { return a.LinkLead(lead, t1) },
			want:   func(w *models.TelegramAccount, _ uuid.UUID) { w.LeadID, w.UpdatedAt = &lead, t1 },
		},
		{
			name:   "blocked",
			change: func(a *models.TelegramAccount, _ uuid.UUID) error { a.MarkBlocked(t1); return nil },
			want:   func(w *models.TelegramAccount, _ uuid.UUID) { w.Blocked, w.BlockedAt, w.UpdatedAt = true, &t1, t1 },
		},
		{
			name: "blocked and back",
			change: func(a *models.TelegramAccount, _ uuid.UUID) error {
				a.MarkBlocked(t0.Add(time.Minute))
				return a.Unblock(t1)
			},
			want: func(w *models.TelegramAccount, _ uuid.UUID) { w.UpdatedAt = t1 },
		},
		{
			name:   "username dropped, chat moved",
			change: func(a *models.TelegramAccount, _ uuid.UUID) error { return a.UpdateProfile("", -100500, t1) },
			want:   func(w *models.TelegramAccount, _ uuid.UUID) { w.Username, w.ChatID, w.UpdatedAt = nil, -100500, t1 },
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		accounts := repository.NewTelegramAccounts(db)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				user := createStaff(t, db, t0)
				a := telegramNewAccount(t, int64(100+i), t0)
				if err := accounts.Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				if err := accounts.Update(ctx, a.ID, func(a *models.TelegramAccount) error { return tt.change(a, user.ID) }); err != nil {
					t.Fatalf("Update: %v", err)
				}
				got, err := accounts.ByID(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				want := *a
				tt.want(&want, user.ID)
				telegramAssertAccount(t, got, &want)
			})
		}
	})
}

func TestTelegramAccountsUpdateRollsBack(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	errBoom := errors.New("boom")
	tests := []struct {
		name   string
		change func(a *models.TelegramAccount, taken uuid.UUID) error
		check  func(t *testing.T, db *repository.DB, err error)
	}{
		{
			name: "callback error",
			change: func(a *models.TelegramAccount, _ uuid.UUID) error {
				a.MarkBlocked(t1)
				_ = a.LinkLead(models.NewID(), t1)
				return errBoom
			},
			check: func(t *testing.T, _ *repository.DB, err error) {
				if !errors.Is(err, errBoom) {
					t.Errorf("err = %v, want the callback's", err)
				}
			},
		},
		{
			name: "user linked to another account",
			change: func(a *models.TelegramAccount, taken uuid.UUID) error {
				a.MarkBlocked(t1)
				return a.LinkUser(taken, t1)
			},
			check: func(t *testing.T, db *repository.DB, err error) {
				assertConstraint(t, err, models.ErrConflict, byDialect(db, "telegram_accounts_user_id_key", "telegram_accounts.user_id"))
			},
		},
		{
			name:   "unknown user",
			change: func(a *models.TelegramAccount, _ uuid.UUID) error { return a.LinkUser(models.NewID(), t1) },
			check: func(t *testing.T, _ *repository.DB, err error) {
				assertConstraint(t, err, models.ErrInvalidReference, "")
			},
		},
		{
			name:   "refused transition",
			change: func(a *models.TelegramAccount, _ uuid.UUID) error { return a.Unblock(t1) },
			check: func(t *testing.T, _ *repository.DB, err error) {
				if !errors.Is(err, models.ErrInvalidTransition) {
					t.Errorf("err = %v, want ErrInvalidTransition", err)
				}
			},
		},
	}
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		accounts := repository.NewTelegramAccounts(db)
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				user := createStaff(t, db, t0)
				holder := telegramNewAccount(t, int64(500+i), t0)
				if err := holder.LinkUser(user.ID, t0); err != nil {
					t.Fatal(err)
				}
				if err := accounts.Create(ctx, holder); err != nil {
					t.Fatal(err)
				}
				a := telegramNewAccount(t, int64(600+i), t0)
				if err := accounts.Create(ctx, a); err != nil {
					t.Fatal(err)
				}
				tt.check(t, db, accounts.Update(ctx, a.ID, func(a *models.TelegramAccount) error { return tt.change(a, user.ID) }))
				got, err := accounts.ByID(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				telegramAssertAccount(t, got, a)
			})
		}
	})
}

func TestTelegramUserDeletionKeepsChats(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		accounts := repository.NewTelegramAccounts(db)
		links := repository.NewDeepLinks(db)
		user := createStaff(t, db, t0)
		a := telegramNewAccount(t, 77, t0)
		if err := a.LinkUser(user.ID, t0); err != nil {
			t.Fatal(err)
		}
		if err := accounts.Create(ctx, a); err != nil {
			t.Fatal(err)
		}
		l := telegramNewLink(t, 1, t0)
		if err := l.AttachUser(user.ID); err != nil {
			t.Fatal(err)
		}
		if err := links.Create(ctx, l); err != nil {
			t.Fatal(err)
		}
		if err := db.Gorm.Exec("DELETE FROM users WHERE id = ?", user.ID).Error; err != nil {
			t.Fatalf("delete user: %v", err)
		}
		gotA, err := accounts.ByID(ctx, a.ID)
		if err != nil || gotA.UserID != nil {
			t.Errorf("account after the user was deleted = %+v, %v; want kept, unlinked", gotA, err)
		}
		gotL, err := links.ByCode(ctx, l.Code)
		if err != nil || gotL.UserID != nil {
			t.Errorf("link after the user was deleted = %+v, %v; want kept, without user", gotL, err)
		}
	})
}

// Every Telegram store method reports a failing database as an error with context, never as
// "not found" and never as success.
func TestTelegramStoresReportDatabaseErrors(t *testing.T) {
	t.Parallel()
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		ctx := context.Background()
		links := repository.NewDeepLinks(db)
		accounts := repository.NewTelegramAccounts(db)
		l := telegramCreateLink(t, db, 1, t0)
		userID := models.NewID()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name    string
			call    func() error
			context string // expected in the message; "" when the failure is at BEGIN
		}{
			{"DeepLinks.Create", func() error { return links.Create(ctx, telegramNewLink(t, 1, t0)) }, "create deep link"},
			{"DeepLinks.ByCode", func() error { _, err := links.ByCode(ctx, l.Code); return err }, "deep link by code"},
			{"DeepLinks.Use", func() error { _, err := links.Use(ctx, l.Code, t0); return err }, ""},
			{"DeepLinks.DeleteExpired", func() error { _, err := links.DeleteExpired(ctx, t0); return err }, "delete expired deep links"},
			{"TelegramAccounts.Create", func() error { return accounts.Create(ctx, telegramNewAccount(t, 9, t0)) }, "create telegram account"},
			{"TelegramAccounts.ByID", func() error { _, err := accounts.ByID(ctx, l.ID); return err }, "telegram account " + l.ID.String()},
			{"TelegramAccounts.ByTelegramUserID", func() error { _, err := accounts.ByTelegramUserID(ctx, 9); return err }, "telegram account of telegram user 9"},
			{"TelegramAccounts.ByUserID", func() error { _, err := accounts.ByUserID(ctx, userID); return err }, "telegram account of user " + userID.String()},
			{"TelegramAccounts.Update", func() error {
				return accounts.Update(ctx, l.ID, func(*models.TelegramAccount) error { return nil })
			}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := tt.call()
				if err == nil || errors.Is(err, models.ErrNotFound) {
					t.Fatalf("err = %v, want a database error", err)
				}
				if !strings.Contains(err.Error(), tt.context) {
					t.Errorf("err = %v, want it to mention %q", err, tt.context)
				}
			})
		}
	})
}
