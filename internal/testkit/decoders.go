package testkit

import "github.com/getkin/kin-openapi/openapi3filter"

// The contract's pages and scripts (the OpenAPI viewer at /api/docs) are checked as text against a
// string schema; kin-openapi knows only JSON, YAML, forms and text/plain by itself.
func init() {
	for _, ct := range []string{"text/html", "text/javascript", "application/zip"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
	}
}
