package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
	Display              // name, email, avatar claims, where the token has them
}

// Display is how a user is shown to others (in presence, docs/PROTOCOL.md
// §8): the token's name, email and avatar claims (picture, the OpenID
// Connect name, when avatar is absent). Each is empty when the token lacks
// it, has it as a non-string, or has one longer than its limit
// (MaxDisplayBytes, MaxAvatarBytes): presence stays compact.
type Display struct {
	Name   string `json:"name,omitempty"`
	Email  string `json:"email,omitempty"`
	Avatar string `json:"avatar,omitempty"`
}

// Limits of the display claims: a longer value is dropped, not cut.
const (
	MaxDisplayBytes = 256  // name, email
	MaxAvatarBytes  = 2048 // avatar (a URL)
)

// InWorkspace reports whether the principal's workspaces claim lists id.
// An empty id and a nil principal are never members.
func (p *Principal) InWorkspace(id string) bool {
	if p == nil || id == "" {
		return false
	}
	return slices.Contains(p.Workspaces, id)
}

// Options configures an Authenticator. At least one of HS256Secret, JWKSFile
// and JWKSURL must be set.
type Options struct {
	// HS256Secret enables HS256 tokens. Empty disables HS256; otherwise it
	// must be at least MinSecretBytes long.
	HS256Secret []byte
	// JWKSFile is the path of a JWK Set (RFC 7517) holding the public keys
	// that verify RS256 (kty RSA, ≥2048 bits) and EdDSA (kty OKP, crv
	// Ed25519) tokens. Empty disables both algorithms. Read once, by New.
	JWKSFile string
	// JWKSURL is an http or https URL serving a JWK Set, checked like
	// JWKSFile's except that a key that fails the checks is skipped with a
	// warning. New fetches it and fails unless that succeeds within
	// JWKSTimeout; then it is fetched again every JWKSRefresh, and when a
	// token's kid matches no key (see JWKSUnknownInterval). A failed fetch
	// keeps the last good keys and logs a warning. Empty: no URL; it may be
	// combined with HS256Secret and JWKSFile. Call Close to stop refreshing.
	JWKSURL string
	// JWKSRefresh is the interval between background fetches of JWKSURL.
	// Zero means DefaultJWKSRefresh (5m); negative is an error.
	JWKSRefresh time.Duration
	// JWKSUnknownInterval is the least time between two fetches of JWKSURL
	// triggered by tokens with an unknown kid. Zero means
	// DefaultJWKSUnknownInterval (10s); negative is an error.
	JWKSUnknownInterval time.Duration
	// JWKSTimeout bounds each fetch of JWKSURL, the first one included. Zero
	// means DefaultJWKSTimeout (10s); negative is an error.
	JWKSTimeout time.Duration
	// HTTPClient fetches JWKSURL; nil means http.DefaultClient. Response
	// bodies are cut at MaxJWKSBytes whatever the client.
	HTTPClient *http.Client
	// Logger receives the warnings about JWKSURL (failed fetches, skipped
	// keys) with component=auth. Nil means slog.Default().
	Logger *slog.Logger
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

// Authenticator verifies client tokens and publisher API keys. It is safe
// for concurrent use. Only the keys from Options.JWKSURL change after New;
// each fetched set replaces the last one at once.
type Authenticator struct {
	algs     []jose.SignatureAlgorithm // allowed "alg" values, built from the configured keys
	keys     keyMap                    // candidates per alg: the secret and the JWKS file's keys
	remote   *remoteKeys               // Options.JWKSURL; nil without
	issuer   string
	audience jwt.Audience
	leeway   time.Duration
	now      func() time.Time
	apiKeys  []apiKey // each configured API key by SHA-256, with its scope
}

// New builds an Authenticator. It reads and validates Options.JWKSFile once;
// its errors name the file and the offending key. With Options.JWKSURL it
// fetches the set before returning (errors name the URL) and starts
// refreshing it: call Close when done.
func New(opts Options) (*Authenticator, error) {
	if len(opts.HS256Secret) == 0 && opts.JWKSFile == "" && opts.JWKSURL == "" {
		return nil, errors.New("auth: no token verification key: set an HS256 secret, a JWKS file or a JWKS URL")
	}
	if n := len(opts.HS256Secret); n > 0 && n < MinSecretBytes {
		return nil, fmt.Errorf("auth: HS256 secret is %d bytes, need at least %d", n, MinSecretBytes)
	}
	if opts.Leeway < 0 {
		return nil, fmt.Errorf("auth: leeway %s is negative", opts.Leeway)
	}

	a := &Authenticator{
		keys:   make(keyMap),
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
		// A JWKS URL may publish keys of either algorithm at any time.
		if len(a.keys[alg]) > 0 || (opts.JWKSURL != "" && alg != jose.HS256) {
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
	if opts.JWKSURL != "" { // last: it starts a goroutine
		log := opts.Logger
		if log == nil {
			log = slog.Default()
		}
		r, err := newRemoteKeys(opts.JWKSURL, opts, log.With("component", "auth"))
		if err != nil {
			return nil, err
		}
		a.remote = r
	}
	return a, nil
}

// Close stops refreshing Options.JWKSURL; the keys fetched so far keep
// verifying tokens. It is idempotent, and a no-op without a JWKS URL.
func (a *Authenticator) Close() {
	if a.remote != nil {
		a.remote.stop()
	}
}
