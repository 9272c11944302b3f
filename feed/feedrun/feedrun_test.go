package feedrun_test

import (
	"context"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/feedrun"
	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/natsserver"
	"github.com/prometheus/client_golang/prometheus"
)

func TestOpenEachSinkAndShip(t *testing.T) {
	s, err := natsserver.Start(natsserver.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	for _, cfg := range []feedrun.Config{
		{Sink: "file", Dir: t.TempDir()},
		{Sink: "nats", NATSURL: s.URL(), Environment: "wiring", MaxBacklog: 5, OverBoundPolicy: "decline_91"},
	} {
		t.Run(cfg.Sink, func(t *testing.T) {
			clock := feedtest.NewClock(feedtest.Start)
			l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
			defer l.Close()
			f, err := feedrun.Open(context.Background(), l, cfg, feed.Options{Registerer: prometheus.NewRegistry(),
				Logger: feedtest.Quiet})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.OverBoundPolicy != "" && f.Policy() != feed.Decline91 {
				t.Fatalf("policy %s", f.Policy())
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- f.Run(ctx) }()
			tr := feedtest.NewTraffic(t, l, clock, 3, 4)
			tr.Run(t, 300)
			deadline := time.Now().Add(30 * time.Second)
			for f.ShippedThrough() < l.DurableSeq() {
				if time.Now().After(deadline) {
					t.Fatalf("not shipped: %+v", f.Status())
				}
				time.Sleep(2 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := feedrun.Open(context.Background(), nil, feedrun.Config{Sink: "kafka"}, feed.Options{}); err == nil {
		t.Fatal("unknown sink accepted")
	}
}
