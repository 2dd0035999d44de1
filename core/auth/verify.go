package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejson "github.com/go-jose/go-jose/v4/json"
	"github.com/go-jose/go-jose/v4/jwt"
)

// claims is the payload Switchboard reads. go-jose's json package is used to
// decode it: unlike encoding/json it matches member names case-sensitively.
type claims struct {
	Issuer     string           `json:"iss"`
	Subject    string           `json:"sub"`
	Audience   jwt.Audience     `json:"aud"`
	Expiry     *jwt.NumericDate `json:"exp"`
	NotBefore  *jwt.NumericDate `json:"nbf"`
	IssuedAt   *jwt.NumericDate `json:"iat"`
	Workspaces []string         `json:"workspaces,omitempty"`
	// Display claims: any JSON value, so that an odd one (a picture
	// object, a name array) drops that claim instead of the token.
	Name    any `json:"name,omitempty"`
	Email   any `json:"email,omitempty"`
	Avatar  any `json:"avatar,omitempty"`
	Picture any `json:"picture,omitempty"`
}

// display takes the display claims that are strings within their limits.
func (c *claims) display() Display {
	str := func(v any, max int) string {
		s, _ := v.(string)
		if len(s) > max {
			return ""
		}
		return s
	}
	d := Display{Name: str(c.Name, MaxDisplayBytes), Email: str(c.Email, MaxDisplayBytes), Avatar: str(c.Avatar, MaxAvatarBytes)}
	if d.Avatar == "" {
		d.Avatar = str(c.Picture, MaxAvatarBytes)
	}
	return d
}

// Verify checks a compact JWS token: the alg must be one the configured keys
// allow, the signature must verify, sub and exp must be present, and exp, nbf,
// iat, iss and aud must pass. A kid header selects the JWKS key (HS256 ignores
// it). The error wraps ErrNoToken (empty raw), ErrExpiredToken or
// ErrInvalidToken, followed by the reason.
func (a *Authenticator) Verify(raw string) (*Principal, error) {
	if raw == "" {
		return nil, ErrNoToken
	}
	if len(raw) > maxTokenBytes {
		return nil, invalid("malformed: token is %d bytes, limit is %d", len(raw), maxTokenBytes)
	}
	if reason := checkCompact(raw); reason != "" {
		return nil, invalid("malformed: %s", reason)
	}
	jws, err := jose.ParseSignedCompact(raw, a.algs)
	if err != nil {
		var unexpected *jose.ErrUnexpectedSignatureAlgorithm
		if errors.As(err, &unexpected) {
			return nil, invalid("alg %q not allowed (accepted: %s)", unexpected.Got, joinAlgs(a.algs))
		}
		return nil, invalid("malformed: %v", err)
	}
	payload, err := a.verifySignature(jws)
	if err != nil {
		return nil, err
	}

	var c claims
	if err := josejson.Unmarshal(payload, &c); err != nil {
		return nil, invalid("claims: %v", err)
	}
	if c.Subject == "" {
		return nil, invalid("claims: missing sub")
	}
	if c.Expiry == nil {
		return nil, invalid("claims: missing exp")
	}
	if err := a.validate(&c); err != nil {
		return nil, err
	}
	return &Principal{User: c.Subject, Workspaces: c.Workspaces, Expires: c.Expiry.Time(), Display: c.display()}, nil
}

// verifySignature picks the candidate keys for the token's alg (narrowed to
// one by kid for JWKS keys) and returns the payload the first of them verifies.
// A kid that no key has makes the JWKS URL, if any, be fetched again first.
func (a *Authenticator) verifySignature(jws *jose.JSONWebSignature) ([]byte, error) {
	if len(jws.Signatures) != 1 {
		return nil, invalid("malformed: %d signatures", len(jws.Signatures))
	}
	h := jws.Signatures[0].Header
	alg := jose.SignatureAlgorithm(h.Algorithm)
	cands := a.candidates(alg, h.KeyID)
	if h.KeyID != "" && alg != jose.HS256 && cands == nil {
		if a.remote != nil {
			a.remote.refresh(h.KeyID)
			cands = a.candidates(alg, h.KeyID)
		}
		if cands == nil {
			return nil, invalid("signature: no %s key with kid %q", alg, h.KeyID)
		}
	}
	for _, k := range cands {
		if payload, err := jws.Verify(k.key); err == nil {
			return payload, nil
		}
	}
	switch len(cands) {
	case 0: // only with a JWKS URL that has no key of alg now
		return nil, invalid("signature: no %s key", alg)
	case 1:
		return nil, invalid("signature: %s verification failed", alg)
	}
	return nil, invalid("signature: none of %d %s keys verifies it", len(cands), alg)
}

