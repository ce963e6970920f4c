package bot_test

import (
	"context"
	"strings"
	"testing"

	"balance/internal/testkit"
	"balance/models"
	"balance/repository"
)

// TestLogin: /login from an account linked to a client queues the sign-in reply naming a new
// telegram_sign_in row (no link, no token: they are made when the reply is sent); anyone else
// gets telegram_not_linked and no row is made.
func TestLogin(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db *repository.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		anna := e.user(t, "anna@example.org")
		link := e.storeLink(t, models.DeepLinkPurposeBooking, &anna.ID, nil)
		e.handle(t, update(t, 1, 100, "/start "+link)) // links Telegram user 100 to Анна

		e.handle(t, update(t, 2, 100, "/login"))
		e.handle(t, update(t, 3, 200, "/login@balance_bot")) // never linked
		var got []string
		for _, r := range e.replies(t) {
			if strings.HasPrefix(r.Dedup, "bot:1:") {
				continue
			}
			got = append(got, r.Key)
			if r.Link != "" || strings.Contains(r.String(), "token") {
				t.Errorf("reply payload holds a link: %s", r)
			}
			if (r.Key == "telegram_login") != (r.SignInID != nil) {
				t.Errorf("reply %s", r)
			}
			if r.SignInID != nil {
				row, err := repository.NewOneTimeCodes(db).ByID(ctx, *r.SignInID)
				if err != nil || row.Purpose != models.CodeTelegramSignIn || row.UserID == nil || *row.UserID != anna.ID || row.CodeHash != nil {
					t.Errorf("sign-in row %+v (%v)", row, err)
				}
			}
		}
		if strings.Join(got, ",") != "telegram_login,telegram_not_linked" {
			t.Errorf("replies %v", got)
		}
		if n := e.count(t, "one_time_codes"); n != 1 {
			t.Errorf("%d one-time codes, want 1", n)
		}
	})
}
