package ledger

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Restart: the newest complete checkpoint is loaded, then every journal
// entry after its sequence number is applied again through the same code
// the live path uses, and each replayed result is compared with the one
// recorded; a difference stops Open (the journal and the code disagree
// about money). Checkpoints are fuzzy: an account's snapshot says which
// entry it saw last (lastSeq), and replay skips, for that account, the
// entries at or before it.

// pebbleLogger sends Pebble's chatter to slog at debug level.
type pebbleLogger struct{ log *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.log.Debug(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.log.Error(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.log.Error(fmt.Sprintf(format, args...))
	panic(fmt.Sprintf(format, args...))
}

func (l *Ledger) openPebble() (*pebble.DB, error) {
	fs := l.opts.FS
	if fs == nil {
		fs = vfs.Default
		if l.opts.Dir == "" {
			fs = vfs.NewMem()
		}
	}
	dir := l.opts.Dir
	if dir == "" {
		dir = "ledger"
	}
	po := &pebble.Options{
		FS:           fs,
		MemTableSize: memTableSize,
		// The journal is written in large sequential batches and deleted
		// once shipped and checkpointed: a larger L0 before compaction.
		L0CompactionThreshold: 8,
		Logger:                pebbleLogger{l.log.With("component", "pebble")},
	}
	// The ledger is bound by CPU, not by the disk; journal chunks are
	// short-lived, so they are not compressed.
	for i := range po.Levels {
		po.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("ledger: opening pebble in %q: %w", dir, err)
	}
	return db, nil
}

const memTableSize = 64 << 20

// restore opens Pebble and rebuilds the state; it returns the store and
// the sequence number of the last entry.
func (l *Ledger) restore() (*store, uint64, error) {
	start := time.Now()
	db, err := l.openPebble()
	if err != nil {
		return nil, 0, err
	}
	st := &store{db: db, largeBatch: memTableSize / 4}
	fail := func(err error) (*store, uint64, error) {
		db.Close()
		return nil, 0, err
	}
	if _, err := st.getUint64s(keyAck, &st.acked); err != nil {
		return fail(fmt.Errorf("ledger: reading the feed's acknowledgement: %w", err))
	}
	st.ackDisk = st.acked
	var gen uint64
	if _, err := st.getUint64s(keyCheckpoint, &gen, &st.ckptSeq); err != nil {
		return fail(fmt.Errorf("ledger: reading the checkpoint: %w", err))
	}
	if gen > 0 {
		if err := l.loadCheckpoint(st, gen); err != nil {
			return fail(fmt.Errorf("ledger: loading checkpoint %d: %w", gen, err))
		}
	}
	l.lastCkpt.Store(st.ckptSeq)
	last, replayed, err := l.replay(st)
	if err != nil {
		return fail(err)
	}
	for _, a := range l.accounts.all() {
		if err := a.check(); err != nil {
			return fail(fmt.Errorf("ledger: rebuilt state is inconsistent: %w", err))
		}
	}
	l.expiry.sort()
	l.log.Info("ledger restored", "accounts", l.accounts.count(), "checkpoint_seq", st.ckptSeq,
		"replayed", replayed, "last_seq", last, "took", time.Since(start))
	return st, last, nil
}

// replay applies every journal entry after the checkpoint and rebuilds
// the list of journal chunks.
func (l *Ledger) replay(st *store) (last uint64, replayed int, err error) {
	last = st.ckptSeq
	it, err := st.db.NewIter(&pebble.IterOptions{LowerBound: []byte("j"), UpperBound: []byte("k")})
	if err != nil {
		return 0, 0, err
	}
	defer it.Close()
	var e, got Entry
	first := true
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 9 {
			return 0, 0, fmt.Errorf("ledger: %w: journal key of %d bytes", errCorrupt, len(k))
		}
		seq := binary.BigEndian.Uint64(k[1:])
		v, err := it.ValueAndErr()
		if err != nil {
			return 0, 0, err
		}
		if first && seq > st.ckptSeq+1 {
			return 0, 0, fmt.Errorf("ledger: journal starts at %d, checkpoint covers only %d", seq, st.ckptSeq)
		}
		first = false
		if seq <= last+1 {
			// chunks after the checkpoint must follow one another
		} else {
			return 0, 0, fmt.Errorf("ledger: journal gap: %d follows %d", seq, last)
		}
		chunkFirst := seq
		err = eachEntry(v, func(b []byte) error {
			defer func() { seq++ }()
			if seq <= st.ckptSeq {
				return nil
			}
			if err := decodeEntry(b, &e); err != nil {
				return fmt.Errorf("entry %d: %w", seq, err)
			}
			if e.Seq != seq {
				return fmt.Errorf("entry %d found where %d belongs", e.Seq, seq)
			}
			if err := l.replayEntry(&e, &got); err != nil {
				return fmt.Errorf("entry %d (%s): %w", seq, e.Op, err)
			}
			replayed++
			return nil
		})
		if err != nil {
			return 0, 0, fmt.Errorf("ledger: replaying the journal: %w", err)
		}
		st.chunks = append(st.chunks, chunkMeta{first: chunkFirst, last: seq - 1, bytes: len(v)})
		last = max(last, seq-1)
	}
	return last, replayed, it.Error()
}

// replayEntry applies one entry again and checks that it gives the
// result it gave the first time.
func (l *Ledger) replayEntry(e, got *Entry) error {
	a := l.accounts.get(e.Account)
	if e.Op == OpAccount {
		if a == nil {
			a = newAccount(e.Account, e.Currency)
			l.accounts.mu.Lock()
			err := l.accounts.addLocked(a)
			l.accounts.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	if a != nil && e.Seq > a.lastSeq {
		*got = *e
		got.Result = Result{Memo: e.Result.Memo, Seq: e.Seq}
		switch e.Op {
		case OpAccount:
			applyAccount(a, got)
		case OpAuthorize, OpAdvice:
			got.Result.Status, got.Result.Reason = e.Result.Status, e.Result.Reason
			got.Result.Approved, got.Result.HoldID = e.Result.Approved, e.Result.HoldID
			l.applyAuthorize(a, got, holdUnknown)
		case OpReverse:
			l.applyReverse(a, got)
		case OpDecline, OpAudit:
			got.Result = e.Result
		case OpCapture:
			got.Result.HoldID = e.Result.HoldID
			if e.Result.Status == Declined {
				got.Result.Status, got.Result.Reason = e.Result.Status, e.Result.Reason
			}
			l.applyCapture(a, got)
		case OpRelease:
			l.applyRelease(a, got)
		case OpAdjust:
			applyAdjust(a, got)
		case OpExpire:
			l.applyExpire(a, got)
		default:
			return fmt.Errorf("%w: op %d", errCorrupt, e.Op)
		}
		if d := resultDiff(&got.Result, &e.Result); d != "" {
			return fmt.Errorf("replayed result differs from the journal: %s", d)
		}
		a.lastSeq = e.Seq
		l.nextHold.Store(max(l.nextHold.Load(), e.Result.HoldID))
	}
	if e.Key != (RequestKey{}) {
		res := e.Result
		if a != nil {
			res.Currency = a.currency
		}
		l.requests.put(&e.Key, &res, e.Time.UnixNano())
	}
	return nil
}

func resultDiff(got, want *Result) string {
	type f struct {
		name      string
		got, want int64
	}
	for _, c := range [...]f{
		{"status", int64(got.Status), int64(want.Status)}, {"reason", int64(got.Reason), int64(want.Reason)},
		{"approved", got.Approved, want.Approved}, {"hold id", int64(got.HoldID), int64(want.HoldID)},
		{"hold", got.Hold, want.Hold}, {"released", got.Released, want.Released},
		{"posted", got.Posted, want.Posted}, {"available", got.Available, want.Available},
	} {
		if c.got != c.want {
			return fmt.Sprintf("%s %d, recorded %d", c.name, c.got, c.want)
		}
	}
	return ""
}

// sort orders every queue by due time after a restore.
func (q *expiryQueues) sort() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, f := range q.holds {
		items := f.all()
		slices.SortFunc(items, func(a, b holdDue) int { return cmpInt64(a.due, b.due) })
		f.reset(items)
	}
	items := q.tombs.all()
	slices.SortFunc(items, func(a, b tombDue) int { return cmpInt64(a.due, b.due) })
	q.tombs.reset(items)
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// maybeCheckpoint starts a background checkpoint once enough entries
// follow the last one. It runs on the committer after each batch.
func (l *Ledger) maybeCheckpoint(last uint64) {
	every := l.opts.CheckpointEvery
	if l.store == nil || every < 0 || last-l.lastCkpt.Load() < uint64(every) {
		return
	}
	if !l.ckptRunning.CompareAndSwap(false, true) {
		return
	}
	l.ckptWG.Add(1)
	go func() {
		defer l.ckptWG.Done()
		defer l.ckptRunning.Store(false)
		if err := l.checkpoint(); err != nil {
			l.log.Error("ledger checkpoint failed", "err", err)
		}
	}()
}

// checkpoint writes the whole state under a new generation while requests
// go on: each account and each request shard is copied under its own lock.
// Its meta key is written only once every entry the copy reflects is
// durable, so a checkpoint never holds an effect the journal may lose.
func (l *Ledger) checkpoint() error {
	l.ckptMu.Lock()
	defer l.ckptMu.Unlock()
	st := l.store
	start := time.Now()
	var oldGen, oldSeq uint64
	if _, err := st.getUint64s(keyCheckpoint, &oldGen, &oldSeq); err != nil {
		return err
	}
	gen := oldGen + 1
	s0 := l.journal.lastAssigned()
	maxSeq := s0

	b := st.db.NewBatch()
	flush := func(force bool) error {
		if b.Len() < 4<<20 && !force {
			return nil
		}
		err := b.Commit(pebble.NoSync)
		b.Close()
		b = st.db.NewBatch()
		return err
	}
	defer func() { b.Close() }()

	var buf []byte
	for _, a := range l.accounts.all() {
		a.mu.Lock()
		buf = l.encodeAccount(buf[:0], a)
		maxSeq = max(maxSeq, a.lastSeq)
		a.mu.Unlock()
		key := append(checkpointPrefix(gen, 'a'), a.id...)
		if err := b.Set(key, buf, nil); err != nil {
			return err
		}
		if err := flush(false); err != nil {
			return err
		}
	}
	part := uint32(0)
	buf = buf[:0]
	putRequests := func() error {
		key := binary.BigEndian.AppendUint32(checkpointPrefix(gen, 'r'), part)
		part++
		if err := b.Set(key, buf, nil); err != nil {
			return err
		}
		buf = buf[:0]
		return flush(false)
	}
	var perr error
	l.requests.each(func(r *storedResult) {
		res := l.requests.result(r)
		buf = encodeRequest(buf, &r.key, r.at, &res)
		maxSeq = max(maxSeq, r.seq)
		if len(buf) >= 256<<10 && perr == nil {
			perr = putRequests()
		}
	})
	if perr != nil {
		return perr
	}
	if len(buf) > 0 {
		if err := putRequests(); err != nil {
			return err
		}
	}
	if err := flush(true); err != nil {
		return err
	}
	// Everything copied must be durable before the checkpoint may count.
	if err := l.journal.waitDurable(context.Background(), maxSeq); err != nil {
		return fmt.Errorf("waiting for entry %d: %w", maxSeq, err)
	}
	var meta [16]byte
	binary.BigEndian.PutUint64(meta[:], gen)
	binary.BigEndian.PutUint64(meta[8:], s0)
	st.mu.Lock()
	var ack [8]byte
	binary.BigEndian.PutUint64(ack[:], st.acked)
	st.ackDirty = false
	st.mu.Unlock()
	if err := b.Set(keyAck, ack[:], nil); err != nil {
		return err
	}
	if err := b.Set(keyCheckpoint, meta[:], nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return err
	}
	st.mu.Lock()
	st.ackDisk = max(st.ackDisk, binary.BigEndian.Uint64(ack[:]))
	st.mu.Unlock()
	if oldGen > 0 {
		if err := st.db.DeleteRange(checkpointPrefix(oldGen, 0), checkpointPrefix(oldGen+1, 0), pebble.NoSync); err != nil {
			return err
		}
	}
	st.mu.Lock()
	st.ckptSeq = s0
	st.mu.Unlock()
	l.lastCkpt.Store(s0)
	l.metrics.checkpoints.Add(1)
	l.log.Info("ledger checkpoint written", "generation", gen, "seq", s0, "took", time.Since(start))
	return st.trim()
}

// loadCheckpoint reads a checkpoint's accounts and remembered requests.
func (l *Ledger) loadCheckpoint(st *store, gen uint64) error {
	it, err := st.db.NewIter(&pebble.IterOptions{LowerBound: checkpointPrefix(gen, 0), UpperBound: checkpointPrefix(gen+1, 0)})
	if err != nil {
		return err
	}
	defer it.Close()
	aPrefix, rPrefix := checkpointPrefix(gen, 'a'), checkpointPrefix(gen, 'r')
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		switch {
		case bytes.HasPrefix(k, aPrefix):
			// decodeAccount registers the account.
			if _, err := l.decodeAccount(string(k[len(aPrefix):]), v); err != nil {
				return fmt.Errorf("account %q: %w", k[len(aPrefix):], err)
			}
		case bytes.HasPrefix(k, rPrefix):
			if err := l.decodeRequests(v); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: checkpoint key %q", errCorrupt, k)
		}
	}
	return it.Error()
}

var errCheckpoint = errors.New("bad checkpoint record")
