package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/switchboard-rt/switchboard/core/event"
	"github.com/switchboard-rt/switchboard/core/internal/ingest"
	"github.com/switchboard-rt/switchboard/core/web"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// publishRequest is one event of POST /v1/publish; the rules it must pass
// are core/internal/ingest's.
type publishRequest struct {
	Rooms   []string        `json:"rooms"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	ID      string          `json:"id,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Actor   string          `json:"actor,omitempty"` // the user the publisher acts for
}

// CorrelationID returns the request's X-Correlation-Id, or a new one.
func CorrelationID(r *http.Request) string {
	if c := r.Header.Get("X-Correlation-Id"); c != "" && len(c) <= 128 {
		return c
	}
	return event.NewID()
}

func (a *API) publish(w http.ResponseWriter, r *http.Request) {
	scope, ok := a.o.Auth.APIKeyFromRequest(r)
	if !ok {
		refuseBeforeBody(w, wire.NewError(wire.Unauthorized, "a valid X-Api-Key header is required"))
		return
	}
	if ok, wait := a.o.Limits.Publish(r.Header.Get("X-Api-Key")); !ok {
		_ = http.NewResponseController(w).SetReadDeadline(time.Now()) // the body is not read
		w.Header().Set("Connection", "close")
		web.Refuse(w, wire.NewError(wire.RateLimited, "publish rate limit of this API key reached (server.publish_rate)"), wait)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(a.o.Publish.MaxBodyBytes)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			wire.WriteStatus(w, http.StatusRequestEntityTooLarge, wire.NewError(wire.BadRequest, fmt.Sprintf("body larger than %d bytes", mbe.Limit)))
			return
		}
		wire.Write(w, wire.NewError(wire.BadRequest, "reading body: "+err.Error()))
		return
	}
	reqs, batch, err := decodePublish(body)
	if err != nil {
		wire.Write(w, wire.NewError(wire.BadRequest, err.Error()))
		return
	}
	corr := CorrelationID(r)
	evs := make([]ingest.Event, len(reqs))
	for i, p := range reqs {
		evs[i] = ingest.Event{ID: p.ID, Rooms: p.Rooms, Type: p.Type, Data: p.Data, Subject: p.Subject,
			Actor: p.Actor, CorrelationID: corr}
	}
	src := ingest.API(a.o.Types)
	if scope.Scoped() {
		src = ingest.APIKey(a.o.Types, scope)
	}
	checked, err := a.o.Ingest.Check(src, evs)
	if err != nil {
		msg, code := err.Error(), wire.BadRequest
		var rf *ingest.Refusal
		if errors.As(err, &rf) && batch && rf.Index >= 0 {
			msg = fmt.Sprintf("event %d: %s", rf.Index, msg)
		}
		if rf != nil && rf.Forbidden {
			code = wire.Forbidden
			msg += fmt.Sprintf(" (api_key %q)", scope.Name)
		}
		wire.Write(w, wire.NewError(code, msg))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	results, err := a.o.Ingest.Store(ctx, checked)
	if err != nil {
		a.log.Error("publish failed", "err", err, "correlationid", corr)
		wire.Write(w, wire.NewError(wire.Unavailable, "events could not be stored; retry with the same ids: "+err.Error()))
		return
	}
	w.Header().Set("X-Correlation-Id", corr)
	if batch {
		writeJSON(w, http.StatusOK, map[string]any{"results": results})
		return
	}
	writeJSON(w, http.StatusOK, results[0])
}

// decodePublish accepts one event object or an array of them. A key given
// twice anywhere in the body is refused (encoding/json would keep the last).
func decodePublish(body []byte) ([]publishRequest, bool, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, false, errors.New("empty body: want an event object or an array of them")
	}
	if err := ingest.CheckJSON(body); err != nil {
		return nil, false, err
	}
	batch := body[0] == '['
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var reqs []publishRequest
	if batch {
		if err := dec.Decode(&reqs); err != nil {
			return nil, true, fmt.Errorf("invalid JSON: %w", err)
		}
		if len(reqs) == 0 {
			return nil, true, errors.New("empty batch")
		}
	} else {
		var one publishRequest
		if err := dec.Decode(&one); err != nil {
			return nil, false, fmt.Errorf("invalid JSON: %w", err)
		}
		reqs = []publishRequest{one}
	}
	return reqs, batch, nil
}
