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
// open-addressing index of 8-byte slots (a 32-bit fingerprint and a record
// number), at most half full, in front of the records, which are appended
// in arrival order in blocks. A miss reads one cache line of the index
// (two or three slots on average); the records are touched only on a hit
// and written sequentially. Neither holds a pointer (a record keeps its
// currency as a number), so the garbage collector never scans them.
//
// Memory is bounded two ways. Each shard keeps two generations: a record
// lives at least `retention` (request time) and at most twice that,
// because the current generation becomes the previous one once it is
// `retention` old and the previous one is dropped. And a shard whose
// current generation reaches its share of maxRecords rotates early; the
// records dropped that way before their time are counted in earlyDrops.
type requestTable struct {
	seed       maphash.Seed
	currencies nameTable
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
	index []uint64 // fingerprint << 32 | record number; 0 empty
	mask  uint64   // slots − 1
	recs  [][]storedResult
	n     int
}

// storedResult is a remembered answer, its key and the request time, in
// 120 bytes without a pointer.
type storedResult struct {
	key       RequestKey
	at        int64
	approved  int64
	holdID    uint64
	hold      int64
	released  int64
	posted    int64
	available int64
	seq       uint64
	memo      Memo
	status    Status
	reason    Reason
	currency  uint8 // requestTable.currencies
}

func (t *requestTable) store(r *storedResult, k *RequestKey, res *Result, at int64) {
	*r = storedResult{key: *k, at: at, approved: res.Approved, holdID: res.HoldID, hold: res.Hold,
		released: res.Released, posted: res.Posted, available: res.Available, seq: res.Seq, memo: res.Memo,
		status: res.Status, reason: res.Reason, currency: t.currencies.id(res.Currency)}
}

func (t *requestTable) result(r *storedResult) Result {
	return Result{Status: r.status, Reason: r.reason, Approved: r.approved, HoldID: r.holdID, Hold: r.hold,
		Released: r.released, Posted: r.posted, Available: r.available, Currency: t.currencies.name(r.currency),
		Seq: r.seq, Memo: r.memo}
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
	*g = requestGen{index: make([]uint64, slots), mask: uint64(slots - 1)}
}

func (g *requestGen) rec(i uint64) *storedResult { return &g.recs[i/recordBlock][i%recordBlock] }

// find returns the record of k, or nil.
func (g *requestGen) find(h uint64, k *RequestKey) *storedResult {
	if g.n == 0 {
		return nil
	}
	fp := fingerprint(h)
	for pos := home(fp) & g.mask; ; pos = (pos + 1) & g.mask {
		v := g.index[pos]
		if v == 0 {
			return nil
		}
		if uint32(v>>32) == fp {
			if r := g.rec(uint64(uint32(v))); r.key == *k {
				return r
			}
		}
	}
}

// fingerprint is the part of a key's hash the index keeps (never 0); the
// shard is picked by the hash's low byte, the slot by the fingerprint.
func fingerprint(h uint64) uint32 { return uint32(h>>32) | 1 }

func home(fp uint32) uint64 { return uint64(fp >> 1) }

// add appends a record slot for hash h (its key must not be in the
// generation) and returns it to be filled.
func (g *requestGen) add(h uint64) *storedResult {
	if uint64(g.n+1)*2 > g.mask+1 {
		g.grow()
	}
	i := uint64(g.n)
	if i%recordBlock == 0 {
		g.recs = append(g.recs, make([]storedResult, recordBlock))
	}
	g.n++
	g.place(uint64(fingerprint(h))<<32 | i)
	return g.rec(i)
}

func (g *requestGen) place(v uint64) {
	pos := home(uint32(v>>32)) & g.mask
	for g.index[pos] != 0 {
		pos = (pos + 1) & g.mask
	}
	g.index[pos] = v
}

// grow doubles the index; the slots say where they go without the
// records being read.
func (g *requestGen) grow() {
	old := g.index
	slots := 2 * (g.mask + 1)
	g.index, g.mask = make([]uint64, slots), slots-1
	for _, v := range old {
		if v != 0 {
			g.place(v)
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
	r, ok := t.getLocked(s, h, k)
	s.mu.Unlock()
	return r, ok
}

func (t *requestTable) getLocked(s *requestShard, h uint64, k *RequestKey) (Result, bool) {
	if r := s.cur.find(h, k); r != nil {
		return t.result(r), true
	}
	if r := s.prev.find(h, k); r != nil {
		return t.result(r), true
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
	r := s.cur.find(h, k)
	if r == nil {
		r = s.prev.find(h, k)
	}
	if r == nil {
		r = s.cur.add(h)
		t.records.Add(1)
	}
	t.store(r, k, res, at)
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
