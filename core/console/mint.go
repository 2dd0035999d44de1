package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"time"
	"unicode"

	"github.com/switchboard-rt/switchboard/core/auth"
	"github.com/switchboard-rt/switchboard/core/config"
	"github.com/switchboard-rt/switchboard/schema/wire"
)

// Limits of POST /console/token.
const (
	// MaxTokenTTL is the longest lifetime a minted token may ask for.
	MaxTokenTTL = 24 * time.Hour
	// MinTokenTTL is the shortest.
	MinTokenTTL = time.Minute
	// MaxWorkspaces is how many workspaces one minted token may list.
	MaxWorkspaces = 32
	// maxMintBody bounds the request body.
	maxMintBody = 4 << 10
	maxSubBytes = 128
)

// workspaceID is the id part of a room (docs/PROTOCOL.md §2): a workspace
// in the token is joined as workspace:ID.
var workspaceID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

// minter signs development tokens with config.DevJWTSecret, and nothing
// else.
type minter struct {
	issuer, audience string
	ttl              time.Duration
}

// newMinter is nil unless the node runs on the shipped development secret.
func newMinter(o Options) *minter {
	if o.JWTSecret != config.DevJWTSecret {
		return nil
	}
	ttl := o.TokenTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	return &minter{issuer: o.Issuer, audience: o.Audience, ttl: min(max(ttl, MinTokenTTL), MaxTokenTTL)}
}

// mintRequest is the body of POST /console/token.
type mintRequest struct {
	Sub        string   `json:"sub"`
	Name       string   `json:"name"`
	Workspaces []string `json:"workspaces"`
	TTL        string   `json:"ttl"` // Go duration, "30m"; "": the default
}

// noMint says why a node does not mint.
const noMint = "console: this node does not mint tokens: only a node whose auth.jwt_secret is the shipped development secret does; paste a token instead (e.g. from `switchboard token`)"

// errNoMint answers POST /console/token on a node that does not mint.
var errNoMint = wire.NewError(wire.NotFound, noMint)

// tokenInfo tells the page whether it may offer minting: {"mint": false,
// "reason": …} on a node that does not (a 200, so that the page's own
// question is not logged as a failed request).
func (c *Console) tokenInfo(w http.ResponseWriter, _ *http.Request) {
	headers(w.Header())
	if c.mint == nil {
		writeJSON(w, http.StatusOK, map[string]any{"mint": false, "reason": noMint})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"mint": true, "ttl": c.mint.ttl.String(), "maxTtl": MaxTokenTTL.String()})
}

// tokenMint mints a development token.
func (c *Console) tokenMint(w http.ResponseWriter, r *http.Request) {
	headers(w.Header())
	if c.mint == nil {
		wire.Write(w, errNoMint)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		wire.Write(w, wire.NewError(wire.BadRequest, "console: POST /console/token takes Content-Type: application/json"))
		return
	}
	req, err := decodeMint(http.MaxBytesReader(w, r.Body, maxMintBody))
	if err != nil {
		wire.Write(w, wire.NewError(wire.BadRequest, "console: POST /console/token: "+err.Error()))
		return
	}
	ttl := c.mint.ttl
	if req.TTL != "" {
		if ttl, err = time.ParseDuration(req.TTL); err != nil || ttl < MinTokenTTL || ttl > MaxTokenTTL {
			wire.Write(w, wire.Errorf(wire.BadRequest, "console: POST /console/token: ttl %q: want a duration from %v to %v", req.TTL, MinTokenTTL, MaxTokenTTL))
			return
		}
	}
	now := time.Now()
	tok, err := auth.MintDisplay([]byte(config.DevJWTSecret), req.Sub, req.Workspaces, auth.Display{Name: req.Name}, ttl, now, c.mint.issuer, c.mint.audience)
	if err != nil {
		c.log.Error("minting a console token", "err", err)
		wire.Write(w, wire.NewError(wire.Internal, "console: minting failed"))
		return
	}
	c.log.Info("console minted a development token", "sub", req.Sub, "workspaces", req.Workspaces, "ttl", ttl)
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "exp": now.Add(ttl).Unix()})
}

// decodeMint reads and checks a mint request: one JSON object, no unknown
// field, a printable sub, workspaces that are room ids.
func decodeMint(body io.Reader) (*mintRequest, error) {
	var req mintRequest
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("body over %d bytes", maxMintBody)
		}
		return nil, fmt.Errorf("body: %w", err)
	}
	if dec.More() {
		return nil, errors.New("body: more than one JSON value")
	}
	if req.Sub == "" || len(req.Sub) > maxSubBytes || !printable(req.Sub) {
		return nil, fmt.Errorf("sub: want 1 to %d printable characters, got %q", maxSubBytes, req.Sub)
	}
	if len(req.Name) > auth.MaxDisplayBytes || !printable(req.Name) {
		return nil, fmt.Errorf("name: want at most %d printable bytes", auth.MaxDisplayBytes)
	}
	if len(req.Workspaces) > MaxWorkspaces {
		return nil, fmt.Errorf("workspaces: at most %d, got %d", MaxWorkspaces, len(req.Workspaces))
	}
	for i, ws := range req.Workspaces {
		if !workspaceID.MatchString(ws) {
			return nil, fmt.Errorf("workspaces[%d]: %q is not a room id ([A-Za-z0-9_.-]{1,128})", i, ws)
		}
	}
	return &req, nil
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
