package refdata

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Mode says what a write expects to find.
type Mode uint8

const (
	Upsert  Mode = iota // create or replace (portfolio loads)
	Create              // fail with ErrExists when the id is taken
	Replace             // fail with ErrNotFound when the id is unknown
)

// writer applies writes to one Pebble batch and remembers which cache
// entries to drop once it is committed. Writers hold Store.writeMu.
type writer struct {
	s      *Store
	b      *pebble.Batch
	stale  []uint64    // cache keys whose records the batch changes
	keys   []*KeyEntry // card keys to publish after the commit
	bulk   *bulkState  // nil for a single write
	staged int         // records in the batch
	// unsynced: a batch was committed without a sync; the next synced
	// commit must sync even when it has nothing of its own.
	unsynced bool
}

func (s *Store) newWriter() *writer {
	return &writer{s: s, b: s.db.NewBatch()}
}

// commit applies the batch, then drops the stale cache entries and
// publishes changed keys, so the next read sees the new records.
func (w *writer) commit(opts *pebble.WriteOptions) error {
	switch {
	case w.staged > 0:
		if err := w.b.Commit(opts); err != nil {
			return fmt.Errorf("refdata: write: %w", err)
		}
		w.unsynced = !opts.Sync
	case opts.Sync && w.unsynced:
		if err := w.s.db.LogData(nil, pebble.Sync); err != nil {
			return fmt.Errorf("refdata: sync: %w", err)
		}
		w.unsynced = false
	}
	if err := w.b.Close(); err != nil {
		return fmt.Errorf("refdata: write: %w", err)
	}
	w.b = w.s.db.NewBatch()
	w.staged = 0
	if len(w.stale) > 0 {
		w.s.invalidate(w.stale...)
		w.stale = w.stale[:0]
	}
	for _, e := range w.keys {
		w.s.publishKeys(e)
	}
	w.keys = w.keys[:0]
	return nil
}

func (w *writer) abort() {
	w.b.Close()
}

func (w *writer) set(key, value []byte) error {
	w.staged++
	if err := w.b.Set(key, value, nil); err != nil {
		return fmt.Errorf("refdata: write: %w", err)
	}
	return nil
}

// bulkState lets a portfolio load check existence and references without
// reading Pebble for objects of the same load: it remembers the 64-bit
// cache keys of what it wrote. A 64-bit match is only a suspicion where a
// false one could do harm; those are confirmed by committing and reading.
type bulkState struct {
	emptyAtStart bool // the store had no records: nothing outside this load exists
	accounts     map[uint64]struct{}
	holders      map[uint64]uint64 // cardholder → its account's cache key
	cardIDs      map[uint64]struct{}
	tokens       map[uint64]struct{}
}

// accountExists reports whether account id exists (in Pebble or staged).
func (w *writer) accountExists(id string) (bool, error) {
	k := w.s.accountCacheKey(id)
	if w.bulk != nil {
		if _, ok := w.bulk.accounts[k]; ok {
			return true, nil
		}
		if w.bulk.emptyAtStart {
			return false, nil
		}
	}
	_, err := get(w.s, dbKey(prefixAccount, id), decodeAccount)
	return found(err)
}

// holderAccount returns whether cardholder id exists and whether its
// account is account.
func (w *writer) holderAccount(id, account string) (exists, same bool, err error) {
	k := w.s.holderCacheKey(id)
	if w.bulk != nil {
		if acct, ok := w.bulk.holders[k]; ok {
			return true, acct == w.s.accountCacheKey(account), nil
		}
		if w.bulk.emptyAtStart {
			return false, false, nil
		}
	}
	h, err := get(w.s, dbKey(prefixCardholder, id), decodeCardholder)
	if errors.Is(err, ErrNotFound) {
		return false, false, nil
	}
	if err != nil {
		return false, false, err
	}
	return true, h.Account == account, nil
}

