package refdata

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/dgraph-io/ristretto/v2"

	"github.com/authswitch/authswitch/spec/cvv"
)

// Options configure a Store.
type Options struct {
	// Dir is the Pebble directory. Empty keeps the store in memory (tests,
	// demos): nothing survives Close.
	Dir string
	// PANKey keys the HMAC that turns PANs into Tokens (at least 32 bytes).
	// Changing it orphans every stored card.
	PANKey []byte
	// CacheBytes bounds the cache of accounts, cardholders and cards
	// (approximate bytes of the cached records). Default 256 MiB.
	CacheBytes int64
	// Logger receives Pebble's messages; default slog.Default().
	Logger *slog.Logger
}

// DefaultCacheBytes is the cache budget when Options.CacheBytes is 0.
const DefaultCacheBytes = 256 << 20

// maxCounters bounds the cache policy's frequency sketch.
const maxCounters = 8 << 20

// stripes is the number of locks ordering cache fills against
// invalidations (a power of two).
const stripes = 1024

// Store is the durable reference store with its cache. Reads are safe for
// concurrent use and, on a cache hit, do not allocate. Writes are
// serialized.
type Store struct {
	db    *pebble.DB
	tok   *Tokenizer
	cache *ristretto.Cache[uint64, any]
	log   *slog.Logger

	// Seeds of the 64-bit cache keys of accounts and cardholders; cards use
	// their token. Entries carry their identity, so a collision is a miss.
	accountSeed, holderSeed maphash.Seed

	// Held by a cache fill, and by the write of the same key: cards'
	// entries, and accounts' and cardholders' records (a card's fill reads
	// its account and cardholder: card stripe first).
	cardFill, refFill [stripes]sync.Mutex
	gens              generations // of accounts and cardholders, see cardEntry

	keys atomic.Pointer[keyTable]

	shared *controlsIntern // controls shared by cached records

	writeMu sync.Mutex   // serializes writers, so read-modify-write is consistent
	dbMu    sync.RWMutex // read-held around Pebble reads, so Close never pulls the store from under one

	hits, misses stripedCounter
	closed       atomic.Bool
}

