package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// publicCacheControl lets browsers and shared caches keep a public answer for a minute: an
// editor's change shows within a minute, and a revalidation costs a 304.
const publicCacheControl = "public, max-age=60"

// writeCachedJSON writes v as the JSON answer of a public GET with a strong ETag (a hash of the
// body) and Cache-Control: public, max-age=60. A request whose If-None-Match names that ETag (or
// is "*") gets 304 Not Modified with the same headers and no body. The body is computed either
// way, so the ETag always describes what the database holds now.
func writeCachedJSON(c *gin.Context, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // rendered articles hold HTML; \u003c would only make them longer
	if err := enc.Encode(v); err != nil {
		respondError(c, err)
		return
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
	c.Header("ETag", etag)
	c.Header("Cache-Control", publicCacheControl)
	if status == http.StatusOK && etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		c.Writer.WriteHeaderNow()
		return
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

// etagMatches applies If-None-Match (RFC 9110, 13.1.2): "*" or a list of entity tags, compared
// weakly (a W/ prefix does not matter).
func etagMatches(header, etag string) bool {
	if strings.TrimSpace(header) == "*" {
		return true
	}
	for _, tag := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == etag {
			return true
		}
	}
	return false
}
