package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Mint signs an HS256 token for local use (`switchboard token`) with claims
// sub, workspaces (omitted when empty), iat = now and exp = now + ttl, both
// truncated to the second. A zero now means time.Now(). The secret must be at
// least MinSecretBytes long, sub non-empty and ttl positive.
func Mint(secret []byte, sub string, workspaces []string, ttl time.Duration, now time.Time) (string, error) {
	return MintFor(secret, sub, workspaces, ttl, now, "", "")
}

// MintFor is Mint with the iss and aud claims set (each omitted when
// empty), for a router configured with auth.issuer and auth.audience.
func MintFor(secret []byte, sub string, workspaces []string, ttl time.Duration, now time.Time, issuer, audience string) (string, error) {
	return MintDisplay(secret, sub, workspaces, Display{}, ttl, now, issuer, audience)
}

// MintDisplay is MintFor with the display claims name, email and avatar
// (each omitted when empty).
func MintDisplay(secret []byte, sub string, workspaces []string, d Display, ttl time.Duration, now time.Time, issuer, audience string) (string, error) {
	if len(secret) < MinSecretBytes {
		return "", fmt.Errorf("auth: mint: HS256 secret is %d bytes, need at least %d", len(secret), MinSecretBytes)
	}
	if sub == "" {
		return "", errors.New("auth: mint: empty subject")
	}
	if ttl <= 0 {
		return "", fmt.Errorf("auth: mint: ttl %s is not positive", ttl)
	}
	if now.IsZero() {
		now = time.Now()
	}
	signer, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.HS256, Key: secret},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	c := mintClaims{
		Subject:    sub,
		Expiry:     jwt.NewNumericDate(now.Add(ttl)),
		IssuedAt:   jwt.NewNumericDate(now),
		Workspaces: workspaces,
		Issuer:     issuer,
		Name:       d.Name,
		Email:      d.Email,
		Avatar:     d.Avatar,
	}
	if audience != "" {
		c.Audience = jwt.Audience{audience}
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("auth: mint: %w", err)
	}
	return tok, nil
}

// mintClaims is claims with empty members omitted from the encoding.
type mintClaims struct {
	Issuer     string           `json:"iss,omitempty"`
	Subject    string           `json:"sub"`
	Audience   jwt.Audience     `json:"aud,omitempty"`
	Expiry     *jwt.NumericDate `json:"exp"`
	NotBefore  *jwt.NumericDate `json:"nbf,omitempty"`
	IssuedAt   *jwt.NumericDate `json:"iat,omitempty"`
	Workspaces []string         `json:"workspaces,omitempty"`
	Name       string           `json:"name,omitempty"`
	Email      string           `json:"email,omitempty"`
	Avatar     string           `json:"avatar,omitempty"`
}
