// Package bot holds the Telegram bot's use cases: deep links from the site into the bot, and what
// /start <code> does — link the Telegram account to the client, record the telegram consent, and
// answer (through the job queue: nothing is sent inside the webhook request).
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"balance/crypto"
	"balance/integrations/telegram"
	"balance/models"
	"balance/repository"
	"balance/service"
	"balance/service/notify"
)

// ConsentVersion is the version recorded for the telegram consent a client gives by starting the
// bot from the site (the site's text next to the button says what the bot sends).
const ConsentVersion = "telegram-start-1"

// ErrTelegramUnavailable: Telegram could not be asked for the bot's name, so no link can be made.
var ErrTelegramUnavailable = errors.New("telegram is unavailable")

// ErrUnacceptableUpdate: the update breaks our rules (a username Telegram does not allow, say) and
// handling it again can never succeed. The webhook acknowledges it, so that Telegram stops sending it.
var ErrUnacceptableUpdate = errors.New("unacceptable telegram update")

// Reply templates.
const (
	templateWelcome = "telegram_welcome"
	templatePlan    = "telegram_plan"
	templateUnknown = "telegram_unknown_code"
	// /login: a sign-in link for a linked client, or a polite "not linked" for anyone else.
	templateLogin     = "telegram_login"
	templateNotLinked = "telegram_not_linked"
)

// Scheduler queues a task; *events.Outbox is one.
type Scheduler interface {
	Schedule(ctx context.Context, name string, payload any, at time.Time) (int64, error)
}

// Identity tells the bot its @username, for t.me links; *telegram.Client is one.
type Identity interface {
	Username(ctx context.Context) (string, error)
}

// Bookings verifies that the visitor asking for a booking link holds the booking's manage token;
// *booking.Bookings is one.
type Bookings interface {
	Manage(ctx context.Context, id uuid.UUID, token string) (*models.Appointment, error)
}

// Runs checks that a run token opens an interactive run; *interactive.Tools is one.
type Runs interface {
	Open(ctx context.Context, id uuid.UUID, token string) error
}

// Config tunes deep links.
type Config struct {
	// LinkTTL is how long a deep link can be used.
	LinkTTL time.Duration
	// SiteURL is the public site (plans are shown there).
	SiteURL string
}

// Bot is the Telegram bot's use cases.
type Bot struct {
	db       *repository.DB
	links    *repository.DeepLinks
	accounts *repository.TelegramAccounts
	users    *repository.Users
	codes    *repository.OneTimeCodes
	bookings Bookings
	runs     Runs
	identity Identity
	jobs     Scheduler
	clock    service.Clock
	cfg      Config
	log      *slog.Logger
}

// New wires the bot.
func New(db *repository.DB, bookings Bookings, identity Identity, jobs Scheduler, clock service.Clock, cfg Config, log *slog.Logger) *Bot {
	return &Bot{
		db: db, links: repository.NewDeepLinks(db), accounts: repository.NewTelegramAccounts(db),
		users: repository.NewUsers(db), codes: repository.NewOneTimeCodes(db), bookings: bookings, identity: identity, jobs: jobs, clock: clock, cfg: cfg, log: log,
	}
}

// UseRuns makes plan links that name a run (payload run_id) require the run's token, which the
// link then keeps (encrypted) so that the bot's answer links to the plan page with it. Without it,
// a plan link's run_id is taken as given and its plan page link carries no token.
func (b *Bot) UseRuns(r Runs) { b.runs = r }

// DeepLinkRequest asks for a link into the bot.
type DeepLinkRequest struct {
	Purpose    models.DeepLinkPurpose
	EntryPoint string
	Payload    map[string]string
	// BookingID and ManageToken, for a booking link, tie the Telegram account to the booking's client.
	BookingID   uuid.UUID
	ManageToken string
	// RunToken, for a plan link naming a run (payload run_id), is the run's token.
	RunToken string
}

// DeepLink is a link into the bot.
type DeepLink struct {
	Code      string
	URL       string
	ExpiresAt time.Time
}

