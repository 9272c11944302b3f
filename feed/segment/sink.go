package segment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authswitch/authswitch/feed"
)

// Options configure a segment Sink.
type Options struct {
	// Dir holds the segments; it is created if missing.
	Dir string
	// MaxBytes rotates a segment once it holds this much (64 MiB); MaxAge
	// once it is this old (1h). A segment always holds whole windows.
	MaxBytes int64
	MaxAge   time.Duration
	// Queue is how many windows may wait for the writer (64).
	Queue int
	// NoSync skips fsync (benchmarks of everything but the disk only).
	NoSync bool
	Logger *slog.Logger
	Now    func() time.Time
}

func (o *Options) defaults() {
	if o.MaxBytes <= 0 {
		o.MaxBytes = 64 << 20
	}
	if o.MaxAge <= 0 {
		o.MaxAge = time.Hour
	}
	if o.Queue <= 0 {
		o.Queue = 64
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Errors of the segment sink.
var (
	// ErrClosed: the sink was closed; windows still queued fail with it.
	ErrClosed = errors.New("segment: sink closed")
	// ErrOutOfOrder: a window does not continue what the sink holds
	// (after an earlier failure). The publisher sends the missing window
	// again first; this one is then accepted.
	ErrOutOfOrder = errors.New("segment: window does not follow the last record written")
)

// Ext is the segment files' extension.
const Ext = ".jsonl"

// Name is the file name of the segment whose first record is entry first:
// twenty digits, so that names sort as numbers.
func Name(first uint64) string { return fmt.Sprintf("%020d%s", first, Ext) }

// parseName returns the first sequence number a segment's name carries.
func parseName(name string) (uint64, bool) {
	base, ok := strings.CutSuffix(name, Ext)
	if !ok || len(base) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(base, 10, 64)
	return n, err == nil && n > 0
}

// Sink writes windows to rotating segment files: JSON Lines, one record per
// line, in sequence order, each segment named by its first sequence
// number. One writer goroutine takes every window queued, writes them and
// fsyncs once (group commit) before acknowledging any of them.
type Sink struct {
	opts Options
	log  *slog.Logger

	queue chan item
	stop  chan struct{}
	done  chan struct{}

	mu     sync.Mutex
	closed bool

	// Owned by the writer goroutine.
	f          *os.File
	segFirst   uint64
	size       int64
	opened     time.Time
	last       uint64 // newest sequence number written
	syncedLast uint64 // newest sequence number synced
	synced     int64  // size of f when last synced
	fresh      bool   // nothing written since Open: a gap starts a new segment quietly
	scratch    []item
}

type item struct {
	w    *feed.Window
	done func(error)
}

// Open opens (creating) a segment directory for writing. It cuts any torn
// last line a crash left in the newest segment, and finds the newest
// sequence number held, so that a window sent again after a restart is
// not written twice.
func Open(opts Options) (*Sink, error) {
	opts.defaults()
	if opts.Dir == "" {
		return nil, errors.New("segment: no directory")
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("segment: creating %s: %w", opts.Dir, err)
	}
	s := &Sink{opts: opts, log: opts.Logger.With("component", "feed-segment"),
		queue: make(chan item, opts.Queue), stop: make(chan struct{}), done: make(chan struct{}), fresh: true}
	last, err := recoverDir(opts.Dir, s.log)
	if err != nil {
		return nil, err
	}
	s.last, s.syncedLast = last, last
	go s.run()
	return s, nil
}

// recoverDir truncates a torn tail in the newest segment, removes empty
// trailing segments and returns the newest sequence number held.
func recoverDir(dir string, log *slog.Logger) (uint64, error) {
	segs, err := List(dir)
	if err != nil {
		return 0, err
	}
	for i := len(segs) - 1; i >= 0; i-- {
		path := filepath.Join(dir, segs[i].Name)
		last, size, err := lastRecord(path)
		if err != nil {
			return 0, err
		}
		if size == 0 {
			if err := os.Remove(path); err != nil {
				return 0, fmt.Errorf("segment: removing empty %s: %w", segs[i].Name, err)
			}
			continue
		}
		return last, nil
	}
	return 0, nil
}

// lastRecord cuts whatever follows the last '\n' of a segment and returns
// the sequence number of its last record and its new size.
func lastRecord(path string) (uint64, int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("segment: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("segment: %w", err)
	}
	size := st.Size()
	// Read backwards in blocks until a '\n' ends the good part and a
	// second one (or the start) bounds the last line.
	const block = 64 << 10
	var tail []byte
	for off := size; off > 0 && bytes.Count(tail, []byte{'\n'}) < 2; {
		n := min(int64(block), off)
		off -= n
		buf := make([]byte, n)
		if _, err := f.ReadAt(buf, off); err != nil && !errors.Is(err, io.EOF) {
			return 0, 0, fmt.Errorf("segment: reading %s: %w", filepath.Base(path), err)
		}
		tail = append(buf, tail...)
	}
	good := bytes.LastIndexByte(tail, '\n') + 1 // bytes of tail that are whole lines
	cut := size - int64(len(tail)) + int64(good)
	if cut < size {
		if err := f.Truncate(cut); err != nil {
			return 0, 0, fmt.Errorf("segment: cutting the torn tail of %s: %w", filepath.Base(path), err)
		}
		if err := f.Sync(); err != nil {
			return 0, 0, fmt.Errorf("segment: %w", err)
		}
	}
	if good == 0 {
		return 0, cut, nil
	}
	lines := tail[:good-1]
	line := lines[bytes.LastIndexByte(lines, '\n')+1:]
	seq, err := feed.ParseSeq(line)
	if err != nil {
		return 0, 0, fmt.Errorf("segment: last record of %s: %w", filepath.Base(path), err)
	}
	return seq, cut, nil
}

// Name implements feed.Sink.
func (s *Sink) Name() string { return "segment" }

// Send implements feed.Sink: the window is queued for the writer.
func (s *Sink) Send(w *feed.Window, done func(error)) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		done(ErrClosed)
		return
	}
	// The queue holds more than the publisher keeps in flight, so this
	// does not wait in practice; holding mu keeps Close from closing the
	// queue under us.
	s.queue <- item{w, done}
	s.mu.Unlock()
}

