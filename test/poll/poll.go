// Package poll is the one polling helper of the tests: for the few waits
// where the system under test gives no signal to wait on (a gauge going to
// zero, a process's children appearing). Where a signal exists — a frame,
// a channel, a reply — tests wait on it instead.
//
// It imports nothing but the standard library, so unit tests anywhere in
// the module (core/hub's internal tests included) can use it.
package poll

import (
	"testing"
	"time"
)

// Timeout bounds every Until.
const Timeout = 10 * time.Second

// interval between two looks at the condition.
const interval = 5 * time.Millisecond

// Until calls cond until it reports true, and fails the test, naming what
// it waited for, if that takes longer than Timeout. cond may itself end
// the test (t.Fatal) when it sees that the wait can no longer succeed.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Timeout, what, cond)
}

// Within is Until with its own bound.
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(interval)
	}
}
