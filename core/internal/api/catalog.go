package api

import (
	"mime"
	"net/http"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-rt/switchboard/core/catalog"
	pluginv1 "github.com/switchboard-rt/switchboard/schema/plugin/v1"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// catalog serves GET /v1/catalog: the AsyncAPI document as YAML, or the
// same document as JSON when ?format=json or Accept asks for
// application/json (docs/PROTOCOL.md §10).
func (a *API) catalog(w http.ResponseWriter, r *http.Request) {
	asJSON, err := wantsJSON(r)
	if err != nil {
		wire.Write(w, err)
		return
	}
	w.Header().Add("Vary", "Accept")
	var infos []*pluginv1.GetInfoResponse
	if a.o.Catalog != nil {
		infos = a.o.Catalog()
	}
	doc := catalog.Document(infos)
	if !asJSON {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(doc)
		return
	}
	var v any
	if err := yaml.Unmarshal(doc, &v); err != nil {
		a.log.Error("catalog as JSON", "err", err)
		wire.Write(w, wire.NewError(wire.Internal, "catalog: internal error"))
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// wantsJSON reads ?format= (json or yaml), else the Accept header: JSON
// when it names application/json before any YAML type.
func wantsJSON(r *http.Request) (bool, *wire.Error) {
	switch f := r.URL.Query().Get("format"); f {
	case "json":
		return true, nil
	case "yaml":
		return false, nil
	case "":
	default:
		return false, wire.Errorf(wire.BadRequest, "catalog: format %q: want json or yaml", f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/json":
			return true, nil
		case "application/yaml", "application/x-yaml", "text/yaml":
			return false, nil
		}
	}
	return false, nil
}
