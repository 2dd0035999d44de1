package auth

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// config names an Options preset used by the verify cases.
type config string

const (
	cfgHS     config = "hs256"         // HS256 secret only
	cfgJWKS   config = "jwks"          // JWKS file only
	cfgBoth   config = "hs256+jwks"    // both
	cfgLeeway config = "hs256+leeway"  // HS256, one minute of leeway
	cfgIssAud config = "hs256+iss+aud" // HS256, issuer and audience required
)

const (
	testIssuer   = "https://idp.example"
	testAudience = "switchboard"
)

func (c config) options(tb testing.TB) Options {
	tb.Helper()
	switch c {
	case cfgHS:
		return Options{HS256Secret: testSecret}
	case cfgJWKS:
		return Options{JWKSFile: writeJWKS(tb, standardJWKS()...)}
	case cfgBoth:
		return Options{HS256Secret: testSecret, JWKSFile: writeJWKS(tb, standardJWKS()...)}
	case cfgLeeway:
		return Options{HS256Secret: testSecret, Leeway: time.Minute}
	case cfgIssAud:
		return Options{HS256Secret: testSecret, Issuer: testIssuer, Audience: testAudience}
	}
	tb.Fatalf("unknown config %q", c)
	return Options{}
}

// verifyCase is one row of the Verify table, reused as fuzz seeds.
type verifyCase struct {
	name     string
	cfg      config
	token    func(tb testing.TB) string
	wantErr  error  // nil: accepted
	reason   string // substring of the error
	wantUser string
}

