// Package auth authenticates Switchboard's clients and publishers
// (docs/PROTOCOL.md §1).
//
// # Clients: JWT
//
// Browsers and services connect over WebSocket or SSE with a JWT, sent as
// "Authorization: Bearer <token>" or, because browsers cannot set headers on
// WebSocket/EventSource, as the "token" query parameter. Transports call
// [Authenticator.FromRequest] before upgrading and answer 401 on any error:
//
//	a, err := auth.New(auth.Options{HS256Secret: secret, JWKSFile: "jwks.json", Leeway: 30 * time.Second})
//	...
//	p, err := a.FromRequest(r)
//	if err != nil { // errors.Is(err, auth.ErrNoToken / ErrExpiredToken / ErrInvalidToken)
//		http.Error(w, "unauthorized", http.StatusUnauthorized)
//		return
//	}
//	if !p.InWorkspace(ws) { ... }
//
// Accepted algorithms follow the configured keys and nothing else:
//
//   - HS256, only when Options.HS256Secret is set (at least [MinSecretBytes]);
//   - RS256, only with kty RSA keys (≥2048 bits) from Options.JWKSFile;
//   - EdDSA, only with kty OKP / crv Ed25519 keys from Options.JWKSFile.
//
// "alg": "none" and every other algorithm are refused before any key is
// touched, and each key is bound to a single algorithm, so an RSA public key
// can never be used as an HMAC secret (algorithm confusion). A token with a
// "kid" header is checked against that JWKS key only; one without is tried
// against every key of its algorithm.
//
// Claims: sub (non-empty string) and exp (numeric date) are required;
// workspaces is an optional array of strings; iss and aud are checked when
// Options.Issuer / Options.Audience are set; exp, nbf and iat are checked with
// Options.Leeway.
//
// # Errors
//
// [Authenticator.Verify] and [Authenticator.FromRequest] wrap one of
// [ErrNoToken], [ErrExpiredToken] and [ErrInvalidToken] with %w and a reason
// meant for logs, e.g. "auth: invalid token: signature: RS256 verification
// failed". Do not send the reason to the client.
//
// # Publishers: API keys
//
// Server-side publishers send "X-Api-Key: <key>"; [Authenticator.APIKeyFromRequest]
// and [Authenticator.CheckAPIKey] compare it in constant time with
// Options.APIKeys and Options.ScopedAPIKeys. APIKeyFromRequest also returns
// the key's [KeyScope]: the room patterns ("workspace:w1", "project:*") and
// type patterns ("pm.*") it may publish to; the zero KeyScope (a key from
// APIKeys) allows any. The publish API enforces it (core/internal/ingest).
//
// # Cost
//
// New reads and validates the JWKS file once (errors name the file and the
// key at fault); the Authenticator is immutable and safe for concurrent use.
// Verify runs once per connection and costs tens of microseconds (HS256
// ~20µs, RS256 and EdDSA ~50–80µs per key tried; see BenchmarkVerify). Tokens
// over 16 KiB are refused unparsed.
//
// # Local tokens
//
// [Mint] signs the HS256 tokens handed out by `switchboard token`.
package auth
