package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// store is the ledger's Pebble database. Its keys:
//
//	j<first seq, 8 bytes BE>              a chunk of journal entries, each after a 4-byte length
//	m/ack                                 the feed's acknowledged sequence number
//	m/checkpoint                          the newest complete checkpoint: generation, sequence
//	c<gen, 8 bytes BE>a<account id>       an account's state in that checkpoint
//	c<gen, 8 bytes BE>r<part, 4 bytes BE> a run of remembered requests in that checkpoint
//
// A checkpoint is written in the background; its meta key is written last
// and synced, so a checkpoint is either complete or ignored.
type store struct {
	db *pebble.DB

	// dbMu guards the use of db against its closing: the feed's side
	// (ReadJournal, Ack) may run while the ledger closes, and Pebble
	// panics on a closed database. Readers hold it shared for the whole
	// use; close takes it exclusively.
	dbMu     sync.RWMutex
	dbClosed bool

	batch      *pebble.Batch // the committer's, reused
	largeBatch int           // a batch this large may be kept by Pebble (a quarter of a memtable: safely below Pebble's half)

	mu       sync.Mutex
	chunks   []chunkMeta // journal chunks still in Pebble, oldest first
	acked    uint64      // the feed's acknowledgement
	ackDirty bool
	ackDisk  uint64 // the acknowledgement as last written (what a crash keeps)
	ckptSeq  uint64 // journal entries after this rebuild the state
	trimmed  uint64 // entries ≤ this are deleted
}

type chunkMeta struct {
	first, last uint64
	bytes       int
}

var (
	keyAck        = []byte("m/ack")
	keyCheckpoint = []byte("m/checkpoint")
)

func journalKey(first uint64) []byte {
	k := make([]byte, 9)
	k[0] = 'j'
	binary.BigEndian.PutUint64(k[1:], first)
	return k
}

func checkpointPrefix(gen uint64, kind byte) []byte {
	k := make([]byte, 10, 64)
	k[0] = 'c'
	binary.BigEndian.PutUint64(k[1:], gen)
	k[9] = kind
	return k
}

// use runs fn with the database unless it is closed (ErrClosed).
func (s *store) use(fn func(db *pebble.DB) error) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.dbClosed {
		return ErrClosed
	}
	return fn(s.db)
}

func (s *store) isClosed() bool {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	return s.dbClosed
}

// close closes the database once every use in progress is done.
func (s *store) close() error {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if s.dbClosed {
		return nil
	}
	s.dbClosed = true
	return s.db.Close()
}

// writeBatch commits a pending batch (the journal built it as Pebble's
// batch representation) with the feed's acknowledgement when it moved, and
// records its chunks. Pebble copies the batch into its log and memtable and
// keeps no reference once Commit returns — except for a batch of half a
// memtable or more, which it keeps as a memtable of its own: writeBatch
// then sets p.repr to nil so that the journal does not reuse it.
func (s *store) writeBatch(p *pendingBatch, sync bool) error {
	records := len(p.chunks)
	s.mu.Lock()
	ackNow, ackDirty := s.acked, s.ackDirty
	s.ackDirty = false
	s.mu.Unlock()
	if ackDirty {
		p.repr = append(p.repr, pebbleKindSet, byte(len(keyAck)))
		p.repr = append(p.repr, keyAck...)
		p.repr = append(p.repr, 8)
		p.repr = binary.BigEndian.AppendUint64(p.repr, ackNow)
		records++
	}
	binary.LittleEndian.PutUint32(p.repr[8:batchHeader], uint32(records))
	if s.batch == nil {
		s.batch = s.db.NewBatch()
	}
	b := s.batch
	err := b.SetRepr(p.repr)
	if err == nil {
		err = b.Commit(pebbleSync(sync))
	}
	if len(p.repr) >= s.largeBatch {
		p.repr = nil
	}
	b.Reset()
	if err != nil {
		if ackDirty {
			s.mu.Lock()
			s.ackDirty = true
			s.mu.Unlock()
		}
		return err
	}
	s.mu.Lock()
	if sync {
		s.ackDisk = max(s.ackDisk, ackNow)
	}
	s.chunks = append(s.chunks, p.chunks...)
	if len(s.chunks) > maxChunkMetas {
		s.chunks = mergeChunkMetas(s.chunks)
	}
	s.mu.Unlock()
	return nil
}

// maxChunkMetas bounds the list of journal chunks kept in memory when the
// feed acknowledges nothing for long: past it, neighbours are merged, which
// only makes trimming coarser.
const maxChunkMetas = 1 << 14

func mergeChunkMetas(c []chunkMeta) []chunkMeta {
	out := c[:0]
	for i := 0; i < len(c); i += 2 {
		m := c[i]
		if i+1 < len(c) {
			m.last, m.bytes = c[i+1].last, m.bytes+c[i+1].bytes
		}
		out = append(out, m)
	}
	return out
}

