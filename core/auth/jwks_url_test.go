package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// jwksServer serves a JWK Set that a test can change, and counts requests.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int64

	mu     sync.Mutex
	status int
	body   []byte
}

func newJWKSServer(tb testing.TB, keys ...jose.JSONWebKey) *jwksServer {
	tb.Helper()
	s := &jwksServer{}
	s.serve(tb, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		status, body := s.status, s.body
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	tb.Cleanup(s.Close)
	return s
}

// serve makes the server answer 200 with keys from now on.
func (s *jwksServer) serve(tb testing.TB, keys ...jose.JSONWebKey) {
	tb.Helper()
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		tb.Fatal(err)
	}
	s.answer(http.StatusOK, body)
}

// answer makes the server answer status with body from now on.
func (s *jwksServer) answer(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body = status, body
	s.mu.Unlock()
}

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newURLAuth builds an Authenticator on srv's JWKS and returns it with its log.
func newURLAuth(tb testing.TB, srv *jwksServer, opts Options) (*Authenticator, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	opts.JWKSURL = srv.URL + "/.well-known/jwks.json"
	opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	a := newAuth(tb, opts)
	tb.Cleanup(a.Close)
	return a, logs
}

func mustVerify(tb testing.TB, a *Authenticator, tok string) {
	tb.Helper()
	if p, err := a.Verify(tok); err != nil || p.User != "alice" {
		tb.Fatalf("Verify = %v, %v; want alice", p, err)
	}
}

func mustFail(tb testing.TB, a *Authenticator, tok, want string) {
	tb.Helper()
	_, err := a.Verify(tok)
	if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), want) {
		tb.Fatalf("Verify error %v; want ErrInvalidToken containing %q", err, want)
	}
}

func hits(tb testing.TB, srv *jwksServer, want int64) {
	tb.Helper()
	if got := srv.hits.Load(); got != want {
		tb.Fatalf("JWKS server got %d requests, want %d", got, want)
	}
}

// A rotated key verifies at once: the unknown kid makes the Authenticator
// fetch the set again, and the key that left the set stops verifying.
func TestJWKSURLRotation(t *testing.T) {
	ks := testKeys()
	srv := newJWKSServer(t, pubJWK(ks.rsaA, "a"))
	a, _ := newURLAuth(t, srv, Options{})
	hits(t, srv, 1)
	tokA := sign(t, jose.RS256, ks.rsaA, "a", claimsFor("alice"))
	tokB := sign(t, jose.RS256, ks.rsaB, "b", claimsFor("alice"))
	mustVerify(t, a, tokA)
	hits(t, srv, 1)

	srv.serve(t, pubJWK(ks.rsaB, "b"))
	mustVerify(t, a, tokB)
	hits(t, srv, 2)
	mustVerify(t, a, tokB)
	hits(t, srv, 2)
	// A is gone from the set; the next unknown-kid fetch is rate limited.
	mustFail(t, a, tokA, `no RS256 key with kid "a"`)
	hits(t, srv, 2)
}

// A flood of tokens with unknown kids costs one fetch per
// JWKSUnknownInterval, however many arrive at once.
func TestJWKSURLUnknownKIDFlood(t *testing.T) {
	ks := testKeys()
	srv := newJWKSServer(t, pubJWK(ks.rsaA, "a"))
	a, _ := newURLAuth(t, srv, Options{})
	const n = 64
	toks := make([]string, n)
	for i := range toks {
		toks[i] = sign(t, jose.EdDSA, ks.edOther, fmt.Sprintf("x%d", i), claimsFor("alice"))
	}
	var wg sync.WaitGroup
	for _, tok := range toks {
		wg.Go(func() {
			if _, err := a.Verify(tok); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Verify = %v, want ErrInvalidToken", err)
			}
		})
	}
	wg.Wait()
	for _, tok := range toks {
		mustFail(t, a, tok, "no EdDSA key with kid")
	}
	hits(t, srv, 2) // the first fetch, and one for the whole flood
	mustVerify(t, a, sign(t, jose.RS256, ks.rsaA, "a", claimsFor("alice")))
}

