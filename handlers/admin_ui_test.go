package handlers_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/prometheus/client_golang/prometheus"

	adminui "balance/admin"
	"balance/api"
	"balance/handlers"
	"balance/internal/testkit"
)

const uiIndex = `<!doctype html><html lang="ru"><head><script type="module" src="/admin/assets/index-Ab12.js"></script></head><body><div id="root"></div></body></html>`

// uiServer serves a router with the given panel files (nil: none), over plain HTTP with a client
// that neither follows redirects nor decompresses, so the test sees exactly what was sent.
func uiServer(t *testing.T, files fs.FS) (*httptest.Server, *http.Client) {
	t.Helper()
	r, err := handlers.NewRouter(handlers.Deps{
		Log: testkit.Logger(t), Registry: prometheus.NewRegistry(), OpenAPI: api.Spec, MaxBodyBytes: 1 << 20,
		AdminUI: files,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	client := &http.Client{
		Transport:     &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return srv, client
}

type uiAnswer struct {
	status int
	header http.Header
	body   []byte
}

func uiDo(t *testing.T, srv *httptest.Server, client *http.Client, method, path string, header ...string) uiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return uiAnswer{resp.StatusCode, resp.Header, body}
}

// TestAdminUI: the panel at /admin/ — index.html revalidated, hashed assets cached for a year,
// deep links answering index.html, a content security policy — while anything under /admin/api
// still answers the API's JSON problems.
func TestAdminUI(t *testing.T) {
	script := "console.log(1);" + strings.Repeat(" /* padding to compress */", 200)
	files := fstest.MapFS{
		"index.html":              {Data: []byte(uiIndex)},
		"assets/index-Ab12.js":    {Data: []byte(script)},
		"assets/index-Cd34.css":   {Data: []byte("body{margin:0}")},
		"assets/nested/font.woff": {Data: []byte("woff")},
	}
	srv, client := uiServer(t, files)

	const (
		index   = "index"
		problem = "problem"
	)
	tests := []struct {
		name, method, path string
		status             int
		body               string // index, problem, or the exact body
		cache              string
		ctype              string
	}{
		{"the panel", "GET", "/admin/", 200, index, "no-cache", "text/html; charset=utf-8"},
		{"HEAD of the panel", "HEAD", "/admin/", 200, "", "no-cache", "text/html; charset=utf-8"},
		{"a deep link to a record", "GET", "/admin/appointments/01936f3e-1c2d-7000-8000-000000000001/show", 200, index, "no-cache", "text/html; charset=utf-8"},
		{"the sign-in page", "GET", "/admin/login", 200, index, "no-cache", "text/html; charset=utf-8"},
		{"HEAD of a deep link", "HEAD", "/admin/services", 200, "", "no-cache", "text/html; charset=utf-8"},
		{"a hashed script", "GET", "/admin/assets/index-Ab12.js", 200, script, "public, max-age=31536000, immutable", "text/javascript; charset=utf-8"},
		{"a hashed style sheet", "GET", "/admin/assets/index-Cd34.css", 200, "body{margin:0}", "public, max-age=31536000, immutable", "text/css; charset=utf-8"},
		{"a nested asset", "GET", "/admin/assets/nested/font.woff", 200, "woff", "public, max-age=31536000, immutable", "font/woff"},
		{"a missing asset is not the page", "GET", "/admin/assets/index-Old1.js", 404, problem, "", ""},
		{"no way out of assets", "GET", "/admin/assets/..%2findex.html", 404, problem, "", ""},
		{"an unknown API path", "GET", "/admin/api/no-such-thing", 404, problem, "", ""},
		{"the API root", "GET", "/admin/api", 404, problem, "", ""},
		{"an unknown API path deeper down", "GET", "/admin/api/no/such/thing", 404, problem, "", ""},
		{"a POST to a page", "POST", "/admin/appointments", 404, problem, "", ""},
		{"outside the panel", "GET", "/adminx", 404, problem, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := uiDo(t, srv, client, tt.method, tt.path)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d; body %s", a.status, tt.status, a.body)
			}
			switch tt.body {
			case index:
				if string(a.body) != uiIndex {
					t.Errorf("body %q, want index.html", a.body)
				}
			case problem:
				if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("content type %q, want a JSON problem; body %s", ct, a.body)
				}
				if a.header.Get("Content-Security-Policy") != "" && strings.HasPrefix(tt.path, "/admin/api") {
					t.Error("the API answers with the panel's policy")
				}
			default:
				if string(a.body) != tt.body {
					t.Errorf("body %q, want %q", a.body, tt.body)
				}
			}
			if tt.status != 200 {
				return
			}
			if got := a.header.Get("Cache-Control"); got != tt.cache {
				t.Errorf("Cache-Control %q, want %q", got, tt.cache)
			}
			if got := a.header.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type %q, want %q", got, tt.ctype)
			}
			csp := a.header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "object-src 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "script-src 'self' 'unsafe") {
				t.Errorf("scripts may run inline: %q", csp)
			}
			if a.header.Get("X-Content-Type-Options") != "nosniff" || a.header.Get("Referrer-Policy") == "" || a.header.Get("X-Frame-Options") != "DENY" {
				t.Errorf("security headers missing: %v", a.header)
			}
		})
	}

	t.Run("/admin redirects to /admin/", func(t *testing.T) {
		a := uiDo(t, srv, client, "GET", "/admin")
		if a.status != http.StatusMovedPermanently || a.header.Get("Location") != "/admin/" {
			t.Fatalf("%d to %q", a.status, a.header.Get("Location"))
		}
	})

	t.Run("scripts are gzipped for a client that accepts it", func(t *testing.T) {
		for range 2 { // the second answer comes from the compressed copy kept
			a := uiDo(t, srv, client, "GET", "/admin/assets/index-Ab12.js", "Accept-Encoding", "gzip, br")
			if a.header.Get("Content-Encoding") != "gzip" || len(a.body) >= len(script) {
				t.Fatalf("encoding %q, %d bytes of %d", a.header.Get("Content-Encoding"), len(a.body), len(script))
			}
			zr, err := gzip.NewReader(bytes.NewReader(a.body))
			if err != nil {
				t.Fatal(err)
			}
			plain, err := io.ReadAll(zr)
			if err != nil || string(plain) != script {
				t.Fatalf("decompressed %q, %v", plain, err)
			}
			if !strings.Contains(a.header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary %q", a.header.Get("Vary"))
			}
		}
		if a := uiDo(t, srv, client, "GET", "/admin/assets/index-Cd34.css", "Accept-Encoding", "gzip"); a.header.Get("Content-Encoding") != "" {
			t.Error("a tiny file was compressed")
		}
	})
}

