package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Update is what the webhook needs from a Telegram update. An update that carries no message (the
// bot was added to a group, a message was edited, ...) has only UpdateID; HasMessage tells.
type Update struct {
	UpdateID int64
	// ChatID is where to answer; in a private chat it equals FromID.
	ChatID int64
	// FromID is the sender's Telegram user id, zero when the message has no sender.
	FromID int64
	// Username is the sender's @username without the @, often empty.
	Username  string
	FirstName string
	Text      string
}

// HasMessage reports whether the update carries a message (Telegram chat ids are never zero).
func (u *Update) HasMessage() bool { return u.ChatID != 0 }

// wireUpdate holds only the fields we read. models.Update would decode every kind of update, and
// its custom decoders reject kinds they do not know yet (a new message origin, say), which would
// turn a harmless new Telegram feature into webhook failures.
type wireUpdate struct {
	UpdateID *int64 `json:"update_id"`
	Message  *struct {
		From *models.User `json:"from"`
		Chat *models.Chat `json:"chat"`
		Text string       `json:"text"`
	} `json:"message"`
}

// MalformedUpdateError means a webhook body is not an update we can ever accept: not JSON, not an
// update, or holding text that cannot be stored (a NUL, invalid UTF-8). Its message never quotes
// the body, which is a person's message.
type MalformedUpdateError struct {
	// UpdateID is the update's id when it could be read, else zero (Telegram's ids are positive).
	UpdateID int64
	Reason   string
}

func (e *MalformedUpdateError) Error() string {
	if e.UpdateID == 0 {
		return "telegram update: " + e.Reason
	}
	return fmt.Sprintf("telegram update %d: %s", e.UpdateID, e.Reason)
}

// ParseUpdate reads a webhook request body. It fails with a *MalformedUpdateError on malformed
// JSON, a missing update_id, a message without a chat, or a string we read (text, username, first
// name) that is not valid UTF-8 or holds a NUL — text no database column can hold.
func ParseUpdate(body []byte) (*Update, error) {
	var w wireUpdate
	if err := json.Unmarshal(body, &w); err != nil {
		e := &MalformedUpdateError{Reason: "not a JSON object"}
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			// The decoder reads on past a value of the wrong type: update_id may be known.
			e.Reason = "field " + typeErr.Field + " is not a " + typeErr.Type.Kind().String()
			if w.UpdateID != nil && typeErr.Field != "update_id" {
				e.UpdateID = *w.UpdateID
			}
		}
		return nil, e
	}
	if w.UpdateID == nil {
		return nil, &MalformedUpdateError{Reason: "no update_id"}
	}
	u := &Update{UpdateID: *w.UpdateID}
	if !utf8.Valid(body) {
		// Telegram sends UTF-8; the JSON decoder quietly turned the bad bytes into U+FFFD.
		return nil, &MalformedUpdateError{UpdateID: u.UpdateID, Reason: "not valid UTF-8"}
	}
	if m := w.Message; m != nil {
		if m.Chat == nil || m.Chat.ID == 0 {
			return nil, &MalformedUpdateError{UpdateID: u.UpdateID, Reason: "message without a chat"}
		}
		u.ChatID, u.Text = m.Chat.ID, m.Text
		if m.From != nil {
			u.FromID, u.Username, u.FirstName = m.From.ID, m.From.Username, m.From.FirstName
		}
		for _, f := range []struct{ name, value string }{{"text", u.Text}, {"from.username", u.Username}, {"from.first_name", u.FirstName}} {
			if strings.IndexByte(f.value, 0) >= 0 {
				return nil, &MalformedUpdateError{UpdateID: u.UpdateID, Reason: "message." + f.name + " holds a NUL character"}
			}
		}
	}
	return u, nil
}

// StartPayload reads a /start command: "/start" (ok, empty code), "/start CODE" and
// "/start@BotName CODE" (ok, CODE). Any other text is not a /start command. The code is returned as
// written; the caller decides whether it is one of ours.
func StartPayload(text string) (code string, ok bool) {
	return Command(text, "/start")
}

// Command reports whether text is the command name ("/login", "/login@bot_name", with or
// without arguments) and returns its arguments.
func Command(text, name string) (args string, ok bool) {
	text = strings.TrimSpace(text)
	command, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		command, rest = text[:i], strings.TrimSpace(text[i:])
	}
	got, bot, mentioned := strings.Cut(command, "@")
	if got != name || (mentioned && bot == "") {
		return "", false
	}
	return rest, true
}
