package refdata

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// Mode says what a write expects to find.
type Mode uint8

const (
	Upsert  Mode = iota // create or replace (portfolio loads)
	Create              // fail with ErrExists when the id is taken
	Replace             // fail with ErrNotFound when the id is unknown
)

// writer stages writes and applies them as one Pebble batch, remembering
// which cache entries to drop once it is committed. Writers hold
// Store.writeMu.
//
// Staged writes are sorted by key before they go into the batch: Pebble's
// memtable inserts them in batch order, and an insert next to the
// previous one is several times cheaper than one at a random place (a
// bulk load's card keys are random tokens).
type writer struct {
	s      *Store
	ops    []stagedOp
	arena  []byte      // the staged keys and values
	stale  []staleKey  // cache keys whose records the batch changes
	keys   []*KeyEntry // card keys to publish after the commit
	bulk   *bulkState  // nil for a single write
	key    []byte      // scratch for keys and values
	value  []byte
	sorted []stagedOp
	// unsynced: a batch was committed without a sync; the next synced
	// commit must sync even when it has nothing of its own.
	unsynced bool
}

// stagedOp is a set (or a delete) of arena[key:value] → arena[value:end].
type stagedOp struct {
	key, value, end uint32
	del             bool
}

func (s *Store) newWriter() *writer { return &writer{s: s} }

// staged is the number of writes waiting for the commit.
func (w *writer) staged() int { return len(w.ops) }

// commit applies the staged writes as one batch, then puts them in the
// cache in place of the stale entries and publishes changed keys, so the
// next read sees the new records (and finds them cached).
func (w *writer) commit(opts *pebble.WriteOptions) error {
	refresh := cacheRefresh{stale: w.stale}
	if w.bulk != nil {
		refresh.warm, refresh.loaded = &w.bulk.warm, w.bulk.loaded
	}
	switch {
	case len(w.ops) > 0:
		w.sorted = append(w.sorted[:0], w.ops...)
		slices.SortStableFunc(w.sorted, func(a, b stagedOp) int {
			return bytes.Compare(w.arena[a.key:a.value], w.arena[b.key:b.value])
		})
		b := w.s.db.NewBatchWithSize(len(w.arena) + 16*len(w.ops))
		for _, op := range w.sorted {
			var err error
			if op.del {
				err = b.Delete(w.arena[op.key:op.value], nil)
			} else {
				err = b.Set(w.arena[op.key:op.value], w.arena[op.value:op.end], nil)
			}
			if err != nil {
				b.Close()
				return fmt.Errorf("refdata: write: %w", err)
			}
		}
		err := b.Commit(opts)
		b.Close()
		if err != nil {
			return fmt.Errorf("refdata: write: %w", err)
		}
		w.unsynced = !opts.Sync
		refresh.sorted, refresh.arena = w.sorted, w.arena
	case opts.Sync && w.unsynced:
		if err := w.s.db.LogData(nil, pebble.Sync); err != nil {
			return fmt.Errorf("refdata: sync: %w", err)
		}
		w.unsynced = false
	}
	w.s.refreshCache(refresh)
	w.ops, w.arena, w.stale = w.ops[:0], w.arena[:0], w.stale[:0]
	for _, e := range w.keys {
		w.s.publishKeys(e)
	}
	w.keys = w.keys[:0]
	return nil
}

func (w *writer) abort() {
	w.ops, w.arena, w.stale, w.keys = w.ops[:0], w.arena[:0], w.stale[:0], w.keys[:0]
}

// keyOf builds a key in the writer's scratch space.
func (w *writer) keyOf(kind byte, id string) []byte {
	w.key = append(append(w.key[:0], kind), id...)
	return w.key
}

func (w *writer) cardKeyOf(t *Token) []byte {
	w.key = append(append(w.key[:0], prefixCard), t[:]...)
	return w.key
}

func (w *writer) set(key, value []byte) error {
	w.stage(key, value, false)
	return nil
}

// stagedValue finds the latest staged write of key: its value, or that it
// was deleted. A bulk load confirms its Bloom filters' suspicions here
// before Pebble; a scan of one batch costs less than keeping it indexed.
func (w *writer) stagedValue(key []byte) (value []byte, found, deleted bool) {
	for i := len(w.ops) - 1; i >= 0; i-- {
		op := w.ops[i]
		if bytes.Equal(w.arena[op.key:op.value], key) {
			if op.del {
				return nil, false, true
			}
			return w.arena[op.value:op.end], true, false
		}
	}
	return nil, false, false
}

func (w *writer) stage(key, value []byte, del bool) {
	op := stagedOp{key: uint32(len(w.arena)), del: del}
	w.arena = append(w.arena, key...)
	op.value = uint32(len(w.arena))
	w.arena = append(w.arena, value...)
	op.end = uint32(len(w.arena))
	w.ops = append(w.ops, op)
}

