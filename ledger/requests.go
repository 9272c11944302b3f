package ledger

import (
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
)

// requestTable remembers every request's Result by its RequestKey, so that
// a repeat or retransmission gets the same answer and changes nothing.
//
// Nearly every lookup is for a key that is not there (a new request), in
// a table of millions, so the table is built for that: a compact
// open-addressing index of 16-byte slots (a 64-bit fingerprint and a record
// number), at most half full, in front of the records, which are appended
// in arrival order in blocks. A miss reads one cache line of the index
// (two or three slots on average); the records are touched only on a hit
// and written sequentially.
//
// Memory is bounded two ways. Each shard keeps two generations: a record
// lives at least `retention` (request time) and at most twice that,
// because the current generation becomes the previous one once it is
// `retention` old and the previous one is dropped. And a shard whose
// current generation reaches its share of maxRecords rotates early; the
// records dropped that way before their time are counted in earlyDrops.
type requestTable struct {
	seed       maphash.Seed
	shards     [requestShards]requestShard
	retention  int64 // nanoseconds
	perShard   int   // max records in a shard's current generation
	earlyDrops atomic.Uint64
	records    atomic.Int64
}

const (
	requestShards = 256
	recordBlock   = 128
)

type requestShard struct {
	mu       sync.Mutex
	cur      requestGen
	prev     requestGen
	curStart int64 // request time the current generation began at
	_        [40]byte
}

// requestGen is one generation: the index and the records.
type requestGen struct {
	index []uint64 // pairs: fingerprint (0: empty), record number
	mask  uint64   // slots − 1
	recs  [][]storedResult
	n     int
}

// storedResult is a remembered answer, its key and the request time.
type storedResult struct {
	key RequestKey
	res Result
	at  int64
}

func newRequestTable(retention int64, maxRecords, expected int) *requestTable {
	t := &requestTable{seed: maphash.MakeSeed(), retention: retention, perShard: maxRecords / 2 / requestShards}
	if t.perShard < 16 {
		t.perShard = 16
	}
	for i := range t.shards {
		t.shards[i].cur.init(min(expected, maxRecords/2) / requestShards)
	}
	return t
}

// init sizes an empty generation for n records.
func (g *requestGen) init(n int) {
	slots := 1 << bits.Len(uint(max(n*2, 16)))
	*g = requestGen{index: make([]uint64, 2*slots), mask: uint64(slots - 1)}
}

func (g *requestGen) rec(i uint64) *storedResult { return &g.recs[i/recordBlock][i%recordBlock] }

// find returns the record of k, or nil.
func (g *requestGen) find(h uint64, k *RequestKey) *storedResult {
	if g.n == 0 {
		return nil
	}
	fp := h | 1
	for pos := (h >> 8) & g.mask; ; pos = (pos + 1) & g.mask {
		f := g.index[2*pos]
		if f == 0 {
			return nil
		}
		if f == fp {
			if r := g.rec(g.index[2*pos+1]); r.key == *k {
				return r
			}
		}
	}
}

// add appends a record (k must not be in the generation).
func (g *requestGen) add(h uint64, r *storedResult) {
	if uint64(g.n+1)*2 > g.mask+1 {
		g.grow()
	}
	i := uint64(g.n)
	if i%recordBlock == 0 {
		g.recs = append(g.recs, make([]storedResult, recordBlock))
	}
	*g.rec(i) = *r
	g.n++
	g.place(h|1, (h>>8)&g.mask, i)
}

func (g *requestGen) place(fp, pos, i uint64) {
	for g.index[2*pos] != 0 {
		pos = (pos + 1) & g.mask
	}
	g.index[2*pos], g.index[2*pos+1] = fp, i
}

// grow doubles the index. Fingerprints are whole hashes, so the records
// need not be read.
func (g *requestGen) grow() {
	old := g.index
	slots := 2 * (g.mask + 1)
	g.index, g.mask = make([]uint64, 2*slots), slots-1
	for p := 0; p < len(old); p += 2 {
		if fp := old[p]; fp != 0 {
			g.place(fp, (fp>>8)&g.mask, old[p+1])
		}
	}
}

func (t *requestTable) hash(k *RequestKey) uint64 { return maphash.Bytes(t.seed, k[:]) }

func (t *requestTable) shard(h uint64) *requestShard { return &t.shards[h%requestShards] }

// get returns the remembered result of k.
func (t *requestTable) get(k *RequestKey) (Result, bool) { return t.getHashed(t.hash(k), k) }

// getHashed is get with k's hash already computed.
func (t *requestTable) getHashed(h uint64, k *RequestKey) (Result, bool) {
	s := t.shard(h)
	s.mu.Lock()
	r, ok := s.getLocked(h, k)
	s.mu.Unlock()
	return r, ok
}

func (s *requestShard) getLocked(h uint64, k *RequestKey) (Result, bool) {
	if r := s.cur.find(h, k); r != nil {
		return r.res, true
	}
	if r := s.prev.find(h, k); r != nil {
		return r.res, true
	}
	return Result{}, false
}

// put remembers res for k, at request time at.
func (t *requestTable) put(k *RequestKey, res *Result, at int64) { t.putHashed(t.hash(k), k, res, at) }

// putHashed is put with k's hash already computed.
func (t *requestTable) putHashed(h uint64, k *RequestKey, res *Result, at int64) {
	s := t.shard(h)
	s.mu.Lock()
	t.putLocked(s, h, k, res, at)
	s.mu.Unlock()
}

func (t *requestTable) putLocked(s *requestShard, h uint64, k *RequestKey, res *Result, at int64) {
	if s.curStart == 0 {
		s.curStart = at
	}
	if at-s.curStart >= t.retention || s.cur.n >= t.perShard {
		if at-s.curStart < t.retention {
			t.earlyDrops.Add(uint64(s.prev.n))
		}
		t.records.Add(-int64(s.prev.n))
		s.prev = s.cur
		s.cur.init(s.prev.n)
		s.curStart = at
	}
	// A replayed or reloaded record may be there already.
	if r := s.cur.find(h, k); r != nil {
		r.res, r.at = *res, at
		return
	}
	if r := s.prev.find(h, k); r != nil {
		r.res, r.at = *res, at
		return
	}
	s.cur.add(h, &storedResult{key: *k, res: *res, at: at})
	t.records.Add(1)
}

// each calls fn for every record of one shard at a time, holding that
// shard's lock (checkpoints).
func (t *requestTable) each(fn func(r *storedResult)) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for _, g := range [...]*requestGen{&s.prev, &s.cur} {
			for j := 0; j < g.n; j++ {
				fn(g.rec(uint64(j)))
			}
		}
		s.mu.Unlock()
	}
}