// eachEntry calls fn with every encoded entry of a chunk.
func eachEntry(chunk []byte, fn func(b []byte) error) error {
	for pos := 0; pos < len(chunk); {
		if len(chunk)-pos < entryHeader {
			return fmt.Errorf("%w: short chunk", errCorrupt)
		}
		n := int(binary.LittleEndian.Uint32(chunk[pos:]))
		pos += entryHeader
		if n > len(chunk)-pos {
			return fmt.Errorf("%w: entry past its chunk", errCorrupt)
		}
		if err := fn(chunk[pos : pos+n]); err != nil {
			return err
		}
		pos += n
	}
	return nil
}

// scanJournal calls fn for every stored entry with seq ≥ from, in order,
// until fn returns errStop or an error.
func (s *store) scanJournal(from uint64, fn func(seq uint64, b []byte) error) error {
	return s.use(func(db *pebble.DB) error { return scanJournal(db, from, fn) })
}

func scanJournal(db *pebble.DB, from uint64, fn func(seq uint64, b []byte) error) error {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte("j"), UpperBound: []byte("k")})
	if err != nil {
		return err
	}
	defer it.Close()
	// The chunk holding `from` starts at or before it.
	if !it.SeekLT(journalKey(from + 1)) {
		it.First()
	}
	for ; it.Valid(); it.Next() {
		k := it.Key()
		if len(k) != 9 {
			return fmt.Errorf("%w: journal key of %d bytes", errCorrupt, len(k))
		}
		seq := binary.BigEndian.Uint64(k[1:])
		v, err := it.ValueAndErr()
		if err != nil {
			return err
		}
		err = eachEntry(v, func(b []byte) error {
			defer func() { seq++ }()
			if seq < from {
				return nil
			}
			return fn(seq, b)
		})
		if errors.Is(err, errStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return it.Error()
}

var errStop = errors.New("stop")

// ack records the feed's acknowledgement; it is written with the next
// batch (or on its own when the journal is idle: writeAck) and trims
// entries the checkpoint no longer needs. It reports whether it moved.
func (s *store) ack(upTo uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if upTo > s.acked {
		s.acked, s.ackDirty = upTo, true
		return true
	}
	return false
}

// acknowledged is the feed's acknowledgement.
func (s *store) acknowledged() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acked
}

// writeAck writes the acknowledgement on its own, synced, when it moved
// since it was last written: the committer does so when it has no entries
// to carry it, so that it survives a crash even if no request follows.
func (s *store) writeAck() error {
	s.mu.Lock()
	if !s.ackDirty {
		s.mu.Unlock()
		return nil
	}
	var v [8]byte
	acked := s.acked
	binary.BigEndian.PutUint64(v[:], acked)
	s.ackDirty = false
	s.mu.Unlock()
	err := s.use(func(db *pebble.DB) error { return db.Set(keyAck, v[:], pebble.Sync) })
	s.mu.Lock()
	if err != nil {
		s.ackDirty = true
	} else {
		s.ackDisk = max(s.ackDisk, acked)
	}
	s.mu.Unlock()
	return err
}

// trim deletes the journal chunks that both the feed and the newest
// checkpoint are done with. Losing a trim in a crash costs nothing: the
// entries are deleted again after the next acknowledgement.
func (s *store) trim() error {
	s.mu.Lock()
	limit := min(s.acked, s.ckptSeq)
	i := 0
	for i < len(s.chunks) && s.chunks[i].last <= limit {
		i++
	}
	if i == 0 {
		s.mu.Unlock()
		return nil
	}
	end := s.chunks[i-1].last
	s.chunks = append(s.chunks[:0], s.chunks[i:]...)
	s.trimmed = end
	s.mu.Unlock()
	return s.use(func(db *pebble.DB) error {
		return db.DeleteRange(journalKey(0), journalKey(end+1), pebble.NoSync)
	})
}

// backlog is what the feed has not acknowledged yet, counted in entries
// up to durable and in the bytes of the chunks that hold them.
func (s *store) backlog(durable uint64) (entries, bytes uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if durable > s.acked {
		entries = durable - s.acked
	}
	for i := len(s.chunks) - 1; i >= 0 && s.chunks[i].last > s.acked; i-- {
		bytes += uint64(s.chunks[i].bytes)
	}
	return entries, bytes
}

func (s *store) getUint64s(key []byte, dst ...*uint64) (bool, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	if len(v) != 8*len(dst) {
		return false, fmt.Errorf("%w: %s has %d bytes", errCorrupt, key, len(v))
	}
	for i, p := range dst {
		*p = binary.BigEndian.Uint64(v[8*i:])
	}
	return true, nil
}
