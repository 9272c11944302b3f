package admin

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// state is the API's own durable state, on Pebble: the answers kept for
// idempotency keys (with an index by time, to expire them) and the
// creation times of the objects the API created.
type state struct {
	db   *pebble.DB
	ttl  time.Duration
	mu   sync.RWMutex // Close waits for operations in flight
	shut bool
}

// Key layout.
const (
	stateAnswer  = 'i' // i sha256(key) → answer
	stateExpiry  = 't' // t created(8, unix nanos) sha256(key) → ∅
	stateCreated = 'o' // o kind 0 id → created (unix seconds, varint)
)

// sweepPerWrite bounds the expired answers one write deletes.
const sweepPerWrite = 64

var errStateClosed = errors.New("admin: state store closed")

func openState(dir string, ttl time.Duration, log *slog.Logger) (*state, error) {
	po := &pebble.Options{Logger: pebbleLogger{log.With("component", "admin.pebble")}}
	if dir == "" {
		po.FS, dir = vfs.NewMem(), "admin"
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("admin: open state %s: %w", dir, err)
	}
	return &state{db: db, ttl: ttl}, nil
}

func (s *state) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shut {
		return nil
	}
	s.shut = true
	return s.db.Close()
}

// answer is a kept answer to an idempotent request.
type answer struct {
	created     time.Time
	status      int
	fingerprint [32]byte // of the request: method, path and body
	body        []byte
}

const answerVersion = 1

func (s *state) keyOf(sum *[32]byte) []byte { return append([]byte{stateAnswer}, sum[:]...) }

// lookup returns the answer kept for an idempotency key, if it is still
// within the TTL at now.
func (s *state) lookup(sum *[32]byte, now time.Time) (answer, bool, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shut {
		return answer{}, false, errStateClosed
	}
	v, closer, err := s.db.Get(s.keyOf(sum))
	if errors.Is(err, pebble.ErrNotFound) {
		return answer{}, false, nil
	}
	if err != nil {
		return answer{}, false, fmt.Errorf("admin: idempotency lookup: %w", err)
	}
	defer closer.Close()
	if len(v) < 1+8+2+32 || v[0] != answerVersion {
		return answer{}, false, errors.New("admin: idempotency lookup: corrupt answer")
	}
	ans := answer{
		created: time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))),
		status:  int(binary.BigEndian.Uint16(v[9:11])),
		body:    append([]byte(nil), v[43:]...),
	}
	copy(ans.fingerprint[:], v[11:43])
	if now.Sub(ans.created) >= s.ttl {
		return answer{}, false, nil
	}
	return ans, true, nil
}

// keep stores an answer durably, and deletes a bounded number of expired
// ones.
func (s *state) keep(sum *[32]byte, ans *answer) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shut {
		return errStateClosed
	}
	b := s.db.NewBatch()
	defer b.Close()
	if err := s.sweep(b, ans.created); err != nil {
		return err
	}
	v := make([]byte, 0, 43+len(ans.body))
	v = append(v, answerVersion)
	v = binary.BigEndian.AppendUint64(v, uint64(ans.created.UnixNano()))
	v = binary.BigEndian.AppendUint16(v, uint16(ans.status))
	v = append(v, ans.fingerprint[:]...)
	v = append(v, ans.body...)
	if err := b.Set(s.keyOf(sum), v, nil); err != nil {
		return fmt.Errorf("admin: keep answer: %w", err)
	}
	if err := b.Set(expiryKey(ans.created, sum), nil, nil); err != nil {
		return fmt.Errorf("admin: keep answer: %w", err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("admin: keep answer: %w", err)
	}
	return nil
}

func expiryKey(created time.Time, sum *[32]byte) []byte {
	k := binary.BigEndian.AppendUint64([]byte{stateExpiry}, uint64(created.UnixNano()))
	return append(k, sum[:]...)
}

// sweep deletes, into b, up to sweepPerWrite answers older than the TTL.
func (s *state) sweep(b *pebble.Batch, now time.Time) error {
	cutoff := now.Add(-s.ttl)
	if cutoff.UnixNano() <= 0 {
		return nil
	}
	upper := binary.BigEndian.AppendUint64([]byte{stateExpiry}, uint64(cutoff.UnixNano()))
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{stateExpiry}, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("admin: sweep: %w", err)
	}
	n := 0
	for ok := it.First(); ok && n < sweepPerWrite; ok = it.Next() {
		k := it.Key()
		if len(k) != 1+8+32 {
			continue
		}
		var sum [32]byte
		copy(sum[:], k[9:])
		if err := b.Delete(append([]byte(nil), k...), nil); err != nil {
			it.Close()
			return fmt.Errorf("admin: sweep: %w", err)
		}
		// The key may have been used again since, its new answer kept
		// under the same key: delete the answer only if it is this one.
		if s.answerCreatedAt(&sum, k[1:9]) {
			if err := b.Delete(s.keyOf(&sum), nil); err != nil {
				it.Close()
				return fmt.Errorf("admin: sweep: %w", err)
			}
		}
		n++
	}
	return it.Close()
}

// answerCreatedAt reports whether the answer kept for sum was created at
// the 8-byte big-endian time created.
func (s *state) answerCreatedAt(sum *[32]byte, created []byte) bool {
	v, closer, err := s.db.Get(s.keyOf(sum))
	if err != nil {
		return false
	}
	defer closer.Close()
	return len(v) >= 9 && string(v[1:9]) == string(created)
}

func createdKey(kind, id string) []byte {
	k := append([]byte{stateCreated}, kind...)
	return append(append(k, 0), id...)
}

// setCreated records when the API created an object.
func (s *state) setCreated(kind, id string, t time.Time) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shut {
		return errStateClosed
	}
	v := binary.AppendVarint(nil, t.Unix())
	if err := s.db.Set(createdKey(kind, id), v, pebble.Sync); err != nil {
		return fmt.Errorf("admin: record creation time: %w", err)
	}
	return nil
}

// created returns when the API created an object; nil for objects that
// came from a portfolio file (or before the API kept times).
func (s *state) created(kind, id string) *int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.shut {
		return nil
	}
	v, closer, err := s.db.Get(createdKey(kind, id))
	if err != nil {
		return nil
	}
	defer closer.Close()
	t, n := binary.Varint(v)
	if n <= 0 {
		return nil
	}
	return &t
}

// idemSum is the stored form of an idempotency key.
func idemSum(key string) [32]byte { return sha256.Sum256([]byte("idempotency-key\x00" + key)) }

type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) { p.l.Debug(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
	panic(fmt.Sprintf(format, args...))
}
