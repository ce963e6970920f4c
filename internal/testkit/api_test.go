package testkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestValidateResponseCatchesViolations(t *testing.T) {
	t.Parallel()
	jsonHdr := http.Header{"Content-Type": {"application/json"}}
	problemHdr := http.Header{"Content-Type": {"application/problem+json"}}
	for _, tc := range []struct {
		name, method, path string
		resp               Response
		ok                 bool
	}{
		{"documented ok", "GET", "/healthz", Response{200, jsonHdr, []byte(`{"status":"ok"}`)}, true},
		{"wrong enum", "GET", "/healthz", Response{200, jsonHdr, []byte(`{"status":"fine"}`)}, false},
		{"undocumented status", "GET", "/healthz", Response{418, jsonHdr, []byte(`{}`)}, false},
		{"missing required", "GET", "/admin/api/auth/me", Response{200, jsonHdr, []byte(`{"id":"0193a1b2-0000-7000-8000-000000000000"}`)}, false},
		{"unknown route problem", "GET", "/nope", Response{404, problemHdr, []byte(`{"type":"https://x/y","title":"Not Found","status":404}`)}, true},
		{"unknown route success", "GET", "/nope", Response{200, jsonHdr, []byte(`{}`)}, false},
		{"unknown route plain error", "GET", "/nope", Response{404, jsonHdr, []byte(`{}`)}, false},
		{"unknown route bad problem", "GET", "/nope", Response{404, problemHdr, []byte(`{"title":"x"}`)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, nil)
			err := ValidateResponse(req, &tc.resp)
			if (err == nil) != tc.ok {
				t.Errorf("ValidateResponse = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestClock(t *testing.T) {
	t.Parallel()
	c := NewClock(mustTime("2026-03-29T00:30:00+01:00"))
	if got := c.Now(); got.Location().String() != "UTC" || got.Hour() != 23 {
		t.Fatalf("Now = %v, want 23:30 UTC", got)
	}
	c.Advance(90 * 60e9)
	if got := c.Now(); got.Hour() != 1 || got.Minute() != 0 {
		t.Errorf("after Advance = %v", got)
	}
	c.Set(mustTime("2026-10-25T03:00:00+02:00"))
	if got := c.Now(); got.Hour() != 1 {
		t.Errorf("after Set = %v", got)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
