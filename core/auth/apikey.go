package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// ScopedKey is an API key limited to some rooms and event types (config:
// auth { api_key "NAME" { key = …, rooms = […], types = […] } }).
type ScopedKey struct {
	Key   string
	Scope KeyScope
}

// KeyScope is what an API key may publish. The zero value is an unscoped
// key (auth.api_keys): any room, any type the publish rules allow.
type KeyScope struct {
	// Name is the key's label in the config, for messages and logs; "" for
	// an unscoped key.
	Name string
	// Rooms are room patterns: "kind:id" (that room) or "kind:*" (every
	// room of the kind). Empty: any room.
	Rooms []string
	// Types are event type patterns: "pm.task.created" (that type) or
	// "pm.*" (every type under the prefix "pm."). Empty: any type.
	Types []string
}

// Scoped reports whether s limits rooms or types.
func (s KeyScope) Scoped() bool { return len(s.Rooms) > 0 || len(s.Types) > 0 }

// AllowsRoom reports whether the key may publish to room (kind:id).
func (s KeyScope) AllowsRoom(room string) bool {
	if len(s.Rooms) == 0 {
		return true
	}
	kind, _, _ := strings.Cut(room, ":")
	for _, p := range s.Rooms {
		if p == room || (strings.HasSuffix(p, ":*") && p[:len(p)-2] == kind) {
			return true
		}
	}
	return false
}

// AllowsType reports whether the key may publish events of type typ.
func (s KeyScope) AllowsType(typ string) bool {
	if len(s.Types) == 0 {
		return true
	}
	for _, p := range s.Types {
		if p == typ || (strings.HasSuffix(p, ".*") && strings.HasPrefix(typ, p[:len(p)-1])) {
			return true
		}
	}
	return false
}

var (
	roomPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}:([A-Za-z0-9_.-]{1,128}|\*)$`)
	typePattern = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?$`)
)

// ValidRoomPattern checks a room pattern: "kind:id" or "kind:*".
func ValidRoomPattern(p string) error {
	if !roomPattern.MatchString(p) {
		return fmt.Errorf(`room pattern %q: want "kind:id" or "kind:*" (kind [a-z][a-z0-9_]*, id [A-Za-z0-9_.-]{1,128})`, p)
	}
	return nil
}

// ValidTypePattern checks a type pattern: an exact type ("pm.task.created")
// or a prefix ending in ".*" ("pm.*"), at most 128 characters.
func ValidTypePattern(p string) error {
	if len(p) > 128 || !typePattern.MatchString(p) {
		return fmt.Errorf(`type pattern %q: want a type such as "pm.task.created" or a prefix such as "pm.*"`, p)
	}
	return nil
}

// apiKey is a configured key, by digest, with its scope.
type apiKey struct {
	sum   [sha256.Size]byte
	scope KeyScope
}

// checkAPIKey finds key among the configured keys. It compares SHA-256
// digests in constant time against every key, so neither the position of a
// match nor the keys' lengths leak through timing. An empty key is always
// refused.
func (a *Authenticator) checkAPIKey(key string) (KeyScope, bool) {
	if key == "" {
		return KeyScope{}, false
	}
	sum := sha256.Sum256([]byte(key))
	found := -1
	for i := range a.apiKeys {
		eq := subtle.ConstantTimeCompare(sum[:], a.apiKeys[i].sum[:])
		found = subtle.ConstantTimeSelect(eq, i, found)
	}
	if found < 0 {
		return KeyScope{}, false
	}
	return a.apiKeys[found].scope, true
}

// APIKeyFromRequest checks the request's X-Api-Key header against the
// configured API keys and returns the matching key's scope (the zero
// KeyScope for an unscoped key).
func (a *Authenticator) APIKeyFromRequest(r *http.Request) (KeyScope, bool) {
	if r == nil {
		return KeyScope{}, false
	}
	return a.checkAPIKey(r.Header.Get("X-Api-Key"))
}
