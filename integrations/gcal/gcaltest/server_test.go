package gcaltest_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"balance/integrations/gcal/gcaltest"
)

// The real client against the fake is tested in package gcal; these tests speak raw HTTP to
// reach the answers that client never provokes.

func readKey(t *testing.T, path string) (*rsa.PrivateKey, map[string]string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sa map[string]string
	if err := json.Unmarshal(raw, &sa); err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode([]byte(sa["private_key"]))
	if block == nil {
		t.Fatal("no PEM key")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return key.(*rsa.PrivateKey), sa
}

func segment(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

func sign(t *testing.T, key *rsa.PrivateKey, header, claims any) string {
	t.Helper()
	signed := segment(t, header) + "." + segment(t, claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func validClaims(s *gcaltest.Server) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": gcaltest.ClientEmail, "aud": s.TokenURL(), "scope": "openid " + gcaltest.CalendarScope,
		"iat": now.Add(-10 * time.Second).Unix(), "exp": now.Add(50 * time.Minute).Unix(),
	}
}

func postForm(t *testing.T, s *gcaltest.Server, body string) (int, map[string]any) {
	t.Helper()
	resp, err := s.Client().Post(s.TokenURL(), "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("body %q: %v", raw, err)
		}
	}
	return resp.StatusCode, out
}

func grant(assertion string) string {
	return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}.Encode()
}

// token runs the JWT-bearer flow and returns an access token.
func token(t *testing.T, s *gcaltest.Server) string {
	t.Helper()
	key, sa := readKey(t, s.CredentialsFile(t))
	status, out := postForm(t, s, grant(sign(t, key, map[string]string{"alg": "RS256", "typ": "JWT", "kid": sa["private_key_id"]}, validClaims(s))))
	tok, _ := out["access_token"].(string)
	if status != http.StatusOK || tok == "" || out["token_type"] != "Bearer" || out["expires_in"] != 3600.0 {
		t.Fatalf("token answer %d %v", status, out)
	}
	return tok
}

func call(t *testing.T, s *gcaltest.Server, method, path, tok, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return decode(t, resp)
}

// reason is the first error reason of a Google error body.
func reason(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	items, _ := e["errors"].([]any)
	if len(items) == 0 {
		return ""
	}
	item, _ := items[0].(map[string]any)
	r, _ := item["reason"].(string)
	return r
}

func TestCredentialsFile(t *testing.T) {
	t.Parallel()
	s := gcaltest.New(t)
	key1, sa := readKey(t, s.CredentialsFile(t))
	key2, _ := readKey(t, s.CredentialsFile(t))
	revoked, _ := readKey(t, s.RevokedCredentialsFile(t))
	if !key1.Equal(key2) || key1.Equal(revoked) {
		t.Error("CredentialsFile must reuse the server's key, RevokedCredentialsFile must not")
	}
	if sa["type"] != "service_account" || sa["client_email"] != gcaltest.ClientEmail || sa["token_uri"] != s.TokenURL() || sa["private_key_id"] == "" {
		t.Errorf("credentials = %v", sa)
	}
}

