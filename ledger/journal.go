package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// journal assigns every ledger change its sequence number, gathers the
// encoded entries, and has one committer goroutine write everything
// pending as one synced Pebble batch (group commit). Appenders never wait
// for a sync; they wait on the sequence number afterwards (WaitDurable,
// OnDurable), holding no lock.
//
// Sequence numbers are gapless: they are handed out under mu in the order
// the entries go into the pending buffer, and a batch is always a prefix of
// what is pending, so a later entry is never durable before an earlier one.
//
// The pending buffer is built as the Pebble batch itself (pendingBatch):
// the committer hands it to Pebble as it is, with no copy into a batch.
type journal struct {
	mu         sync.Mutex
	space      sync.Cond // signalled when the committer empties pending
	next       uint64    // the next sequence number
	pending    pendingBatch
	spare      pendingBatch
	maxPending int
	closed     bool
	idle       bool // the committer is waiting for a kick

	kick chan struct{} // capacity 1: "there is work"
	stop chan struct{}
	done chan struct{} // closed when the committer has exited

	durable  atomic.Uint64
	batchEnd atomic.Pointer[chan struct{}] // closed after every commit
	err      atomic.Pointer[error]

	waitMu  sync.Mutex
	waiters []durableWaiter

	store *store // nil: volatile, entries are discarded once "committed"
	sync  bool

	afterCommit func(last uint64) // the ledger's hook (checkpoint trigger)
	metrics     *metrics
}

type durableWaiter struct {
	seq uint64
	fn  func()
}

// ErrJournal is wrapped by every failure to make entries durable. After it
// the ledger refuses new work: its memory may hold changes the journal
// does not, so the process must restart and rebuild from the journal.
var ErrJournal = errors.New("ledger: journal failed")

// ErrClosed is returned by waits on a closed ledger.
var ErrClosed = errors.New("ledger: closed")

const (
	entryHeader    = 4
	chunkBytes     = 256 << 10 // a Pebble value holds at most this much of a batch
	defaultPending = 64 << 20
)

// pendingBatch is a Pebble batch representation being built: the 12-byte
// header, then one Set record per journal chunk — key 'j' + the chunk's
// first sequence number, value the chunk's entries, each after its 4-byte
// length. A chunk's value length is written, once the chunk is closed, in
// the four bytes reserved for it (a varint padded to four bytes, which
// Pebble's decoder reads like any other).
type pendingBatch struct {
	repr     []byte
	n        int         // entries
	chunks   []chunkMeta // closed chunks
	open     bool        // a chunk is open
	lenAt    int         // where the open chunk's value length goes
	first    uint64      // the open chunk's first sequence number
	valueLen int
}

const (
	batchHeader    = 12 // Pebble's: sequence number (8), count (4)
	pebbleKindSet  = 1  // Pebble's InternalKeyKindSet
	maxChunkValue  = 1<<28 - 1
	journalKeySize = 9
)

func (p *pendingBatch) reset(buf []byte) {
	*p = pendingBatch{repr: append(buf[:0], make([]byte, batchHeader)...), chunks: p.chunks[:0]}
}

// add appends an encoded entry numbered seq, opening a new chunk when the
// open one is full.
func (p *pendingBatch) add(seq uint64, entry []byte) {
	if p.open && p.valueLen+entryHeader+len(entry) > chunkBytes {
		p.closeChunk(seq - 1)
	}
	if !p.open {
		p.repr = append(p.repr, pebbleKindSet, journalKeySize, 'j')
		p.repr = binary.BigEndian.AppendUint64(p.repr, seq)
		p.lenAt = len(p.repr)
		p.repr = append(p.repr, 0, 0, 0, 0)
		p.open, p.first, p.valueLen = true, seq, 0
	}
	p.repr = binary.LittleEndian.AppendUint32(p.repr, uint32(len(entry)))
	p.repr = append(p.repr, entry...)
	p.valueLen += entryHeader + len(entry)
	p.n++
}

// closeChunk writes the open chunk's value length; last is its last entry.
func (p *pendingBatch) closeChunk(last uint64) {
	if !p.open {
		return
	}
	v := p.valueLen
	if v > maxChunkValue {
		panic(fmt.Sprintf("ledger: journal chunk of %d bytes", v)) // entries are bounded far below this
	}
	b := p.repr[p.lenAt:]
	b[0], b[1], b[2], b[3] = byte(v)|0x80, byte(v>>7)|0x80, byte(v>>14)|0x80, byte(v>>21)
	p.chunks = append(p.chunks, chunkMeta{first: p.first, last: last, bytes: v})
	p.open = false
}

func newJournal(st *store, next uint64, syncWrites bool, maxPending int, m *metrics) *journal {
	j := &journal{
		next: next, store: st, sync: syncWrites, maxPending: maxPending, metrics: m,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		idle: true,
	}
	j.pending.reset(make([]byte, 0, 1<<20))
	j.spare.reset(make([]byte, 0, 1<<20))
	j.space.L = &j.mu
	j.durable.Store(next - 1)
	ch := make(chan struct{})
	j.batchEnd.Store(&ch)
	return j
}

func (j *journal) failure() error {
	if p := j.err.Load(); p != nil {
		return *p
	}
	return nil
}

