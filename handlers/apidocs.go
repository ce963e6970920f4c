package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Cross-origin requests and rate limits: the OpenAPI viewer.

// apiDocsCSP lets the viewer page do only what Redoc needs: its script from here, the document
// fetched from here, the inline styles it generates (styled-components), the search worker it
// makes from a blob: URL, and data: images and fonts of its theme. Nothing from another origin, no
// inline script, no framing.
const apiDocsCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// apiDocsPage is the viewer: Redoc finds the <redoc> element and loads the document from spec-url.
const apiDocsPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Balance API</title>
</head>
<body>
<redoc spec-url="/api/openapi.yaml"></redoc>
<script src="%s"></script>
</body>
</html>
`

// apiDocs serves /api/docs and Redoc's bundle under a name carrying a hash of its content, so the
// bundle can be cached for a year and an update is fetched at once.
type apiDocs struct {
	page, script []byte
	scriptPath   string
}

func newAPIDocs(files fs.FS) (*apiDocs, error) {
	script, err := fs.ReadFile(files, "docs/redoc/redoc.standalone.js")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(script)
	d := &apiDocs{script: script, scriptPath: "/api/docs/redoc.standalone." + hex.EncodeToString(sum[:6]) + ".js"}
	d.page = fmt.Appendf(nil, apiDocsPage, d.scriptPath)
	return d, nil
}

func (d *apiDocs) mount(r gin.IRoutes) {
	r.GET("/api/docs", d.servePage)
	r.GET(d.scriptPath, d.serveScript)
}

func (d *apiDocs) servePage(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", apiDocsCSP)
	// The page names the current bundle: revalidate it rather than keep an old name.
	h.Set("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/html; charset=utf-8", d.page)
}

func (d *apiDocs) serveScript(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, "text/javascript; charset=utf-8", d.script)
}