func TestTokenEndpointChecksTheAssertion(t *testing.T) {
	t.Parallel()
	s := gcaltest.New(t)
	if status, out := postForm(t, s, grant("a.b.c")); status != http.StatusBadRequest || out["error"] != "invalid_grant" {
		t.Errorf("before any key: %d %v", status, out)
	}
	key, sa := readKey(t, s.CredentialsFile(t))
	other, _ := readKey(t, s.RevokedCredentialsFile(t))
	header := map[string]string{"alg": "RS256", "typ": "JWT", "kid": sa["private_key_id"]}
	with := func(k string, v any) map[string]any {
		c := validClaims(s)
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	now := time.Now()
	tests := []struct {
		name, body, wantError, wantDescription string
	}{
		{"malformed form", "grant_type=%zz", "invalid_request", "Malformed"},
		{"wrong grant", url.Values{"grant_type": {"client_credentials"}}.Encode(), "unsupported_grant_type", "client_credentials"},
		{"not a JWT", grant("abc"), "invalid_grant", "compact"},
		{"HS256", grant(sign(t, key, map[string]string{"alg": "HS256"}, validClaims(s))), "invalid_grant", "RS256"},
		{"bad header", grant("!!!." + segment(t, validClaims(s)) + ".sig"), "invalid_grant", "RS256"},
		{"bad signature encoding", grant(segment(t, header) + "." + segment(t, validClaims(s)) + ".!!!"), "invalid_grant", "Signature"},
		{"other key", grant(sign(t, other, header, validClaims(s))), "invalid_grant", "Signature"},
		{"other kid", grant(sign(t, key, map[string]string{"alg": "RS256", "kid": "old"}, validClaims(s))), "invalid_grant", "Signature"},
		{"claims not JSON", grant(sign(t, key, header, "just a string")), "invalid_grant", "claim set"},
		{"other issuer", grant(sign(t, key, header, with("iss", "someone@example.com"))), "invalid_grant", "iss"},
		{"other audience", grant(sign(t, key, header, with("aud", "https://oauth2.googleapis.com/token"))), "invalid_grant", "aud"},
		{"no scope", grant(sign(t, key, header, with("scope", nil))), "invalid_grant", "scope"},
		{"other scope", grant(sign(t, key, header, with("scope", "https://www.googleapis.com/auth/calendar.readonly"))), "invalid_grant", "scope"},
		{"expired", grant(sign(t, key, header, with("exp", now.Add(-time.Minute).Unix()))), "invalid_grant", "short-lived"},
		{"too long", grant(sign(t, key, header, with("exp", now.Add(2*time.Hour).Unix()))), "invalid_grant", "short-lived"},
		{"from the future", grant(sign(t, key, header, map[string]any{
			"iss": gcaltest.ClientEmail, "aud": s.TokenURL(), "scope": gcaltest.CalendarScope,
			"iat": now.Add(time.Hour).Unix(), "exp": now.Add(90 * time.Minute).Unix(),
		})), "invalid_grant", "short-lived"},
	}
	for _, tt := range tests {
		status, out := postForm(t, s, tt.body)
		desc, _ := out["error_description"].(string)
		if status != http.StatusBadRequest || out["error"] != tt.wantError || !strings.Contains(desc, tt.wantDescription) {
			t.Errorf("%s: %d %v, want 400 %s mentioning %q", tt.name, status, out, tt.wantError, tt.wantDescription)
		}
	}
	if s.TokensIssued() != 0 {
		t.Fatalf("issued %d tokens for bad assertions", s.TokensIssued())
	}
	token(t, s)
	s.FailTokenNext(1, http.StatusServiceUnavailable)
	if status, _ := postForm(t, s, grant(sign(t, key, header, validClaims(s)))); status != http.StatusServiceUnavailable {
		t.Errorf("injected token failure: %d", status)
	}
	if s.TokensIssued() != 1 || s.Requests("/token") != len(tests)+3 {
		t.Errorf("issued %d of %d token requests", s.TokensIssued(), s.Requests("/token"))
	}
}

func TestAPIWantsTheIssuedBearerToken(t *testing.T) {
	t.Parallel()
	s := gcaltest.New(t)
	body := `{"timeMin":"2026-12-01T00:00:00Z","timeMax":"2026-12-02T00:00:00Z","items":[{"id":"practitioner@example.com"}]}`
	for name, tok := range map[string]string{"no token": "", "unknown token": "ya29.guess"} {
		status, out := call(t, s, "POST", "freeBusy", tok, body)
		if status != http.StatusUnauthorized || reason(out) != "authError" {
			t.Errorf("%s: %d %v", name, status, out)
		}
	}
	tok := token(t, s)
	if status, out := call(t, s, "POST", "freeBusy", tok, body); status != http.StatusOK {
		t.Errorf("with the token: %d %v", status, out)
	}
	if status, out := call(t, s, "GET", "users/me/calendarList", tok, ""); status != http.StatusNotFound || reason(out) != "notFound" {
		t.Errorf("unknown path: %d %v", status, out)
	}
	if n := s.Requests("/freeBusy"); n != 3 {
		t.Errorf("free/busy requests = %d, want 3", n)
	}
}

// canonical re-encodes JSON with sorted keys, as json.Marshal writes maps.
func canonical(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestFreeBusy(t *testing.T) {
	t.Parallel()
	s := gcaltest.New(t)
	tok := token(t, s)
	day := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, time.UTC) }
	s.AddBusy(day(3, 10, 0), day(3, 11, 0))
	s.AddBusy(day(3, 10, 30), day(3, 12, 0)) // overlaps: merged
	s.AddBusy(day(3, 12, 0), day(3, 12, 30)) // touches: merged
	s.AddBusy(day(9, 10, 0), day(9, 11, 0))  // outside the window
	s.AddAllDay(2026, 12, 5)
	for _, ev := range []string{
		`{"id":"opaque01","start":{"dateTime":"2026-12-04T09:00:00Z"},"end":{"dateTime":"2026-12-04T10:00:00Z"}}`,
		`{"id":"transp01","transparency":"transparent","start":{"dateTime":"2026-12-04T15:00:00Z"},"end":{"dateTime":"2026-12-04T16:00:00Z"}}`,
		`{"id":"closed001","start":{"date":"2026-12-06"},"end":{"date":"2026-12-07"}}`,
	} {
		if status, out := call(t, s, "POST", "calendars/practitioner@example.com/events", tok, ev); status != http.StatusOK {
			t.Fatalf("insert: %d %v", status, out)
		}
	}
	query := `{"timeMin":"2026-12-01T00:00:00Z","timeMax":"2026-12-08T00:00:00Z","items":[{"id":"practitioner@example.com"},{"id":"other@example.com"}]}`
	status, out := call(t, s, "POST", "freeBusy", tok, query)
	if status != http.StatusOK || out["kind"] != "calendar#freeBusy" || out["timeMin"] != "2026-12-01T00:00:00.000Z" {
		t.Fatalf("free/busy: %d %v", status, out)
	}
	raw, _ := json.Marshal(out["calendars"])
	want := `{"other@example.com":{"errors":[{"domain":"global","reason":"notFound"}],"busy":[]},` +
		`"practitioner@example.com":{"busy":[` +
		`{"start":"2026-12-03T13:00:00+03:00","end":"2026-12-03T15:30:00+03:00"},` +
		`{"start":"2026-12-04T12:00:00+03:00","end":"2026-12-04T13:00:00+03:00"},` +
		`{"start":"2026-12-05T00:00:00+03:00","end":"2026-12-07T00:00:00+03:00"}]}}`
	if string(raw) != canonical(t, want) {
		t.Errorf("calendars =\n%s\nwant\n%s", raw, want)
	}

	s.SetZone(time.UTC)
	_, out = call(t, s, "POST", "freeBusy", tok, `{"timeMin":"2026-12-03T00:00:00Z","timeMax":"2026-12-03T11:00:00Z","items":[{"id":"practitioner@example.com"}]}`)
	want = `{"practitioner@example.com":{"busy":[{"start":"2026-12-03T10:00:00Z","end":"2026-12-03T12:00:00Z"}]}}`
	if raw, _ := json.Marshal(out["calendars"]); string(raw) != canonical(t, want) {
		t.Errorf("in UTC: %s", raw)
	}

	for name, tt := range map[string]struct{ body, reason string }{
		"not JSON":    {`{`, "parseError"},
		"bad time":    {`{"timeMin":"yesterday","timeMax":"2026-12-03T11:00:00Z"}`, "badRequest"},
		"empty range": {`{"timeMin":"2026-12-03T11:00:00Z","timeMax":"2026-12-03T11:00:00Z"}`, "timeRangeEmpty"},
	} {
		if status, out := call(t, s, "POST", "freeBusy", tok, tt.body); status != http.StatusBadRequest || reason(out) != tt.reason {
			t.Errorf("%s: %d %v, want 400 %s", name, status, out, tt.reason)
		}
	}
}