// rsaPublicPEM is the PEM of the RSA public key "rsa-a", the secret of an
// algorithm-confusion attack.
func rsaPublicPEM(tb testing.TB) []byte {
	tb.Helper()
	der, err := x509.MarshalPKIXPublicKey(&testKeys().rsaA.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// hs signs claims with the test secret.
func hs(c claimSet) func(testing.TB) string {
	return func(tb testing.TB) string { return sign(tb, jose.HS256, testSecret, "", c) }
}

// literal returns a fixed token.
func literal(s string) func(testing.TB) string { return func(testing.TB) string { return s } }

// editToken rewrites one segment of a valid HS256 token.
func editToken(edit func(segs []string)) func(testing.TB) string {
	return func(tb testing.TB) string {
		segs := strings.Split(hs(claimsFor("alice"))(tb), ".")
		edit(segs)
		return strings.Join(segs, ".")
	}
}

func verifyCases() []verifyCase {
	ks := testKeys()
	alice := claimsFor("alice")
	past := testNow.Add(-30 * time.Second).Unix()
	future := testNow.Add(5 * time.Minute).Unix()
	otherSecret := []byte("fedcba9876543210fedcba9876543210")

	return []verifyCase{
		// Accepted.
		{name: "hs256", cfg: cfgHS, token: hs(alice.with("workspaces", []string{"w1", "w2"})), wantUser: "alice"},
		{name: "hs256 with kid ignored", cfg: cfgBoth, token: func(tb testing.TB) string { return sign(tb, jose.HS256, testSecret, "whatever", alice) }, wantUser: "alice"},
		{name: "rs256 kid", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaA, "rsa-a", alice) }, wantUser: "alice"},
		{name: "rs256 second kid", cfg: cfgBoth, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaB, "rsa-b", alice) }, wantUser: "alice"},
		{name: "rs256 no kid tries each key", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaB, "", alice) }, wantUser: "alice"},
		{name: "eddsa kid", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.EdDSA, ks.edA, "ed-a", alice) }, wantUser: "alice"},
		{name: "eddsa no kid", cfg: cfgBoth, token: func(tb testing.TB) string { return sign(tb, jose.EdDSA, ks.edA, "", alice) }, wantUser: "alice"},
		{name: "expired within leeway", cfg: cfgLeeway, token: hs(alice.with("exp", past)), wantUser: "alice"},
		{name: "iss and aud string", cfg: cfgIssAud, token: hs(alice.with("iss", testIssuer).with("aud", testAudience)), wantUser: "alice"},
		{name: "aud array contains", cfg: cfgIssAud, token: hs(alice.with("iss", testIssuer).with("aud", []string{"x", testAudience})), wantUser: "alice"},
		{name: "nbf past", cfg: cfgHS, token: hs(alice.with("nbf", past)), wantUser: "alice"},

		// Missing.
		{name: "empty", cfg: cfgHS, token: literal(""), wantErr: ErrNoToken},

		// Expired.
		{name: "expired", cfg: cfgHS, token: hs(alice.with("exp", past)), wantErr: ErrExpiredToken, reason: "exp 2030-01-02T03:03:35Z is before"},
		{name: "expired beyond leeway", cfg: cfgLeeway, token: hs(alice.with("exp", testNow.Add(-2*time.Minute).Unix())), wantErr: ErrExpiredToken, reason: "leeway 1m0s"},
		{name: "expired rs256", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaA, "rsa-a", alice.with("exp", past)) }, wantErr: ErrExpiredToken},

		// Algorithms.
		{name: "alg none", cfg: cfgBoth, token: literal(unsigned(`{"sub":"alice","exp":1999999999}`)), wantErr: ErrInvalidToken, reason: `alg "none" not allowed`},
		{name: "alg none with signature", cfg: cfgHS, token: literal(unsigned(`{"sub":"alice","exp":1999999999}`) + b64("sig")), wantErr: ErrInvalidToken, reason: `alg "none"`},
		{name: "alg NONE", cfg: cfgHS, token: literal(b64(`{"alg":"NONE"}`) + "." + b64(`{"sub":"alice","exp":1999999999}`) + "."), wantErr: ErrInvalidToken, reason: `alg "NONE"`},
		{name: "alg missing", cfg: cfgHS, token: literal(b64(`{"typ":"JWT"}`) + "." + b64(`{"sub":"alice","exp":1999999999}`) + "." + b64("x")), wantErr: ErrInvalidToken, reason: `alg ""`},
		{name: "hs256 with jwks only", cfg: cfgJWKS, token: hs(alice), wantErr: ErrInvalidToken, reason: `alg "HS256" not allowed (accepted: RS256, EdDSA)`},
		{name: "rs256 with secret only", cfg: cfgHS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaA, "rsa-a", alice) }, wantErr: ErrInvalidToken, reason: `alg "RS256" not allowed (accepted: HS256)`},
		{name: "rs512", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS512, ks.rsaA, "rsa-a", alice) }, wantErr: ErrInvalidToken, reason: `alg "RS512" not allowed`},
		{name: "ps256", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.PS256, ks.rsaA, "rsa-a", alice) }, wantErr: ErrInvalidToken, reason: `alg "PS256" not allowed`},
		{name: "hs512", cfg: cfgBoth, token: func(tb testing.TB) string { return sign(tb, jose.HS512, append(testSecret, testSecret...), "", alice) }, wantErr: ErrInvalidToken, reason: `alg "HS512" not allowed`},
		{name: "alg confusion rsa pem as secret", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.HS256, rsaPublicPEM(tb), "rsa-a", alice) }, wantErr: ErrInvalidToken, reason: `alg "HS256" not allowed`},
		{name: "alg confusion with secret configured", cfg: cfgBoth, token: func(tb testing.TB) string { return sign(tb, jose.HS256, rsaPublicPEM(tb), "rsa-a", alice) }, wantErr: ErrInvalidToken, reason: "signature: HS256 verification failed"},

		// Keys and signatures.
		{name: "wrong secret", cfg: cfgHS, token: func(tb testing.TB) string { return sign(tb, jose.HS256, otherSecret, "", alice) }, wantErr: ErrInvalidToken, reason: "signature: HS256 verification failed"},
		{name: "wrong rsa key no kid", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaOther, "", alice) }, wantErr: ErrInvalidToken, reason: "signature: none of 2 RS256 keys verifies it"},
		{name: "wrong rsa key with kid", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaOther, "rsa-a", alice) }, wantErr: ErrInvalidToken, reason: "signature: RS256 verification failed"},
		{name: "kid picks the key", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaB, "rsa-a", alice) }, wantErr: ErrInvalidToken, reason: "signature: RS256 verification failed"},
		{name: "unknown kid", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaA, "nope", alice) }, wantErr: ErrInvalidToken, reason: `no RS256 key with kid "nope"`},
		{name: "kid of other alg", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.RS256, ks.rsaA, "ed-a", alice) }, wantErr: ErrInvalidToken, reason: `no RS256 key with kid "ed-a"`},
		{name: "wrong ed25519 key", cfg: cfgJWKS, token: func(tb testing.TB) string { return sign(tb, jose.EdDSA, ks.edOther, "", alice) }, wantErr: ErrInvalidToken, reason: "signature: EdDSA verification failed"},
		{name: "tampered payload", cfg: cfgHS, token: editToken(func(s []string) { s[1] = flipChar(s[1], len(s[1])/2) }), wantErr: ErrInvalidToken, reason: "signature:"},
		{name: "tampered header", cfg: cfgHS, token: editToken(func(s []string) { s[0] = b64(`{"alg":"HS256","typ":"JWT","x":1}`) }), wantErr: ErrInvalidToken, reason: "signature:"},
		{name: "tampered signature", cfg: cfgHS, token: editToken(func(s []string) { s[2] = flipChar(s[2], 0) }), wantErr: ErrInvalidToken, reason: "signature:"},
		{name: "signature removed", cfg: cfgHS, token: editToken(func(s []string) { s[2] = "" }), wantErr: ErrInvalidToken, reason: "signature:"},
		{name: "payload swapped", cfg: cfgHS, token: editToken(func(s []string) { s[1] = b64(`{"sub":"mallory","exp":1999999999}`) }), wantErr: ErrInvalidToken, reason: "signature:"},

		// Malformed.
		{name: "one segment", cfg: cfgHS, token: literal("abc"), wantErr: ErrInvalidToken, reason: "malformed: 1 segments, want 3"},
		{name: "two segments", cfg: cfgHS, token: literal("abc.def"), wantErr: ErrInvalidToken, reason: "malformed: 2 segments"},
		{name: "four segments", cfg: cfgHS, token: editToken(func(s []string) { s[2] += ".x" }), wantErr: ErrInvalidToken, reason: "malformed: 4 segments"},
		{name: "dots only", cfg: cfgHS, token: literal(".."), wantErr: ErrInvalidToken, reason: "malformed: header: empty"},
		{name: "empty payload", cfg: cfgHS, token: func(tb testing.TB) string { return sign(tb, jose.HS256, testSecret, "", []byte{}) }, wantErr: ErrInvalidToken, reason: "malformed: payload: empty"},
		{name: "bad base64", cfg: cfgHS, token: literal("!!!.###.$$$"), wantErr: ErrInvalidToken, reason: "malformed: header: byte 0 is not base64url"},
		{name: "padded base64", cfg: cfgHS, token: editToken(func(s []string) { s[2] += "=" }), wantErr: ErrInvalidToken, reason: "malformed: signature: byte 43"},
		{name: "std base64 alphabet", cfg: cfgHS, token: literal("ab+/.cd.ef"), wantErr: ErrInvalidToken, reason: "not base64url"},
		{name: "newline inside", cfg: cfgHS, token: editToken(func(s []string) { s[1] = s[1][:4] + "\n" + s[1][4:] }), wantErr: ErrInvalidToken, reason: "not base64url"},
		{name: "leading space", cfg: cfgHS, token: func(tb testing.TB) string { return " " + hs(alice)(tb) }, wantErr: ErrInvalidToken, reason: "not base64url"},
		{name: "non-canonical last char", cfg: cfgHS, token: editToken(func(s []string) { s[2] = s[2][:len(s[2])-1] + string(b64Alphabet[b64Value(s[2][len(s[2])-1])^1]) }), wantErr: ErrInvalidToken, reason: "signature: non-canonical base64url"},
		{name: "bad base64 length", cfg: cfgHS, token: editToken(func(s []string) { s[2] += "AA" }), wantErr: ErrInvalidToken, reason: "bad base64url length 45"},
		{name: "garbage header json", cfg: cfgHS, token: literal(b64("not json") + "." + b64("{}") + "." + b64("sig")), wantErr: ErrInvalidToken, reason: "malformed:"},
		{name: "header json array", cfg: cfgHS, token: literal(b64(`["HS256"]`) + "." + b64("{}") + "." + b64("sig")), wantErr: ErrInvalidToken, reason: "malformed:"},
		{name: "garbage payload json", cfg: cfgHS, token: func(tb testing.TB) string { return sign(tb, jose.HS256, testSecret, "", []byte("not json")) }, wantErr: ErrInvalidToken, reason: "claims:"},
		{name: "payload json array", cfg: cfgHS, token: func(tb testing.TB) string { return sign(tb, jose.HS256, testSecret, "", []byte(`["alice"]`)) }, wantErr: ErrInvalidToken, reason: "claims:"},
		{name: "payload json null", cfg: cfgHS, token: func(tb testing.TB) string { return sign(tb, jose.HS256, testSecret, "", []byte(`null`)) }, wantErr: ErrInvalidToken, reason: "claims: missing sub"},
		{name: "oversized", cfg: cfgHS, token: hs(alice.with("pad", strings.Repeat("x", maxTokenBytes))), wantErr: ErrInvalidToken, reason: "limit is 16384"},

		// Claims.
		{name: "missing sub", cfg: cfgHS, token: hs(alice.with("sub", nil)), wantErr: ErrInvalidToken, reason: "claims: missing sub"},
		{name: "empty sub", cfg: cfgHS, token: hs(alice.with("sub", "")), wantErr: ErrInvalidToken, reason: "claims: missing sub"},
		{name: "numeric sub", cfg: cfgHS, token: hs(alice.with("sub", 42)), wantErr: ErrInvalidToken, reason: "claims:"},
		{name: "Sub wrong case", cfg: cfgHS, token: hs(alice.with("sub", nil).with("Sub", "alice")), wantErr: ErrInvalidToken, reason: "claims: missing sub"},
		{name: "missing exp", cfg: cfgHS, token: hs(alice.with("exp", nil)), wantErr: ErrInvalidToken, reason: "claims: missing exp"},
		{name: "null exp", cfg: cfgLeeway, token: func(tb testing.TB) string {
			return sign(tb, jose.HS256, testSecret, "", []byte(`{"sub":"alice","exp":null}`))
		}, wantErr: ErrInvalidToken, reason: "claims: missing exp"},
		{name: "string exp", cfg: cfgHS, token: hs(alice.with("exp", "tomorrow")), wantErr: ErrInvalidToken, reason: "claims:"},
		{name: "huge exp", cfg: cfgHS, token: hs(alice.with("exp", 1e300)), wantErr: ErrInvalidToken, reason: "claims:"},
		{name: "workspaces not strings", cfg: cfgHS, token: hs(alice.with("workspaces", []any{"w1", 2})), wantErr: ErrInvalidToken, reason: "claims:"},
		{name: "workspaces string", cfg: cfgHS, token: hs(alice.with("workspaces", "w1")), wantErr: ErrInvalidToken, reason: "claims:"},
		{name: "nbf future", cfg: cfgHS, token: hs(alice.with("nbf", future)), wantErr: ErrInvalidToken, reason: "claims: nbf 2030-01-02T03:09:05Z is after"},
		{name: "nbf future beyond leeway", cfg: cfgLeeway, token: hs(alice.with("nbf", future)), wantErr: ErrInvalidToken, reason: "claims: nbf"},
		{name: "iat future", cfg: cfgHS, token: hs(alice.with("iat", future)), wantErr: ErrInvalidToken, reason: "claims: iat"},
		{name: "issuer mismatch", cfg: cfgIssAud, token: hs(alice.with("iss", "https://evil.example").with("aud", testAudience)), wantErr: ErrInvalidToken, reason: `claims: iss "https://evil.example", want "https://idp.example"`},
		{name: "issuer missing", cfg: cfgIssAud, token: hs(alice.with("aud", testAudience)), wantErr: ErrInvalidToken, reason: "claims: iss"},
		{name: "audience mismatch", cfg: cfgIssAud, token: hs(alice.with("iss", testIssuer).with("aud", []string{"a", "b"})), wantErr: ErrInvalidToken, reason: `claims: aud ["a" "b"] does not contain "switchboard"`},
		{name: "audience missing", cfg: cfgIssAud, token: hs(alice.with("iss", testIssuer)), wantErr: ErrInvalidToken, reason: "claims: aud"},
	}
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// flipChar replaces s[i] with a different base64url character.
func flipChar(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func TestVerify(t *testing.T) {
	auths := map[config]*Authenticator{}
	for _, c := range []config{cfgHS, cfgJWKS, cfgBoth, cfgLeeway, cfgIssAud} {
		auths[c] = newAuth(t, c.options(t))
	}
	for _, tc := range verifyCases() {
		t.Run(tc.name, func(t *testing.T) {
			p, err := auths[tc.cfg].Verify(tc.token(t))
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.User != tc.wantUser {
					t.Errorf("User = %q, want %q", p.User, tc.wantUser)
				}
				if p.Expires.IsZero() {
					t.Error("Expires is zero")
				}
				return
			}
			if p != nil || err == nil {
				t.Fatalf("Verify accepted: %+v", p)
			}
			assertSentinel(t, err, tc.wantErr)
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not contain %q", err, tc.reason)
			}
		})
	}
}

