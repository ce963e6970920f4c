package telegram

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseUpdate feeds any bytes to the webhook's update parser. It never panics; it accepts an
// update only with text fit for the database, and refuses with a *MalformedUpdateError whose
// reason never quotes the body.
func FuzzParseUpdate(f *testing.F) {
	for _, seed := range []string{
		`{"update_id":1,"message":{"message_id":5,"from":{"id":777,"is_bot":false,"first_name":"Анна","username":"anna"},"chat":{"id":777,"type":"private"},"date":1764752400,"text":"/start abc_DEF-123"}}`,
		`{"update_id":2,"my_chat_member":{"chat":{"id":-100,"type":"group"}}}`,
		`{"update_id":3,"message":{"chat":{"id":1},"text":"a\u0000b"}}`,
		"{\"update_id\":4,\"message\":{\"chat\":{\"id\":1},\"from\":{\"id\":1,\"username\":\"\xff\"}}}",
		`{"update_id":"x"}`,
		`{"message":{}}`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := ParseUpdate(body)
		if err != nil {
			var m *MalformedUpdateError
			if !errors.As(err, &m) {
				t.Fatalf("refused with %T %v, want *MalformedUpdateError", err, err)
			}
			if len(body) >= 8 && strings.Contains(m.Error(), string(body)) {
				t.Fatalf("the refusal quotes the body: %v", err)
			}
			return
		}
		for _, s := range []string{u.Text, u.Username, u.FirstName} {
			if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("accepted text the database refuses: %q from %q", s, body)
			}
		}
		if u.HasMessage() != (u.ChatID != 0) {
			t.Fatalf("HasMessage disagrees with ChatID %d", u.ChatID)
		}
	})
}
