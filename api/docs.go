package api

import "embed"

// Docs holds the OpenAPI viewer served at /api/docs: Redoc's standalone bundle with its licences
// (docs/redoc, see its README.md).
//
//go:embed docs/redoc/redoc.standalone.js docs/redoc/LICENSE docs/redoc/redoc.standalone.js.LICENSE.txt
var Docs embed.FS