// TestAdminUIOff: without the panel's files, /admin/ is an unknown path like any other.
func TestAdminUIOff(t *testing.T) {
	srv, client := uiServer(t, nil)
	for _, path := range []string{"/admin/", "/admin/appointments", "/admin/assets/index-Ab12.js"} {
		if a := uiDo(t, srv, client, "GET", path); a.status != http.StatusNotFound || a.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", path, a.status, a.header.Get("Content-Type"))
		}
	}
}

// TestAdminUIRefusesFilesWithoutIndex: a build without index.html is a wiring mistake, caught at start.
func TestAdminUIRefusesFilesWithoutIndex(t *testing.T) {
	_, err := handlers.NewRouter(handlers.Deps{
		Log: testkit.Logger(t), Registry: prometheus.NewRegistry(), OpenAPI: api.Spec,
		AdminUI: fstest.MapFS{"assets/x.js": {Data: []byte("x")}},
	})
	if err == nil {
		t.Fatal("a panel without index.html was accepted")
	}
}

// TestAdminUIEmbedsTheBuiltPanel: the committed admin/dist is a whole build — a Russian
// index.html whose every script and style sheet is embedded and served.
func TestAdminUIEmbedsTheBuiltPanel(t *testing.T) {
	srv, client := uiServer(t, adminui.Dist())
	page := uiDo(t, srv, client, "GET", "/admin/appointments")
	if page.status != http.StatusOK || !bytes.Contains(page.body, []byte(`<html lang="ru">`)) {
		t.Fatalf("%d %s", page.status, page.body)
	}
	refs := regexp.MustCompile(`(?:src|href)="(/admin/assets/[^"]+)"`).FindAllSubmatch(page.body, -1)
	if len(refs) == 0 {
		t.Fatalf("index.html refers to no assets: %s", page.body)
	}
	for _, ref := range refs {
		a := uiDo(t, srv, client, "GET", string(ref[1]))
		if a.status != http.StatusOK || len(a.body) == 0 || !strings.Contains(a.header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: %d, %d bytes, Cache-Control %q", ref[1], a.status, len(a.body), a.header.Get("Cache-Control"))
		}
	}
}
