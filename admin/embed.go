// Package adminui holds the admin panel's built files (admin/dist, made by `make admin` from the
// React sources beside this file) embedded in the binary, so that running Balance needs no Node.
// handlers serves them at /admin/.
package adminui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built panel: index.html and the content-hashed files under assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil { // cannot happen: "dist" is a valid path embedded above
		panic(err)
	}
	return sub
}
