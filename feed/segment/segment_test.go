package segment_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/segment"
	"github.com/authswitch/authswitch/ledger"
)

var t0 = time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)

// window builds a window of entries first..last.
func window(first, last uint64) *feed.Window {
	w := &feed.Window{}
	for s := first; s <= last; s++ {
		e := ledger.Entry{Seq: s, Time: t0.Add(time.Duration(s) * time.Millisecond), Op: ledger.OpAuthorize,
			Account: "acct", Currency: "USD", Amount: int64(s),
			Result:     ledger.Result{Status: ledger.Approved, Approved: int64(s)},
			Descriptor: ledger.Descriptor{Network: "visa", Kind: "authorization", MerchantName: "Shop"}}
		if err := w.Append(&e); err != nil {
			panic(err)
		}
	}
	return w
}

// send sends w and waits for the sink's answer.
func send(s *segment.Sink, w *feed.Window) error {
	errc := make(chan error, 1)
	s.Send(w, func(err error) { errc <- err })
	return <-errc
}

func open(t testing.TB, dir string, o segment.Options) *segment.Sink {
	t.Helper()
	o.Dir, o.Logger = dir, feedtest.Quiet
	s, err := segment.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// read returns the sequence numbers a fresh reader delivers.
func read(t *testing.T, dir string, o segment.ReaderOptions) ([]uint64, error) {
	t.Helper()
	var got []uint64
	err := segment.NewReader(dir, o).Run(context.Background(), func(seq uint64, line []byte) error {
		var r feed.Record
		if err := feed.ParseRecord(line, &r); err != nil {
			t.Fatalf("entry %d: %v", seq, err)
		}
		got = append(got, seq)
		return nil
	})
	return got, err
}

func wantRange(t *testing.T, got []uint64, first, last uint64) {
	t.Helper()
	if uint64(len(got)) != last-first+1 {
		t.Fatalf("got %d entries, want %d..%d", len(got), first, last)
	}
	for i, s := range got {
		if s != first+uint64(i) {
			t.Fatalf("entry %d is %d, want %d", i, s, first+uint64(i))
		}
	}
}

func TestSinkSkipsWhatItHoldsAndRotates(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, segment.Options{MaxBytes: 4 << 10})
	for first := uint64(1); first <= 200; first += 20 {
		if err := send(s, window(first, first+19)); err != nil {
			t.Fatal(err)
		}
	}
	// Sent again after a restart, with other boundaries: nothing doubles.
	if err := send(s, window(150, 210)); err != nil {
		t.Fatal(err)
	}
	if err := send(s, window(1, 5)); err != nil {
		t.Fatal(err)
	}
	// A window that skips ahead is refused until the missing one comes.
	if err := send(s, window(300, 310)); !errors.Is(err, segment.ErrOutOfOrder) {
		t.Fatalf("out-of-order window: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s.LastSeq() != 210 {
		t.Fatalf("LastSeq %d", s.LastSeq())
	}
	segs, err := segment.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(segs) < 3 || segs[0].First != 1 {
		t.Fatalf("segments %+v", segs)
	}
	for _, sg := range segs[1:] {
		if (sg.First-1)%20 != 0 {
			t.Fatalf("segment %s does not start at a window", sg.Name)
		}
	}
	got, err := read(t, dir, segment.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, got, 1, 210)
	// A reader resuming after its high-water mark.
	got, err = read(t, dir, segment.ReaderOptions{After: 123})
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, got, 124, 210)
}

func TestOpenCutsATornTailAndStartsANewSegment(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, segment.Options{})
	if err := send(s, window(1, 50)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// A crash in the middle of a write: half a record after the last line.
	path := filepath.Join(dir, segment.Name(1))
	half := window(51, 51).Data
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(half[:len(half)/2])
	f.Close()
	// A reader meanwhile never sees the torn record.
	got, err := read(t, dir, segment.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, got, 1, 50)

	s = open(t, dir, segment.Options{})
	if err := send(s, window(40, 60)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s.LastSeq() != 60 {
		t.Fatalf("LastSeq %d", s.LastSeq())
	}
	segs, _ := segment.List(dir)
	if len(segs) != 2 || segs[1].First != 51 {
		t.Fatalf("segments after restart: %+v", segs)
	}
	got, err = read(t, dir, segment.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantRange(t, got, 1, 60)
}

func TestReaderReportsGaps(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, segment.Options{})
	send(s, window(1, 10))
	s.Close()
	// The next run's ledger acknowledgement is past what the directory
	// holds: the sink starts a new segment after the gap.
	s = open(t, dir, segment.Options{})
	if err := send(s, window(21, 30)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	got, err := read(t, dir, segment.ReaderOptions{})
	if !errors.Is(err, segment.ErrGap) {
		t.Fatalf("gap not reported: %v (read %v)", err, got)
	}
	wantRange(t, got, 1, 10)
	got, err = read(t, dir, segment.ReaderOptions{AllowGaps: true})
	if err != nil || len(got) != 20 || got[10] != 21 {
		t.Fatalf("AllowGaps read %v, %v", got, err)
	}
	// A consumer whose mark is before the oldest segment misses entries.
	s2 := t.TempDir()
	s = open(t, s2, segment.Options{})
	send(s, window(5, 9))
	s.Close()
	if _, err := read(t, s2, segment.ReaderOptions{After: 2}); !errors.Is(err, segment.ErrGap) {
		t.Fatalf("missing head not reported: %v", err)
	}
}

// TestFollowingReaderSeesWholeLinesWhileTheSinkWrites reads a directory
// while it is written and rotated; every record it sees parses (no torn
// line), in order, exactly once.
func TestFollowingReaderSeesWholeLinesWhileTheSinkWrites(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, segment.Options{MaxBytes: 16 << 10, NoSync: true})
	const last = 3000
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for first := uint64(1); first <= last; first += 7 {
			if err := send(s, window(first, min(first+6, last))); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []uint64
	errStop := errors.New("done")
	err := segment.NewReader(dir, segment.ReaderOptions{Follow: true, Poll: time.Millisecond}).Run(ctx,
		func(seq uint64, line []byte) error {
			var r feed.Record
			if err := feed.ParseRecord(line, &r); err != nil {
				t.Fatalf("torn or bad record %d: %v", seq, err)
			}
			got = append(got, seq)
			if seq == last {
				return errStop
			}
			return nil
		})
	if !errors.Is(err, errStop) {
		t.Fatal(err)
	}
	wg.Wait()
	s.Close()
	wantRange(t, got, 1, last)
}

func FuzzReader(f *testing.F) {
	f.Add(window(1, 3).Data)
	f.Add([]byte("{\"v\":1,\"id\":\"je_1\",\"seq\":1,\n\n\n{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, segment.Name(1)), data, 0o600); err != nil {
			t.Fatal(err)
		}
		var prev uint64
		_ = segment.NewReader(dir, segment.ReaderOptions{}).Run(context.Background(), func(seq uint64, _ []byte) error {
			if seq <= prev {
				t.Fatalf("entry %d after %d", seq, prev)
			}
			prev = seq
			return nil
		})
		// Opening the directory for writing recovers whatever it holds.
		s, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet})
		if err == nil {
			s.Close()
		}
	})
}
