package feed_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/segment"
	"github.com/authswitch/authswitch/ledger"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
)

// run starts p and returns a function that stops it and checks Run's
// result.
func run(t *testing.T, p *feed.Publisher) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
}

// waitShipped waits until the publisher shipped through seq.
func waitShipped(t *testing.T, p *feed.Publisher, seq uint64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for p.ShippedThrough() < seq {
		if time.Now().After(deadline) {
			t.Fatalf("shipped through %d, want %d (status %+v)", p.ShippedThrough(), seq, p.Status())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// readAll reads a segment directory and checks that the entries are
// exactly 1..last, each once, in order, and valid records; it returns
// them by sequence number.
func readAll(t *testing.T, dir string, last uint64) map[uint64]feed.Record {
	t.Helper()
	recs := map[uint64]feed.Record{}
	var prev uint64
	err := segment.NewReader(dir, segment.ReaderOptions{}).Run(context.Background(), func(seq uint64, line []byte) error {
		if seq != prev+1 {
			t.Fatalf("entry %d after %d", seq, prev)
		}
		prev = seq
		var r feed.Record
		if err := feed.ParseRecord(line, &r); err != nil {
			t.Fatalf("entry %d: %v", seq, err)
		}
		recs[seq] = r
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if prev != last {
		t.Fatalf("read through %d, want %d", prev, last)
	}
	return recs
}

func TestPublisherShipsEveryEntryInOrderAndAcks(t *testing.T) {
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	dir := t.TempDir()
	sink, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet, MaxBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	p, err := feed.New(l, sink, feed.Options{WindowEntries: 64, MaxInFlight: 4, Registerer: reg, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	tr := feedtest.NewTraffic(t, l, clock, 1, 20)
	tr.Run(t, 3000)
	last := l.DurableSeq()
	waitShipped(t, p, last)
	stop()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if e, _ := l.Backlog(); e != 0 {
		t.Fatalf("ledger backlog %d after everything shipped", e)
	}
	recs := readAll(t, dir, last)
	// Per account, the feed has the account's entries in the ledger's order.
	for acct, seqs := range tr.PerAcct {
		for _, s := range seqs {
			if recs[s].Account != acct {
				t.Fatalf("entry %d is %q's, feed says %q", s, acct, recs[s].Account)
			}
		}
	}
	segs, _ := segment.List(dir)
	if len(segs) < 2 {
		t.Fatalf("expected rotation into several segments, got %d", len(segs))
	}
	if got := p.Status().BacklogEntries; got != 0 {
		t.Fatalf("status backlog %v", got)
	}
	if got := metricValue(t, reg, "authswitch_feed_shipped_entries_total"); got < float64(last) {
		t.Fatalf("authswitch_feed_shipped_entries_total = %v, want at least %d", got, last)
	}
}

// flakySink fails every failEvery-th Send before passing windows to a real
// sink, and counts what it was sent.
type flakySink struct {
	feed.Sink
	failEvery int64
	n         atomic.Int64
}

var errInjected = errors.New("injected sink failure")

func (s *flakySink) Send(w *feed.Window, done func(error)) {
	if s.n.Add(1)%s.failEvery == 0 {
		done(errInjected)
		return
	}
	s.Sink.Send(w, done)
}

func TestPublisherRetriesAFailingSinkWithoutLossOrDuplicates(t *testing.T) {
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	dir := t.TempDir()
	real, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	sink := &flakySink{Sink: real, failEvery: 3}
	reg := prometheus.NewRegistry()
	p, err := feed.New(l, sink, feed.Options{WindowEntries: 32, MaxInFlight: 8, RetryMin: time.Millisecond,
		RetryMax: 5 * time.Millisecond, Registerer: reg, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	tr := feedtest.NewTraffic(t, l, clock, 2, 10)
	tr.Run(t, 2000)
	last := l.DurableSeq()
	waitShipped(t, p, last)
	stop()
	p.Close()
	readAll(t, dir, last)
	if f := metricValue(t, reg, "authswitch_feed_sink_failures_total"); f == 0 {
		t.Fatal("no failures counted")
	}
	if p.Healthy() == nil {
		t.Fatal("a stopped publisher reports healthy")
	}
}

// metricValue returns the value of a counter or gauge in reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// gateSink holds every window until opened; it stands for a downstream
// that is down.
type gateSink struct {
	feed.Sink
	mu   sync.Mutex
	open bool
	held []func()
}

func (s *gateSink) Send(w *feed.Window, done func(error)) {
	s.mu.Lock()
	if !s.open {
		// A downstream that is down answers nothing until it times out.
		s.held = append(s.held, func() { done(errors.New("downstream timed out")) })
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.Sink.Send(w, done)
}

func (s *gateSink) Open() {
	s.mu.Lock()
	s.open = true
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, f := range held {
		f()
	}
}

func TestBacklogBoundAndPolicyWhileTheSinkIsDown(t *testing.T) {
	for _, policy := range []feed.BoundPolicy{feed.ApproveAndAlert, feed.Decline91} {
		t.Run(string(policy), func(t *testing.T) {
			clock := feedtest.NewClock(feedtest.Start)
			l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
			defer l.Close()
			dir := t.TempDir()
			real, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet})
			if err != nil {
				t.Fatal(err)
			}
			sink := &gateSink{Sink: real}
			p, err := feed.New(l, sink, feed.Options{WindowEntries: 16, MaxInFlight: 2, MaxBacklogEntries: 200,
				Policy: policy, RetryMin: time.Millisecond, RetryMax: 2 * time.Millisecond, Logger: feedtest.Quiet})
			if err != nil {
				t.Fatal(err)
			}
			stop := run(t, p)
			defer p.Close()
			waitFor(t, "publisher running", func() bool { return p.Ready() == nil })
			// Authorizing goes on while nothing ships: every request is
			// decided and durable.
			tr := feedtest.NewTraffic(t, l, clock, 3, 5)
			tr.Run(t, 500)
			waitFor(t, "over bound", p.OverBound)
			if err := p.Ready(); !errors.Is(err, feed.ErrOverBound) {
				t.Fatalf("Ready = %v, want ErrOverBound", err)
			}
			if got, want := p.Decline91(), policy == feed.Decline91; got != want {
				t.Fatalf("Decline91 = %v under %s", got, policy)
			}
			if p.ShippedThrough() != 0 {
				t.Fatalf("shipped %d through a closed gate", p.ShippedThrough())
			}
			if e, _ := l.Backlog(); e < 200 {
				t.Fatalf("ledger backlog %d", e)
			}
			sink.Open()
			last := l.DurableSeq()
			waitShipped(t, p, last)
			waitFor(t, "back within bound", func() bool { return !p.OverBound() && p.Ready() == nil })
			waitFor(t, "healthy", func() bool { return p.Healthy() == nil })
			stop()
			p.Close()
			readAll(t, dir, last)
		})
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPublisherCrashResumesFromTheLedger crashes the switch (the ledger's
// file system keeps only what was synced, the publisher stops without
// draining) again and again mid-stream; the feed ends up with every entry
// exactly once, in order.
func TestPublisherCrashResumesFromTheLedger(t *testing.T) {
	clock := feedtest.NewClock(feedtest.Start)
	fs := vfs.NewCrashableMem()
	dir := t.TempDir()
	l := feedtest.OpenLedger(t, fs, "db", clock)
	tr := feedtest.NewTraffic(t, l, clock, 4, 8)
	for round := range 6 {
		sink, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet})
		if err != nil {
			t.Fatal(err)
		}
		p, err := feed.New(l, sink, feed.Options{WindowEntries: 8 + round, MaxInFlight: 3, DrainTimeout: time.Nanosecond,
			AckEvery: time.Duration(round) * time.Millisecond, Logger: feedtest.Quiet})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); p.Run(ctx) }()
		tr.L = l
		tr.Run(t, 300)
		// Crash at some point of the shipping: what the ledger synced
		// survives, the publisher's last acknowledgements may not.
		if round%2 == 0 {
			waitShipped(t, p, l.DurableSeq()-uint64(round*10))
		}
		crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
		cancel()
		<-done
		p.Close()
		l.Close()
		fs = crashed
		l = feedtest.OpenLedger(t, fs, "db", clock)
	}
	defer l.Close()
	sink, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	p, err := feed.New(l, sink, feed.Options{Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	last := l.DurableSeq()
	waitShipped(t, p, last)
	stop()
	p.Close()
	recs := readAll(t, dir, last)
	if uint64(len(recs)) != last {
		t.Fatalf("%d records for %d entries", len(recs), last)
	}
}

func TestOptionsRejectAnUnknownPolicy(t *testing.T) {
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	sink, err := segment.Open(segment.Options{Dir: t.TempDir(), Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	if _, err := feed.New(l, sink, feed.Options{Policy: "approve_everything"}); err == nil {
		t.Fatal("unknown policy accepted")
	}
	var _ feed.Journal = (*ledger.Ledger)(nil)
}

func TestPublisherStopsWhenTheLedgerCloses(t *testing.T) {
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	sink, err := segment.Open(segment.Options{Dir: t.TempDir(), Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	p, err := feed.New(l, sink, feed.Options{Poll: time.Millisecond, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	tr := feedtest.NewTraffic(t, l, clock, 9, 3)
	tr.Run(t, 50)
	waitShipped(t, p, l.DurableSeq())
	l.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ledger.ErrClosed) {
			t.Fatalf("Run = %v, want ledger.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("publisher still running on a closed ledger")
	}
	if !errors.Is(p.Ready(), ledger.ErrClosed) {
		t.Fatalf("Ready = %v", p.Ready())
	}
}

// TestObserveSeesEveryEntryBeforeItShips feeds an observer (the admin
// API's authorization index is fed this way) that fails for a while:
// nothing ships past what it has taken, and then everything does.
func TestObserveSeesEveryEntryBeforeItShips(t *testing.T) {
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	dir := t.TempDir()
	sink, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var observed uint64
	refuse := true
	p, err := feed.New(l, sink, feed.Options{WindowEntries: 16, RetryMin: time.Millisecond, Logger: feedtest.Quiet,
		Observe: func(es []ledger.Entry) error {
			mu.Lock()
			defer mu.Unlock()
			if refuse {
				return errors.New("index unavailable")
			}
			for _, e := range es {
				if e.Seq != observed+1 {
					return errors.New("observed out of order")
				}
				observed = e.Seq
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	stop := run(t, p)
	tr := feedtest.NewTraffic(t, l, clock, 10, 4)
	tr.Run(t, 200)
	waitFor(t, "the observer's error reported", func() bool { return errors.Is(p.Healthy(), feed.ErrObserve) })
	if p.ShippedThrough() != 0 {
		t.Fatalf("shipped %d entries the observer refused", p.ShippedThrough())
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	last := l.DurableSeq()
	waitShipped(t, p, last)
	waitFor(t, "healthy again", func() bool { return p.Healthy() == nil })
	stop()
	p.Close()
	mu.Lock()
	defer mu.Unlock()
	if observed < last {
		t.Fatalf("observed through %d, shipped through %d", observed, last)
	}
	readAll(t, dir, last)
}
