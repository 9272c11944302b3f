package natsfeed_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/natsfeed"
	"github.com/authswitch/authswitch/feed/natsserver"
	"github.com/authswitch/authswitch/ledger"
	"github.com/nats-io/nats.go/jetstream"
)

// TestNATSServerKilledMidStream SIGKILLs the NATS server while the switch
// decides and publishes, lets the backlog build up, starts the server
// again on its store, and repeats; the consumer then sees every entry
// exactly once, in order (so in order per account).
func TestNATSServerKilledMidStream(t *testing.T) {
	ports, err := natsserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	store := t.TempDir()
	natsEnv := []string{"FEEDTEST_DIR=" + store, "FEEDTEST_PORT=" + strconv.Itoa(ports[0])}
	srv := child(t, "nats", natsEnv...)
	nc := connect(t, "nats://"+natsserver.HostPort(ports[0]))

	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	p, stop := startPublisher(t, l, nc, env)
	tr := feedtest.NewTraffic(t, l, clock, 11, 16)
	for round := range 3 {
		tr.Run(t, 400)
		// Kill while windows are in flight.
		tr.Run(t, 50)
		kill(t, srv)
		before := p.ShippedThrough()
		// The switch keeps deciding; nothing ships.
		tr.Run(t, 300)
		if e, _ := l.Backlog(); e == 0 {
			t.Fatalf("round %d: no backlog while NATS is down", round)
		}
		srv = child(t, "nats", natsEnv...)
		tr.Run(t, 100)
		last := l.DurableSeq()
		waitShipped(t, p, last, 60*time.Second)
		t.Logf("round %d: shipped %d before the kill, %d after the restart", round, before, last)
	}
	stop()
	recs := consumeAll(t, nc, env, "after-kill", l.DurableSeq())
	for acct, seqs := range tr.PerAcct {
		for _, sq := range seqs {
			if recs[sq].Account != acct {
				t.Fatalf("entry %d: account %q, want %q", sq, recs[sq].Account, acct)
			}
		}
	}
}

// TestPublisherKilledMidStream SIGKILLs the switch (ledger and publisher
// in a child process) at random points while it publishes, several times;
// a last run ships what is left. The consumer sees every entry the ledger
// made durable exactly once, in order, although the stream may hold some
// twice (windows shipped but not yet acknowledged to the ledger when the
// process died).
func TestPublisherKilledMidStream(t *testing.T) {
	s, err := natsserver.Start(natsserver.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	nc := connect(t, s.URL())
	dir := filepath.Join(t.TempDir(), "ledger")
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 4 {
		c := child(t, "publisher", "FEEDTEST_DIR="+dir, "FEEDTEST_URL="+s.URL(), "FEEDTEST_ROUND="+strconv.Itoa(round))
		time.Sleep(time.Duration(200+rng.IntN(400)) * time.Millisecond)
		kill(t, c)
	}
	// The switch comes back and ships the rest.
	l, err := ledger.Open(ledger.Options{Dir: dir, Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	last := l.DurableSeq()
	if last < 500 {
		t.Fatalf("only %d entries were made", last)
	}
	p, stop := startPublisher(t, l, nc, env)
	waitShipped(t, p, last, 60*time.Second)
	stop()
	consumeAll(t, nc, env, "after-crash", last)

	js, _ := jetstream.New(nc)
	st, _ := js.Stream(context.Background(), env.StreamName())
	info, _ := st.Info(context.Background())
	stored := 0
	for sq := info.State.FirstSeq; sq <= info.State.LastSeq; sq++ {
		m, err := st.GetMsg(context.Background(), sq)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(m.Header.Get(natsfeed.HeaderCount))
		stored += n
	}
	t.Logf("%d entries in %d messages holding %d records (%d repeated across the kills)",
		last, info.State.Msgs, stored, stored-int(last))
}

// TestNATSDownWhenTheSwitchStarts starts the feed with no NATS server: the
// switch starts and decides, the backlog waits in the journal, and once
// NATS comes up the stream is made and everything ships.
func TestNATSDownWhenTheSwitchStarts(t *testing.T) {
	ports, err := natsserver.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + natsserver.HostPort(ports[0])
	nc := connect(t, url)
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	p, stop := startPublisher(t, l, nc, env)
	tr := feedtest.NewTraffic(t, l, clock, 17, 6)
	tr.Run(t, 300)
	deadline := time.Now().Add(30 * time.Second)
	for p.Healthy() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no NATS, and the feed says it is healthy")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p.ShippedThrough() != 0 {
		t.Fatalf("shipped %d with no NATS", p.ShippedThrough())
	}
	s, err := natsserver.Start(natsserver.Options{Dir: t.TempDir(), Port: ports[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	last := l.DurableSeq()
	waitShipped(t, p, last, 60*time.Second)
	stop()
	consumeAll(t, nc, env, "late-start", last)
}