// A failed fetch keeps the last good keys and logs a warning.
func TestJWKSURLFailedFetchKeepsKeys(t *testing.T) {
	ks := testKeys()
	for _, tc := range []struct {
		name   string
		status int
		body   []byte
		want   string
	}{
		{"server error", http.StatusInternalServerError, []byte("oops"), "invalid HTTP status code: 500"},
		{"garbage", http.StatusOK, []byte("<html>"), "failed to decode JWK Set"},
		{"no keys", http.StatusOK, []byte(`{"keys":[]}`), "no usable signing keys"},
		{"only bad keys", http.StatusOK, mustJSON(t, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: testSecret, KeyID: "s"}}}),
			`no usable signing keys (want kty RSA or kty OKP with crv Ed25519); skipped: key (kid \"s\"): symmetric`},
		{"too large", http.StatusOK, append([]byte(`{"keys":[],"pad":"`), bytes.Repeat([]byte("x"), MaxJWKSBytes)...),
			"response body exceeds 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newJWKSServer(t, pubJWK(ks.rsaA, "a"))
			a, logs := newURLAuth(t, srv, Options{})
			srv.answer(tc.status, tc.body)
			mustFail(t, a, sign(t, jose.RS256, ks.rsaB, "b", claimsFor("alice")), `no RS256 key with kid "b"`)
			hits(t, srv, 2)
			mustVerify(t, a, sign(t, jose.RS256, ks.rsaA, "a", claimsFor("alice")))
			out := logs.String()
			if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "keeping the last good keys") ||
				!strings.Contains(out, srv.URL) || !strings.Contains(out, tc.want) {
				t.Errorf("log %q lacks a warning with the URL and %q", out, tc.want)
			}
		})
	}
}

// Keys that a JWKS file may not hold are skipped, each with one warning;
// the others verify.
func TestJWKSURLSkipsBadKeys(t *testing.T) {
	ks := testKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrongAlg := pubJWK(ks.rsaB, "wrong-alg")
	wrongAlg.Algorithm = "PS256"
	srv := newJWKSServer(t,
		pubJWK(ks.rsaA, "a"),
		pubJWK(small, "small"),
		jose.JSONWebKey{Key: testSecret, KeyID: "oct"},
		jose.JSONWebKey{Key: ks.rsaOther, KeyID: "private"},
		pubJWK(ec, "ec"),
		wrongAlg,
		pubJWK(ks.rsaB, "a"), // duplicate kid
		pubJWK(ks.edA, "ed"),
	)
	a, logs := newURLAuth(t, srv, Options{})
	mustVerify(t, a, sign(t, jose.RS256, ks.rsaA, "a", claimsFor("alice")))
	mustVerify(t, a, sign(t, jose.EdDSA, ks.edA, "ed", claimsFor("alice")))
	mustVerify(t, a, sign(t, jose.EdDSA, ks.edA, "", claimsFor("alice")))
	mustFail(t, a, sign(t, jose.RS256, small, "small", claimsFor("alice")), `no RS256 key with kid "small"`)
	mustFail(t, a, sign(t, jose.RS256, ks.rsaB, "a", claimsFor("alice")), "RS256 verification failed")

	out := logs.String()
	for _, want := range []string{
		`(kid \"small\"): RSA modulus is 1024 bits`,
		`(kid \"oct\"): symmetric (kty oct) keys`,
		`(kid \"private\"): contains private key material`,
		`(kid \"ec\"): unsupported kty \"EC\"`,
		`(kid \"wrong-alg\"): alg \"PS256\"`,
		`(kid \"a\"): kid \"a\" used by an earlier key`,
	} {
		if strings.Count(out, want) != 1 {
			t.Errorf("log %q does not warn once about %s", out, want)
		}
	}
	// The same bad keys fetched again are not reported again.
	before := strings.Count(out, "\n")
	a.remote.refresh("unknown")
	hits(t, srv, 2)
	if after := strings.Count(logs.String(), "\n"); after != before {
		t.Errorf("log grew from %d to %d lines on an unchanged set", before, after)
	}
}

