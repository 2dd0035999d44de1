package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"nothing configured", Options{APIKeys: []string{"k"}}, "no token verification key"},
		{"short secret", Options{HS256Secret: []byte("short")}, "HS256 secret is 5 bytes, need at least 32"},
		{"negative leeway", Options{HS256Secret: testSecret, Leeway: -time.Second}, "leeway -1s is negative"},
		{"missing jwks file", Options{JWKSFile: filepath.Join(t.TempDir(), "nope.json")}, "nope.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(tc.opts)
			if err == nil || a != nil {
				t.Fatalf("New = %v, %v; want error", a, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadJWKSMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.json")
	_, err := LoadJWKS(path)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("LoadJWKS: %v", err)
	}
}

func TestLoadJWKSErrors(t *testing.T) {
	ks := testKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaA := pubJWK(ks.rsaA, "rsa-a")
	withAlg := func(k jose.JSONWebKey, alg string) jose.JSONWebKey { k.Algorithm = alg; return k }
	withUse := func(k jose.JSONWebKey, use string) jose.JSONWebKey { k.Use = use; return k }

	for _, tc := range []struct {
		name string
		file func(t *testing.T) string
		want string
	}{
		{"not json", func(t *testing.T) string { return writeFile(t, []byte("keys: []")) }, "not a JSON JWK Set"},
		{"no keys member", func(t *testing.T) string { return writeFile(t, []byte(`{"kty":"RSA"}`)) }, `no "keys" array`},
		{"empty keys", func(t *testing.T) string { return writeFile(t, []byte(`{"keys":[]}`)) }, "no signing keys"},
		{"only enc keys", func(t *testing.T) string { return writeJWKS(t, withUse(rsaA, "enc")) }, "no signing keys"},
		{"key not object", func(t *testing.T) string { return writeFile(t, []byte(`{"keys":[1]}`)) }, "key 0: invalid JWK"},
		{"missing kty", func(t *testing.T) string { return writeFile(t, []byte(`{"keys":[{"kid":"x"}]}`)) }, `key 0 (kid "x"): missing kty`},
		{"ec key", func(t *testing.T) string { return writeJWKS(t, rsaA, pubJWK(ec, "ec-1")) }, `key 1 (kid "ec-1"): unsupported kty "EC"`},
		{"oct key", func(t *testing.T) string { return writeJWKS(t, jose.JSONWebKey{Key: testSecret, KeyID: "s"}) }, "symmetric (kty oct) keys do not belong"},
		{"x25519", func(t *testing.T) string {
			return writeFile(t, []byte(`{"keys":[{"kty":"OKP","crv":"X25519","x":"AAAA"}]}`))
		}, `unsupported OKP curve "X25519"`},
		{"rsa private", func(t *testing.T) string { return writeJWKS(t, jose.JSONWebKey{Key: ks.rsaA, KeyID: "p"}) }, `key 0 (kid "p"): contains private key material`},
		{"ed private", func(t *testing.T) string { return writeJWKS(t, rsaA, jose.JSONWebKey{Key: ks.edA}) }, "key 1: contains private key material"},
		{"small rsa", func(t *testing.T) string { return writeJWKS(t, pubJWK(small, "small")) }, "RSA modulus is 1024 bits, need at least 2048"},
		{"rsa alg mismatch", func(t *testing.T) string { return writeJWKS(t, withAlg(rsaA, "PS256")) }, `alg "PS256": a kty RSA key is only used for RS256`},
		{"ed alg mismatch", func(t *testing.T) string { return writeJWKS(t, withAlg(pubJWK(ks.edA, "e"), "RS256")) }, `alg "RS256": a kty OKP key is only used for EdDSA`},
		{"bad use", func(t *testing.T) string { return writeJWKS(t, withUse(rsaA, "sign")) }, `use "sign" is not "sig"`},
		{"duplicate kid", func(t *testing.T) string { return writeJWKS(t, rsaA, pubJWK(ks.rsaB, "rsa-a")) }, `key 1: kid "rsa-a" already used by key 0`},
		{"bad rsa params", func(t *testing.T) string { return writeFile(t, []byte(`{"keys":[{"kty":"RSA","n":"AQAB"}]}`)) }, "key 0: go-jose/go-jose: invalid RSA key, missing n/e values"},
		{"weak ed25519", func(t *testing.T) string {
			return writeFile(t, []byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"`+b64(string(make([]byte, 32)))+`"}]}`))
		}, "key 0:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.file(t)
			set, err := LoadJWKS(path)
			if err == nil {
				t.Fatalf("LoadJWKS accepted %d keys", len(set.Keys))
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not contain %q and the path", err, tc.want)
			}
			if _, nerr := New(Options{JWKSFile: path}); nerr == nil || nerr.Error() != err.Error() {
				t.Errorf("New error %v differs from LoadJWKS error %v", nerr, err)
			}
		})
	}
}

func TestLoadJWKSAccepts(t *testing.T) {
	ks := testKeys()
	enc := pubJWK(ks.rsaOther, "enc-1")
	enc.Use = "enc"
	enc.Algorithm = "RSA-OAEP"
	noKid := pubJWK(ks.rsaB, "")
	noKid.Use = ""
	ed := pubJWK(ks.edA, "ed")
	ed.Algorithm = "EdDSA"
	rs := pubJWK(ks.rsaA, "rs")
	rs.Algorithm = "RS256"

	set, err := LoadJWKS(writeJWKS(t, rs, enc, noKid, ed))
	if err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, k.KeyID)
	}
	if got := strings.Join(kids, ","); got != "rs,,ed" {
		t.Fatalf("kids = %q, want rs,,ed (encryption key dropped)", got)
	}
}

func TestJWKSOnlyEd25519(t *testing.T) {
	ks := testKeys()
	a := newAuth(t, Options{JWKSFile: writeJWKS(t, pubJWK(ks.edA, ""))})
	if _, err := a.Verify(sign(t, jose.EdDSA, ks.edA, "", claimsFor("e"))); err != nil {
		t.Fatal(err)
	}
	_, err := a.Verify(sign(t, jose.RS256, ks.rsaA, "", claimsFor("e")))
	if !errors.Is(err, ErrInvalidToken) || !strings.Contains(err.Error(), "accepted: EdDSA)") {
		t.Fatalf("RS256 against Ed25519-only JWKS: %v", err)
	}
}
