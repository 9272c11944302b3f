package ledger

import (
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// registry maps account ids to accounts. Every request looks its account
// up here and accounts are only ever added, so lookups take no lock: an
// open-addressing table of (hash, account) slots, read with atomic loads.
// Writers (account creation, restore) hold mu; the table grows by building
// a new one and publishing it, and is never changed after it is replaced.
// A lookup reads one slot (a cache line holds four) and, on a hash match,
// the account itself, which the request needs next anyway.
//
// Accounts are also numbered in the order they were added (account.idx):
// structures that must not hold pointers — the hold directory and the
// expiry queues, millions of entries the garbage collector would otherwise
// scan — name an account by its number, and byIndex finds it, also
// without a lock.
type registry struct {
	seed   maphash.Seed
	mu     sync.Mutex // account creation and restore; first in the lock order
	table  atomic.Pointer[registryTable]
	n      int // accounts, under mu
	chunks [maxAccountChunks]atomic.Pointer[accountChunk]
}

// accountChunk holds accounts by number; written once per entry, under mu.
type accountChunk [accountChunkSize]*account

const (
	accountChunkSize = 1 << 12
	maxAccountChunks = 1 << 16
	maxAccounts      = accountChunkSize * maxAccountChunks
)

// errTooManyAccounts is returned when the registry is full.
var errTooManyAccounts = errors.New("ledger: too many accounts")

type registryTable struct {
	slots []registrySlot // a power of two, at most three quarters full
	mask  uint64
}

// registrySlot is written account first, then hash (never 0): a reader
// that sees the hash sees the account.
type registrySlot struct {
	hash atomic.Uint64
	acct atomic.Pointer[account]
}

const minRegistrySlots = 64

func (r *registry) init() {
	r.seed = maphash.MakeSeed()
	r.table.Store(newRegistryTable(minRegistrySlots))
}

func newRegistryTable(slots int) *registryTable {
	return &registryTable{slots: make([]registrySlot, slots), mask: uint64(slots - 1)}
}

func (r *registry) hash(id string) uint64 { return maphash.String(r.seed, id) | 1 }

// get returns the account id, or nil.
func (r *registry) get(id string) *account {
	h := r.hash(id)
	t := r.table.Load()
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		switch sh := s.hash.Load(); {
		case sh == 0:
			return nil
		case sh == h:
			if a := s.acct.Load(); a.key.is(id, a.id) {
				return a
			}
		}
	}
}

// addLocked adds a new account (its id must not be there) and numbers it;
// the caller holds mu.
func (r *registry) addLocked(a *account) error {
	if r.n >= maxAccounts {
		return errTooManyAccounts
	}
	a.idx = uint32(r.n)
	c := r.chunks[a.idx/accountChunkSize].Load()
	if c == nil {
		c = new(accountChunk)
		r.chunks[a.idx/accountChunkSize].Store(c)
	}
	c[a.idx%accountChunkSize] = a
	t := r.table.Load()
	if uint64(r.n+1)*4 > (t.mask+1)*3 {
		bigger := newRegistryTable(2 * len(t.slots))
		for i := range t.slots {
			if h := t.slots[i].hash.Load(); h != 0 {
				bigger.place(h, t.slots[i].acct.Load())
			}
		}
		r.table.Store(bigger)
		t = bigger
	}
	t.place(r.hash(a.id), a)
	r.n++
	return nil
}

// byIndex returns the account numbered i. Callers have i from a structure
// written after the account was added, so the account is there.
func (r *registry) byIndex(i uint32) *account {
	return r.chunks[i/accountChunkSize].Load()[i%accountChunkSize]
}

func (t *registryTable) place(h uint64, a *account) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		if t.slots[i].hash.Load() == 0 {
			t.slots[i].acct.Store(a)
			t.slots[i].hash.Store(h)
			return
		}
	}
}

func (r *registry) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// all returns every account, in the order they were added.
func (r *registry) all() []*account {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*account, 0, r.n)
	for i := 0; i < r.n; i++ {
		out = append(out, r.byIndex(uint32(i)))
	}
	return out
}