// candidates returns the keys that may verify a token: with a kid (ignored by
// HS256) the one key of alg that has it, or nil; without, every key of alg.
// The secret and the JWKS file's keys come before those of the JWKS URL.
func (a *Authenticator) candidates(alg jose.SignatureAlgorithm, kid string) []verifyKey {
	local := a.keys[alg]
	var remote []verifyKey
	if a.remote != nil {
		remote = a.remote.keys()[alg]
	}
	if kid == "" || alg == jose.HS256 {
		if len(remote) == 0 {
			return local
		}
		return slices.Concat(local, remote)
	}
	for _, keys := range [2][]verifyKey{local, remote} {
		for _, k := range keys {
			if k.kid == kid {
				return []verifyKey{k}
			}
		}
	}
	return nil
}

// validate checks the registered time and audience claims.
func (a *Authenticator) validate(c *claims) error {
	now := a.now()
	std := jwt.Claims{
		Issuer:    c.Issuer,
		Audience:  c.Audience,
		Expiry:    c.Expiry,
		NotBefore: c.NotBefore,
		IssuedAt:  c.IssuedAt,
	}
	err := std.ValidateWithLeeway(jwt.Expected{Issuer: a.issuer, AnyAudience: a.audience, Time: now}, a.leeway)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrExpired):
		return fmt.Errorf("%w: exp %s is before %s (leeway %s)", ErrExpiredToken, stamp(c.Expiry.Time()), stamp(now), a.leeway)
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return invalid("claims: iss %q, want %q", c.Issuer, a.issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return invalid("claims: aud %q does not contain %q", []string(c.Audience), a.audience[0])
	case errors.Is(err, jwt.ErrNotValidYet):
		return invalid("claims: nbf %s is after %s (leeway %s)", stamp(c.NotBefore.Time()), stamp(now), a.leeway)
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return invalid("claims: iat %s is after %s (leeway %s)", stamp(c.IssuedAt.Time()), stamp(now), a.leeway)
	default:
		return invalid("claims: %v", err)
	}
}

// invalid wraps ErrInvalidToken with a reason.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidToken}, args...)...)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func joinAlgs(algs []jose.SignatureAlgorithm) string {
	s := make([]string, len(algs))
	for i, alg := range algs {
		s[i] = string(alg)
	}
	return strings.Join(s, ", ")
}

// checkCompact makes the token canonical before go-jose sees it: exactly three
// segments of unpadded base64url with zero padding bits, the header and
// payload non-empty. Go's decoder would
// otherwise skip CR/LF and ignore the unused low bits of the last character,
// so many strings would verify as the same token.
func checkCompact(raw string) string {
	if n := strings.Count(raw, "."); n != 2 {
		return fmt.Sprintf("%d segments, want 3", n+1)
	}
	for i, seg := range strings.SplitN(raw, ".", 3) {
		name := [...]string{"header", "payload", "signature"}[i]
		for j := 0; j < len(seg); j++ {
			if b64Value(seg[j]) < 0 {
				return fmt.Sprintf("%s: byte %d is not base64url", name, j)
			}
		}
		if len(seg) == 0 {
			if i < 2 {
				return name + ": empty"
			}
			continue
		}
		last := b64Value(seg[len(seg)-1])
		switch len(seg) % 4 {
		case 1:
			return fmt.Sprintf("%s: bad base64url length %d", name, len(seg))
		case 2:
			if last&0x0f != 0 {
				return name + ": non-canonical base64url"
			}
		case 3:
			if last&0x03 != 0 {
				return name + ": non-canonical base64url"
			}
		}
	}
	return ""
}

// b64Value returns the 6-bit value of a base64url character, or -1.
func b64Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}
