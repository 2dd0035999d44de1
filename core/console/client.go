package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"time"
)

// ClientPath is where every node serves the TypeScript client
// (@switchboard-rt/client, clients/js) as one ES module, whether or not the
// console is on: a page imports it with no bundler and no npm,
//
//	import { Switchboard } from "http://localhost:8080/v1/client.js";
//
// From another origin the import is a CORS request, answered like every
// route for the origins of server.allowed_origins.
const ClientPath = "/v1/client.js"

// ClientScript serves the embedded client bundle (dist/client.js, built
// with the console from clients/js/src). It may change with every release
// of the node, so browsers revalidate it (ETag, 304).
func ClientScript() (http.Handler, error) {
	b, err := fs.ReadFile(dist, "dist/client.js")
	if err != nil {
		return nil, fmt.Errorf("console: embedded client: %w (build clients/console)", err)
	}
	sum := sha256.Sum256(b)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("ETag", etag)
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	}), nil
}
