package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// FuzzVerify checks that Verify never panics, that every error wraps exactly
// one sentinel, and that nothing is accepted except the seeds that were
// accepted to begin with: tokens from Mint (or otherwise signed with the right
// secret) for the HS256 Authenticator, tokens signed with the JWKS keys for the
// JWKS one. Because Verify insists on canonical base64url, no re-encoding of an
// accepted token is accepted either.
func FuzzVerify(f *testing.F) {
	auths := []*Authenticator{
		newAuth(f, Options{HS256Secret: testSecret}),
		newAuth(f, Options{JWKSFile: writeJWKS(f, standardJWKS()...)}),
	}
	accepted := make([]map[string]bool, len(auths))
	for i := range accepted {
		accepted[i] = map[string]bool{}
	}
	seed := func(tok string) {
		f.Add(tok)
		for i, a := range auths {
			if _, err := a.Verify(tok); err == nil {
				accepted[i][tok] = true
			}
		}
	}

	for _, ws := range [][]string{nil, {"w1"}, {"w1", "w2", ""}} {
		tok, err := Mint(testSecret, "alice", ws, time.Hour, testNow)
		if err != nil {
			f.Fatal(err)
		}
		seed(tok)
		if !accepted[0][tok] {
			f.Fatalf("minted token %q not accepted", tok)
		}
	}
	for _, tc := range verifyCases() {
		seed(tc.token(f))
	}
	if len(accepted[1]) == 0 {
		f.Fatal("no seed is accepted by the JWKS Authenticator")
	}

	f.Fuzz(func(t *testing.T, raw string) {
		for i, a := range auths {
			p, err := a.Verify(raw)
			if err == nil {
				if !accepted[i][raw] {
					t.Fatalf("authenticator %d accepted a token it was not given: %q → %+v", i, raw, p)
				}
				if p == nil || p.User == "" || p.Expires.IsZero() {
					t.Fatalf("accepted with principal %+v", p)
				}
				continue
			}
			if p != nil {
				t.Fatalf("principal %+v returned with error %v", p, err)
			}
			n := 0
			for _, s := range []error{ErrNoToken, ErrInvalidToken, ErrExpiredToken} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 || !strings.HasPrefix(err.Error(), "auth: ") {
				t.Fatalf("error %q wraps %d sentinels", err, n)
			}
		}
	})
}
