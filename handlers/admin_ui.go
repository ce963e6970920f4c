package handlers

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// adminUIPolicy is the Content-Security-Policy of the panel: its own scripts only, no inline
// script, no framing. Styles allow 'unsafe-inline' because MUI (emotion) injects <style> tags at
// run time; images allow data: URLs for the QR code of the authenticator enrolment.
const adminUIPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// adminUI serves the admin panel's built files (an fs.FS with index.html and assets/): the
// content-hashed assets are cached for a year, index.html is revalidated on every load, and any
// other path under /admin/ (not the API) answers index.html, so that a deep link opens the app.
type adminUI struct {
	files fs.FS
	index []byte

	mu      sync.Mutex
	gzipped map[string][]byte
}

func newAdminUI(files fs.FS) (*adminUI, error) {
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return nil, err
	}
	return &adminUI{files: files, index: index, gzipped: map[string][]byte{}}, nil
}

// mount adds /admin (a redirect), /admin/ and /admin/assets/*; deep links are served from NoRoute
// (see deepLink), because a catch-all under /admin/ would collide with /admin/api.
func (u *adminUI) mount(r *gin.Engine) {
	r.GET("/admin", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/admin/") })
	r.GET("/admin/", u.serveIndex)
	r.GET("/admin/assets/*file", u.serveAsset)
}

// deepLink reports whether a request that matched no route is a page of the panel: a GET (or
// HEAD) under /admin/ that is neither the API nor an asset.
func deepLink(c *gin.Context) bool {
	p := c.Request.URL.Path
	return c.Request.Method == http.MethodGet && strings.HasPrefix(p, "/admin/") &&
		p != "/admin/api" && !strings.HasPrefix(p, "/admin/api/") && !strings.HasPrefix(p, "/admin/assets/")
}

func (u *adminUI) headers(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", adminUIPolicy)
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func (u *adminUI) serveIndex(c *gin.Context) {
	u.headers(c)
	c.Header("Cache-Control", "no-cache")
	u.write(c, "index.html", u.index)
}

func (u *adminUI) serveAsset(c *gin.Context) {
	name := path.Clean("assets/" + strings.TrimPrefix(c.Param("file"), "/"))
	body, err := fs.ReadFile(u.files, name)
	if err != nil || !strings.HasPrefix(name, "assets/") {
		problem(c, http.StatusNotFound, "not-found", "no such file")
		return
	}
	u.headers(c)
	// The name carries a hash of the content: a new build is a new name, so it never changes.
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	u.write(c, name, body)
}

// write answers body with the type of name's extension, gzipped when the client accepts it and
// it is text worth compressing (each file is compressed once, then kept).
func (u *adminUI) write(c *gin.Context, name string, body []byte) {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Header("Vary", "Accept-Encoding")
	if len(body) > 1024 && compressible(ctype) && strings.Contains(c.GetHeader("Accept-Encoding"), "gzip") {
		c.Header("Content-Encoding", "gzip")
		body = u.gzip(name, body)
	}
	c.Data(http.StatusOK, ctype, body)
}

func compressible(ctype string) bool {
	return strings.HasPrefix(ctype, "text/") || strings.Contains(ctype, "javascript") ||
		strings.Contains(ctype, "json") || strings.Contains(ctype, "svg")
}

func (u *adminUI) gzip(name string, body []byte) []byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	if z, ok := u.gzipped[name]; ok {
		return z
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // a valid level: no error
	_, _ = zw.Write(body)                                    // a bytes.Buffer does not fail
	_ = zw.Close()
	u.gzipped[name] = buf.Bytes()
	return u.gzipped[name]
}