// append assigns e its sequence number and queues its encoding. It returns
// false when the journal is closed or failed; nothing was queued then.
// It waits (a bounded queue) only when the disk is maxPending behind.
//
// The entry is encoded before the lock, into a buffer on the caller's
// stack, and numbered in place under it: the lock covers only handing out
// the number and copying the bytes. Without a store (Volatile) an entry
// is durable as soon as it is numbered: there is nothing to wait for and
// no committer to wake.
func (j *journal) append(e *Entry) bool {
	var buf [entryBuffer]byte
	b := appendEntry(buf[:0], e)
	j.mu.Lock()
	for len(j.pending.repr) >= j.maxPending && !j.closed && j.failure() == nil {
		j.space.Wait()
	}
	if j.closed || j.failure() != nil {
		j.mu.Unlock()
		return false
	}
	seq := j.next
	j.next++
	e.Seq, e.Result.Seq = seq, seq
	if j.store == nil {
		j.durable.Store(seq)
		j.mu.Unlock()
		return true
	}
	numberEntry(b, seq)
	j.pending.add(seq, b)
	wake := j.idle
	j.idle = false
	j.mu.Unlock()
	if wake {
		// Only an idle committer needs waking: a busy one takes
		// everything pending when its current batch is done.
		j.wake()
	}
	return true
}

// entryBuffer is the stack buffer an entry is encoded into; a larger entry
// (long descriptor strings) spills to the heap.
const entryBuffer = 1024

// lastAssigned is the sequence number of the newest entry.
func (j *journal) lastAssigned() uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.next - 1
}

// wake asks the committer to look for work even if no entry was appended
// (a moved acknowledgement to write).
func (j *journal) wake() {
	select {
	case j.kick <- struct{}{}:
	default:
	}
}

// run is the committer: it takes everything pending and commits it as one
// batch, again and again, until stopped and drained. When it runs out of
// entries it writes the feed's acknowledgement if it moved and no batch
// carried it.
func (j *journal) run() {
	defer close(j.done)
	if j.store == nil {
		<-j.stop // volatile: appends are durable at once
		return
	}
	for {
		select {
		case <-j.kick:
		case <-j.stop:
			for j.commitPending() {
			}
			return
		}
		for j.commitPending() {
		}
		if j.store != nil && j.failure() == nil {
			if err := j.store.writeAck(); err != nil && !errors.Is(err, ErrClosed) {
				// Not fatal: the next batch or checkpoint writes it.
				j.metrics.ackWriteFailures.Add(1)
			}
		}
	}
}

// commitPending commits what is pending; false when there was nothing.
func (j *journal) commitPending() bool {
	j.mu.Lock()
	if j.pending.n == 0 {
		j.idle = true
		j.mu.Unlock()
		return false
	}
	last := j.next - 1
	j.pending.closeChunk(last)
	batch := j.pending
	n := batch.n
	first := last - uint64(n) + 1
	j.pending, j.spare = j.spare, pendingBatch{}
	j.space.Broadcast()
	j.mu.Unlock()

	if j.failure() == nil {
		start := time.Now()
		var err error
		if j.store != nil {
			err = j.store.writeBatch(&batch, j.sync)
		}
		if err != nil {
			err = fmt.Errorf("%w: entries %d–%d: %w", ErrJournal, first, last, err)
			j.err.Store(&err)
			j.mu.Lock()
			j.space.Broadcast()
			j.mu.Unlock()
		} else {
			j.metrics.observeBatch(time.Since(start), n, len(batch.repr))
			j.durable.Store(last)
		}
	}
	// The buffer is the next spare unless Pebble kept it (see writeBatch).
	if batch.repr == nil {
		batch.repr = make([]byte, 0, 1<<20)
	}
	j.mu.Lock()
	j.spare = batch
	j.spare.reset(batch.repr)
	j.mu.Unlock()

	// Wake WaitDurable callers, then run OnDurable callbacks.
	ch := make(chan struct{})
	close(*j.batchEnd.Swap(&ch))
	if j.failure() == nil {
		j.runWaiters(last)
		if j.afterCommit != nil {
			j.afterCommit(last)
		}
	}
	return true
}

func (j *journal) runWaiters(durable uint64) {
	j.waitMu.Lock()
	ready := 0
	for _, w := range j.waiters {
		if w.seq <= durable {
			ready++
		}
	}
	if ready == 0 {
		j.waitMu.Unlock()
		return
	}
	run := make([]func(), 0, ready)
	keep := j.waiters[:0]
	for _, w := range j.waiters {
		if w.seq <= durable {
			run = append(run, w.fn)
		} else {
			keep = append(keep, w)
		}
	}
	clear(j.waiters[len(keep):])
	j.waiters = keep
	j.waitMu.Unlock()
	for _, fn := range run {
		fn()
	}
}

// onDurable runs fn once seq is durable: at once (on the caller) when it
// already is, else on the committer after the batch that holds it.
func (j *journal) onDurable(seq uint64, fn func()) {
	j.waitMu.Lock()
	if seq <= j.durable.Load() {
		j.waitMu.Unlock()
		fn()
		return
	}
	j.waiters = append(j.waiters, durableWaiter{seq, fn})
	j.waitMu.Unlock()
}

// waitDurable blocks until seq is durable, ctx is done or the journal
// fails.
func (j *journal) waitDurable(ctx context.Context, seq uint64) error {
	for {
		ch := *j.batchEnd.Load()
		if seq <= j.durable.Load() {
			return nil
		}
		if err := j.failure(); err != nil {
			return err
		}
		select {
		case <-j.done:
			if seq <= j.durable.Load() {
				return nil
			}
			return ErrClosed
		default:
		}
		select {
		case <-ch:
		case <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// close stops taking entries, commits what is pending and stops the
// committer.
func (j *journal) close() error {
	j.mu.Lock()
	already := j.closed
	j.closed = true
	j.space.Broadcast()
	j.mu.Unlock()
	if !already {
		close(j.stop)
	}
	<-j.done
	return j.failure()
}

// pebbleSync maps the Sync option onto Pebble's write options.
func pebbleSync(sync bool) *pebble.WriteOptions {
	if sync {
		return pebble.Sync
	}
	return pebble.NoSync
}