// CreateDeepLink makes an unguessable single-use code and its t.me link.
func (b *Bot) CreateDeepLink(ctx context.Context, r DeepLinkRequest) (*DeepLink, error) {
	code, err := crypto.NewToken() // 43 characters of base64url: a valid /start parameter
	if err != nil {
		return nil, err
	}
	l, err := models.NewDeepLink(code, r.Purpose, r.Payload, r.EntryPoint, b.cfg.LinkTTL, 1, b.clock.Now())
	if err != nil {
		return nil, err
	}
	if run := r.Payload["run_id"]; r.Purpose == models.DeepLinkPurposePlan && run != "" && b.runs != nil {
		if err := b.attachRun(ctx, l, run, r.RunToken); err != nil {
			return nil, err
		}
	}
	if r.Purpose == models.DeepLinkPurposeBooking {
		a, err := b.bookings.Manage(ctx, r.BookingID, r.ManageToken)
		if err != nil {
			return nil, err
		}
		if a.ClientUserID != nil {
			if err := l.AttachUser(*a.ClientUserID); err != nil {
				return nil, err
			}
		}
		if a.LeadID != nil {
			if err := l.AttachLead(*a.LeadID); err != nil {
				return nil, err
			}
		}
	}
	name, err := b.identity.Username(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: bot username: %w", ErrTelegramUnavailable, err)
	}
	if err := b.links.Create(ctx, l); err != nil {
		return nil, err
	}
	return &DeepLink{Code: code, URL: "https://t.me/" + url.PathEscape(name) + "?start=" + code, ExpiresAt: l.ExpiresAt}, nil
}

// attachRun checks that token opens the run and keeps it on the link: a malformed run id, a
// missing or a wrong token are models.ErrNotFound alike.
func (b *Bot) attachRun(ctx context.Context, l *models.DeepLink, run, token string) error {
	id, err := uuid.Parse(run)
	if err != nil {
		return fmt.Errorf("plan link: malformed run id: %w", models.ErrNotFound)
	}
	if err := b.runs.Open(ctx, id, token); err != nil {
		return err
	}
	l.Payload["run_id"] = id.String()
	return l.AttachRunToken(token)
}

// HandleUpdate acts on one update from the webhook. Only /start and /login (see login) matter. On
// /start the account is registered (or updated), a deep link's client is linked with the telegram consent, and the
// answers are queued. Processing the same update twice answers once. An update that breaks a
// domain rule fails with ErrUnacceptableUpdate and changes nothing; any other error is worth a retry.
func (b *Bot) HandleUpdate(ctx context.Context, u *telegram.Update) error {
	err := b.handleUpdate(ctx, u)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		return fmt.Errorf("%w: %w", ErrUnacceptableUpdate, err)
	}
	return err
}

func (b *Bot) handleUpdate(ctx context.Context, u *telegram.Update) error {
	// Only private chats: in a group the chat is not the person's, and their messages must not go there.
	if !u.HasMessage() || u.FromID <= 0 || u.ChatID != u.FromID {
		return nil
	}
	if _, ok := telegram.Command(u.Text, "/login"); ok {
		return b.login(ctx, u)
	}
	code, ok := telegram.StartPayload(u.Text)
	if !ok {
		return nil
	}
	return b.db.InTx(ctx, func(ctx context.Context) error {
		now := b.clock.Now().UTC()
		acc, err := b.account(ctx, u, now)
		if err != nil {
			return err
		}
		reply := func(n int, key, link string) error {
			_, err := b.jobs.Schedule(ctx, notify.TaskReply, notify.ReplyTask{
				Dedup: "bot:" + strconv.FormatInt(u.UpdateID, 10) + ":" + strconv.Itoa(n), Key: key,
				ChatID: u.ChatID, Name: u.FirstName, Link: link,
			}, time.Time{})
			return err
		}
		if code == "" {
			return reply(1, templateWelcome, "")
		}
		link, err := b.useLink(ctx, code, now)
		switch {
		case errors.Is(err, models.ErrNotFound), errors.Is(err, models.ErrDeepLinkExpired), errors.Is(err, models.ErrDeepLinkUsedUp):
			b.log.InfoContext(ctx, "unusable deep link", "update_id", u.UpdateID, "reason", err.Error())
			return reply(1, templateUnknown, "")
		case err != nil:
			return err
		}
		if err := b.link(ctx, acc, link, now); err != nil {
			return err
		}
		if err := reply(1, templateWelcome, ""); err != nil {
			return err
		}
		if link.Purpose == models.DeepLinkPurposePlan {
			return reply(2, templatePlan, b.planURL(link))
		}
		return nil
	})
}

