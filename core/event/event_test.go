package event

import (
	"errors"
	"strings"
	"testing"
)

func TestValidTypeAndCoreOwned(t *testing.T) {
	for _, tc := range []struct {
		typ       string
		valid     bool
		coreOwned bool
	}{
		{"pm.task.created", true, false},
		{"app_note-1", true, false},
		{"presence.join", true, true},
		{"access.revoked", true, true},
		{"accessor.x", true, false},
		{"Presence.join", true, true},
		{"ACCESS.REVOKED", true, true},
		{"presence", true, true},
		{"presences", true, false},
		{"", false, false},
		{".x", false, false},
		{"a b", false, false},
		{strings.Repeat("a", 129), false, false},
	} {
		err := ValidType(tc.typ)
		if (err == nil) != tc.valid || (err != nil && !errors.Is(err, ErrType)) {
			t.Errorf("ValidType(%.20q) = %v, want valid %v", tc.typ, err, tc.valid)
		}
		if got := CoreOwned(tc.typ); got != tc.coreOwned {
			t.Errorf("CoreOwned(%.20q) = %v", tc.typ, got)
		}
	}
}

func TestEncodeCompactsData(t *testing.T) {
	e := New("switchboard/api", "app.e", []byte("{ \"a\" :\n 1 }"))
	b, err := e.Encode()
	if err != nil || !strings.Contains(string(b), `"data":{"a":1}`) || strings.Contains(string(b), "\n") {
		t.Fatalf("%s %v", b, err)
	}
	if _, err := (&Envelope{Data: []byte("{")}).Encode(); err == nil {
		t.Fatal("broken data encoded")
	}
}
