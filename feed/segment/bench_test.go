package segment_test

import (
	"testing"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/segment"
)

// BenchmarkSinkWindows writes windows of 512 records, fsynced per group,
// 16 in flight as the publisher keeps them.
func BenchmarkSinkWindows(b *testing.B) {
	for _, sync := range []bool{true, false} {
		name := "fsync"
		if !sync {
			name = "nosync"
		}
		b.Run(name, func(b *testing.B) {
			s := open(b, b.TempDir(), segment.Options{NoSync: !sync})
			defer s.Close()
			const per, inFlight = 512, 16
			ws := make([]*feed.Window, inFlight)
			done := make(chan error, inFlight)
			next := uint64(1)
			b.SetBytes(int64(len(window(1, per).Data)))
			for i := 0; b.Loop(); i++ {
				slot := i % inFlight
				if i >= inFlight {
					if err := <-done; err != nil {
						b.Fatal(err)
					}
				}
				ws[slot] = window(next, next+per-1)
				next += per
				s.Send(ws[slot], func(err error) { done <- err })
			}
			for range min(b.N, inFlight) {
				<-done
			}
			b.ReportMetric(float64(next-1)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}
