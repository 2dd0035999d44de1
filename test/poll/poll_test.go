package poll_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-rt/switchboard/test/poll"
)

func TestUntilReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for i := 0; i < 3; i++ {
			n.Add(1)
			time.Sleep(time.Millisecond)
		}
	}()
	poll.Until(t, "three increments", func() bool { return n.Load() == 3 })
}

// fakeT records a failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed chan string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed <- fmt.Sprintf(format, args...)
	runtime.Goexit() // like testing.T: Fatalf does not return
}

func TestUntilFailsNamingWhatItWaitedFor(t *testing.T) {
	ft := &fakeT{TB: t, failed: make(chan string, 1)}
	go poll.Within(ft, 20*time.Millisecond, "a condition that never holds", func() bool { return false })
	select {
	case msg := <-ft.failed:
		if want := "timed out after 20ms waiting for a condition that never holds"; msg != want {
			t.Fatalf("failure %q, want %q", msg, want)
		}
	case <-time.After(poll.Timeout):
		t.Fatal("Until never gave up")
	}
}
