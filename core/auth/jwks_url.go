package auth

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/time/rate"
)

// Defaults of the Options that govern Options.JWKSURL.
const (
	DefaultJWKSRefresh         = 5 * time.Minute
	DefaultJWKSUnknownInterval = 10 * time.Second
	DefaultJWKSTimeout         = 10 * time.Second
)

// MaxJWKSBytes bounds the body of a JWKS response; a longer one fails the fetch.
const MaxJWKSBytes = 1 << 20

// keyMap holds the usable keys of one fetched set, by algorithm.
type keyMap map[jose.SignatureAlgorithm][]verifyKey

// remoteKeys is the Options.JWKSURL key source. jwkset fetches the set: once
// in newRemoteKeys, then every refresh interval in its own goroutine, and on
// demand through client.KeyRead. Every fetched set ends in
// checkedStore.KeyReplaceAll, which checks it and publishes the usable keys.
type remoteKeys struct {
	ctx     context.Context // ends the refresh goroutine; cancelled by stop
	stop    context.CancelFunc
	timeout time.Duration
	store   *checkedStore
	client  jwkset.Storage // its KeyRead fetches the set when the kid is unknown
	gate    *rate.Limiter  // unknown-kid fetches

	mu       sync.Mutex
	inflight chan struct{} // closed when the running unknown-kid fetch ends
}

// newRemoteKeys makes the first fetch of rawURL, within the timeout, and
// starts the background refresh. Its errors name the URL.
func newRemoteKeys(rawURL string, opts Options, log *slog.Logger) (*remoteKeys, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("auth: jwks url does not parse as a URL") // the url.Error would echo it
	}
	name := u.Redacted()
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("auth: jwks url %q: want an http or https URL", name)
	}
	refresh, unknown, timeout := opts.JWKSRefresh, opts.JWKSUnknownInterval, opts.JWKSTimeout
	if refresh < 0 || unknown < 0 || timeout < 0 {
		return nil, fmt.Errorf("auth: jwks url %q: negative refresh interval or timeout", name)
	}
	refresh = cmp.Or(refresh, DefaultJWKSRefresh)
	unknown = cmp.Or(unknown, DefaultJWKSUnknownInterval)
	timeout = cmp.Or(timeout, DefaultJWKSTimeout)

	ctx, cancel := context.WithCancel(context.Background())
	r := &remoteKeys{ctx: ctx, stop: cancel, timeout: timeout, gate: rate.NewLimiter(rate.Every(unknown), 1),
		store: &checkedStore{Storage: jwkset.NewMemoryStorage(), url: name, log: log}}
	r.store.keys.Store(&keyMap{})
	warn := func(_ context.Context, err error) {
		if ctx.Err() == nil { // not after close
			log.Warn("jwks_url: fetch failed; keeping the last good keys", "url", name, "err", fetchError(err))
		}
	}
	client := opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	limited := *client
	limited.Transport = limitTransport{base: client.Transport}
	storage, err := jwkset.NewStorageFromHTTP(rawURL, jwkset.HTTPClientStorageOptions{
		Client: &limited, Ctx: ctx, HTTPTimeout: timeout, RefreshInterval: refresh,
		RefreshErrorHandler: warn, Storage: r.store,
	})
	if err != nil {
		cancel() // ends the refresh goroutine jwkset started before the first fetch
		return nil, fmt.Errorf("auth: jwks url %q: first fetch failed (timeout %s): %w", name, timeout, fetchError(err))
	}
	// The gate decides when to fetch; jwkset's own limiter must never wait.
	r.client, err = jwkset.NewHTTPClient(jwkset.HTTPClientOptions{HTTPURLs: map[string]jwkset.Storage{rawURL: storage},
		RefreshUnknownKID: rate.NewLimiter(rate.Inf, 1)})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("auth: jwks url %q: %w", name, err)
	}
	return r, nil
}

// keys returns the usable keys of the last good set.
func (r *remoteKeys) keys() keyMap { return *r.store.keys.Load() }

