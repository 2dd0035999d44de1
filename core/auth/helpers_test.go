package auth

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// testNow is the fixed clock of every test.
var testNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var testSecret = []byte("0123456789abcdef0123456789abcdef") // exactly MinSecretBytes

// testKeySet holds keys generated once per test binary (RSA generation is slow).
type testKeySet struct {
	rsaA, rsaB, rsaOther *rsa.PrivateKey // A and B are in the JWKS; Other is not
	edA, edOther         ed25519.PrivateKey
}

var testKeys = sync.OnceValue(func() *testKeySet {
	ks := &testKeySet{}
	for _, k := range []**rsa.PrivateKey{&ks.rsaA, &ks.rsaB, &ks.rsaOther} {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		*k = key
	}
	for _, k := range []*ed25519.PrivateKey{&ks.edA, &ks.edOther} {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		*k = priv
	}
	return ks
})

// pubJWK returns the public JWK of a private key.
func pubJWK(priv crypto.Signer, kid string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Use: "sig"}
}

// standardJWKS is the JWKS of the tests: RSA keys "rsa-a" and "rsa-b" and
// Ed25519 key "ed-a".
func standardJWKS() []jose.JSONWebKey {
	ks := testKeys()
	return []jose.JSONWebKey{pubJWK(ks.rsaA, "rsa-a"), pubJWK(ks.rsaB, "rsa-b"), pubJWK(ks.edA, "ed-a")}
}

// writeJWKS writes keys as a JWK Set file and returns its path.
func writeJWKS(tb testing.TB, keys ...jose.JSONWebKey) string {
	tb.Helper()
	data, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		tb.Fatal(err)
	}
	return writeFile(tb, data)
}

func writeFile(tb testing.TB, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "jwks.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// newAuth builds an Authenticator on the fixed clock.
func newAuth(tb testing.TB, opts Options) *Authenticator {
	tb.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	a, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// claimSet is a JWT payload; claimsFor gives the valid default.
type claimSet map[string]any

func claimsFor(sub string) claimSet {
	return claimSet{"sub": sub, "exp": testNow.Add(time.Hour).Unix(), "iat": testNow.Unix()}
}

func (c claimSet) with(k string, v any) claimSet {
	out := claimSet{}
	for kk, vv := range c {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

// sign signs payload (a claimSet or raw []byte) with go-jose. key is a
// private key or an HMAC secret; kid, if non-empty, goes into the header.
func sign(tb testing.TB, alg jose.SignatureAlgorithm, key any, kid string, payload any) string {
	tb.Helper()
	var sk any = key
	if kid != "" {
		sk = jose.JSONWebKey{Key: key, KeyID: kid}
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: sk}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		tb.Fatal(err)
	}
	body, ok := payload.([]byte)
	if !ok {
		if body, err = json.Marshal(payload); err != nil {
			tb.Fatal(err)
		}
	}
	jws, err := signer.Sign(body)
	if err != nil {
		tb.Fatal(err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// b64 is unpadded base64url of s.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// unsigned hand-crafts an "alg: none" token.
func unsigned(payload string) string {
	return b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(payload) + "."
}