// Close stops the writer after the windows queued, syncs and closes the
// segment.
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	if s.f != nil {
		err := s.f.Close()
		s.f = nil
		if err != nil {
			return fmt.Errorf("segment: closing: %w", err)
		}
	}
	return nil
}

func (s *Sink) run() {
	defer close(s.done)
	for it := range s.queue {
		batch := append(s.scratch[:0], it)
	more:
		for len(batch) < cap(s.queue) {
			select {
			case it, ok := <-s.queue:
				if !ok {
					break more
				}
				batch = append(batch, it)
			default:
				break more
			}
		}
		s.writeGroup(batch)
		clear(batch)
		s.scratch = batch[:0]
	}
}

// writeGroup writes a group of windows and syncs once. When a write or
// the sync fails, every window of the group fails and the segment is cut
// back to what was synced before, so a failure never leaves half a window
// (or half a line) behind. A window out of order fails alone (it wrote
// nothing), with those after it.
func (s *Sink) writeGroup(batch []item) {
	results := make([]error, len(batch))
	var failed, hard error
	for i, it := range batch {
		if failed != nil {
			results[i] = failed
			continue
		}
		if err := s.write(it.w); err != nil {
			failed, results[i] = err, err
			if !errors.Is(err, ErrOutOfOrder) {
				hard = err
			}
		}
	}
	if hard == nil && s.f != nil && s.size > s.synced {
		hard = s.sync()
	}
	if hard != nil {
		s.rollback()
		for i := range results {
			if results[i] == nil {
				results[i] = hard
			}
		}
	}
	for i, it := range batch {
		it.done(results[i])
	}
}

