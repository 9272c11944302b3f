package authindex

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/authswitch/authswitch/ledger"
)

// Sentinel errors.
var (
	// ErrNotFound: no authorization with that id, or no hold or life
	// cycle by that key.
	ErrNotFound = errors.New("authindex: not found")
	// ErrClosed: the index is closed.
	ErrClosed = errors.New("authindex: closed")
)

// MaxLimit is the most records one List call returns.
const MaxLimit = 100

// DefaultRetention is how long the switch keeps authorizations indexed
// unless configured otherwise: past the networks' usual dispute windows
// (120 days and more), short of forever.
const DefaultRetention = 400 * 24 * time.Hour

// Options configure an Index.
type Options struct {
	// Dir is the index's Pebble directory; empty keeps it in memory.
	Dir string
	// FS overrides the file system (vfs.NewMem in tests).
	FS vfs.FS
	// NoSync commits without syncing (benchmarks only: a crash may then
	// lose entries the ledger was already told were shipped).
	NoSync bool
	Logger *slog.Logger
}

// Index is the authorization index. It is safe for concurrent use.
type Index struct {
	db     *pebble.DB
	sync   *pebble.WriteOptions
	log    *slog.Logger
	mu     sync.RWMutex // Close waits for operations in flight
	closed bool
	high   atomic.Uint64 // the highest sequence number indexed
}

// Key layout. Sequence numbers and hold ids are big-endian, so keys sort
// in their order; ids are printable ASCII (the reference store refuses
// anything else), so 0x00 ends them.
const (
	prefixRecord    = 'r' // r seq → record
	prefixCard      = 'c' // c card 0 seq → ∅
	prefixAccount   = 'a' // a account 0 seq → ∅
	prefixHold      = 'h' // h hold seq → account
	prefixLifecycle = 'l' // l lifecycle-key(24) seq → account
)

// Open opens (or creates) the index.
func Open(opts Options) (*Index, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	po := &pebble.Options{Logger: pebbleLogger{opts.Logger.With("component", "authindex.pebble")}, FS: opts.FS,
		MemTableSize: 64 << 20}
	dir := opts.Dir
	if dir == "" {
		dir = "authindex"
		if po.FS == nil {
			po.FS = vfs.NewMem()
		}
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("authindex: open %s: %w", dir, err)
	}
	x := &Index{db: db, sync: pebble.Sync, log: opts.Logger}
	if opts.NoSync {
		x.sync = pebble.NoSync
	}
	if err := x.loadHigh(); err != nil {
		db.Close()
		return nil, err
	}
	return x, nil
}

func (x *Index) loadHigh() error {
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixRecord}, UpperBound: []byte{prefixRecord + 1}})
	if err != nil {
		return fmt.Errorf("authindex: %w", err)
	}
	if it.Last() {
		x.high.Store(binary.BigEndian.Uint64(it.Key()[1:]))
	}
	return it.Close()
}

// Close closes the index; later calls fail with ErrClosed.
func (x *Index) Close() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed {
		return nil
	}
	x.closed = true
	return x.db.Close()
}

// Indexed is the highest journal sequence number indexed: entries up to
// it are searchable (a lag behind the ledger's durable sequence is the
// feed's lag).
func (x *Index) Indexed() uint64 { return x.high.Load() }

// Add indexes the authorizations among entries (other operations are
// skipped) and syncs. It is idempotent by sequence number: adding an
// entry again writes the same keys with the same values.
func (x *Index) Add(entries []ledger.Entry) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return ErrClosed
	}
	kv := kvPool.Get().(*kvBuf)
	defer kvPool.Put(kv)
	kv.reset()
	high := uint64(0)
	for i := range entries {
		e := &entries[i]
		if !indexed(e.Op) || e.Seq == 0 {
			continue
		}
		a := fromEntry(e)
		kv.add(seqKey(kv.scratch(), prefixRecord, nil, a.Seq), func(b []byte) []byte { return appendRecord(b, &a) })
		if a.Card != "" {
			kv.add(seqKey(kv.scratch(), prefixCard, []byte(a.Card), a.Seq), nil)
		}
		if a.Account != "" {
			kv.add(seqKey(kv.scratch(), prefixAccount, []byte(a.Account), a.Seq), nil)
			value := func(b []byte) []byte { return append(b, a.Account...) }
			if a.HoldID != 0 {
				kv.add(holdKey(kv.scratch(), a.HoldID, a.Seq), value)
			}
			if e.Lifecycle != (ledger.LifecycleKey{}) {
				kv.add(lifecycleKey(kv.scratch(), &e.Lifecycle, a.Seq), value)
			}
		}
		high = max(high, a.Seq)
	}
	if len(kv.pairs) == 0 {
		return nil
	}
	// Sorted, the keys go into the memtable each next to the last: its
	// skiplist inserter then finds every place from the one before,
	// several times cheaper than inserting in journal order.
	kv.sort()
	b := x.db.NewBatch()
	defer b.Close()
	for _, p := range kv.pairs {
		if err := b.Set(kv.buf[p.k0:p.k1], kv.buf[p.k1:p.v1], nil); err != nil {
			return fmt.Errorf("authindex: add: %w", err)
		}
	}
	if err := b.Commit(x.sync); err != nil {
		return fmt.Errorf("authindex: add: %w", err)
	}
	for {
		old := x.high.Load()
		if high <= old || x.high.CompareAndSwap(old, high) {
			break
		}
	}
	return nil
}

