package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/authswitch/authswitch/feed"
)

// ErrGap is returned by a Reader that finds an entry missing: the
// sequence numbers of what it delivers must follow one another.
var ErrGap = errors.New("segment: entries missing from the feed")

// ReaderOptions configure a Reader.
type ReaderOptions struct {
	// After is the consumer's high-water mark: the sequence number of the
	// newest entry it has already applied. Entries up to it are skipped;
	// the first delivered must be After+1 (0: whatever comes first).
	After uint64
	// Follow keeps reading as the segments grow, until the context ends;
	// without it Run returns once it has read everything written.
	Follow bool
	// Poll is how often a following reader looks for more (100ms).
	Poll time.Duration
	// AllowGaps delivers across missing entries instead of failing with
	// ErrGap (an operator reading what is left of a damaged directory).
	AllowGaps bool
	// MaxLine bounds a record's size (1 MiB); a longer line is an error.
	MaxLine int
}

// Reader reads the records of a segment directory in sequence order,
// exactly once each: it keeps the newest sequence number it delivered and
// skips anything at or below it (a window written twice across a
// restart). It reads only whole lines, so it never sees a torn record,
// even from a segment being written.
type Reader struct {
	dir  string
	opts ReaderOptions
	last uint64
	buf  []byte
}

// NewReader returns a reader of dir.
func NewReader(dir string, opts ReaderOptions) *Reader {
	if opts.Poll <= 0 {
		opts.Poll = 100 * time.Millisecond
	}
	if opts.MaxLine <= 0 {
		opts.MaxLine = 1 << 20
	}
	return &Reader{dir: dir, opts: opts, last: opts.After}
}

// Last is the sequence number of the newest entry delivered (or After).
func (r *Reader) Last() uint64 { return r.last }

// Run calls fn with each record's sequence number and line (without its
// '\n'; valid only during the call), in order. It stops at the first error
// from fn, at a gap, when ctx ends (returning ctx.Err() only when
// following), or — not following — once it has read everything written.
func (r *Reader) Run(ctx context.Context, fn func(seq uint64, line []byte) error) error {
	for {
		segs, err := List(r.dir)
		if err != nil {
			return err
		}
		i := r.startIndex(segs)
		if i < 0 {
			if !r.opts.Follow {
				return nil
			}
			if err := r.sleep(ctx); err != nil {
				return err
			}
			continue
		}
		for ; i < len(segs); i++ {
			sealedNext, err := r.readSegment(ctx, segs, i, fn)
			if err != nil {
				return err
			}
			if !sealedNext {
				break
			}
		}
		if !r.opts.Follow {
			return nil
		}
		if err := r.sleep(ctx); err != nil {
			return err
		}
	}
}

func (r *Reader) sleep(ctx context.Context) error {
	t := time.NewTimer(r.opts.Poll)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// startIndex is the segment that holds entry last+1: the newest whose
// first entry is at or before it; -1 when there are none.
func (r *Reader) startIndex(segs []Segment) int {
	if len(segs) == 0 {
		return -1
	}
	i := 0
	for j, s := range segs {
		if s.First <= r.last+1 {
			i = j
		}
	}
	return i
}

// readSegment reads segment i to its end. It returns true when a newer
// segment existed before the final read — the writer had finished this
// one — so the caller moves on; false when this is the newest.
func (r *Reader) readSegment(ctx context.Context, segs []Segment, i int, fn func(uint64, []byte) error) (bool, error) {
	f, err := os.Open(filepath.Join(r.dir, segs[i].Name))
	if errors.Is(err, os.ErrNotExist) {
		return true, nil // removed by retention: go on
	}
	if err != nil {
		return false, fmt.Errorf("segment: %w", err)
	}
	defer f.Close()
	for {
		// Look for a newer segment before reading to the end: if one
		// exists now, everything this one will ever hold is already here.
		newer := i+1 < len(segs)
		if !newer {
			if later, err := List(r.dir); err == nil && len(later) > 0 && later[len(later)-1].First > segs[i].First {
				newer = true
			}
		}
		if err := r.readAll(f, segs[i].Name, fn); err != nil {
			return false, err
		}
		if newer {
			return true, nil
		}
		if !r.opts.Follow {
			return false, nil
		}
		if err := r.sleep(ctx); err != nil {
			return false, err
		}
	}
}

// readAll delivers every whole line from f's current offset; a partial
// last line stays unread (the file offset is moved back to its start).
func (r *Reader) readAll(f *os.File, name string, fn func(uint64, []byte) error) error {
	if cap(r.buf) < 256<<10 {
		r.buf = make([]byte, 0, 256<<10)
	}
	pending := r.buf[:0]
	for {
		if len(pending) == cap(pending) {
			if len(pending) >= r.opts.MaxLine {
				return fmt.Errorf("segment: %s: a line longer than %d bytes", name, r.opts.MaxLine)
			}
			grown := make([]byte, len(pending), 2*cap(pending))
			copy(grown, pending)
			pending = grown
			r.buf = grown[:0]
		}
		n, err := f.Read(pending[len(pending):cap(pending)])
		pending = pending[:len(pending)+n]
		lines := pending
		for {
			nl := bytes.IndexByte(lines, '\n')
			if nl < 0 {
				break
			}
			if err := r.deliver(lines[:nl], name, fn); err != nil {
				return err
			}
			lines = lines[nl+1:]
		}
		pending = pending[:copy(pending, lines)]
		if errors.Is(err, io.EOF) || (err == nil && n == 0) {
			if len(pending) > 0 {
				// A line still being written (or torn by a crash and cut
				// by the writer's next start): read it again next time.
				if _, err := f.Seek(-int64(len(pending)), io.SeekCurrent); err != nil {
					return fmt.Errorf("segment: %s: %w", name, err)
				}
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("segment: reading %s: %w", name, err)
		}
	}
}

func (r *Reader) deliver(line []byte, name string, fn func(uint64, []byte) error) error {
	if len(line) == 0 {
		return nil
	}
	seq, err := feed.ParseSeq(line)
	if err != nil {
		return fmt.Errorf("segment: %s: %w", name, err)
	}
	if seq <= r.last {
		return nil // already delivered
	}
	if r.last != 0 && seq != r.last+1 && !r.opts.AllowGaps {
		return fmt.Errorf("%w: entry %d follows %d (in %s)", ErrGap, seq, r.last, name)
	}
	if err := fn(seq, line); err != nil {
		return err
	}
	r.last = seq
	return nil
}
