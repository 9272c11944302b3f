package ledger

import "sync"

// holdDirectory finds an open hold by its id: its account and its slot in
// the account's holds. One table for the whole ledger, so that a hold id
// alone (an operator's capture or release, clearing) names its account,
// and no account carries a map of its own.
//
// It is sharded by id; each shard is an open-addressing table with linear
// probing, kept at most half full, with backward-shift deletion (no
// tombstones, so probes stay short however many holds come and go). Ids
// are handed out in sequence and holds mostly close in the order they
// opened, so an id's home slot is the id itself (within its shard): new
// holds fill slots one after another, in memory already in cache, rather
// than one cold line each; the slots a long-lived hold keeps only lengthen
// the probes that meet it. A shard's lock is taken under the
// account's lock, after it in the lock order, and never with another.
type holdDirectory struct {
	shards [holdShards]holdShard
}

const (
	holdShards   = 64
	minHoldSlots = 16
)

type holdShard struct {
	mu    sync.Mutex
	slots []holdRef // len a power of two; id 0 marks an empty slot
	n     int
	_     [24]byte
}

// holdRef is one open hold in the directory: no pointer, so that the
// garbage collector does not scan the directory.
type holdRef struct {
	id   uint64
	acct uint32 // registry.byIndex
	slot int32
}

func (d *holdDirectory) shard(id uint64) *holdShard { return &d.shards[id%holdShards] }

// home is where id's probe starts (to be masked).
func (s *holdShard) home(id uint64) uint64 { return id / holdShards }

// put records that hold id is in slot of a; id must not be there.
func (d *holdDirectory) put(id uint64, acct uint32, slot int32) {
	s := d.shard(id)
	s.mu.Lock()
	if (s.n+1)*2 > len(s.slots) {
		s.grow()
	}
	s.place(holdRef{id, acct, slot})
	s.n++
	s.mu.Unlock()
}

func (s *holdShard) place(r holdRef) {
	mask := uint64(len(s.slots) - 1)
	for i := s.home(r.id) & mask; ; i = (i + 1) & mask {
		if s.slots[i].id == 0 {
			s.slots[i] = r
			return
		}
	}
}

func (s *holdShard) grow() {
	size := max(2*len(s.slots), minHoldSlots)
	old := s.slots
	s.slots = make([]holdRef, size)
	for _, r := range old {
		if r.id != 0 {
			s.place(r)
		}
	}
}

// find returns the account number and slot of hold id; slot −1 when it is
// not open.
func (d *holdDirectory) find(id uint64) (uint32, int32) {
	if id == 0 {
		return 0, -1
	}
	s := d.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return 0, -1
	}
	mask := uint64(len(s.slots) - 1)
	for i := s.home(id) & mask; ; i = (i + 1) & mask {
		switch s.slots[i].id {
		case id:
			return s.slots[i].acct, s.slots[i].slot
		case 0:
			return 0, -1
		}
	}
}

// remove forgets hold id, shifting back the entries that probed past it so
// that every entry stays reachable from its home without tombstones.
func (d *holdDirectory) remove(id uint64) {
	s := d.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return
	}
	mask := uint64(len(s.slots) - 1)
	i := s.home(id) & mask
	for s.slots[i].id != id {
		if s.slots[i].id == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; s.slots[j].id != 0; j = (j + 1) & mask {
		// The entry at j may move to the hole at i when its home is not
		// in the cyclic range (i, j].
		if h := s.home(s.slots[j].id) & mask; (j-h)&mask >= (j-i)&mask {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = holdRef{}
	s.n--
}

// count is the number of open holds (tests and stats).
func (d *holdDirectory) count() int {
	n := 0
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		n += s.n
		s.mu.Unlock()
	}
	return n
}
