package ws

import "testing"

// The inline token bucket starts full (burst), refuses once it is empty,
// refills at the rate up to burst and no further, and ignores a clock that
// steps back.
func TestBucket(t *testing.T) {
	const sec = int64(1e9)
	var b bucket
	now := 100 * sec
	for i := range 3 {
		if !b.allow(now, 2, 3) {
			t.Fatalf("frame %d of a burst of 3 refused", i+1)
		}
	}
	if b.allow(now, 2, 3) {
		t.Fatal("a fourth frame at once was allowed with burst 3")
	}
	now += sec / 2 // one token back at 2/s
	if !b.allow(now, 2, 3) || b.allow(now, 2, 3) {
		t.Fatal("half a second at 2/s should allow exactly one more frame")
	}
	now += 100 * sec // refills to burst, not beyond
	for i := range 3 {
		if !b.allow(now, 2, 3) {
			t.Fatalf("frame %d after a long pause refused", i+1)
		}
	}
	if b.allow(now, 2, 3) {
		t.Fatal("a long pause filled the bucket beyond its burst")
	}
	if b.allow(now-10*sec, 2, 3) {
		t.Fatal("a clock stepping back refilled the bucket")
	}
	var off bucket
	for range 1000 {
		if !off.allow(now, 0, 1) {
			t.Fatal("rate 0 (no limit) refused a frame")
		}
	}
}