// kvBuf collects a batch's keys and values in one buffer, to sort them.
type kvBuf struct {
	buf   []byte
	pairs []kvPair
}

type kvPair struct{ k0, k1, v1 int } // key buf[k0:k1], value buf[k1:v1]

var kvPool = sync.Pool{New: func() any { return new(kvBuf) }}

func (kv *kvBuf) reset() { kv.buf, kv.pairs = kv.buf[:0], kv.pairs[:0] }

// scratch is where the next key is appended.
func (kv *kvBuf) scratch() []byte { return kv.buf[len(kv.buf):] }

// add records the key just built at scratch (key aliases kv.buf's spare
// capacity, or a new array when it grew) and appends its value.
func (kv *kvBuf) add(key []byte, value func([]byte) []byte) {
	k0 := len(kv.buf)
	kv.buf = append(kv.buf, key...) // a no-op copy when key is already in place
	k1 := len(kv.buf)
	if value != nil {
		kv.buf = value(kv.buf)
	}
	kv.pairs = append(kv.pairs, kvPair{k0, k1, len(kv.buf)})
}

func (kv *kvBuf) sort() {
	slices.SortFunc(kv.pairs, func(a, b kvPair) int {
		return bytes.Compare(kv.buf[a.k0:a.k1], kv.buf[b.k0:b.k1])
	})
}

// seqKey appends prefix, id, 0 (when id is set) and seq.
func seqKey(dst []byte, prefix byte, id []byte, seq uint64) []byte {
	dst = append(dst, prefix)
	if id != nil {
		dst = append(append(dst, id...), 0)
	}
	return binary.BigEndian.AppendUint64(dst, seq)
}

func holdKey(dst []byte, hold, seq uint64) []byte {
	dst = binary.BigEndian.AppendUint64(append(dst, prefixHold), hold)
	return binary.BigEndian.AppendUint64(dst, seq)
}

func lifecycleKey(dst []byte, k *ledger.LifecycleKey, seq uint64) []byte {
	dst = append(append(dst, prefixLifecycle), k[:]...)
	return binary.BigEndian.AppendUint64(dst, seq)
}

// Get returns the authorization with journal sequence number seq.
func (x *Index) Get(seq uint64) (Authorization, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return Authorization{}, ErrClosed
	}
	v, closer, err := x.db.Get(seqKey(nil, prefixRecord, nil, seq))
	if errors.Is(err, pebble.ErrNotFound) {
		return Authorization{}, ErrNotFound
	}
	if err != nil {
		return Authorization{}, fmt.Errorf("authindex: get: %w", err)
	}
	defer closer.Close()
	a, err := decodeRecord(v)
	if err != nil {
		return Authorization{}, fmt.Errorf("authindex: record %d: %w", seq, err)
	}
	return a, nil
}

// GetID returns the authorization an id (auth_<seq>) names.
func (x *Index) GetID(id string) (Authorization, error) {
	seq, ok := ParseID(id)
	if !ok {
		return Authorization{}, ErrNotFound
	}
	return x.Get(seq)
}

// ListByCard returns up to limit authorizations of a card, newest first,
// older than the one with sequence number before (0: from the newest),
// and whether more follow.
func (x *Index) ListByCard(card string, before uint64, limit int) ([]Authorization, bool, error) {
	if card == "" {
		return nil, false, nil
	}
	return x.list(prefixCard, []byte(card), before, limit)
}

// ListByAccount is ListByCard for an account's authorizations.
func (x *Index) ListByAccount(account string, before uint64, limit int) ([]Authorization, bool, error) {
	if account == "" {
		return nil, false, nil
	}
	return x.list(prefixAccount, []byte(account), before, limit)
}

// List is ListByCard over every authorization.
func (x *Index) List(before uint64, limit int) ([]Authorization, bool, error) {
	return x.list(prefixRecord, nil, before, limit)
}