// cardByToken returns the id of the card with token t, if any.
func (w *writer) cardByToken(t *Token) (string, bool, error) {
	if w.bulk != nil {
		_, suspect := w.bulk.tokens[t.cacheKey()]
		if !suspect && w.bulk.emptyAtStart {
			return "", false, nil
		}
		if suspect {
			// Confirm against Pebble: commit what is staged first.
			if err := w.commit(pebble.NoSync); err != nil {
				return "", false, err
			}
		}
	}
	c, err := get(w.s, cardKey(t), decodeCard)
	if errors.Is(err, ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return c.ID, true, nil
}

// cardByID returns the card id, if any (its stored record).
func (w *writer) cardByID(id string) (*Card, bool, error) {
	if w.bulk != nil {
		_, suspect := w.bulk.cardIDs[w.s.holderCacheKey(id)^cardIDSalt]
		if !suspect && w.bulk.emptyAtStart {
			return nil, false, nil
		}
		if suspect {
			if err := w.commit(pebble.NoSync); err != nil {
				return nil, false, err
			}
		}
	}
	tok, err := get(w.s, dbKey(prefixCardID, id), decodeToken)
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	c, err := get(w.s, cardKey(&tok), decodeCard)
	if errors.Is(err, ErrNotFound) {
		return nil, false, fmt.Errorf("refdata: card %s: index names a missing record: %w", id, ErrCorrupt)
	}
	if err != nil {
		return nil, false, err
	}
	return c, true, nil
}

// cardIDSalt separates card ids from cardholder ids in the bulk sets, which
// reuse the cardholder seed.
const cardIDSalt = 0x9E3779B97F4A7C15

func decodeToken(b []byte) (Token, error) {
	var t Token
	if len(b) != len(t) {
		return t, fmt.Errorf("card index: %w", ErrCorrupt)
	}
	copy(t[:], b)
	return t, nil
}

func found(err error) (bool, error) {
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (w *writer) putAccount(a *Account, mode Mode) error {
	a.Controls.Normalize()
	if err := a.Validate(); err != nil {
		return err
	}
	k := w.s.accountCacheKey(a.ID)
	existed, err := w.accountExists(a.ID)
	if err != nil {
		return err
	}
	switch {
	case mode == Create && existed:
		return fmt.Errorf("account %s: %w", a.ID, ErrExists)
	case mode == Replace && !existed:
		return fmt.Errorf("account %s: %w", a.ID, ErrNotFound)
	}
	if err := w.set(dbKey(prefixAccount, a.ID), appendAccount(nil, a)); err != nil {
		return err
	}
	if existed {
		w.stale = append(w.stale, k)
	}
	if w.bulk != nil {
		w.bulk.accounts[k] = struct{}{}
	}
	return nil
}

func (w *writer) putCardholder(h *Cardholder, mode Mode) error {
	h.Controls.Normalize()
	if err := h.Validate(); err != nil {
		return err
	}
	ok, err := w.accountExists(h.Account)
	if err != nil {
		return err
	}
	if !ok {
		return invalid("cardholder %s: account %s does not exist", h.ID, h.Account)
	}
	existed, same, err := w.holderAccount(h.ID, h.Account)
	if err != nil {
		return err
	}
	switch {
	case mode == Create && existed:
		return fmt.Errorf("cardholder %s: %w", h.ID, ErrExists)
	case mode == Replace && !existed:
		return fmt.Errorf("cardholder %s: %w", h.ID, ErrNotFound)
	case existed && !same:
		// Its cards were checked against its account; moving it would
		// leave them pointing at another account than their cardholder.
		return invalid("cardholder %s: its account cannot change", h.ID)
	}
	if err := w.set(dbKey(prefixCardholder, h.ID), appendCardholder(nil, h)); err != nil {
		return err
	}
	k := w.s.holderCacheKey(h.ID)
	if existed {
		w.stale = append(w.stale, k)
	}
	if w.bulk != nil {
		w.bulk.holders[k] = w.s.accountCacheKey(h.Account)
	}
	return nil
}

// putCard writes a card. With a PAN (create, portfolio) it sets the token
// and last four from it; without, the card must exist and keeps its token.
func (w *writer) putCard(c *Card, pan string, mode Mode) error {
	if err := validID("card", c.ID); err != nil {
		return err
	}
	old, existed, err := w.cardByID(c.ID)
	if err != nil {
		return err
	}
	switch {
	case mode == Create && existed:
		return fmt.Errorf("card %s: %w", c.ID, ErrExists)
	case mode == Replace && !existed:
		return fmt.Errorf("card %s: %w", c.ID, ErrNotFound)
	}
	if pan != "" {
		if err := ValidatePAN(pan, c.Network); err != nil {
			return fmt.Errorf("card %s: %w", c.ID, err)
		}
		c.Token = w.s.tok.Token(pan)
		c.Last4 = pan[len(pan)-4:]
		owner, taken, err := w.cardByToken(&c.Token)
		if err != nil {
			return err
		}
		if taken && owner != c.ID {
			return fmt.Errorf("card %s: pan already belongs to card %s: %w", c.ID, owner, ErrExists)
		}
	} else {
		if !existed {
			return invalid("card %s: pan missing", c.ID)
		}
		c.Token, c.Last4 = old.Token, old.Last4
		if c.Network != old.Network {
			return invalid("card %s: network cannot change without a new pan", c.ID)
		}
	}
	c.Controls.Normalize()
	if err := c.Validate(); err != nil {
		return err
	}
	if err := w.cardReferences(c); err != nil {
		return err
	}
	if existed && old.Token != c.Token {
		// A new PAN for the same card id: the old number stops working.
		if err := w.b.Delete(cardKey(&old.Token), nil); err != nil {
			return fmt.Errorf("refdata: write: %w", err)
		}
		w.stale = append(w.stale, old.Token.cacheKey())
	}
	if err := w.set(cardKey(&c.Token), appendCard(nil, c)); err != nil {
		return err
	}
	if err := w.set(dbKey(prefixCardID, c.ID), c.Token[:]); err != nil {
		return err
	}
	if existed {
		w.stale = append(w.stale, c.Token.cacheKey())
	}
	if w.bulk != nil {
		w.bulk.cardIDs[w.s.holderCacheKey(c.ID)^cardIDSalt] = struct{}{}
		w.bulk.tokens[c.Token.cacheKey()] = struct{}{}
	}
	return nil
}

func (w *writer) cardReferences(c *Card) error {
	ok, err := w.accountExists(c.Account)
	if err != nil {
		return err
	}
	if !ok {
		return invalid("card %s: account %s does not exist", c.ID, c.Account)
	}
	if c.Cardholder == "" {
		return nil
	}
	exists, same, err := w.holderAccount(c.Cardholder, c.Account)
	if err != nil {
		return err
	}
	if !exists {
		return invalid("card %s: cardholder %s does not exist", c.ID, c.Cardholder)
	}
	if !same {
		return invalid("card %s: cardholder %s belongs to another account", c.ID, c.Cardholder)
	}
	return nil
}

func (w *writer) putCardKeys(k *CardKeys) error {
	e, err := w.s.validKeys(k)
	if err != nil {
		return err
	}
	if err := w.set(dbKey(prefixKeys, k.Prefix), appendCardKeys(nil, k)); err != nil {
		return err
	}
	w.keys = append(w.keys, e)
	return nil
}

// single runs one write under the write lock and commits it durably.
func (s *Store) single(fn func(w *writer) error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	if s.closed.Load() {
		return ErrClosed
	}
	w := s.newWriter()
	if err := fn(w); err != nil {
		w.abort()
		return err
	}
	return w.commit(pebble.Sync)
}

// PutAccount writes an account (mode: upsert, create or replace). The
// store normalizes a.Controls in place.
func (s *Store) PutAccount(a *Account, mode Mode) error {
	return s.single(func(w *writer) error { return w.putAccount(a, mode) })
}

// PutCardholder writes a cardholder; its account must exist, and an
// existing cardholder cannot move to another account.
func (s *Store) PutCardholder(h *Cardholder, mode Mode) error {
	return s.single(func(w *writer) error { return w.putCardholder(h, mode) })
}

// PutCard writes a card. pan is required to create one and sets its token
// and last four; a replace without pan keeps them. Its account (and
// cardholder, on the same account) must exist; a PAN belongs to one card.
func (s *Store) PutCard(c *Card, pan string, mode Mode) error {
	return s.single(func(w *writer) error { return w.putCard(c, pan, mode) })
}

// PutCardKeys creates or replaces the key pair of k.Prefix.
func (s *Store) PutCardKeys(k *CardKeys) error {
	return s.single(func(w *writer) error { return w.putCardKeys(k) })
}

// GetAccount returns a copy of the stored account.
func (s *Store) GetAccount(id string) (*Account, error) {
	return get(s, dbKey(prefixAccount, id), decodeAccount)
}

// GetCardholder returns a copy of the stored cardholder.
func (s *Store) GetCardholder(id string) (*Cardholder, error) {
	return get(s, dbKey(prefixCardholder, id), decodeCardholder)
}

// GetCard returns a copy of the stored card (by id; the PAN is not kept,
// Last4 shows it).
func (s *Store) GetCard(id string) (*Card, error) {
	tok, err := get(s, dbKey(prefixCardID, id), decodeToken)
	if err != nil {
		return nil, err
	}
	return get(s, cardKey(&tok), decodeCard)
}

// UpdateAccount applies fn to a copy of the stored account and writes the
// result, atomically with respect to other writes. The id cannot change.
func (s *Store) UpdateAccount(id string, fn func(*Account) error) (*Account, error) {
	var out *Account
	err := s.single(func(w *writer) error {
		a, err := get(s, dbKey(prefixAccount, id), decodeAccount)
		if err != nil {
			return err
		}
		if err := fn(a); err != nil {
			return err
		}
		if a.ID != id {
			return invalid("account %s: id cannot change", id)
		}
		out = a
		return w.putAccount(a, Replace)
	})
	return out, err
}

// UpdateCardholder applies fn to a copy of the stored cardholder and writes
// the result. The id and account cannot change.
func (s *Store) UpdateCardholder(id string, fn func(*Cardholder) error) (*Cardholder, error) {
	var out *Cardholder
	err := s.single(func(w *writer) error {
		h, err := get(s, dbKey(prefixCardholder, id), decodeCardholder)
		if err != nil {
			return err
		}
		if err := fn(h); err != nil {
			return err
		}
		if h.ID != id {
			return invalid("cardholder %s: id cannot change", id)
		}
		out = h
		return w.putCardholder(h, Replace)
	})
	return out, err
}

// UpdateCard applies fn to a copy of the stored card and writes the result.
// The id, token and last four cannot change (a new PAN is a create or a
// portfolio load).
func (s *Store) UpdateCard(id string, fn func(*Card) error) (*Card, error) {
	var out *Card
	err := s.single(func(w *writer) error {
		c, err := s.GetCard(id)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
		if c.ID != id {
			return invalid("card %s: id cannot change", id)
		}
		out = c
		return w.putCard(c, "", Replace)
	})
	return out, err
}
