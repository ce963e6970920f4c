package handlers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/gin-gonic/gin"
)

// decodeTargets are the public JSON request bodies, each with a fresh destination.
var decodeTargets = []func() any{
	func() any { return new(bookingRequest) },
	func() any { return new(cancelRequest) },
	func() any { return new(rescheduleRequest) },
	func() any { return new(intakeRequest) },
	func() any { return new(waitlistRequest) },
	func() any { return new(deepLinkRequest) },
	func() any { return new(loginRequest) },
	func() any { return new(questionRequest) },
	func() any { return new(leadRequest) },
	func() any { return new(startRunRequest) },
	func() any { return new(answersRequest) },
	func() any { return new(codeRequest) },
	func() any { return new(verifyRequest) },
	func() any { return new(profilePatch) },
	func() any { return new(confirmEmailRequest) },
	func() any { return new(diaryEntryRequest) }, // The diary.
}

// FuzzDecodeJSON feeds any bytes to every public request decoder. A body is either refused with
// a 4xx problem or accepted; an accepted body never carries text the database would refuse.
func FuzzDecodeJSON(f *testing.F) {
	for _, seed := range []string{
		`{"service_slug":"individual-session","start":"2026-12-03T07:00:00Z","format":"online","client":{"name":"Анна","email":"a@example.com"},"consents":[{"type":"personal_data","version":"2026-01"}],"metadata":{"entry_point":"article","utm":{"source":"telegram"}}}`,
		`{"reason":"ill"}`,
		`{"answers":{"concern":"sleep","topics":["a","b"],"n":1.5},"submit":true}`,
		`{"purpose":"plan","entry_point":"quiz","payload":{"run_id":"r1"}}`,
		`{"email":"owner@example.org","password":"correct horse"}`,
		`{"text":"Как справиться с тревогой?","topic":"anxiety","contact_email":"a@example.com","consents":[{"type":"communications","version":"2026-01"}]}`,
		`{"name":"Мария","phone":"+79991234567","telegram":"@maria","source":"subscription","utm":{"campaign":"x"},"message":"…"}`,
		`{"anonymous_id":"c2l0ZS12aXNpdG9yLTAwMQ","metadata":{"entry_point":"article-footer"}}`,
		`{"answers":{"q1":"a","q2":"b"}}`,
		`{"email":"anna@example.com","code":"123456","session":"token"}`,
		`{"name":"Анна","phone":null,"time_zone":"Europe/Moscow"}`,
		`{"date":"2026-11-24","body":"Плохо спала","mood":3,"tags":["сон"]}`,
		`{"reason":"\u0000"}`,
		"{\"reason\":\"\xff\"}",
		`[1,2,{"a":[{"b":"c"}]}]`,
		`{"start":1e999}`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, newDst := range decodeTargets {
			dst := newDst()
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodPost, "/fuzz", bytes.NewReader(body))
			c.Request.Header.Set("Content-Type", "application/json")
			if decodeJSON(c, dst) {
				if w.Body.Len() != 0 {
					t.Fatalf("%T accepted and answered %d %s", dst, w.Code, w.Body)
				}
				if path, ok := dirtyString(reflect.ValueOf(dst), ""); !ok {
					t.Fatalf("%T accepted text the database refuses at %s from %q", dst, path, body)
				}
				continue
			}
			if w.Code < 400 || w.Code > 499 || w.Header().Get("Content-Type") != ProblemContentType {
				t.Fatalf("%T refused with %d %q: %s", dst, w.Code, w.Header().Get("Content-Type"), w.Body)
			}
		}
	})
}

// dirtyString walks v and reports the first string (or map key) that is not clean text.
func dirtyString(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return "", true
		}
		return dirtyString(v.Elem(), path)
	case reflect.String:
		return path, cleanText(v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				if p, ok := dirtyString(v.Field(i), path+"."+v.Type().Field(i).Name); !ok {
					return p, false
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, ok := dirtyString(v.Index(i), path+"[]"); !ok {
				return p, false
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if p, ok := dirtyString(k, path+"{key}"); !ok {
				return p, false
			}
			if p, ok := dirtyString(v.MapIndex(k), path+"{}"); !ok {
				return p, false
			}
		}
	}
	return "", true
}

// FuzzYooKassaNotification feeds any bytes to the payment webhook's parser: it never panics, and
// what it accepts names an event and an object id fit for a URL path and the database.
func FuzzYooKassaNotification(f *testing.F) {
	for _, seed := range []string{
		`{"type":"notification","event":"payment.succeeded","object":{"id":"2f1b8c3e-000f-5000-8000-1d3b4c5a6e7f","status":"succeeded","amount":{"value":"5000.00","currency":"RUB"}}}`,
		`{"type":"notification","event":"refund.succeeded","object":{"id":"216749f7-0016-50be-b000-078d43a63ae4"}}`,
		`{"type":"notification","event":"payment.succeeded","object":{"id":"../x"}}`,
		`{"type":"notification","event":"payment.succeeded","object":{"id":"a\u0000"}}`,
		`{"type":"other"}`,
		`{`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		n, ok := parseNotification(raw)
		if !ok {
			return
		}
		if n.Type != "notification" || !opaqueID(n.Event, 64) || !opaqueID(n.Object.ID, 255) || !cleanText(n.Object.ID) {
			t.Fatalf("accepted %+v from %q", n, raw)
		}
	})
}
