package refdata

import (
	"errors"
	"sync/atomic"
)

// Resolved is a card with the account and cardholder it names: what the
// hot path reads of the store for one authorization. The records are
// shared with the cache: do not modify them.
type Resolved struct {
	Card *Card
	// Account is nil when the store has no account Card.Account (only a
	// damaged store: references are checked on every write).
	Account *Account
	// Cardholder is nil when the card names none, or names one the store
	// does not have (damage, as above).
	Cardholder *Cardholder
}

// cardEntry is what the cache keeps under a card's token: the card, and
// the account and cardholder records it names as they were when the entry
// was made, with the generations of their slots then. A write to an
// account or cardholder bumps its slot's generation once the cache holds
// the new record, so an entry made before is seen to be stale and made
// again from the cache: one cache read per authorization instead of three,
// and no index from accounts to their cards to keep.
type cardEntry struct {
	card                    Card
	account                 *Account
	holder                  *Cardholder
	accountGen, holderGen   uint64
	accountSlot, holderSlot uint32
}

// genSlots is the number of generation counters accounts and cardholders
// share (a power of two). A write makes stale the entries of every card
// whose account or cardholder shares its slot; writes are rare next to
// reads, and a stale entry costs one rebuild from the cache.
const genSlots = 1 << 15

// generations counts the writes to the accounts and cardholders of each
// slot.
type generations [genSlots]atomic.Uint64

func genSlot(cacheKey uint64) uint32 { return uint32(cacheKey % genSlots) }

// fresh reports whether neither the account nor the cardholder of e was
// written since e was made.
func (e *cardEntry) fresh(g *generations) bool {
	if g[e.accountSlot].Load() != e.accountGen {
		return false
	}
	return e.holder == nil || g[e.holderSlot].Load() == e.holderGen
}

func (e *cardEntry) resolved() Resolved {
	return Resolved{Card: &e.card, Account: e.account, Cardholder: e.holder}
}

// entryOverhead is what an entry weighs in the cache beyond its card.
const entryOverhead = 48

// cost is what the entry weighs in the cache's budget: its card, and the
// account and cardholder it keeps alive (counted in full: the cache may
// hold them under their own keys too, or share them with other cards, but
// an entry can be the only thing that keeps them).
func (e *cardEntry) cost() int64 {
	n := cardCost(&e.card) + entryOverhead
	if e.account != nil {
		n += accountCost(e.account)
	}
	if e.holder != nil {
		n += holderCost(e.holder)
	}
	return n
}

// Resolve returns the card with token t, with its account and cardholder.
// ErrNotFound when no card has this token; another error when the store
// failed to read the card (Resolved is empty) or its account or cardholder
// (Resolved holds what was read). On a cache hit it does not allocate.
func (s *Store) Resolve(t *Token) (Resolved, error) {
	k := t.cacheKey()
	if v, ok := s.cache.Get(k); ok {
		if e, ok := v.(*cardEntry); ok && e.card.Token == *t && e.fresh(&s.gens) {
			s.hits.add(k)
			return e.resolved(), nil
		}
	}
	return s.resolveSlow(t, k)
}

// resolveSlow makes the entry of card t and puts it in the cache: from the
// cached entry when only its account or cardholder changed, else from
// Pebble. It holds the card's stripe lock, as the card's writes do, so an
// entry made from an old card cannot land after the write that replaced
// it. The read counts as one miss when it read Pebble for any of the three
// records, else as one hit.
func (s *Store) resolveSlow(t *Token, k uint64) (Resolved, error) {
	mu := &s.cardFill[k%stripes]
	mu.Lock()
	defer mu.Unlock()
	var c *Card
	if v, ok := s.cache.Get(k); ok {
		if e, ok := v.(*cardEntry); ok && e.card.Token == *t {
			if e.fresh(&s.gens) {
				s.hits.add(k)
				return e.resolved(), nil // made while this read waited for the stripe
			}
			// The card is current: its writes replace the entry under
			// this lock.
			c = &e.card
		}
	}
	stored := c == nil
	if stored {
		var err error
		if c, err = get(s, cardKey(t), s.decodeCard); err != nil {
			s.misses.add(k)
			return Resolved{}, err
		}
	}
	e, r, refsStored, err := s.newCardEntry(c, nil)
	s.count(k, stored || refsStored)
	if e != nil {
		s.fillMiss(k, e, e.cost())
	}
	return r, err
}

// newCardEntry makes the entry of card c, reading its account and
// cardholder from what a load wrote (loaded, when not nil) or through the
// cache (stored says whether either was read from Pebble). The generations are read before the records, so a write that
// lands in between leaves the entry stale rather than wrong. It returns no
// entry, only what it read, when a reference is missing or failed to read:
// such a card is not cached.
func (s *Store) newCardEntry(c *Card, loaded *loadedRefs) (e *cardEntry, r Resolved, stored bool, err error) {
	e = &cardEntry{card: *c}
	e.accountSlot = genSlot(s.accountCacheKey(c.Account))
	e.accountGen = s.gens[e.accountSlot].Load()
	if c.Cardholder != "" {
		e.holderSlot = genSlot(s.holderCacheKey(c.Cardholder))
		e.holderGen = s.gens[e.holderSlot].Load()
	}
	r = Resolved{Card: &e.card}
	complete := true
	a, aStored, err := loaded.account(s, c.Account)
	stored = aStored
	switch {
	case err == nil:
		r.Account, e.account = a, a
	case errors.Is(err, ErrNotFound):
		complete = false
	default:
		return nil, r, stored, err
	}
	if c.Cardholder != "" {
		h, hStored, err := loaded.cardholder(s, c.Cardholder)
		stored = stored || hStored
		switch {
		case err == nil:
			r.Cardholder, e.holder = h, h
		case errors.Is(err, ErrNotFound):
			complete = false
		default:
			return nil, r, stored, err
		}
	}
	if !complete {
		return nil, r, stored, nil
	}
	return e, r, stored, nil
}

// account returns account id as the load wrote it, or else through the
// store's cache.
func (l *loadedRefs) account(s *Store, id string) (*Account, bool, error) {
	if l != nil {
		if a := l.accounts[s.accountCacheKey(id)]; a != nil && a.ID == id {
			return a, false, nil
		}
	}
	return s.account(id)
}

// cardholder returns cardholder id as the load wrote it, or else through
// the store's cache.
func (l *loadedRefs) cardholder(s *Store, id string) (*Cardholder, bool, error) {
	if l != nil {
		if h := l.holders[s.holderCacheKey(id)]; h != nil && h.ID == id {
			return h, false, nil
		}
	}
	return s.cardholder(id)
}
