package refdata

// How the cache is kept full and coherent.
//
// The cache holds accounts and cardholders under their ids, and under each
// card's token an entry with the card and the account and cardholder
// records it names (cardEntry), so that an authorization reads the cache
// once. Entries do not need to be found when an account or cardholder
// changes: the change moves a generation counter on, and entries made
// before it are seen to be stale and made again from the cache.
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

import (
	"bytes"
	"sync"
)

// fillMiss puts a record made after a miss in the cache and waits until
// the cache has applied it. The caller holds the key's stripe lock.
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
	stale []staleKey // keys whose cached record is no longer the stored one
	// sorted, arena: the batch as committed (sorted by key, later writes
	// of a key after earlier ones); nil when nothing was committed.
	sorted []stagedOp
	arena  []byte
	warm   *warmBudget // nil: put every record of the batch in the cache
	loaded *loadedRefs // a portfolio load's accounts and cardholders; nil for single writes
}

// loadedRefs are the accounts and cardholders a portfolio load wrote,
// decoded for the cache. The load's cards' entries take theirs from here:
// the load does not put its accounts and cardholders in the cache under
// their own keys as well (a ristretto Set costs microseconds at millions
// of entries; the hot path needs only the cards' entries, which keep their
// account and cardholder). Reads that need one later fill the cache from
// Pebble.
type loadedRefs struct {
	accounts map[uint64]*Account    // by cache key
	holders  map[uint64]*Cardholder // by cache key
}

func newLoadedRefs() *loadedRefs {
	return &loadedRefs{accounts: make(map[uint64]*Account), holders: make(map[uint64]*Cardholder)}
}

// staleKey is the cache key of a changed record: a card's entry, or an
// account's or cardholder's record.
type staleKey struct {
	key  uint64
	card bool
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

// take reports whether a record of this cost is put in the cache, and
// counts it.
func (w *warmBudget) take(cost int64) bool {
	if w == nil {
		return true
	}
	if w.skipped > 0 || w.cost+cost > w.max {
		w.skipped++
		return false
	}
	w.cost += cost
	w.cached++
	return true
}

// spent reports whether the budget ran out: the rest of the load stays
// out of the cache, and is only counted.
func (w *warmBudget) spent() bool { return w != nil && w.skipped > 0 }

func (s *Store) stripe(k staleKey) *sync.Mutex {
	if k.card {
		return &s.cardFill[k.key%stripes]
	}
	return &s.refFill[k.key%stripes]
}

// refreshCache applies a committed batch to the cache and returns once the
// cache has applied all of it, so the next read finds the new records:
//
//  1. stale entries are deleted;
//  2. the batch's accounts and cardholders are put in (a load keeps them
//     for its cards' entries instead);
//  3. once the cache holds them, the generations of the changed ones move
//     on, which makes their cards' entries stale;
//  4. the batch's cards are put in, each with its account and cardholder.
func (s *Store) refreshCache(r cacheRefresh) {
	for _, k := range r.stale {
		mu := s.stripe(k)
		mu.Lock()
		s.cache.Del(k.key)
		mu.Unlock()
	}
	s.eachLastWrite(r, func(kind byte, value []byte) {
		if kind != prefixAccount && kind != prefixCardholder || r.warm.spent() {
			return
		}
		k, v, cost, ok := s.decodeCached(kind, value)
		switch {
		case !ok:
		case r.loaded == nil:
			mu := &s.refFill[k%stripes]
			mu.Lock()
			s.set(k, v, cost)
			mu.Unlock()
		case kind == prefixAccount:
			r.loaded.accounts[k] = v.(*Account)
		default:
			r.loaded.holders[k] = v.(*Cardholder)
		}
	})
	if len(r.stale) > 0 || len(r.sorted) > 0 {
		s.cache.Wait()
	}
	for _, k := range r.stale {
		if !k.card {
			s.gens[genSlot(k.key)].Add(1)
		}
	}
	cards := false
	s.eachLastWrite(r, func(kind byte, value []byte) {
		if kind != prefixCard {
			return
		}
		if r.warm.spent() {
			r.warm.skipped++
			return
		}
		c, err := s.decodeCard(value)
		if err != nil {
			return // a read of it will report the corruption
		}
		k := c.Token.cacheKey()
		mu := &s.cardFill[k%stripes]
		mu.Lock()
		if e, _, _, _ := s.newCardEntry(c, r.loaded); e != nil && r.warm.take(e.cost()) {
			s.set(k, e, e.cost())
			cards = true
		}
		mu.Unlock()
	})
	if cards {
		s.cache.Wait()
	}
}

// eachLastWrite calls fn with every record the batch stored: the last
// write of each key, deletions left out.
func (s *Store) eachLastWrite(r cacheRefresh, fn func(kind byte, value []byte)) {
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
		fn(key[0], r.arena[op.value:op.end])
	}
}

// decodeCached decodes a stored account or cardholder into its cached
// form, with its cache key and cost. ok is false for other kinds and for a
// record that does not decode: a read of it will report the corruption.
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
