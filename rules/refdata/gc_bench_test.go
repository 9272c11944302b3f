package refdata_test

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/authswitch/authswitch/rules/refdata"
)

// BenchmarkGCWarmCache: what a cache holding a whole portfolio (100k
// cards, each with its own account and cardholder, as the bench portfolio
// has them) costs the garbage collector: one op is one full collection of
// a heap that holds little else. Every collection marks the cached
// records; the switch's own allocations decide how often one runs.
func BenchmarkGCWarmCache(b *testing.B) {
	s, err := refdata.Open(refdata.Options{PANKey: testKey, CacheBytes: 512 << 20})
	mustNil(b, err)
	b.Cleanup(func() { s.Close() })
	const n = 100_000
	l, err := s.NewLoader()
	mustNil(b, err)
	for i := 0; i < n; i++ {
		a := account(fmt.Sprint("acct_", i))
		a.Controls = &refdata.Controls{BlockedCountries: []string{"KP", "IR"}, SpendingLimits: []refdata.SpendingLimit{{Amount: 1e9, Interval: refdata.Monthly}}}
		mustNil(b, l.PutAccount(a))
		mustNil(b, l.PutCardholder(holder(fmt.Sprint("ch_", i), fmt.Sprint("acct_", i))))
		c := card(fmt.Sprint("card_", i), fmt.Sprint("acct_", i), fmt.Sprint("ch_", i))
		c.Controls = &refdata.Controls{SpendingLimits: []refdata.SpendingLimit{{Amount: 1e6, Interval: refdata.PerAuthorization}, {Amount: int64(1e7 + i%100), Interval: refdata.Daily}}}
		mustNil(b, l.PutCard(c, pan("400000", i)))
	}
	mustNil(b, l.Close())
	readAll(b, s, n)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		runtime.GC()
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
	b.ReportMetric(float64(ms.HeapObjects), "heap-objects")
	b.ReportMetric(float64(ms.HeapAlloc)/1e6, "heap-MB")
	runtime.KeepAlive(s)
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