// bulkState lets a portfolio load check existence and references without
// reading Pebble for objects of the same load: it remembers the 64-bit
// cache keys of what it wrote. A 64-bit match is only a suspicion where a
// false one could do harm; those are confirmed by committing and reading.
type bulkState struct {
	emptyAtStart bool // the store had no records: nothing outside this load exists
	accounts     map[uint64]struct{}
	holders      map[uint64]uint64 // cardholder → its account's cache key
	cardIDs      seenSet
	tokens       seenSet
	// The account and cardholder written last: cards mostly follow theirs.
	lastAccount, lastHolder, lastHolderAccount string
	warm                                       warmBudget  // what the load put in the cache
	loaded                                     *loadedRefs // the load's accounts and cardholders, for its cards' entries
}

// accountExists reports whether account id exists (in Pebble or staged).
func (w *writer) accountExists(id string) (bool, error) {
	if w.bulk != nil && id == w.bulk.lastAccount {
		return true, nil
	}
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
	if w.bulk != nil && id == w.bulk.lastHolder {
		return true, account == w.bulk.lastHolderAccount, nil
	}
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
		if !w.bulk.tokens.mayContain(t.cacheKey()) {
			if w.bulk.emptyAtStart {
				return "", false, nil
			}
		} else if v, ok, del := w.stagedValue(w.cardKeyOf(t)); ok || del {
			if del {
				return "", false, nil
			}
			c, err := decodeCard(v)
			if err != nil {
				return "", false, err
			}
			return c.ID, true, nil
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

// cardByID returns the card id, if any (its stored or staged record).
func (w *writer) cardByID(id string) (*Card, bool, error) {
	if w.bulk != nil {
		if !w.bulk.cardIDs.mayContain(w.s.holderCacheKey(id) ^ cardIDSalt) {
			if w.bulk.emptyAtStart {
				return nil, false, nil
			}
		} else if tok, ok, _ := w.stagedValue(w.keyOf(prefixCardID, id)); ok {
			var t Token
			copy(t[:], tok)
			v, _, _ := w.stagedValue(w.cardKeyOf(&t))
			c, err := decodeCard(v)
			return c, err == nil, err
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
	w.value = appendAccount(w.value[:0], a)
	if err := w.set(w.keyOf(prefixAccount, a.ID), w.value); err != nil {
		return err
	}
	if existed {
		w.stale = append(w.stale, staleKey{key: k})
	}
	if w.bulk != nil {
		w.bulk.accounts[k] = struct{}{}
		w.bulk.lastAccount = a.ID
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
	w.value = appendCardholder(w.value[:0], h)
	if err := w.set(w.keyOf(prefixCardholder, h.ID), w.value); err != nil {
		return err
	}
	k := w.s.holderCacheKey(h.ID)
	if existed {
		w.stale = append(w.stale, staleKey{key: k})
	}
	if w.bulk != nil {
		w.bulk.holders[k] = w.s.accountCacheKey(h.Account)
		w.bulk.lastHolder, w.bulk.lastHolderAccount = h.ID, h.Account
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
		w.stage(w.cardKeyOf(&old.Token), nil, true)
		w.stale = append(w.stale, staleKey{key: old.Token.cacheKey(), card: true})
	}
	w.value = appendCard(w.value[:0], c)
	if err := w.set(w.cardKeyOf(&c.Token), w.value); err != nil {
		return err
	}
	if err := w.set(w.keyOf(prefixCardID, c.ID), c.Token[:]); err != nil {
		return err
	}
	if existed {
		w.stale = append(w.stale, staleKey{key: c.Token.cacheKey(), card: true})
	}
	if w.bulk != nil {
		w.bulk.cardIDs.add(w.s.holderCacheKey(c.ID) ^ cardIDSalt)
		w.bulk.tokens.add(c.Token.cacheKey())
	}
	return nil
}

func (w *writer) cardReferences(c *Card) error {
	if c.Cardholder != "" {
		// A cardholder's account was checked when it was written: a
		// cardholder on the card's account means the account exists.
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
	ok, err := w.accountExists(c.Account)
	if err != nil {
		return err
	}
	if !ok {
		return invalid("card %s: account %s does not exist", c.ID, c.Account)
	}
	return nil
}

func (w *writer) putCardKeys(k *CardKeys) error {
	e, err := w.s.validKeys(k)
	if err != nil {
		return err
	}
	w.value = appendCardKeys(w.value[:0], k)
	if err := w.set(w.keyOf(prefixKeys, k.Prefix), w.value); err != nil {
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
