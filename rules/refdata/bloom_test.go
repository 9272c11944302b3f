package refdata

import (
	"math/rand/v2"
	"testing"
)

func TestSeenSetNeverMissesAndRarelyLies(t *testing.T) {
	var s seenSet
	r := rand.New(rand.NewPCG(1, 2))
	const n = 400_000 // three filters: 64k, 256k, 1M
	added := make([]uint64, n)
	for i := range added {
		added[i] = r.Uint64()
		s.add(added[i])
	}
	if len(s.filters) < 3 {
		t.Fatalf("%d filters for %d hashes", len(s.filters), n)
	}
	for _, h := range added {
		if !s.mayContain(h) {
			t.Fatalf("added hash %x not found", h)
		}
	}
	false_ := 0
	const probes = 1_000_000
	for i := 0; i < probes; i++ {
		if s.mayContain(r.Uint64()) {
			false_++
		}
	}
	// Each filter lies about 0.05% of the time; a probe asks them all.
	if rate := float64(false_) / probes; rate > 0.001 {
		t.Fatalf("false positive rate %.4f", rate)
	} else {
		t.Logf("false positive rate %.5f over %d filters", rate, len(s.filters))
	}
}
