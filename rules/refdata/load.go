package refdata

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Loader writes many records at once (a portfolio load): in batches, with
// existence and reference checks served from what it wrote itself rather
// than Pebble, and one durable sync at the end. It holds the store's write
// lock until Close, so single writes wait for the load. What it writes
// goes into the cache as well, up to the cache's budget (a warning says
// when the portfolio does not fit), so that serving starts warm.
//
// A card must come after its account and cardholder, a cardholder after
// its account (as in the portfolio format). Records are normalized in
// place (controls sorted; a card's token and last four set from its PAN).
type Loader struct {
	w      writer
	closed bool
}

// loadBatch is the number of records staged before a batch is committed.
const loadBatch = 4096

// NewLoader starts a bulk load. Close it, whatever happens.
func (s *Store) NewLoader() (*Loader, error) {
	s.writeMu.Lock()
	if s.closed.Load() {
		s.writeMu.Unlock()
		return nil, ErrClosed
	}
	empty, err := s.empty()
	if err != nil {
		s.writeMu.Unlock()
		return nil, err
	}
	return &Loader{w: writer{
		s: s,
		bulk: &bulkState{
			emptyAtStart: empty,
			accounts:     make(map[uint64]struct{}),
			holders:      make(map[uint64]uint64),
			warm:         warmBudget{max: s.cache.MaxCost()},
			loaded:       newLoadedRefs(),
		},
	}}, nil
}

// empty reports whether the store holds no account, cardholder or card.
func (s *Store) empty() (bool, error) {
	for _, p := range []byte{prefixAccount, prefixCardholder, prefixCard} {
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{p}, UpperBound: []byte{p + 1}})
		if err != nil {
			return false, fmt.Errorf("refdata: read: %w", err)
		}
		any := it.First()
		if err := it.Close(); err != nil {
			return false, fmt.Errorf("refdata: read: %w", err)
		}
		if any {
			return false, nil
		}
	}
	return true, nil
}

func (l *Loader) put(fn func() error) error {
	if l.closed {
		return ErrClosed
	}
	if err := fn(); err != nil {
		return err
	}
	if l.w.staged() >= loadBatch {
		return l.w.commit(pebble.NoSync)
	}
	return nil
}

// PutAccount creates or replaces an account.
func (l *Loader) PutAccount(a *Account) error {
	return l.put(func() error { return l.w.putAccount(a, Upsert) })
}

// PutCardholder creates or replaces a cardholder.
func (l *Loader) PutCardholder(h *Cardholder) error {
	return l.put(func() error { return l.w.putCardholder(h, Upsert) })
}

// PutCard creates or replaces a card from its PAN.
func (l *Loader) PutCard(c *Card, pan string) error {
	return l.put(func() error { return l.w.putCard(c, pan, Upsert) })
}

// PutCardKeys creates or replaces a key pair.
func (l *Loader) PutCardKeys(k *CardKeys) error {
	return l.put(func() error { return l.w.putCardKeys(k) })
}

// Close commits what is staged, syncs, and releases the write lock. After
// an error from a Put, Close still commits what was accepted before it.
func (l *Loader) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	defer l.w.s.writeMu.Unlock()
	err := l.w.commit(pebble.Sync)
	l.w.s.logWarm(&l.w.bulk.warm)
	l.w.bulk.loaded = nil // what the cache needs of it, the cards' entries keep
	return err
}
