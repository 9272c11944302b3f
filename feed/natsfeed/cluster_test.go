package natsfeed_test

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/natsfeed"
	"github.com/authswitch/authswitch/feed/natsserver"
	"github.com/nats-io/nats.go/jetstream"
)

// TestClusterSurvivesLosingANode runs a three-node JetStream cluster on
// loopback (three server processes) with the feed's stream replicated
// three times, SIGKILLs the stream's leader while the switch publishes, and checks that no entry
// acknowledged (or decided since) is lost: the consumer, on the two
// remaining nodes, sees every entry exactly once, in order.
func TestClusterSurvivesLosingANode(t *testing.T) {
	ports, err := natsserver.FreePorts(6)
	if err != nil {
		t.Fatal(err)
	}
	var routes []string
	for i := range 3 {
		routes = append(routes, natsserver.HostPort(ports[3+i]))
	}
	nodes := map[string]*exec.Cmd{}
	var urls []string
	for i := range 3 {
		name := fmt.Sprintf("n%d", i)
		nodes[name] = child(t, "nats", "FEEDTEST_NAME="+name, "FEEDTEST_DIR="+t.TempDir(),
			"FEEDTEST_PORT="+strconv.Itoa(ports[i]), "FEEDTEST_CLUSTER_PORT="+strconv.Itoa(ports[3+i]),
			"FEEDTEST_ROUTES="+strings.Join(routes, ","))
		urls = append(urls, "nats://"+natsserver.HostPort(ports[i]))
	}
	nc := connect(t, urls...)
	cfg := natsfeed.StreamConfig{Env: "cluster", Replicas: 3}

	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	p, stop := startPublisher(t, l, nc, cfg)
	tr := feedtest.NewTraffic(t, l, clock, 13, 16)
	tr.Run(t, 1500)
	waitShipped(t, p, l.DurableSeq(), 60*time.Second)

	// Find and kill the stream's leader while more is being published.
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), cfg.StreamName())
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(context.Background())
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("no stream leader: %v %+v", err, info)
	}
	if len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream has %d other replicas", len(info.Cluster.Replicas))
	}
	tr.Run(t, 300)
	killed := info.Cluster.Leader
	leader, ok := nodes[killed]
	if !ok {
		t.Fatalf("leader %q is none of the nodes", killed)
	}
	kill(t, leader)
	start := time.Now()
	tr.Run(t, 1500)
	last := l.DurableSeq()
	waitShipped(t, p, last, 60*time.Second)
	t.Logf("killed leader %s; %d entries shipped %.1fs later", killed, last, time.Since(start).Seconds())
	stop()

	recs := consumeAll(t, nc, cfg, "after-leader-loss", last)
	for acct, seqs := range tr.PerAcct {
		for _, sq := range seqs {
			if recs[sq].Account != acct {
				t.Fatalf("entry %d: account %q, want %q", sq, recs[sq].Account, acct)
			}
		}
	}
}
