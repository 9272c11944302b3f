package feed_test

import (
	"context"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/segment"
)

func BenchmarkAppendRecord(b *testing.B) {
	e := approvedEntry()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e.Seq = uint64(i + 1)
		buf = feed.AppendRecord(buf[:0], &e)
	}
	b.ReportMetric(float64(len(buf)), "bytes/record")
}

func BenchmarkParseSeq(b *testing.B) {
	e := approvedEntry()
	line := feed.AppendRecord(nil, &e)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := feed.ParseSeq(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseRecord(b *testing.B) {
	e := approvedEntry()
	line := feed.AppendRecord(nil, &e)
	var r feed.Record
	b.ReportAllocs()
	for b.Loop() {
		if err := feed.ParseRecord(line, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublisherToSegments ships a journal of 200k durable entries
// from a real ledger to fsynced segment files: the embedded feed's
// throughput, journal reading and encoding included.
func BenchmarkPublisherToSegments(b *testing.B) {
	const entries = 200_000
	for b.Loop() {
		b.StopTimer()
		clock := feedtest.NewClock(feedtest.Start)
		l := feedtest.OpenLedger(b, nil, b.TempDir(), clock)
		feedtest.Prefill(b, l, entries)
		sink, err := segment.Open(segment.Options{Dir: b.TempDir(), Logger: feedtest.Quiet})
		if err != nil {
			b.Fatal(err)
		}
		p, err := feed.New(l, sink, feed.Options{Logger: feedtest.Quiet})
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
		b.StartTimer()
	}
}
