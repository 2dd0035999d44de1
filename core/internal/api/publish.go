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
	"github.com/switchboard-rt/switchboard/core/internal/bus"
	"github.com/switchboard-rt/switchboard/core/room"
)

// publishRequest is one event of POST /v1/publish.
type publishRequest struct {
	Rooms   []string        `json:"rooms"`
	Type    string          `json:"type"`
	Data    json.RawMessage `json:"data"`
	ID      string          `json:"id,omitempty"`
	Subject string          `json:"subject,omitempty"`
	Actor   string          `json:"actor,omitempty"` // the user the publisher acts for
}

// publishResult answers one event.
type publishResult struct {
	ID        string            `json:"id"`
	Seqs      map[string]uint64 `json:"seqs"`
	Duplicate bool              `json:"duplicate"`
}

// CorrelationID returns the request's X-Correlation-Id, or a new one.
func CorrelationID(r *http.Request) string {
	if c := r.Header.Get("X-Correlation-Id"); c != "" && len(c) <= 128 {
		return c
	}
	return event.NewID()
}

func (a *API) publish(w http.ResponseWriter, r *http.Request) {
	if !a.o.Auth.APIKeyFromRequest(r) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "a valid X-Api-Key header is required")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.o.Publish.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, "bad_request", fmt.Sprintf("body larger than %d bytes", mbe.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "bad_request", "reading body: "+err.Error())
		return
	}
	reqs, batch, err := decodePublish(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if len(reqs) > a.o.Publish.MaxBatch {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("at most %d events per call", a.o.Publish.MaxBatch))
		return
	}
	corr := CorrelationID(r)
	var msgs []bus.Message
	results := make([]publishResult, len(reqs))
	for i := range reqs {
		m, err := a.prepare(&reqs[i], corr, &results[i])
		if err != nil {
			prefix := ""
			if batch {
				prefix = fmt.Sprintf("event %d: ", i)
			}
			writeError(w, http.StatusBadRequest, "bad_request", prefix+err.Error())
			return
		}
		msgs = append(msgs, m...)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	acks, err := a.o.Bus.Publish(ctx, msgs...)
	if err != nil {
		a.o.Metrics.PublishErrors.Inc()
		a.log.Error("publish failed", "err", err, "correlationid", corr)
		writeError(w, http.StatusServiceUnavailable, "unavailable", "events could not be stored; retry with the same ids: "+err.Error())
		return
	}
	k := 0
	for i := range results {
		dup := true
		for range reqs[i].Rooms {
			results[i].Seqs[msgs[k].Room.String()] = acks[k].Seq
			dup = dup && acks[k].Duplicate
			if !acks[k].Duplicate {
				a.o.Metrics.Published.Inc()
			}
			k++
		}
		results[i].Duplicate = dup
	}
	w.Header().Set("X-Correlation-Id", corr)
	if batch {
		writeJSON(w, http.StatusOK, map[string]any{"results": results})
		return
	}
	writeJSON(w, http.StatusOK, results[0])
}

// decodePublish accepts one event object or an array of them.
func decodePublish(body []byte) ([]publishRequest, bool, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, false, errors.New("empty body: want an event object or an array of them")
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
	if dec.More() {
		return nil, batch, errors.New("invalid JSON: trailing data after the value")
	}
	return reqs, batch, nil
}

// prepare validates one event and returns its per-room messages.
func (a *API) prepare(p *publishRequest, corr string, res *publishResult) ([]bus.Message, error) {
	if len(p.Rooms) == 0 {
		return nil, errors.New("rooms: at least one room is required")
	}
	if max := a.o.Publish.MaxRooms; len(p.Rooms) > max {
		return nil, fmt.Errorf("rooms: at most %d rooms per event", max)
	}
	rooms := make([]room.Room, len(p.Rooms))
	seen := map[string]bool{}
	for i, name := range p.Rooms {
		rm, err := room.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("rooms[%d]: malformed room %q: want kind:id with id [A-Za-z0-9_.-]{1,128}", i, name)
		}
		if a.o.KnownKind != nil && !a.o.KnownKind(rm.Kind) {
			return nil, fmt.Errorf("rooms[%d]: unknown room kind %q", i, rm.Kind)
		}
		if seen[name] {
			return nil, fmt.Errorf("rooms[%d]: %q listed twice", i, name)
		}
		seen[name] = true
		rooms[i] = rm
	}
	if err := event.ValidType(p.Type); err != nil {
		return nil, fmt.Errorf("type: %w", err)
	}
	if len(p.Data) == 0 {
		return nil, errors.New("data: required (any JSON value)")
	}
	env := event.New("switchboard/api", p.Type, p.Data)
	if p.ID != "" {
		if err := event.ValidID(p.ID); err != nil {
			return nil, err
		}
		env.ID = p.ID
	}
	env.Subject = p.Subject
	env.Actor = p.Actor
	env.CorrelationID = corr
	b, err := env.Encode()
	if err != nil {
		return nil, err
	}
	if max := a.o.Publish.MaxEventBytes; int64(len(b)) > max {
		return nil, fmt.Errorf("event is %d bytes encoded; at most %d", len(b), max)
	}
	res.ID = env.ID
	res.Seqs = make(map[string]uint64, len(rooms))
	msgs := make([]bus.Message, len(rooms))
	for i, rm := range rooms {
		msgs[i] = bus.Message{Room: rm, Type: p.Type, Data: b}
		if p.ID != "" {
			msgs[i].MsgID = p.ID + "|" + rm.String()
		}
	}
	return msgs, nil
}