// assertSentinel checks that err wraps want and no other sentinel.
func assertSentinel(tb testing.TB, err, want error) {
	tb.Helper()
	for _, s := range []error{ErrNoToken, ErrInvalidToken, ErrExpiredToken} {
		if got := errors.Is(err, s); got != (s == want) {
			tb.Errorf("errors.Is(%q, %q) = %v", err, s, got)
		}
	}
}

func TestVerifyPrincipal(t *testing.T) {
	a := newAuth(t, cfgBoth.options(t))
	exp := testNow.Add(time.Hour).Truncate(time.Second)
	tok := sign(t, jose.EdDSA, testKeys().edA, "ed-a", claimSet{"sub": "bob", "exp": exp.Unix(), "workspaces": []string{"w1", "w2"}})
	p, err := a.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.User != "bob" || !p.Expires.Equal(exp) || strings.Join(p.Workspaces, ",") != "w1,w2" {
		t.Fatalf("principal = %+v", p)
	}
	for id, want := range map[string]bool{"w1": true, "w2": true, "w3": false, "": false, "W1": false} {
		if got := p.InWorkspace(id); got != want {
			t.Errorf("InWorkspace(%q) = %v, want %v", id, got, want)
		}
	}
	var nilP *Principal
	if nilP.InWorkspace("w1") {
		t.Error("nil principal is in a workspace")
	}
}

