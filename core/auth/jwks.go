package auth

import (
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/go-jose/go-jose/v4"
)

// minRSABits is the smallest RSA modulus accepted in a JWKS file.
const minRSABits = 2048

// LoadJWKS reads a JWK Set file and returns its signing keys, every one of
// them either an *rsa.PublicKey (used for RS256) or an ed25519.PublicKey (used
// for EdDSA). Keys marked "use": "enc" are dropped. Anything else the
// Authenticator could not use is an error naming the file and the key: other
// key types, private or symmetric keys, RSA keys under 2048 bits, an "alg"
// other than RS256/EdDSA, and duplicate kids. A set with no usable key is an
// error too.
func LoadJWKS(path string) (*jose.JSONWebKeySet, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("auth: jwks file %q: "+format, append([]any{path}, args...)...)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: jwks file: %w", err)
	}
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fail("not a JSON JWK Set: %w", err)
	}
	if doc.Keys == nil {
		return nil, fail(`no "keys" array`)
	}

	set := &jose.JSONWebKeySet{}
	kids := make(map[string]int)
	for i, raw := range doc.Keys {
		k, skip, err := parseJWK(raw)
		if err != nil {
			return nil, fail("key %d%s: %w", i, kidLabel(raw), err)
		}
		if skip {
			continue
		}
		if k.KeyID != "" {
			if j, dup := kids[k.KeyID]; dup {
				return nil, fail("key %d: kid %q already used by key %d", i, k.KeyID, j)
			}
			kids[k.KeyID] = i
		}
		set.Keys = append(set.Keys, k)
	}
	if len(set.Keys) == 0 {
		return nil, fail("no signing keys (want kty RSA or kty OKP with crv Ed25519)")
	}
	return set, nil
}

// jwkHead holds the members of a JWK that decide whether we can use it.
type jwkHead struct {
	Kty string  `json:"kty"`
	Crv string  `json:"crv"`
	Kid string  `json:"kid"`
	Alg string  `json:"alg"`
	Use string  `json:"use"`
	D   *string `json:"d"`
	K   *string `json:"k"`
}

// kidLabel renders ` (kid "x")` for error messages, or nothing.
func kidLabel(raw json.RawMessage) string {
	var h jwkHead
	if json.Unmarshal(raw, &h) != nil || h.Kid == "" {
		return ""
	}
	return fmt.Sprintf(" (kid %q)", h.Kid)
}

// parseJWK decodes and checks one key of the set. skip reports an encryption
// key, which is not an error but is of no use to a verifier.
func parseJWK(raw json.RawMessage) (k jose.JSONWebKey, skip bool, err error) {
	var h jwkHead
	if err := json.Unmarshal(raw, &h); err != nil {
		return k, false, fmt.Errorf("invalid JWK: %w", err)
	}
	switch h.Use {
	case "", "sig":
	case "enc":
		return k, true, nil
	default:
		return k, false, fmt.Errorf("use %q is not \"sig\"", h.Use)
	}
	var want jose.SignatureAlgorithm
	switch {
	case h.Kty == "RSA":
		want = jose.RS256
	case h.Kty == "OKP" && h.Crv == "Ed25519":
		want = jose.EdDSA
	case h.Kty == "oct":
		return k, false, errors.New("symmetric (kty oct) keys do not belong in a JWKS; configure the HS256 secret instead")
	case h.Kty == "OKP":
		return k, false, fmt.Errorf("unsupported OKP curve %q (want Ed25519)", h.Crv)
	case h.Kty == "":
		return k, false, errors.New("missing kty")
	default:
		return k, false, fmt.Errorf("unsupported kty %q (want RSA, or OKP with crv Ed25519)", h.Kty)
	}
	if h.D != nil || h.K != nil {
		return k, false, errors.New("contains private key material; publish only the public key")
	}
	if h.Alg != "" && h.Alg != string(want) {
		return k, false, fmt.Errorf("alg %q: a kty %s key is only used for %s", h.Alg, h.Kty, want)
	}
	if err := k.UnmarshalJSON(raw); err != nil {
		return k, false, err
	}
	switch key := k.Key.(type) {
	case *rsa.PublicKey:
		if n := key.N.BitLen(); n < minRSABits {
			return k, false, fmt.Errorf("RSA modulus is %d bits, need at least %d", n, minRSABits)
		}
	case ed25519.PublicKey:
	default:
		return k, false, fmt.Errorf("unexpected key type %T", k.Key)
	}
	if !k.Valid() {
		return k, false, errors.New("invalid key parameters")
	}
	return k, false, nil
}

// keyAlgorithm maps a key checked by parseJWK to the only algorithm it verifies.
func keyAlgorithm(key any) jose.SignatureAlgorithm {
	if _, ok := key.(ed25519.PublicKey); ok {
		return jose.EdDSA
	}
	return jose.RS256
}