// refresh fetches the set again because a token names kid, which no key has.
// At most one such fetch runs at a time (callers meanwhile wait for it), and
// the gate allows one per Options.JWKSUnknownInterval: a flood of unknown kids
// costs the identity provider nothing more, and the tokens fail at once.
func (r *remoteKeys) refresh(kid string) {
	r.mu.Lock()
	if c := r.inflight; c != nil {
		r.mu.Unlock()
		<-c // bounded: the fetch has a timeout
		return
	}
	if r.ctx.Err() != nil || !r.gate.Allow() {
		r.mu.Unlock()
		return
	}
	c := make(chan struct{})
	r.inflight = c
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		close(c)
	}()
	ctx, cancel := context.WithTimeout(r.ctx, r.timeout)
	defer cancel()
	_, _ = r.client.KeyRead(ctx, kid) // a failed fetch is logged by the error handler
}

// checkedStore is the jwkset.Storage behind the HTTP storage. It holds only
// the keys that pass the checks of a JWKS file (parseJWK) and publishes them
// for Verify; a key that fails them is skipped with a warning.
type checkedStore struct {
	jwkset.Storage
	keys atomic.Pointer[keyMap]
	url  string
	log  *slog.Logger

	mu      sync.Mutex
	skipped string // the warnings of the last set, to log each change once
}

// setError is a fetched set with no usable key; the last good set stays.
type setError struct{ reason string }

func (e *setError) Error() string { return e.reason }

// KeyReplaceAll receives every fetched set (jwkset has already dropped the
// keys of types it does not know, and fails the fetch on a key it cannot
// parse). It keeps the keys that pass parseJWK, with unique kids, and fails
// when none is left.
func (s *checkedStore) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	km := keyMap{}
	var usable []jwkset.JWK
	var skipped []string
	kids := make(map[string]bool)
	for _, j := range given {
		raw, err := json.Marshal(j.Marshal())
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("kid %q: %v", j.Marshal().KID, err))
			continue
		}
		k, skip, err := parseJWK(raw)
		switch {
		case skip:
			continue
		case err == nil && k.KeyID != "" && kids[k.KeyID]:
			err = fmt.Errorf("kid %q used by an earlier key", k.KeyID)
		}
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("key%s: %v", cmp.Or(kidLabel(raw), " (no kid)"), err))
			continue
		}
		kids[k.KeyID] = true
		alg := keyAlgorithm(k.Key)
		km[alg] = append(km[alg], verifyKey{kid: k.KeyID, key: k.Key})
		usable = append(usable, j)
	}
	s.report(skipped)
	if len(usable) == 0 {
		reason := "no usable signing keys (want kty RSA or kty OKP with crv Ed25519)"
		if len(skipped) > 0 {
			reason += "; skipped: " + strings.Join(skipped, "; ")
		}
		return &setError{reason: reason}
	}
	if err := s.Storage.KeyReplaceAll(ctx, usable); err != nil {
		return err
	}
	s.keys.Store(&km)
	return nil
}

// report logs the skipped keys of a set unless the last set had the same.
func (s *checkedStore) report(skipped []string) {
	text := strings.Join(skipped, "\n")
	s.mu.Lock()
	changed := text != s.skipped
	s.skipped = text
	s.mu.Unlock()
	if changed {
		for _, why := range skipped {
			s.log.Warn("jwks_url: skipping key", "url", s.url, "reason", why)
		}
	}
}

// fetchError unwraps jwkset's wording around a setError.
func fetchError(err error) error {
	if se := (*setError)(nil); errors.As(err, &se) {
		return se
	}
	return err
}

// limitTransport cuts response bodies after MaxJWKSBytes.
type limitTransport struct{ base http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err == nil {
		resp.Body = &limitBody{ReadCloser: resp.Body, left: MaxJWKSBytes}
	}
	return resp, err
}

// errJWKSTooLarge ends a body read past MaxJWKSBytes.
var errJWKSTooLarge = fmt.Errorf("response body exceeds %d bytes", MaxJWKSBytes)

// limitBody is a response body that fails once more than left bytes are read.
type limitBody struct {
	io.ReadCloser
	left int64
}

func (b *limitBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, errJWKSTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return 0, errJWKSTooLarge
	}
	return n, err
}
