package ledger

import (
	"math/rand/v2"
	"testing"
)

// TestHoldDirectory drives the directory with random puts and removes —
// ids mostly sequential, as the ledger hands them out, removed in any
// order — and checks every open and closed id against a map after each
// burst, so that backward-shift deletion never strands an entry.
func TestHoldDirectory(t *testing.T) {
	var d holdDirectory
	rnd := rand.New(rand.NewPCG(1, 2))
	accts := []uint32{0, 1, 7}
	model := map[uint64]holdRef{}
	var open []uint64
	next := uint64(0)
	for round := 0; round < 200; round++ {
		for i := rnd.IntN(2000); i > 0; i-- {
			if len(open) > 0 && rnd.IntN(100) < 48 {
				k := rnd.IntN(len(open))
				if rnd.IntN(2) == 0 {
					k = rnd.IntN(min(len(open), 8)) // often the oldest
				}
				id := open[k]
				open[k] = open[len(open)-1]
				open = open[:len(open)-1]
				d.remove(id)
				delete(model, id)
				continue
			}
			next += 1 + uint64(rnd.IntN(3))
			r := holdRef{id: next, acct: accts[rnd.IntN(len(accts))], slot: int32(rnd.IntN(1 << 20))}
			d.put(r.id, r.acct, r.slot)
			model[r.id] = r
			open = append(open, r.id)
		}
		if got := d.count(); got != len(model) {
			t.Fatalf("round %d: directory holds %d, model %d", round, got, len(model))
		}
		check := func(id uint64) {
			a, slot := d.find(id)
			want, ok := model[id]
			if ok != (slot >= 0) || (ok && (a != want.acct || slot != want.slot)) {
				t.Fatalf("round %d: find(%d) = %v/%d, want %+v (open %v)", round, id, a, slot, want, ok)
			}
		}
		// Every open id, and as many others (removed or never used).
		for _, id := range open {
			check(id)
			check(uint64(rnd.Int64N(int64(next + 2))))
		}
		check(0)
	}
	for _, id := range open {
		d.remove(id)
	}
	d.remove(12345) // absent: nothing happens
	if d.count() != 0 {
		t.Fatalf("%d left", d.count())
	}
}
