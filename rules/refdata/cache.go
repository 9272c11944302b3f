package refdata

// How the cache is kept full and coherent.
//
// Ristretto applies a new key asynchronously: Set queues it for the
// policy's goroutine and drops it when that queue is full, and a key that
// is queued twice keeps its first value. The store works with that:
//
//   - every write puts what it wrote in the cache (a portfolio load
//     warms it, an admin change replaces the entry), so the hot path
//     finds records it has never read: after a load, reads do not wait on
//     Pebble, whatever the portfolio's size, as long as the budget holds
//     it;
//   - a key whose record changed is deleted before its new value is set:
//     the deletion is queued behind any fill of the old value, the new
//     value behind the deletion;
//   - fills and writes of a key take the same stripe lock, so a fill that
//     read the old record from Pebble is queued before the deletion;
//   - a dropped Set waits for the queue to drain and is tried again, and a
//     miss's fill waits until the cache has applied it, so the next read
//     of that key is a hit.

import "bytes"

// fillMiss puts a record read from Pebble after a miss in the cache and waits
// until the cache has applied it. The caller holds the key's stripe lock.
func (s *Store) fillMiss(k uint64, v any, cost int64) {
	s.set(k, v, cost)
	s.cache.Wait()
}

// set queues v under k, once more after the queue drained when it was
// full. The caller holds the key's stripe lock.
func (s *Store) set(k uint64, v any, cost int64) {
	if !s.cache.Set(k, v, cost) {
		s.cache.Wait()
		s.cache.Set(k, v, cost)
	}
}

// cacheRefresh says what a committed batch changed in the cache.
type cacheRefresh struct {
	stale []uint64 // keys whose cached record is no longer the stored one
	// sorted, arena: the batch as committed (sorted by key, later writes
	// of a key after earlier ones); nil when nothing was committed.
	sorted []stagedOp
	arena  []byte
	warm   *warmBudget // nil: put every record of the batch in the cache
}

// warmBudget bounds how much of one portfolio load goes into the cache:
// no more than the cache holds, since beyond that every record put in
// would push out another of the same load.
type warmBudget struct {
	max     int64
	cost    int64 // of the records put in the cache
	cached  int   // records put in the cache
	skipped int   // records left out, the budget spent
}

// refreshCache applies a committed batch to the cache: stale entries
// deleted, then the batch's accounts, cardholders and cards put in, and
// returns once the cache has applied all of it, so the next read finds
// the new records.
func (s *Store) refreshCache(r cacheRefresh) {
	for _, k := range r.stale {
		mu := &s.fill[k%stripes]
		mu.Lock()
		s.cache.Del(k)
		mu.Unlock()
	}
	for i, op := range r.sorted {
		key := r.arena[op.key:op.value]
		if op.del || len(key) == 0 {
			continue
		}
		if i+1 < len(r.sorted) {
			next := r.sorted[i+1]
			if bytes.Equal(r.arena[next.key:next.value], key) {
				continue // written again later in the batch: only the last write is stored
			}
		}
		if w := r.warm; w != nil && w.skipped > 0 {
			if cachedKind(key[0]) {
				w.skipped++ // the budget is spent: the rest of the load stays out
			}
			continue
		}
		k, v, cost, ok := s.decodeCached(key[0], r.arena[op.value:op.end])
		if !ok {
			continue
		}
		if w := r.warm; w != nil {
			if w.cost+cost > w.max {
				w.skipped++
				continue
			}
			w.cost += cost
			w.cached++
		}
		mu := &s.fill[k%stripes]
		mu.Lock()
		s.set(k, v, cost)
		mu.Unlock()
	}
	if len(r.stale) > 0 || len(r.sorted) > 0 {
		s.cache.Wait()
	}
}

// cachedKind reports whether records of this key prefix are cached.
func cachedKind(kind byte) bool {
	return kind == prefixAccount || kind == prefixCardholder || kind == prefixCard
}

// decodeCached decodes a stored record of the kinds the cache keeps into
// its cached form, with its cache key and cost. ok is false for other
// kinds (card keys, the card id index) and for a record that does not
// decode: a read of it will report the corruption.
func (s *Store) decodeCached(kind byte, value []byte) (k uint64, v any, cost int64, ok bool) {
	switch kind {
	case prefixAccount:
		a, err := s.decodeAccount(value)
		if err != nil {
			return 0, nil, 0, false
		}
		return s.accountCacheKey(a.ID), a, accountCost(a), true
	case prefixCardholder:
		h, err := s.decodeCardholder(value)
		if err != nil {
			return 0, nil, 0, false
		}
		return s.holderCacheKey(h.ID), h, holderCost(h), true
	case prefixCard:
		c, err := s.decodeCard(value)
		if err != nil {
			return 0, nil, 0, false
		}
		return c.Token.cacheKey(), c, cardCost(c), true
	}
	return 0, nil, 0, false
}

// logWarm says, after a load, whether the cache holds all of it.
func (s *Store) logWarm(w *warmBudget) {
	if w.skipped == 0 {
		return
	}
	need := w.max
	if w.cached > 0 {
		need = w.cost / int64(w.cached) * int64(w.cached+w.skipped)
	}
	s.log.Warn("reference cache too small for the portfolio: reads of the records left out go to storage",
		"cached_records", w.cached, "uncached_records", w.skipped,
		"cache_mib", w.max>>20, "needed_mib_about", (need+need/4)>>20)
}