func TestEvents(t *testing.T) {
	t.Parallel()
	s := gcaltest.New(t)
	tok := token(t, s)
	const events = "calendars/practitioner@example.com/events"
	status, out := call(t, s, "POST", events, tok, `{"id":"appt00001","summary":"Сессия","description":"d","location":"l",
		"start":{"dateTime":"2026-12-03T10:00:00+03:00","timeZone":"Europe/Moscow"},"end":{"dateTime":"2026-12-03T11:00:00+03:00"},
		"extendedProperties":{"private":{"a":"1"}}}`)
	if status != http.StatusOK || out["id"] != "appt00001" || out["status"] != "confirmed" || out["kind"] != "calendar#event" {
		t.Fatalf("insert: %d %v", status, out)
	}
	start, _ := out["start"].(map[string]any)
	if start["dateTime"] != "2026-12-03T10:00:00+03:00" || start["timeZone"] != "Europe/Moscow" {
		t.Errorf("start = %v", start)
	}
	status, out = call(t, s, "POST", events, tok, `{"start":{"date":"2026-12-10"},"end":{"date":"2026-12-11"}}`)
	if status != http.StatusOK || out["id"] != "fake000001" {
		t.Fatalf("insert without id: %d %v", status, out)
	}
	if e := s.Events()["fake000001"]; !e.AllDay || !e.Start.Equal(time.Date(2026, 12, 9, 21, 0, 0, 0, time.UTC)) {
		t.Errorf("all-day event = %+v", e)
	}
	if _, ok := out["start"].(map[string]any)["date"]; !ok {
		t.Errorf("all-day event rendered as %v", out["start"])
	}

	for name, tt := range map[string]struct {
		body   string
		status int
		reason string
	}{
		"not JSON":      {`[`, 400, "parseError"},
		"short id":      {`{"id":"abc","start":{"date":"2026-12-10"},"end":{"date":"2026-12-11"}}`, 400, "invalid"},
		"bad id":        {`{"id":"appt-00002","start":{"date":"2026-12-10"},"end":{"date":"2026-12-11"}}`, 400, "invalid"},
		"duplicate":     {`{"id":"appt00001","start":{"date":"2026-12-10"},"end":{"date":"2026-12-11"}}`, 409, "duplicate"},
		"no start":      {`{"id":"appt00002","end":{"date":"2026-12-11"}}`, 400, "required"},
		"no end":        {`{"id":"appt00002","start":{"date":"2026-12-11"}}`, 400, "required"},
		"bad dateTime":  {`{"id":"appt00002","start":{"dateTime":"10:00"},"end":{"date":"2026-12-11"}}`, 400, "invalid"},
		"bad date":      {`{"id":"appt00002","start":{"date":"2026-12-10"},"end":{"date":"11.12.2026"}}`, 400, "invalid"},
		"mixed kinds":   {`{"id":"appt00002","start":{"date":"2026-12-10"},"end":{"dateTime":"2026-12-11T10:00:00Z"}}`, 400, "invalid"},
		"empty range":   {`{"id":"appt00002","start":{"date":"2026-12-10"},"end":{"date":"2026-12-10"}}`, 400, "timeRangeEmpty"},
		"unknown owner": {`{"id":"appt00002","start":{"date":"2026-12-10"},"end":{"date":"2026-12-11"}}`, 404, "notFound"},
	} {
		path := events
		if name == "unknown owner" {
			path = "calendars/other@example.com/events"
		}
		if status, out := call(t, s, "POST", path, tok, tt.body); status != tt.status || reason(out) != tt.reason {
			t.Errorf("insert %s: %d %v, want %d %s", name, status, out, tt.status, tt.reason)
		}
	}

	status, out = call(t, s, "PATCH", events+"/appt00001", tok, `{"summary":"Перенесено","transparency":"transparent",
		"end":{"dateTime":"2026-12-03T08:30:00Z"},"extendedProperties":{"private":{"b":"2"}}}`)
	if status != http.StatusOK || out["summary"] != "Перенесено" || out["transparency"] != "transparent" {
		t.Fatalf("patch: %d %v", status, out)
	}
	e := s.Events()["appt00001"]
	if e.Description != "d" || !e.End.Equal(time.Date(2026, 12, 3, 8, 30, 0, 0, time.UTC)) || !e.Transparent ||
		e.Private["a"] != "1" || e.Private["b"] != "2" || e.TimeZone != "Europe/Moscow" {
		t.Errorf("patched event = %+v", e)
	}
	e.Private["a"] = "changed"
	if s.Events()["appt00001"].Private["a"] != "1" {
		t.Error("Events shares its maps with the fake")
	}
	for name, tt := range map[string]struct {
		path, body string
		status     int
		reason     string
	}{
		"not JSON":      {events + "/appt00001", `{`, 400, "parseError"},
		"empty range":   {events + "/appt00001", `{"end":{"dateTime":"2026-12-03T07:00:00Z"}}`, 400, "timeRangeEmpty"},
		"bad time":      {events + "/appt00001", `{"start":{"dateTime":"soon"}}`, 400, "invalid"},
		"unknown event": {events + "/nosuchevent", `{}`, 404, "notFound"},
		"unknown owner": {"calendars/other@example.com/events/appt00001", `{}`, 404, "notFound"},
	} {
		if status, out := call(t, s, "PATCH", tt.path, tok, tt.body); status != tt.status || reason(out) != tt.reason {
			t.Errorf("patch %s: %d %v, want %d %s", name, status, out, tt.status, tt.reason)
		}
	}

	if status, _ := call(t, s, "DELETE", events+"/appt00001", tok, ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	if _, ok := s.Events()["appt00001"]; ok || !s.Deleted("appt00001") || s.Deleted("fake000001") {
		t.Error("delete did not take")
	}
	for name, tt := range map[string]struct {
		method, path string
		status       int
		reason       string
	}{
		"delete again":   {"DELETE", events + "/appt00001", 410, "deleted"},
		"patch deleted":  {"PATCH", events + "/appt00001", 410, "deleted"},
		"insert deleted": {"POST", events, 409, "duplicate"},
		"delete unknown": {"DELETE", events + "/nosuchevent", 404, "notFound"},
		"delete other":   {"DELETE", "calendars/other@example.com/events/fake000001", 404, "notFound"},
	} {
		body := `{"id":"appt00001","start":{"date":"2026-12-10"},"end":{"date":"2026-12-11"}}`
		if status, out := call(t, s, tt.method, tt.path, tok, body); status != tt.status || reason(out) != tt.reason {
			t.Errorf("%s: %d %v, want %d %s", name, status, out, tt.status, tt.reason)
		}
	}
}

func TestInjectedFailures(t *testing.T) {
	t.Parallel()
	s := gcaltest.New(t)
	tok := token(t, s)
	body := `{"timeMin":"2026-12-01T00:00:00Z","timeMax":"2026-12-02T00:00:00Z","items":[{"id":"practitioner@example.com"}]}`
	tests := []struct {
		status int
		reason string
	}{
		{400, "badRequest"}, {401, "authError"}, {403, "forbidden"}, {404, "notFound"}, {409, "duplicate"},
		{410, "deleted"}, {418, "failed"}, {429, "rateLimitExceeded"}, {500, "backendError"}, {503, "backendError"},
	}
	for _, tt := range tests {
		s.FailNext(1, tt.status)
		if status, out := call(t, s, "POST", "freeBusy", tok, body); status != tt.status || reason(out) != tt.reason {
			t.Errorf("FailNext(%d): %d %v, want reason %s", tt.status, status, out, tt.reason)
		}
	}
	s.RateLimitNext(2)
	for range 2 {
		status, out := call(t, s, "POST", "freeBusy", tok, body)
		items := out["error"].(map[string]any)["errors"].([]any)
		if status != http.StatusForbidden || reason(out) != "rateLimitExceeded" || items[0].(map[string]any)["domain"] != "usageLimits" {
			t.Errorf("RateLimitNext: %d %v", status, out)
		}
	}
	if status, _ := call(t, s, "POST", "freeBusy", tok, body); status != http.StatusOK {
		t.Errorf("after the failures: %d", status)
	}
	if n := s.Requests("/freeBusy"); n != len(tests)+3 {
		t.Errorf("requests = %d, want %d", n, len(tests)+3)
	}
}
