package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Sentinel errors. Verify and FromRequest wrap exactly one of them with %w and
// a specific reason, so callers test with errors.Is and log err.Error().
var (
	ErrNoToken      = errors.New("auth: no token")
	ErrInvalidToken = errors.New("auth: invalid token")
	ErrExpiredToken = errors.New("auth: token expired")
)

// MinSecretBytes is the shortest accepted HS256 secret (RFC 7518 §3.2: the key
// must be at least as long as the SHA-256 output). New and Mint reject shorter
// secrets.
const MinSecretBytes = 32

// maxTokenBytes bounds the raw token so that a hostile client cannot make the
// server base64-decode and parse megabytes per connection attempt.
const maxTokenBytes = 16 << 10

// Principal is the authenticated client.
type Principal struct {
	User       string    // sub claim
	Workspaces []string  // workspaces claim
	Expires    time.Time // exp claim
}

// InWorkspace reports whether the principal's workspaces claim lists id.
// An empty id and a nil principal are never members.
func (p *Principal) InWorkspace(id string) bool {
	if p == nil || id == "" {
		return false
	}
	return slices.Contains(p.Workspaces, id)
}

// Options configures an Authenticator. At least one of HS256Secret and
// JWKSFile must be set.
type Options struct {
	// HS256Secret enables HS256 tokens. Empty disables HS256; otherwise it
	// must be at least MinSecretBytes long.
	HS256Secret []byte
	// JWKSFile is the path of a JWK Set (RFC 7517) holding the public keys
	// that verify RS256 (kty RSA, ≥2048 bits) and EdDSA (kty OKP, crv
	// Ed25519) tokens. Empty disables both algorithms. Read once, by New.
	JWKSFile string
	// Issuer, when non-empty, must equal the iss claim.
	Issuer string
	// Audience, when non-empty, must be one of the aud claim's values.
	Audience string
	// Leeway is the clock skew tolerated for exp, nbf and iat. Zero means
	// none; negative is an error.
	Leeway time.Duration
	// APIKeys are the keys accepted by CheckAPIKey. Empty entries are ignored;
	// no keys means every API key is refused.
	APIKeys []string
	// ScopedAPIKeys are keys limited to some rooms and types (see KeyScope).
	ScopedAPIKeys []ScopedKey
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// verifyKey is one candidate key for an algorithm.
type verifyKey struct {
	kid string
	key any // []byte, *rsa.PublicKey or ed25519.PublicKey
}

// Authenticator verifies client tokens and publisher API keys. It is immutable
// after New and safe for concurrent use.
type Authenticator struct {
	algs     []jose.SignatureAlgorithm               // allowed "alg" values, built from the configured keys
	keys     map[jose.SignatureAlgorithm][]verifyKey // candidates per alg
	issuer   string
	audience jwt.Audience
	leeway   time.Duration
	now      func() time.Time
	apiKeys  []apiKey // each configured API key by SHA-256, with its scope
}

// New builds an Authenticator. It reads and validates Options.JWKSFile once;
// its errors name the file and the offending key.
func New(opts Options) (*Authenticator, error) {
	if len(opts.HS256Secret) == 0 && opts.JWKSFile == "" {
		return nil, errors.New("auth: no token verification key: set an HS256 secret or a JWKS file")
	}
	if n := len(opts.HS256Secret); n > 0 && n < MinSecretBytes {
		return nil, fmt.Errorf("auth: HS256 secret is %d bytes, need at least %d", n, MinSecretBytes)
	}
	if opts.Leeway < 0 {
		return nil, fmt.Errorf("auth: leeway %s is negative", opts.Leeway)
	}

	a := &Authenticator{
		keys:   make(map[jose.SignatureAlgorithm][]verifyKey),
		issuer: opts.Issuer,
		leeway: opts.Leeway,
		now:    opts.Now,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if opts.Audience != "" {
		a.audience = jwt.Audience{opts.Audience}
	}
	if len(opts.HS256Secret) > 0 {
		a.keys[jose.HS256] = []verifyKey{{key: slices.Clone(opts.HS256Secret)}}
	}
	if opts.JWKSFile != "" {
		set, err := LoadJWKS(opts.JWKSFile)
		if err != nil {
			return nil, err
		}
		for _, k := range set.Keys {
			alg := keyAlgorithm(k.Key)
			a.keys[alg] = append(a.keys[alg], verifyKey{kid: k.KeyID, key: k.Key})
		}
	}
	for _, alg := range []jose.SignatureAlgorithm{jose.HS256, jose.RS256, jose.EdDSA} {
		if len(a.keys[alg]) > 0 {
			a.algs = append(a.algs, alg)
		}
	}
	for _, k := range opts.APIKeys {
		if k != "" {
			a.apiKeys = append(a.apiKeys, apiKey{sum: sha256.Sum256([]byte(k))})
		}
	}
	for _, k := range opts.ScopedAPIKeys {
		if k.Key != "" {
			a.apiKeys = append(a.apiKeys, apiKey{sum: sha256.Sum256([]byte(k.Key)), scope: k.Scope})
		}
	}
	return a, nil
}