func (x *Index) list(prefix byte, id []byte, before uint64, limit int) ([]Authorization, bool, error) {
	limit = min(max(limit, 1), MaxLimit)
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return nil, false, ErrClosed
	}
	lower := append([]byte{prefix}, id...)
	if id != nil {
		lower = append(lower, 0)
	}
	upper := append([]byte(nil), lower...)
	if before > 0 {
		upper = binary.BigEndian.AppendUint64(upper, before) // exclusive
	} else {
		upper[len(upper)-1]++
	}
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, false, fmt.Errorf("authindex: list: %w", err)
	}
	seqs := make([]uint64, 0, limit+1)
	for ok := it.Last(); ok && len(seqs) <= limit; ok = it.Prev() {
		k := it.Key()
		if len(k) != len(lower)+8 {
			continue // a longer id that shares this one's start cannot match: ids end in 0
		}
		seqs = append(seqs, binary.BigEndian.Uint64(k[len(lower):]))
	}
	if err := it.Close(); err != nil {
		return nil, false, fmt.Errorf("authindex: list: %w", err)
	}
	more := len(seqs) > limit
	if more {
		seqs = seqs[:limit]
	}
	out := make([]Authorization, 0, len(seqs))
	for _, seq := range seqs {
		v, closer, err := x.db.Get(seqKey(nil, prefixRecord, nil, seq))
		if errors.Is(err, pebble.ErrNotFound) {
			continue // pruned between the two reads
		}
		if err != nil {
			return nil, false, fmt.Errorf("authindex: list: %w", err)
		}
		a, err := decodeRecord(v)
		closer.Close()
		if err != nil {
			return nil, false, fmt.Errorf("authindex: record %d: %w", seq, err)
		}
		out = append(out, a)
	}
	return out, more, nil
}

// HoldAccount returns the account of a hold, from the newest
// authorization that placed, grew or released it.
func (x *Index) HoldAccount(hold uint64) (string, error) {
	lower := binary.BigEndian.AppendUint64([]byte{prefixHold}, hold)
	return x.newestValue(lower)
}

// LifecycleAccount returns the account of a network life cycle, from the
// newest authorization that carried its key.
func (x *Index) LifecycleAccount(k ledger.LifecycleKey) (string, error) {
	if k == (ledger.LifecycleKey{}) {
		return "", ErrNotFound
	}
	return x.newestValue(append([]byte{prefixLifecycle}, k[:]...))
}

func (x *Index) newestValue(lower []byte) (string, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return "", ErrClosed
	}
	upper := binary.BigEndian.AppendUint64(append([]byte(nil), lower...), ^uint64(0))
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return "", fmt.Errorf("authindex: %w", err)
	}
	var account string
	found := false
	for ok := it.Last(); ok; ok = it.Prev() {
		if len(it.Key()) != len(lower)+8 {
			continue
		}
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return "", fmt.Errorf("authindex: %w", err)
		}
		account, found = string(v), true
		break
	}
	if err := it.Close(); err != nil {
		return "", fmt.Errorf("authindex: %w", err)
	}
	if !found {
		return "", ErrNotFound
	}
	return account, nil
}

// Prune deletes up to max of the oldest records whose time is before
// cutoff, with their card, account, hold and life-cycle keys, and returns
// how many it deleted. It stops at the first record not older than
// cutoff: records are in journal order, which is time order. Call it from
// a ticker with a bounded max.
func (x *Index) Prune(cutoff time.Time, max int) (int, error) {
	if max <= 0 {
		return 0, nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.closed {
		return 0, ErrClosed
	}
	it, err := x.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixRecord}, UpperBound: []byte{prefixRecord + 1}})
	if err != nil {
		return 0, fmt.Errorf("authindex: prune: %w", err)
	}
	b := x.db.NewBatch()
	defer b.Close()
	n := 0
	var key []byte
	for ok := it.First(); ok && n < max; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return 0, fmt.Errorf("authindex: prune: %w", err)
		}
		a, err := decodeRecord(v)
		if err != nil {
			it.Close()
			return 0, fmt.Errorf("authindex: prune: %w", err)
		}
		if !a.Time.Before(cutoff) {
			break
		}
		dels := [][]byte{seqKey(key[:0], prefixRecord, nil, a.Seq)}
		if a.Card != "" {
			dels = append(dels, seqKey(nil, prefixCard, []byte(a.Card), a.Seq))
		}
		if a.Account != "" {
			dels = append(dels, seqKey(nil, prefixAccount, []byte(a.Account), a.Seq))
			if a.HoldID != 0 {
				dels = append(dels, holdKey(nil, a.HoldID, a.Seq))
			}
			if a.LifecycleKey != (ledger.LifecycleKey{}) {
				dels = append(dels, lifecycleKey(nil, &a.LifecycleKey, a.Seq))
			}
		}
		for _, k := range dels {
			if err := b.Delete(k, nil); err != nil {
				it.Close()
				return 0, fmt.Errorf("authindex: prune: %w", err)
			}
		}
		n++
	}
	if err := it.Close(); err != nil {
		return 0, fmt.Errorf("authindex: prune: %w", err)
	}
	if n == 0 {
		return 0, nil
	}
	if err := b.Commit(x.sync); err != nil {
		return 0, fmt.Errorf("authindex: prune: %w", err)
	}
	return n, nil
}

type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) { p.l.Debug(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
	panic(fmt.Sprintf(format, args...))
}