// Open opens (or creates) the store.
func Open(opts Options) (*Store, error) {
	tok, err := NewTokenizer(opts.PANKey)
	if err != nil {
		return nil, err
	}
	if opts.CacheBytes <= 0 {
		opts.CacheBytes = DefaultCacheBytes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	po := &pebble.Options{
		Logger:       pebbleLogger{opts.Logger.With("component", "refdata.pebble")},
		MemTableSize: 16 << 20, // a skiplist that stays in cache: bulk loads insert random tokens
		// A bulk load's keys are random tokens: every flushed table
		// overlaps every other. Compacting them sixteen at a time into a
		// large base level rewrites each record far fewer times (about a
		// quarter less CPU for a million-card load); reads pay nothing
		// for it, the Bloom filters answer for the tables without the key.
		L0CompactionThreshold: 16,
		L0StopWritesThreshold: 64,
		LBaseMaxBytes:         512 << 20,
	}
	for i := range po.Levels {
		// Bloom filters: a PAN nobody issued (most of a card-testing
		// attack) is a cache miss, and the filter answers it without
		// reading data blocks. No compression: tokens do not compress,
		// and the CPU is better spent on loads.
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	}
	pc := pebble.NewCache(64 << 20)
	defer pc.Unref()
	po.Cache = pc
	dir := opts.Dir
	if dir == "" {
		po.FS = vfs.NewMem()
		dir = "refdata"
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("refdata: open store: %w", err)
	}
	cache, err := ristretto.NewCache(&ristretto.Config[uint64, any]{
		// Ten frequency counters per record the budget holds (a record
		// costs some 250–400): the cache's policy touches them on every
		// read, and a larger sketch only adds cache misses. The sketch is
		// allocated up front while the budget is only a bound, so it stops
		// at 8M counters (some 25 MB): a budget of gigabytes costs nothing
		// until records fill it, and the policy only ranks records once
		// the cache is full.
		NumCounters:        min(max(opts.CacheBytes/40, 1024), maxCounters),
		MaxCost:            opts.CacheBytes,
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("refdata: cache: %w", err)
	}
	s := &Store{
		db:          db,
		tok:         tok,
		cache:       cache,
		log:         opts.Logger,
		accountSeed: maphash.MakeSeed(),
		holderSeed:  maphash.MakeSeed(),
		shared:      newControlsIntern(),
	}
	if err := s.loadKeys(); err != nil {
		cache.Close()
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the cache and the store. Reads after Close fail with
// ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	s.cache.Close()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("refdata: close store: %w", err)
	}
	return nil
}

// Tokenizer returns the store's PAN tokenizer.
func (s *Store) Tokenizer() *Tokenizer { return s.tok }

// CacheStats are the cache's counters since Open: reads (Resolve, Card,
// Account, Cardholder) the cache answered, and reads that went to Pebble
// — among them every read of a card nobody issued, which Pebble's Bloom
// filters answer. A Resolve counts once, whatever it read.
type CacheStats struct {
	Hits, Misses uint64
}

// HitRatio is hits / (hits + misses), 0 before any read.
func (c CacheStats) HitRatio() float64 {
	if c.Hits+c.Misses == 0 {
		return 0
	}
	return float64(c.Hits) / float64(c.Hits+c.Misses)
}

// CacheStats returns the cache's hit and miss counts.
func (s *Store) CacheStats() CacheStats {
	return CacheStats{Hits: s.hits.load(), Misses: s.misses.load()}
}

// Keys in Pebble: one byte of kind, then the identity.
const (
	prefixAccount    = 'a'
	prefixCardholder = 'h'
	prefixCard       = 'c' // + token: the card
	prefixCardID     = 'i' // + card id: its token
	prefixKeys       = 'k' // + PAN prefix
)

func dbKey(kind byte, id string) []byte {
	k := make([]byte, 1+len(id))
	k[0] = kind
	copy(k[1:], id)
	return k
}

func cardKey(t *Token) []byte {
	k := make([]byte, 1+len(t))
	k[0] = prefixCard
	copy(k[1:], t[:])
	return k
}

func (s *Store) accountCacheKey(id string) uint64 { return maphash.String(s.accountSeed, id) }
func (s *Store) holderCacheKey(id string) uint64  { return maphash.String(s.holderSeed, id) }

// get reads one value from Pebble into a decoder; ErrNotFound when absent.
func get[T any](s *Store, key []byte, decode func([]byte) (T, error)) (T, error) {
	var zero T
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.closed.Load() {
		return zero, ErrClosed
	}
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return zero, ErrNotFound
	}
	if err != nil {
		return zero, fmt.Errorf("refdata: read: %w", err)
	}
	defer closer.Close()
	return decode(v)
}

// Card returns the card with token t. The record is shared: do not modify
// it. A miss reads Pebble and fills the cache; ErrNotFound when no card has
// this token. The hot path reads the card with its account and cardholder
// at once: Resolve.
func (s *Store) Card(t *Token) (*Card, error) {
	r, err := s.Resolve(t)
	if r.Card != nil {
		return r.Card, nil
	}
	return nil, err
}

// Account returns the account id. The record is shared: do not modify it.
func (s *Store) Account(id string) (*Account, error) {
	a, stored, err := s.account(id)
	s.count(s.accountCacheKey(id), stored)
	return a, err
}

// count counts a read in the cache's statistics: a miss when it read
// Pebble, a hit when the cache answered.
func (s *Store) count(k uint64, stored bool) {
	if stored {
		s.misses.add(k)
	} else {
		s.hits.add(k)
	}
}

// account reads account id through the cache; stored says whether it had
// to read Pebble.
func (s *Store) account(id string) (a *Account, stored bool, err error) {
	k := s.accountCacheKey(id)
	if a, ok := s.cachedAccount(k, id); ok {
		return a, false, nil
	}
	mu := &s.refFill[k%stripes]
	mu.Lock()
	defer mu.Unlock()
	if a, ok := s.cachedAccount(k, id); ok {
		return a, false, nil // filled while this read waited for the stripe
	}
	a, err = get(s, dbKey(prefixAccount, id), s.decodeAccount)
	if err != nil {
		return nil, true, err
	}
	s.fillMiss(k, a, accountCost(a))
	return a, true, nil
}

func (s *Store) cachedAccount(k uint64, id string) (*Account, bool) {
	if v, ok := s.cache.Get(k); ok {
		if a, ok := v.(*Account); ok && a.ID == id {
			return a, true
		}
	}
	return nil, false
}

// Cardholder returns the cardholder id. The record is shared: do not
// modify it.
func (s *Store) Cardholder(id string) (*Cardholder, error) {
	h, stored, err := s.cardholder(id)
	s.count(s.holderCacheKey(id), stored)
	return h, err
}

// cardholder reads cardholder id through the cache; stored says whether
// it had to read Pebble.
func (s *Store) cardholder(id string) (h *Cardholder, stored bool, err error) {
	k := s.holderCacheKey(id)
	if h, ok := s.cachedHolder(k, id); ok {
		return h, false, nil
	}
	mu := &s.refFill[k%stripes]
	mu.Lock()
	defer mu.Unlock()
	if h, ok := s.cachedHolder(k, id); ok {
		return h, false, nil
	}
	h, err = get(s, dbKey(prefixCardholder, id), s.decodeCardholder)
	if err != nil {
		return nil, true, err
	}
	s.fillMiss(k, h, holderCost(h))
	return h, true, nil
}

func (s *Store) cachedHolder(k uint64, id string) (*Cardholder, bool) {
	if v, ok := s.cache.Get(k); ok {
		if h, ok := v.(*Cardholder); ok && h.ID == id {
			return h, true
		}
	}
	return nil, false
}

// WaitCompactions waits until the store has been without flushes and
// compactions for half a second, or ctx ends: after a large portfolio
// load, so that serving does not share the machine with the load's
// compactions (they can take minutes for millions of cards). It polls
// every 100 ms.
func (s *Store) WaitCompactions(ctx context.Context) error {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	var lastCompactions, lastFlushes int64 = -1, -1
	quiet := 0
	for {
		s.dbMu.RLock()
		if s.closed.Load() {
			s.dbMu.RUnlock()
			return ErrClosed
		}
		m := s.db.Metrics()
		s.dbMu.RUnlock()
		if m.Compact.NumInProgress == 0 && m.Flush.NumInProgress == 0 && m.Compact.Count == lastCompactions && m.Flush.Count == lastFlushes {
			if quiet++; quiet >= 5 {
				return nil
			}
		} else {
			quiet = 0
		}
		lastCompactions, lastFlushes = m.Compact.Count, m.Flush.Count
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// SettleCache waits until the cache has applied everything queued so far:
// for tests.
func (s *Store) SettleCache() { s.cache.Wait() }

// Decoders of the records the cache keeps, sharing controls.
func (s *Store) decodeCard(b []byte) (*Card, error) { return decodeCardShared(b, s.shared) }
func (s *Store) decodeAccount(b []byte) (*Account, error) {
	return decodeAccountShared(b, s.shared)
}
func (s *Store) decodeCardholder(b []byte) (*Cardholder, error) {
	return decodeCardholderShared(b, s.shared)
}

// Approximate memory of cached records, for the cache's budget.
const recordOverhead = 160 // the struct, the cache's entry and its policy's bookkeeping

// controlsCost is what a record's controls weigh in the cache: a share of
// them, for records share their controls (controlsIntern, which holds at
// most 64k sets outside the cache's budget).
func controlsCost(c *Controls) int64 {
	if c == nil {
		return 0
	}
	return 16
}

func cardCost(c *Card) int64 {
	return recordOverhead + 128 + int64(len(c.ID)+len(c.Account)+len(c.Cardholder)) + controlsCost(c.Controls)
}

func accountCost(a *Account) int64 {
	return recordOverhead + 64 + int64(len(a.ID)) + controlsCost(a.Controls)
}

func holderCost(h *Cardholder) int64 {
	return recordOverhead + 48 + int64(len(h.ID)+len(h.Account)) + controlsCost(h.Controls)
}

// stripedCounter is a counter spread over cache lines, so that two cores
// counting hits do not fight over one.
type stripedCounter struct {
	slots [8]struct {
		n atomic.Uint64
		_ [56]byte
	}
}

func (c *stripedCounter) add(k uint64) { c.slots[k>>61].n.Add(1) }

func (c *stripedCounter) load() uint64 {
	var n uint64
	for i := range c.slots {
		n += c.slots[i].n.Load()
	}
	return n
}

// pebbleLogger sends Pebble's messages to slog. Pebble's messages carry
// file names and keys (tokens and ids), never card data.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) { p.l.Debug(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic("refdata: pebble: " + msg)
}

var _ io.Closer = (*Store)(nil)

// KeyEntry is a card key pair ready to verify with.
type KeyEntry struct {
	Prefix string
	Keys   *cvv.Keys
}
