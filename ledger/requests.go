package ledger

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// requestTable remembers every request's Result by its RequestKey, so that
// a repeat or retransmission gets the same answer and changes nothing.
//
// Memory is bounded two ways. Each shard keeps two generations (maps): a
// record lives at least `retention` (request time) and at most twice that,
// because the current generation becomes the previous one once it is
// `retention` old and the previous one is dropped. And a shard whose
// current generation reaches its share of maxRecords rotates early; the
// records dropped that way before their time are counted in earlyDrops.
type requestTable struct {
	shards     [requestShards]requestShard
	retention  int64 // nanoseconds
	perShard   int   // max records in a shard's current generation
	earlyDrops atomic.Uint64
	records    atomic.Int64
}

const requestShards = 256

type requestShard struct {
	mu       sync.Mutex
	cur      map[RequestKey]storedResult
	prev     map[RequestKey]storedResult
	curStart int64 // request time the current generation began at
	_        [24]byte
}

// storedResult is a remembered answer and the request time it came at.
type storedResult struct {
	res Result
	at  int64
}

func newRequestTable(retention int64, maxRecords, expected int) *requestTable {
	t := &requestTable{retention: retention, perShard: maxRecords / 2 / requestShards}
	if t.perShard < 16 {
		t.perShard = 16
	}
	for i := range t.shards {
		t.shards[i].cur = make(map[RequestKey]storedResult, min(expected, maxRecords/2)/requestShards)
	}
	return t
}

func (t *requestTable) shard(k *RequestKey) *requestShard {
	// The key's bytes come from the network (STAN, times), so mix them
	// rather than take one byte.
	h := binary.LittleEndian.Uint64(k[0:8]) ^ binary.LittleEndian.Uint64(k[8:16])*0x9E3779B97F4A7C15 ^
		binary.LittleEndian.Uint64(k[16:24])*0xC2B2AE3D27D4EB4F ^ binary.LittleEndian.Uint64(k[24:32])*0x165667B19E3779F9
	h ^= h >> 29
	return &t.shards[h%requestShards]
}

// get returns the remembered result of k.
func (t *requestTable) get(k *RequestKey) (Result, bool) {
	s := t.shard(k)
	s.mu.Lock()
	r, ok := s.getLocked(k)
	s.mu.Unlock()
	return r, ok
}

func (s *requestShard) getLocked(k *RequestKey) (Result, bool) {
	if r, ok := s.cur[*k]; ok {
		return r.res, true
	}
	if r, ok := s.prev[*k]; ok {
		return r.res, true
	}
	return Result{}, false
}

// put remembers res for k, at request time at.
func (t *requestTable) put(k *RequestKey, res *Result, at int64) {
	s := t.shard(k)
	s.mu.Lock()
	t.putLocked(s, k, res, at)
	s.mu.Unlock()
}

func (t *requestTable) putLocked(s *requestShard, k *RequestKey, res *Result, at int64) {
	if s.curStart == 0 {
		s.curStart = at
	}
	if at-s.curStart >= t.retention || len(s.cur) >= t.perShard {
		if at-s.curStart < t.retention {
			t.earlyDrops.Add(uint64(len(s.prev)))
		}
		t.records.Add(-int64(len(s.prev)))
		s.prev, s.cur = s.cur, make(map[RequestKey]storedResult, len(s.cur))
		s.curStart = at
	}
	if _, ok := s.prev[*k]; ok {
		// A replayed or reloaded record already in the older generation.
		s.prev[*k] = storedResult{*res, at}
		return
	}
	n := len(s.cur)
	s.cur[*k] = storedResult{*res, at}
	if len(s.cur) > n {
		t.records.Add(1)
	}
}

// each calls fn for every record of one shard at a time, holding that
// shard's lock (checkpoints).
func (t *requestTable) each(fn func(k *RequestKey, r *storedResult)) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		for k, r := range s.prev {
			fn(&k, &r)
		}
		for k, r := range s.cur {
			fn(&k, &r)
		}
		s.mu.Unlock()
	}
}
