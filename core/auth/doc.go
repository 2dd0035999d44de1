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
//   - RS256, only with kty RSA keys (≥2048 bits) from Options.JWKSFile,
//     or at any time with Options.JWKSURL;
//   - EdDSA, only with kty OKP / crv Ed25519 keys from the same sources.
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
// # Keys from a URL
//
// Options.JWKSURL names an identity provider's JWK Set (its
// /.well-known/jwks.json), so that its keys rotate without a restart. The
// set is fetched and cached by github.com/MicahParks/jwkset; go-jose still
// verifies. The life of the set:
//
//   - New fetches it once and fails unless that succeeds within
//     Options.JWKSTimeout (10s); the error names the URL and the cause.
//     Nothing else fetches it at construction, so a config check never does.
//   - A background goroutine fetches it every Options.JWKSRefresh (5m) until
//     [Authenticator.Close].
//   - A token whose kid no key has (a key just rotated in) fetches it at
//     once, inside Verify: at most one such fetch runs at a time (concurrent
//     callers wait for it) and at most one starts per
//     Options.JWKSUnknownInterval (10s); other unknown-kid tokens fail
//     without a fetch, so a flood of made-up kids costs the provider nothing.
//   - Each fetched set replaces the previous one whole, so a key removed
//     from the set stops verifying.
//   - A failed fetch (network error, status other than 200, a body that is
//     not a JWK Set or exceeds [MaxJWKSBytes], a key jwkset cannot parse, no
//     usable key) keeps the last good keys and logs a warning through
//     Options.Logger.
//   - Keys pass the checks of a JWKS file (kty RSA ≥2048 bits or OKP
//     Ed25519, public only, alg matching the kty, unique kids), but one that
//     fails them is skipped with a warning, logged once per change of the
//     set, rather than failing the set: providers publish keys of other
//     types (EC, say) next to the ones Switchboard uses.
//
// The secret and the JWKS file's keys are tried before the URL's, and a kid
// found in the file is not looked up in the URL's set.
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
// key at fault); the Authenticator is safe for concurrent use, and only the
// URL's keys change after New (each set is swapped in atomically).
// Verify runs once per connection and costs tens of microseconds (HS256
// ~20µs, RS256 and EdDSA ~50–80µs per key tried; see BenchmarkVerify). Tokens
// over 16 KiB are refused unparsed.
//
// # Local tokens
//
// [Mint] signs the HS256 tokens handed out by `switchboard token`.
package auth
