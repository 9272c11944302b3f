package natsfeed_test

import (
	"context"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/natsfeed"
	"github.com/authswitch/authswitch/feed/natsserver"
	"github.com/nats-io/nats.go"
)

// BenchmarkPublisherToJetStream ships a journal of 200k durable entries
// from a real ledger to a one-node JetStream (file storage, on this
// machine, server in the same process): entries per second from journal
// to acknowledged, with many entries per message.
func BenchmarkPublisherToJetStream(b *testing.B) {
	for _, tc := range []struct {
		name     string
		perMsg   int
		inFlight int
	}{{"256-per-msg", 256, 16}, {"64-per-msg", 64, 16}, {"1-per-msg", 1, 64}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := natsserver.Start(natsserver.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Stop()
			nc, err := nats.Connect(s.URL())
			if err != nil {
				b.Fatal(err)
			}
			defer nc.Close()
			entries := 200_000
			if tc.perMsg == 1 {
				entries = 50_000
			}
			var msgs uint64
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				clock := feedtest.NewClock(feedtest.Start)
				l := feedtest.OpenLedger(b, nil, b.TempDir(), clock)
				feedtest.Prefill(b, l, entries)
				cfg := natsfeed.StreamConfig{Env: "bench" + string(rune('a'+i%26))}
				sink, err := natsfeed.NewSink(context.Background(), natsfeed.SinkOptions{Conn: nc, Stream: cfg,
					MaxMsgEntries: tc.perMsg, Logger: feedtest.Quiet})
				if err != nil {
					b.Fatal(err)
				}
				p, err := feed.New(l, sink, feed.Options{MaxInFlight: tc.inFlight, Logger: feedtest.Quiet})
				if err != nil {
					b.Fatal(err)
				}
				last := l.DurableSeq()
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan error, 1)
				b.StartTimer()
				start := time.Now()
				go func() { done <- p.Run(ctx) }()
				for p.ShippedThrough() < last {
					time.Sleep(100 * time.Microsecond)
				}
				elapsed := time.Since(start)
				b.StopTimer()
				cancel()
				<-done
				p.Close()
				l.Close()
				b.ReportMetric(float64(last)/elapsed.Seconds(), "entries/s")
				js, _ := nc.JetStream()
				info, err := js.StreamInfo(cfg.StreamName())
				if err == nil {
					msgs = info.State.Msgs
					b.ReportMetric(float64(last)/float64(msgs), "entries/msg")
					js.DeleteStream(cfg.StreamName())
				}
				b.StartTimer()
			}
		})
	}
}
