package refdata

// seenSet remembers 64-bit hashes approximately: a scalable, blocked Bloom
// filter. mayContain never misses a hash that was added; it says yes to
// one that was not about once in two thousand times. A bulk load uses it
// for "was this card id or PAN already in this load?", where a yes is
// confirmed against Pebble and a no is the common answer: it answers from
// a few megabytes that stay in cache, where an exact set of millions of
// hashes would miss the cache on nearly every lookup.
type seenSet struct {
	filters []bloomFilter
}

// A bloomFilter is blocks of 512 bits (one cache line); a hash sets
// bloomProbes bits of one block. At 20 bits a hash the false-positive rate
// is about 0.02%.
type bloomFilter struct {
	blocks   [][8]uint64
	n, limit int
}

const (
	bloomBitsPerHash = 20
	bloomProbes      = 10
)

func newBloomFilter(capacity int) bloomFilter {
	blocks := max(capacity*bloomBitsPerHash/512, 1)
	return bloomFilter{blocks: make([][8]uint64, blocks), limit: capacity}
}

func (f *bloomFilter) block(h uint64) *[8]uint64 {
	return &f.blocks[(h>>32)*uint64(len(f.blocks))>>32]
}

// probe steps the bit sequence of a hash: a linear congruential step,
// whose top 9 bits pick one of the block's 512.
func probe(g uint64) (uint64, uint64) {
	g = g*0x5851F42D4C957F2D + 0x14057B7EF767814F
	return g, g >> 55
}

func (f *bloomFilter) add(h uint64) {
	b, g := f.block(h), h
	var bit uint64
	for i := 0; i < bloomProbes; i++ {
		g, bit = probe(g)
		b[bit>>6] |= 1 << (bit & 63)
	}
	f.n++
}

func (f *bloomFilter) mayContain(h uint64) bool {
	b, g := f.block(h), h
	var bit uint64
	for i := 0; i < bloomProbes; i++ {
		g, bit = probe(g)
		if b[bit>>6]&(1<<(bit&63)) == 0 {
			return false
		}
	}
	return true
}

// add remembers h, starting a filter four times larger when the newest is
// full (so the rate holds however many are added).
func (s *seenSet) add(h uint64) {
	if len(s.filters) == 0 || s.filters[len(s.filters)-1].n >= s.filters[len(s.filters)-1].limit {
		capacity := 1 << 16
		if len(s.filters) > 0 {
			capacity = s.filters[len(s.filters)-1].limit * 4
		}
		s.filters = append(s.filters, newBloomFilter(capacity))
	}
	s.filters[len(s.filters)-1].add(h)
}

// mayContain reports whether h may have been added; false is certain.
func (s *seenSet) mayContain(h uint64) bool {
	for i := range s.filters {
		if s.filters[i].mayContain(h) {
			return true
		}
	}
	return false
}