// rollback cuts the current segment back to its last synced size and
// forgets what was written after it; a segment left empty is removed so
// that its name cannot disagree with its first record.
func (s *Sink) rollback() {
	s.last = s.syncedLast
	if s.f == nil {
		return
	}
	if s.size != s.synced {
		if err := s.f.Truncate(s.synced); err != nil {
			s.log.Error("feed segment: cutting a failed write; closing the segment", "err", err)
			s.f.Close()
			s.f = nil
			return
		}
		s.size = s.synced
	}
	if s.size == 0 {
		s.f.Close()
		s.f = nil
		os.Remove(filepath.Join(s.opts.Dir, Name(s.segFirst)))
	}
}

// write appends the window's records that the segment does not hold yet.
func (s *Sink) write(w *feed.Window) error {
	if w.Len() == 0 || w.Last <= s.last {
		return nil // already held: a window sent again
	}
	from := 0
	if w.First <= s.last {
		from = int(s.last - w.First + 1) // skip what is already held
	}
	first := w.Records[from].Seq
	switch {
	case s.last == 0 || first == s.last+1:
	case s.fresh:
		// The ledger's acknowledgement is past what this directory holds
		// (it was emptied, or entries went to another sink). The writer
		// always starts a new segment after Open, so each segment stays
		// gapless; readers see the gap between segments.
		s.log.Warn("feed segments have a gap; the missing entries were acknowledged elsewhere",
			"held_through", s.last, "next", first)
	default:
		return fmt.Errorf("%w: %d after %d", ErrOutOfOrder, first, s.last)
	}
	s.fresh = false
	if s.f == nil || s.size >= s.opts.MaxBytes || s.opts.Now().Sub(s.opened) >= s.opts.MaxAge {
		if err := s.rotate(first); err != nil {
			return err
		}
	}
	data := w.Data[w.Records[from].Start:]
	n, err := s.f.Write(data)
	s.size += int64(n)
	if err != nil {
		return fmt.Errorf("segment: writing entries %d-%d: %w", first, w.Last, err)
	}
	s.last = w.Last
	return nil
}

func (s *Sink) sync() error {
	if !s.opts.NoSync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("segment: syncing %s: %w", Name(s.segFirst), err)
		}
	}
	s.synced, s.syncedLast = s.size, s.last
	return nil
}

// seal syncs and closes the current segment.
func (s *Sink) seal() error {
	if s.f == nil {
		return nil
	}
	if s.size > s.synced {
		if err := s.sync(); err != nil {
			return err
		}
	}
	err := s.f.Close()
	s.f = nil
	if err != nil {
		return fmt.Errorf("segment: closing %s: %w", Name(s.segFirst), err)
	}
	return nil
}

// rotate seals the current segment and starts one whose first record is
// entry first. The directory is synced so that the new name survives a
// crash; a reader that sees the new segment knows the old one is whole.
func (s *Sink) rotate(first uint64) error {
	if err := s.seal(); err != nil {
		return err
	}
	name := filepath.Join(s.opts.Dir, Name(first))
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("segment: creating %s: %w", Name(first), err)
	}
	if !s.opts.NoSync {
		if err := syncDir(s.opts.Dir); err != nil {
			f.Close()
			os.Remove(name)
			return err
		}
	}
	s.f, s.segFirst, s.size, s.synced, s.opened = f, first, 0, 0, s.opts.Now()
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("segment: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("segment: syncing directory: %w", err)
	}
	return nil
}

// LastSeq is the newest sequence number the directory held when the sink
// was opened, or has written since (read it only after Close, or for
// information).
func (s *Sink) LastSeq() uint64 {
	<-s.done
	return s.last
}

// Segment is one segment file.
type Segment struct {
	Name  string
	First uint64
}

// List returns the segments of dir in sequence order.
func List(dir string) ([]Segment, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("segment: listing %s: %w", dir, err)
	}
	var out []Segment
	for _, e := range ents {
		if first, ok := parseName(e.Name()); ok && e.Type().IsRegular() {
			out = append(out, Segment{Name: e.Name(), First: first})
		}
	}
	slices.SortFunc(out, func(a, b Segment) int {
		switch {
		case a.First < b.First:
			return -1
		case a.First > b.First:
			return 1
		}
		return 0
	})
	return out, nil
}
