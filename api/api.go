// Package api embeds openapi.yaml, Balance's public HTTP contract, served at /api/openapi.yaml and
// used by the tests to validate every response they see.
package api

import _ "embed"

// Spec is the OpenAPI 3 document.
//
//go:embed openapi.yaml
var Spec []byte
