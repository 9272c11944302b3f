package ledger

import (
	"testing"
	"time"
)

// TestVelocityRingGrowsWithWhatTheWindowHolds: a control of 1,000 a minute
// on a scope that sees one approval a minute keeps the ring at its least
// depth; a burst inside the window grows it as far as the burst, and the
// count stays exact.
func TestVelocityRingGrowsWithWhatTheWindowHolds(t *testing.T) {
	const depth, keep = 1001, int64(time.Minute)
	var r velocityRing
	at := int64(0)
	for i := 0; i < 10_000; i++ {
		at += int64(61 * time.Second)
		r.push(at, depth, keep)
	}
	if d := r.depth(); d != minVelocityDepth {
		t.Fatalf("one a minute: ring depth %d, want %d", d, minVelocityDepth)
	}
	for i := 0; i < 300; i++ {
		r.push(at+int64(i), depth, keep)
	}
	if d := r.depth(); d < 300 || d > 1001 {
		t.Fatalf("a burst of 300: ring depth %d", d)
	}
	since := at - 1 // strictly after it: the approval at `at` and the burst of 300
	if !r.atLeast(since, 301) || r.atLeast(since, 302) {
		t.Fatalf("burst of 300 counted wrong: n=%d", r.n)
	}
	// Unknown window (replay): the ring grows to the control's depth.
	var q velocityRing
	for i := 0; i < 50; i++ {
		q.push(int64(i)*int64(time.Hour), 20, 0)
	}
	if q.depth() != 20 || !q.atLeast(0, 19) {
		t.Fatalf("replay ring: depth %d n %d", q.depth(), q.n)
	}
}
