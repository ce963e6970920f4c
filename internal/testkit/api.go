package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"balance/api"
)

// API is an HTTPS test server around a handler with a cookie-keeping client. Every response is
// validated against api/openapi.yaml: a documented route must answer as documented (status,
// headers, body), and an undocumented one must answer with a problem document.
type API struct {
	t      testing.TB
	Server *httptest.Server
	Client *http.Client
	// Header is sent with every request (e.g. X-CSRF-Token once known).
	Header http.Header
}

// NewAPI starts h on an HTTPS test server (so Secure cookies round-trip) until the test ends.
func NewAPI(t testing.TB, h http.Handler) *API {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	client := srv.Client()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client.Jar = jar
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &API{t: t, Server: srv, Client: client, Header: http.Header{}}
}

// Response is a finished, validated response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode response %s: %v", r.Body, err)
	}
}

// Problem decodes an application/problem+json body.
func (r *Response) Problem(t testing.TB) ProblemBody {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p ProblemBody
	r.JSON(t, &p)
	return p
}

// ProblemBody mirrors RFC 9457 problem details as Balance writes them.
type ProblemBody struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Do sends a request; body, when not nil, is sent as JSON (a string or []byte is sent as is).
func (a *API) Do(method, path string, body any, header ...http.Header) *Response {
	a.t.Helper()
	var rdr io.Reader
	var raw []byte
	if body != nil {
		switch b := body.(type) {
		case string:
			raw = []byte(b)
		case []byte:
			raw = b
		default:
			var err error
			if raw, err = json.Marshal(b); err != nil {
				a.t.Fatalf("encode request: %v", err)
			}
		}
		rdr = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, a.Server.URL+path, rdr)
	if err != nil {
		a.t.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range a.Header {
		req.Header[k] = vs
	}
	for _, h := range header {
		for k, vs := range h {
			req.Header[k] = vs
		}
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("read response: %v", err)
	}
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: respBody}
	if raw != nil {
		req.Body = io.NopCloser(bytes.NewReader(raw))
	}
	if err := ValidateResponse(req, r); err != nil {
		a.t.Errorf("%s %s -> %d violates api/openapi.yaml: %v\nbody: %s", method, path, r.Status, err, r.Body)
	}
	return r
}

// Cookie returns the named cookie the client holds for the server, or nil.
func (a *API) Cookie(name string) *http.Cookie {
	u, _ := url.Parse(a.Server.URL + "/admin/api/")
	for _, c := range a.Client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

func spec() (*openapi3.T, routers.Router, error) {
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromData(api.Spec)
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(context.Background()); specErr != nil {
			return
		}
		specRouter, specErr = gorillamux.NewRouter(specDoc)
	})
	return specDoc, specRouter, specErr
}

// ValidateResponse checks r against the OpenAPI document for req.
func ValidateResponse(req *http.Request, r *Response) error {
	doc, router, err := spec()
	if err != nil {
		return err
	}
	// Match on path only: the document's server is "/", the test server's host is random.
	match := req.Clone(context.Background())
	match.URL.Scheme, match.URL.Host, match.Host = "", "", ""
	// HEAD answers as GET does (status and headers), without a body.
	head := req.Method == http.MethodHead
	if head {
		if len(r.Body) > 0 {
			return &openapi3.SchemaError{Reason: "HEAD answered with a body"}
		}
		match.Method = http.MethodGet
	}
	route, params, err := router.FindRoute(match)
	if err != nil {
		// Undocumented path or method: Balance must still answer with a problem document.
		return validateProblem(doc, r, head)
	}
	in := &openapi3filter.RequestValidationInput{
		Request: match, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if !head {
		in.Request = req
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 r.Status,
		Header:                 r.Header,
		Body:                   io.NopCloser(bytes.NewReader(r.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, ExcludeResponseBody: head},
	})
}

func validateProblem(doc *openapi3.T, r *Response, head bool) error {
	if r.Status < 400 {
		return &openapi3.SchemaError{Reason: "undocumented route answered " + http.StatusText(r.Status)}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		return &openapi3.SchemaError{Reason: "undocumented route answered " + ct + ", not application/problem+json"}
	}
	if head {
		return nil
	}
	var v any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		return err
	}
	return doc.Components.Schemas["Problem"].Value.VisitJSON(v)
}
