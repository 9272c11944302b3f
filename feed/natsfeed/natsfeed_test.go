package natsfeed_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/natsfeed"
	"github.com/authswitch/authswitch/feed/natsserver"
	"github.com/authswitch/authswitch/ledger"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The test binary also runs, as a child process, a NATS server or a
// publishing switch, so that the tests can SIGKILL either mid-stream.
func TestMain(m *testing.M) {
	switch os.Getenv("FEEDTEST_CHILD") {
	case "nats":
		natsChild()
		return
	case "publisher":
		publisherChild()
		return
	}
	os.Exit(m.Run())
}

func natsChild() {
	port, _ := strconv.Atoi(os.Getenv("FEEDTEST_PORT"))
	o := natsserver.Options{Dir: os.Getenv("FEEDTEST_DIR"), Port: port, Name: os.Getenv("FEEDTEST_NAME")}
	if routes := os.Getenv("FEEDTEST_ROUTES"); routes != "" {
		cport, _ := strconv.Atoi(os.Getenv("FEEDTEST_CLUSTER_PORT"))
		o.Cluster = &natsserver.Cluster{Name: "feed", Port: cport, Routes: strings.Split(routes, ",")}
	}
	s, err := natsserver.Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println("ready", s.URL())
	s.WaitForShutdown()
}

// publisherChild is a switch's feed side: a ledger taking authorizations
// and reversals as fast as it can and a publisher shipping them to NATS,
// until it is killed.
func publisherChild() {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	l, err := ledger.Open(ledger.Options{Dir: os.Getenv("FEEDTEST_DIR"), Logger: feedtest.Quiet})
	if err != nil {
		fail(err)
	}
	nc, err := nats.Connect(os.Getenv("FEEDTEST_URL"), nats.MaxReconnects(-1))
	if err != nil {
		fail(err)
	}
	sink, err := natsfeed.NewSink(context.Background(), natsfeed.SinkOptions{Conn: nc,
		Stream: natsfeed.StreamConfig{Env: "test"}, MaxMsgEntries: 16, Logger: feedtest.Quiet})
	if err != nil {
		fail(err)
	}
	p, err := feed.New(l, sink, feed.Options{WindowEntries: 64, MaxInFlight: 8, Logger: feedtest.Quiet})
	if err != nil {
		fail(err)
	}
	go p.Run(context.Background())
	round, _ := strconv.Atoi(os.Getenv("FEEDTEST_ROUND"))
	for i := range 20 {
		if err := l.UpsertAccount(fmt.Sprintf("acct%02d", i), "USD", 1_000_000_000, 0); err != nil {
			fail(err)
		}
	}
	fmt.Println("ready")
	for n := 0; ; n++ {
		net := ledger.Network(1 + n%2)
		acct := fmt.Sprintf("acct%02d", n%20)
		stan := fmt.Sprintf("%06d", n%1_000_000)
		at := fmt.Sprintf("%02d%08d", round, n%100_000_000)
		lc := ledger.MakeLifecycleKey(net, fmt.Sprintf("r%dn%d", round, n))
		res := l.Authorize(&ledger.Authorize{Key: ledger.MakeRequestKey(net, ledger.ClassAuthorization, stan, at, "1"),
			Lifecycle: lc, Account: acct, Card: "tok_" + acct, Amount: 100, Currency: "USD", MCC: "5411",
			Descriptor: ledger.Descriptor{Network: feedtest.Networks[net], Kind: "authorization", STAN: stan}})
		if n%3 == 0 {
			l.Reverse(&ledger.Reverse{Key: ledger.MakeRequestKey(net, ledger.ClassReversal, stan, at, "1"),
				Lifecycle: lc, Account: acct, Card: "tok_" + acct,
				Descriptor: ledger.Descriptor{Network: feedtest.Networks[net], Kind: "reversal", STAN: stan}})
		}
		if n%64 == 0 {
			l.WaitDurable(context.Background(), res.Seq)
		}
	}
}

