package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Text that reaches the database must be valid UTF-8 without NUL bytes: PostgreSQL refuses
// anything else (SQLSTATE 22021) while SQLite stores it, and encoding/json would silently turn
// invalid bytes into U+FFFD. Every request is checked here, at the edge, the same way on both
// databases: a bad path segment is a resource that cannot exist (404), a bad query parameter or
// JSON string is a field the client must fix (422 naming it).

// cleanText reports whether s is valid UTF-8 without NUL bytes.
func cleanText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

const badTextMessage = "must be valid UTF-8 text without NUL characters"

// rejectBadText refuses requests whose path parameters or query parameters are not clean text,
// and makes the User-Agent (stored with sessions and audit records) clean text.
func rejectBadText() gin.HandlerFunc {
	return func(c *gin.Context) {
		for _, p := range c.Params {
			if !cleanText(p.Value) {
				problem(c, http.StatusNotFound, "not-found", "the resource does not exist")
				return
			}
		}
		if raw := c.Request.URL.RawQuery; raw != "" {
			if field, ok := badQueryField(raw); !ok {
				problem(c, http.StatusUnprocessableEntity, "validation", "the request has invalid fields",
					FieldError{Field: field, Message: badTextMessage})
				return
			}
		}
		if ua := c.Request.Header.Get("User-Agent"); ua != "" && !cleanText(ua) {
			c.Request.Header.Set("User-Agent", strings.ReplaceAll(strings.ToValidUTF8(ua, "\uFFFD"), "\x00", ""))
		}
		c.Next()
	}
}

// badQueryField finds the first query parameter whose name or value is not clean text. A
// parameter with an unreadable name is reported under its position, "query[N]".
func badQueryField(raw string) (string, bool) {
	for i, pair := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		key, errK := url.QueryUnescape(k)
		if errK != nil || !cleanText(key) {
			return "query[" + strconv.Itoa(i) + "]", false
		}
		val, errV := url.QueryUnescape(v)
		if errV == nil && !cleanText(val) {
			return key, false
		}
	}
	return "", true
}

// badJSONText finds the first string in a JSON document — object key or value — that is not
// clean text, and returns its path in the style of field errors ("client.name",
// "consents[0].version"). ok is true when every string is clean, or when the document is not
// valid JSON (the decoder reports that).
func badJSONText(body []byte) (path string, ok bool) {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) {
		return "", true
	}
	type frame struct {
		array    bool
		index    int
		key      string
		wantsKey bool
	}
	var stack []frame
	pathOf := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		return b.String()
	}
	// A value finished: the enclosing object wants a key next, the array moves on.
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].index++
			} else {
				stack[n-1].wantsKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return "", true
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{wantsKey: true})
			case '[':
				stack = append(stack, frame{array: true})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			isKey := len(stack) > 0 && !stack[len(stack)-1].array && stack[len(stack)-1].wantsKey
			if isKey {
				stack[len(stack)-1].key = t
				stack[len(stack)-1].wantsKey = false
			}
			if !utf8.Valid(body[start:dec.InputOffset()]) || strings.IndexByte(t, 0) >= 0 {
				if isKey { // name the key as it reads, its NULs spelled out
					stack[len(stack)-1].key = strings.ReplaceAll(t, "\x00", `\u0000`)
				}
				if p := pathOf(); p != "" {
					return p, false
				}
				return "body", false
			}
			if !isKey {
				valueDone()
			}
		default:
			valueDone()
		}
		if len(stack) == 0 && !dec.More() {
			return "", true
		}
	}
}