// The set is fetched again every JWKSRefresh without any token asking.
func TestJWKSURLBackgroundRefresh(t *testing.T) {
	ks := testKeys()
	srv := newJWKSServer(t, pubJWK(ks.rsaA, "a"))
	a, _ := newURLAuth(t, srv, Options{JWKSRefresh: 5 * time.Millisecond})
	srv.serve(t, pubJWK(ks.rsaB, "b"))
	checkFor(t, 5*time.Second, func() bool {
		_, ok := a.remote.keys()[jose.RS256]
		return ok && a.remote.keys()[jose.RS256][0].kid == "b"
	})
	mustFail(t, a, sign(t, jose.RS256, ks.rsaA, "", claimsFor("alice")), "RS256 verification failed")
	mustVerify(t, a, sign(t, jose.RS256, ks.rsaB, "", claimsFor("alice")))
}

// New fails, naming the URL and the cause, unless the first fetch succeeds
// within JWKSTimeout.
func TestJWKSURLStartupErrors(t *testing.T) {
	ks := testKeys()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	notFound := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(notFound.Close)
	bad := newJWKSServer(t, jose.JSONWebKey{Key: ks.rsaOther, KeyID: "private"})
	for _, tc := range []struct {
		name, url string
		want      []string
	}{
		{"unreachable", down.URL + "/jwks", []string{down.URL + "/jwks", "first fetch failed", "connection refused"}},
		{"timeout", hang.URL + "/jwks", []string{hang.URL + "/jwks", "first fetch failed (timeout 50ms)", "deadline exceeded"}},
		{"not found", notFound.URL + "/jwks", []string{notFound.URL + "/jwks", "invalid HTTP status code: 404"}},
		{"no usable key", bad.URL + "/jwks", []string{bad.URL + "/jwks", "no usable signing keys", "private key material"}},
		{"scheme", "file:///etc/jwks.json", []string{`"file:///etc/jwks.json": want an http or https URL`}},
		{"credentials redacted", "ftp://user:secret@idp.example/jwks", []string{"user:xxxxx@idp.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(Options{JWKSURL: tc.url, JWKSTimeout: 50 * time.Millisecond})
			if err == nil {
				a.Close()
				t.Fatal("New succeeded")
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// Close stops fetching; the keys fetched so far keep verifying.
func TestJWKSURLClose(t *testing.T) {
	ks := testKeys()
	srv := newJWKSServer(t, pubJWK(ks.rsaA, "a"))
	a, logs := newURLAuth(t, srv, Options{})
	a.Close()
	a.Close()
	srv.serve(t, pubJWK(ks.rsaB, "b"))
	mustFail(t, a, sign(t, jose.RS256, ks.rsaB, "b", claimsFor("alice")), `no RS256 key with kid "b"`)
	hits(t, srv, 1)
	mustVerify(t, a, sign(t, jose.RS256, ks.rsaA, "a", claimsFor("alice")))
	if out := logs.String(); out != "" {
		t.Errorf("log after Close: %q", out)
	}
}

// The secret, the file and the URL work side by side.
func TestJWKSURLWithSecretAndFile(t *testing.T) {
	ks := testKeys()
	srv := newJWKSServer(t, pubJWK(ks.rsaB, "url-b"))
	a, _ := newURLAuth(t, srv, Options{HS256Secret: testSecret, JWKSFile: writeJWKS(t, pubJWK(ks.edA, "file-ed"))})
	mustVerify(t, a, sign(t, jose.HS256, testSecret, "", claimsFor("alice")))
	mustVerify(t, a, sign(t, jose.EdDSA, ks.edA, "file-ed", claimsFor("alice")))
	mustVerify(t, a, sign(t, jose.RS256, ks.rsaB, "url-b", claimsFor("alice")))
	mustVerify(t, a, sign(t, jose.RS256, ks.rsaB, "", claimsFor("alice")))
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// checkFor polls cond until it holds or the timeout passes.
func checkFor(tb testing.TB, timeout time.Duration, cond func() bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			tb.Fatalf("condition not met within %s", timeout)
		case <-tick.C:
		}
	}
}
