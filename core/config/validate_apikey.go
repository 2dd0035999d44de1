package config

import (
	"fmt"
	"strings"

	"github.com/switchboard-rt/switchboard/core/auth"
)

// apiKeys checks the auth block's api_key "NAME" blocks: unique names,
// a key that is set and distinct from every other key, and well-formed
// room and type patterns.
func (v *validator) apiKeys(a *Auth) {
	names, keys := map[string]bool{}, map[string]bool{}
	for _, k := range a.APIKeys {
		keys[k] = true
	}
	for _, k := range a.APIKey {
		p := fmt.Sprintf("auth: api_key %q", k.Name)
		switch {
		case k.Name == "":
			v.errf(p, "", "the name must not be empty")
		case names[k.Name]:
			v.errf(p, "", "is defined more than once")
		}
		names[k.Name] = true
		switch {
		case strings.TrimSpace(k.Key) == "":
			v.errf(p, "key", "must be set")
		case strings.TrimSpace(k.Key) != k.Key:
			v.errf(p, "key", "must not begin or end with white space")
		case keys[k.Key]:
			v.errf(p, "key", "is the same as another API key: each key has one scope")
		}
		keys[k.Key] = true
		for i, r := range k.Rooms {
			if err := auth.ValidRoomPattern(r); err != nil {
				v.errf(p, fmt.Sprintf("rooms[%d]", i), "%v", err)
			}
		}
		for i, t := range k.Types {
			if err := auth.ValidTypePattern(t); err != nil {
				v.errf(p, fmt.Sprintf("types[%d]", i), "%v", err)
			}
		}
	}
}

// ScopedKeys returns the api_key blocks as core/auth takes them.
func (a *Auth) ScopedKeys() []auth.ScopedKey {
	out := make([]auth.ScopedKey, len(a.APIKey))
	for i, k := range a.APIKey {
		out[i] = auth.ScopedKey{Key: k.Key, Scope: auth.KeyScope{Name: k.Name, Rooms: k.Rooms, Types: k.Types}}
	}
	return out
}