func TestVerifyExpiryBoundary(t *testing.T) {
	// exp is inclusive: a token is valid through its exp second plus leeway.
	for _, tc := range []struct {
		leeway time.Duration
		age    time.Duration // now - exp
		ok     bool
	}{
		{0, 0, true}, {0, time.Second, false},
		{time.Minute, time.Minute, true}, {time.Minute, time.Minute + time.Second, false},
	} {
		now := testNow.Add(tc.age)
		a := newAuth(t, Options{HS256Secret: testSecret, Leeway: tc.leeway, Now: func() time.Time { return now }})
		_, err := a.Verify(sign(t, jose.HS256, testSecret, "", claimSet{"sub": "a", "exp": testNow.Unix()}))
		if (err == nil) != tc.ok {
			t.Errorf("leeway %s, age %s: err = %v, want ok=%v", tc.leeway, tc.age, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrExpiredToken) {
			t.Errorf("leeway %s, age %s: %v is not ErrExpiredToken", tc.leeway, tc.age, err)
		}
	}
}

func TestVerifyDefaultClock(t *testing.T) {
	a, err := New(Options{HS256Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := Mint(testSecret, "alice", nil, time.Minute, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(tok); err != nil {
		t.Fatalf("token minted now: %v", err)
	}
	old, err := Mint(testSecret, "alice", nil, time.Minute, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(old); !errors.Is(err, ErrExpiredToken) {
		t.Fatalf("token minted an hour ago: %v", err)
	}
}
