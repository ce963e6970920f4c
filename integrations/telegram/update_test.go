package telegram_test

import (
	"errors"
	"testing"

	"balance/integrations/telegram"
	"balance/integrations/telegram/telegramtest"
)

func TestParseUpdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want telegram.Update
	}{
		{"private /start", string(telegramtest.UpdateJSON(901, 5550001, 5550001, "anna_k", "/start AbC-123_x")),
			telegram.Update{UpdateID: 901, ChatID: 5550001, FromID: 5550001, Username: "anna_k", FirstName: telegramtest.UpdateFirstName, Text: "/start AbC-123_x"}},
		{"no username", string(telegramtest.UpdateJSON(902, 77, 77, "", "привет")),
			telegram.Update{UpdateID: 902, ChatID: 77, FromID: 77, FirstName: telegramtest.UpdateFirstName, Text: "привет"}},
		{"group", string(telegramtest.UpdateJSON(903, -1001234567890, 77, "bob", "hi")),
			telegram.Update{UpdateID: 903, ChatID: -1001234567890, FromID: 77, Username: "bob", FirstName: telegramtest.UpdateFirstName, Text: "hi"}},
		{"a sticker has no text", `{"update_id":904,"message":{"message_id":1,"date":1,"chat":{"id":8,"type":"private"},"from":{"id":8,"is_bot":false,"first_name":"Ян"},"sticker":{"file_id":"x"}}}`,
			telegram.Update{UpdateID: 904, ChatID: 8, FromID: 8, FirstName: "Ян"}},
		{"no sender", `{"update_id":905,"message":{"chat":{"id":-100,"type":"group"},"text":"x"}}`,
			telegram.Update{UpdateID: 905, ChatID: -100, Text: "x"}},
		{"a kind of update we did not ask for", `{"update_id":906,"my_chat_member":{"chat":{"id":8}}}`,
			telegram.Update{UpdateID: 906}},
		{"an origin type the library does not know yet", `{"update_id":907,"message":{"chat":{"id":8,"type":"private"},"forward_origin":{"type":"from_the_future","date":1},"text":"fwd"}}`,
			telegram.Update{UpdateID: 907, ChatID: 8, Text: "fwd"}},
		{"ids beyond 2^53", `{"update_id":9007199254740993,"message":{"chat":{"id":9007199254740995},"from":{"id":9007199254740995},"text":"x"}}`,
			telegram.Update{UpdateID: 9007199254740993, ChatID: 9007199254740995, FromID: 9007199254740995, Text: "x"}},
	}
	for _, tt := range tests {
		got, err := telegram.ParseUpdate([]byte(tt.body))
		if err != nil || *got != tt.want {
			t.Errorf("%s: %+v, %v; want %+v", tt.name, got, err, tt.want)
			continue
		}
		if got.HasMessage() != (tt.want.ChatID != 0) {
			t.Errorf("%s: HasMessage = %t", tt.name, got.HasMessage())
		}
	}
}

func TestParseUpdateRejectsMalformed(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``,
		`not json`,
		`[]`,
		`{}`,
		`{"message":{"chat":{"id":1},"text":"x"}}`,
		`{"update_id":"1"}`,
		`{"update_id":1.5}`,
		`{"update_id":1,"message":{"text":"no chat"}}`,
		`{"update_id":1,"message":{"chat":{"id":0},"text":"x"}}`,
		`{"update_id":1,"message":{"chat":{"id":"8"},"text":"x"}}`,
		`{"update_id":1,"message":{"chat":{"id":8},"from":{"id":"8"}}}`,
		`{"update_id":1,"message":"x"}`,
	} {
		if u, err := telegram.ParseUpdate([]byte(body)); err == nil {
			t.Errorf("%s: parsed as %+v", body, u)
		}
	}
}

// TestParseUpdateRejectsUnstorableText: a NUL or invalid UTF-8 in a string we read can never be
// stored (PostgreSQL refuses both), so the update is malformed; its id is still reported.
func TestParseUpdateRejectsUnstorableText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		updateID   int64
	}{
		{"NUL in the text", string(telegramtest.UpdateJSON(11, 8, 8, "anna", "/start abc\x00def")), 11},
		{"NUL in the username", string(telegramtest.UpdateJSON(12, 8, 8, "an\x00na", "/start")), 12},
		{"NUL in the first name", `{"update_id":13,"message":{"chat":{"id":8},"from":{"id":8,"first_name":"A\u0000"},"text":"/start"}}`, 13},
		{"invalid UTF-8 in the text", "{\"update_id\":14,\"message\":{\"chat\":{\"id\":8},\"text\":\"/start \xff\"}}", 14},
		{"invalid UTF-8 in a field we do not read", "{\"update_id\":15,\"message\":{\"chat\":{\"id\":8,\"title\":\"\xc3\"},\"text\":\"/start\"}}", 15},
		{"a field of the wrong type", `{"update_id":16,"message":{"chat":{"id":8},"text":7}}`, 16},
		{"wrong update_id", `{"update_id":"16"}`, 0},
	} {
		_, err := telegram.ParseUpdate([]byte(tc.body))
		var me *telegram.MalformedUpdateError
		if !errors.As(err, &me) || me.UpdateID != tc.updateID || me.Reason == "" {
			t.Errorf("%s: %v; want a MalformedUpdateError of update %d", tc.name, err, tc.updateID)
		}
	}
}

func TestStartPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text, code string
		ok         bool
	}{
		{"/start", "", true},
		{"/start AbC-123_x", "AbC-123_x", true},
		{"/start@balance_bot AbC", "AbC", true},
		{"/start@balance_bot", "", true},
		{"  /start   AbC  ", "AbC", true},
		{"/start\tAbC", "AbC", true},
		{"/start\nAbC", "AbC", true},
		{"/start a b", "a b", true},
		{"/startAbC", "", false},
		{"/start@ AbC", "", false},
		{"/help", "", false},
		{"/help@balance_bot x", "", false},
		{"start AbC", "", false},
		{"hello /start AbC", "", false},
		{"", "", false},
		{"/", "", false},
	}
	for _, tt := range tests {
		if code, ok := telegram.StartPayload(tt.text); code != tt.code || ok != tt.ok {
			t.Errorf("StartPayload(%q) = %q, %t; want %q, %t", tt.text, code, ok, tt.code, tt.ok)
		}
	}
}