// login answers /login: a client whose account is linked to this Telegram account gets a one-time
// sign-in link to the cabinet (its token is made when the reply is sent: the job holds only the
// row's id); anyone else — not linked, staff, blocked — is told the account is not linked, and
// nothing more.
func (b *Bot) login(ctx context.Context, u *telegram.Update) error {
	return b.db.InTx(ctx, func(ctx context.Context) error {
		now := b.clock.Now().UTC()
		acc, err := b.account(ctx, u, now)
		if err != nil {
			return err
		}
		task := notify.ReplyTask{
			Dedup: "bot:" + strconv.FormatInt(u.UpdateID, 10) + ":1", Key: templateNotLinked,
			ChatID: u.ChatID, Name: u.FirstName,
		}
		if acc.UserID != nil {
			user, err := b.users.ByID(ctx, *acc.UserID)
			switch {
			case err == nil && user.CanSignInAsClient() == nil:
				row := models.NewTelegramSignIn(user.ID, now)
				if err := b.codes.Replace(ctx, row); err != nil {
					return err
				}
				task.Key, task.SignInID = templateLogin, &row.ID
			case err != nil && !errors.Is(err, models.ErrNotFound):
				return err
			}
		}
		if task.Key == templateNotLinked {
			b.log.InfoContext(ctx, "telegram sign-in refused: no client linked", "update_id", u.UpdateID)
		}
		_, err = b.jobs.Schedule(ctx, notify.TaskReply, task, time.Time{})
		return err
	})
}

// useLink spends a use of the deep link with this code. Text that cannot be one of our codes is
// not looked up: it is unknown.
func (b *Bot) useLink(ctx context.Context, code string, now time.Time) (*models.DeepLink, error) {
	if !models.IsDeepLinkCode(code) {
		return nil, fmt.Errorf("deep link: malformed code: %w", models.ErrNotFound)
	}
	return b.links.Use(ctx, code, now)
}

// account registers the Telegram user or refreshes their profile; one who blocked the bot and
// came back is unblocked.
func (b *Bot) account(ctx context.Context, u *telegram.Update, now time.Time) (*models.TelegramAccount, error) {
	acc, err := b.accounts.ByTelegramUserID(ctx, u.FromID)
	if errors.Is(err, models.ErrNotFound) {
		if acc, err = models.NewTelegramAccount(u.FromID, u.Username, u.ChatID, now); err != nil {
			return nil, err
		}
		return acc, b.accounts.Create(ctx, acc)
	}
	if err != nil {
		return nil, err
	}
	err = b.accounts.Update(ctx, acc.ID, func(a *models.TelegramAccount) error {
		if err := a.UpdateProfile(u.Username, u.ChatID, now); err != nil {
			return err
		}
		if a.Blocked {
			return a.Unblock(now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b.accounts.ByID(ctx, acc.ID)
}

// link ties the account to the deep link's user and lead and records the telegram consent — only
// when the account ends up linked to that user: a user already linked to another Telegram account
// keeps it, and an account already linked to someone else stays theirs.
func (b *Bot) link(ctx context.Context, acc *models.TelegramAccount, l *models.DeepLink, now time.Time) error {
	if l.UserID == nil && l.LeadID == nil {
		return nil
	}
	linkUser := l.UserID != nil && (acc.UserID == nil || *acc.UserID == *l.UserID)
	if linkUser && acc.UserID == nil {
		other, err := b.accounts.ByUserID(ctx, *l.UserID)
		switch {
		case err == nil && other.ID != acc.ID:
			b.log.InfoContext(ctx, "user already linked to another Telegram account; left as it is", "user_id", *l.UserID)
			linkUser = false
		case err != nil && !errors.Is(err, models.ErrNotFound):
			return err
		}
	}
	err := b.accounts.Update(ctx, acc.ID, func(a *models.TelegramAccount) error {
		if linkUser {
			if err := a.LinkUser(*l.UserID, now); err != nil {
				return err
			}
		}
		if l.LeadID != nil && a.LeadID == nil {
			return a.LinkLead(*l.LeadID, now)
		}
		return nil
	})
	if err != nil || !linkUser {
		return err
	}
	return b.users.Update(ctx, *l.UserID, func(u *models.User) error {
		return u.GrantConsent(models.ConsentTelegram, ConsentVersion, "telegram_start", now)
	})
}

// planURL is where the plan of the link's interactive run is shown on the site:
// <site>/plan/<run id>#token=<run token>. The token is in the fragment, which browsers never send
// to a server (no access log or Referer holds it); the page reads it and calls
// GET /api/v1/tools/runs/{id} with it (docs/site.md).
func (b *Bot) planURL(l *models.DeepLink) string {
	run := l.Payload["run_id"]
	if run == "" {
		return b.cfg.SiteURL
	}
	u := b.cfg.SiteURL + "/plan/" + url.PathEscape(run)
	if l.RunToken != nil {
		u += "#token=" + url.QueryEscape(*l.RunToken)
	}
	return u
}
