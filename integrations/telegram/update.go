package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

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

// ParseUpdate reads a webhook request body. It fails on malformed JSON, a missing update_id, or a
// message without a chat.
func ParseUpdate(body []byte) (*Update, error) {
	var w wireUpdate
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("telegram update: %w", err)
	}
	if w.UpdateID == nil {
		return nil, errors.New("telegram update: no update_id")
	}
	u := &Update{UpdateID: *w.UpdateID}
	if m := w.Message; m != nil {
		if m.Chat == nil || m.Chat.ID == 0 {
			return nil, fmt.Errorf("telegram update %d: message without a chat", u.UpdateID)
		}
		u.ChatID, u.Text = m.Chat.ID, m.Text
		if m.From != nil {
			u.FromID, u.Username, u.FirstName = m.From.ID, m.From.Username, m.From.FirstName
		}
	}
	return u, nil
}

// StartPayload reads a /start command: "/start" (ok, empty code), "/start CODE" and
// "/start@BotName CODE" (ok, CODE). Any other text is not a /start command. The code is returned as
// written; the caller decides whether it is one of ours.
func StartPayload(text string) (code string, ok bool) {
	text = strings.TrimSpace(text)
	command, rest := text, ""
	if i := strings.IndexFunc(text, unicode.IsSpace); i >= 0 {
		command, rest = text[:i], strings.TrimSpace(text[i:])
	}
	name, bot, mentioned := strings.Cut(command, "@")
	if name != "/start" || (mentioned && bot == "") {
		return "", false
	}
	return rest, true
}