// child starts the test binary as a child of the given kind and waits for
// its "ready" line.
func child(t *testing.T, kind string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"FEEDTEST_CHILD=" + kind}, env...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() && strings.HasPrefix(sc.Text(), "ready") {
			ready <- nil
			for sc.Scan() {
			}
			return
		}
		ready <- fmt.Errorf("%s child did not start", kind)
	}()
	select {
	case err := <-ready:
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("%s child not ready after 60s", kind)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func connect(t *testing.T, urls ...string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(strings.Join(urls, ","), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

var env = natsfeed.StreamConfig{Env: "test"}

// consumeAll reads the feed with a durable consumer until it delivered
// entry last, checking that entries come once each, in sequence order,
// and are valid records; it returns them by sequence number.
func consumeAll(t *testing.T, nc *nats.Conn, cfg natsfeed.StreamConfig, durable string, last uint64) map[uint64]feed.Record {
	t.Helper()
	c, err := natsfeed.NewConsumer(natsfeed.ConsumerOptions{Conn: nc, Stream: cfg, Durable: durable,
		Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	recs := map[uint64]feed.Record{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errDone := errors.New("done")
	err = c.Run(ctx, func(seq uint64, line []byte) error {
		if _, dup := recs[seq]; dup {
			t.Fatalf("entry %d delivered twice", seq)
		}
		if seq != uint64(len(recs))+1 {
			t.Fatalf("entry %d delivered after %d entries", seq, len(recs))
		}
		var r feed.Record
		if err := feed.ParseRecord(line, &r); err != nil {
			t.Fatalf("entry %d: %v", seq, err)
		}
		recs[seq] = r
		if seq == last {
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("consumer stopped after %d of %d entries: %v", len(recs), last, err)
	}
	return recs
}

func waitShipped(t *testing.T, p *feed.Publisher, seq uint64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for p.ShippedThrough() < seq {
		if time.Now().After(deadline) {
			t.Fatalf("shipped through %d, want %d (status %+v)", p.ShippedThrough(), seq, p.Status())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func startPublisher(t *testing.T, l *ledger.Ledger, nc *nats.Conn, cfg natsfeed.StreamConfig) (*feed.Publisher, func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var sink *natsfeed.Sink
	var err error
	for {
		// A cluster may still be electing its meta leader.
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		sink, err = natsfeed.NewSink(attempt, natsfeed.SinkOptions{Conn: nc, Stream: cfg, MaxMsgEntries: 32,
			AckTimeout: 3 * time.Second, Logger: feedtest.Quiet})
		cancelAttempt()
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	p, err := feed.New(l, sink, feed.Options{WindowEntries: 128, MaxInFlight: 8, RetryMin: 20 * time.Millisecond,
		RetryMax: 200 * time.Millisecond, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	return p, func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("publisher: %v", err)
		}
		p.Close()
	}
}

func TestShipAndConsumeExactlyOnceWithManyEntriesPerMessage(t *testing.T) {
	s, err := natsserver.Start(natsserver.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	nc := connect(t, s.URL())
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	p, stop := startPublisher(t, l, nc, env)
	tr := feedtest.NewTraffic(t, l, clock, 7, 12)
	tr.Run(t, 2000)
	last := l.DurableSeq()
	waitShipped(t, p, last, 30*time.Second)
	stop()

	recs := consumeAll(t, nc, env, "settle", last)
	for acct, seqs := range tr.PerAcct {
		for _, sq := range seqs {
			if recs[sq].Account != acct {
				t.Fatalf("entry %d: account %q, want %q", sq, recs[sq].Account, acct)
			}
		}
	}
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), env.StreamName())
	if err != nil {
		t.Fatal(err)
	}
	info, _ := st.Info(context.Background())
	if info.State.Msgs == 0 || info.State.Msgs*4 > last {
		t.Fatalf("%d messages for %d entries: not batched", info.State.Msgs, last)
	}
	subjects, _ := st.Info(context.Background(), jetstream.WithSubjectFilter(env.Subjects()))
	for subj := range subjects.State.Subjects {
		if !strings.HasPrefix(subj, "authswitch.test.") || strings.Count(subj, ".") != 3 {
			t.Fatalf("subject %q", subj)
		}
	}
	for _, want := range []string{"authswitch.test.visa.authorization", "authswitch.test.mastercard.reversal",
		"authswitch.test.ledger.account"} {
		if _, ok := subjects.State.Subjects[want]; !ok {
			t.Fatalf("no messages on %s (have %v)", want, subjects.State.Subjects)
		}
	}

	// A consumer that resumes after its mark gets only what follows.
	c2 := consumeAfter(t, nc, last-10)
	if len(c2) != 10 {
		t.Fatalf("resumed consumer got %d entries", len(c2))
	}
}

func consumeAfter(t *testing.T, nc *nats.Conn, after uint64) []uint64 {
	t.Helper()
	c, err := natsfeed.NewConsumer(natsfeed.ConsumerOptions{Conn: nc, Stream: env, After: after, StopAtEnd: true,
		Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.Run(ctx, func(seq uint64, _ []byte) error { got = append(got, seq); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if s != after+1+uint64(i) {
			t.Fatalf("entry %d is %d", i, s)
		}
	}
	return got
}

// synthetic builds a window of entries first..last alternating networks.
func synthetic(first, last uint64) *feed.Window {
	w := &feed.Window{Floor: first}
	for sq := first; sq <= last; sq++ {
		e := ledger.Entry{Seq: sq, Time: feedtest.Start, Op: ledger.OpAuthorize, Account: "a", Amount: int64(sq),
			Result:     ledger.Result{Status: ledger.Approved, Approved: int64(sq)},
			Descriptor: ledger.Descriptor{Network: feedtest.Networks[ledger.Network(1+sq%2)], Kind: "authorization"}}
		if err := w.Append(&e); err != nil {
			panic(err)
		}
	}
	return w
}

func sendWait(t *testing.T, s *natsfeed.Sink, w *feed.Window) {
	t.Helper()
	errc := make(chan error, 1)
	s.Send(w, func(err error) { errc <- err })
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRepeatedWindowsAreHarmless(t *testing.T) {
	s, err := natsserver.Start(natsserver.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	nc := connect(t, s.URL())
	cfg := natsfeed.StreamConfig{Env: "dedupe"}
	sink, err := natsfeed.NewSink(context.Background(), natsfeed.SinkOptions{Conn: nc, Stream: cfg,
		MaxMsgEntries: 8, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	js, _ := jetstream.New(nc)
	msgs := func() uint64 {
		st, err := js.Stream(context.Background(), cfg.StreamName())
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
	sendWait(t, sink, synthetic(1, 40))
	n := msgs()
	if n != 6 { // 20 visa + 20 mastercard, 8 per message
		t.Fatalf("%d messages for 40 entries in two subjects, 8 per message", n)
	}
	// The same window again: same ids, dropped by JetStream.
	sendWait(t, sink, synthetic(1, 40))
	if msgs() != n {
		t.Fatalf("a repeated window was stored again: %d messages, had %d", msgs(), n)
	}
	// After a restart the window is cut differently: starting at the same
	// entry but reaching further. With an id of the first entry alone its
	// tail would be dropped as a duplicate; it must be stored.
	sendWait(t, sink, synthetic(33, 60))
	if msgs() == n {
		t.Fatal("a re-cut window with new entries was dropped")
	}
	sendWait(t, sink, synthetic(61, 64))
	c, err := natsfeed.NewConsumer(natsfeed.ConsumerOptions{Conn: nc, Stream: cfg, StopAtEnd: true, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	if err := c.Run(context.Background(), func(seq uint64, _ []byte) error { got = append(got, seq); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 64 || got[0] != 1 || got[63] != 64 {
		t.Fatalf("consumer got %d entries (%v...)", len(got), got[:min(len(got), 5)])
	}
	for i, sq := range got {
		if sq != uint64(i)+1 {
			t.Fatalf("entry %d is %d", i, sq)
		}
	}
}
