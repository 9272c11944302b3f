package ledger_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
)

// benchRequest is an authorization with controls at all three levels, a
// life cycle, field 90 identity and a full descriptor, as the rules
// engine sends them.
func benchRequest(account, card int) ledger.Authorize {
	return ledger.Authorize{
		Account: fmt.Sprintf("acct_%d", account), Cardholder: fmt.Sprintf("ch_%d", card), Card: fmt.Sprintf("card_%d", card),
		Amount: 1234, Currency: "USD", MCC: "5411", At: t0,
		Limits: []ledger.Limit{
			{Scope: ledger.ScopeAccount, Interval: ledger.PerAuthorization, Amount: 1_000_000},
			{Scope: ledger.ScopeCard, Interval: ledger.Daily, Amount: 1 << 50},
			{Scope: ledger.ScopeCardholder, Interval: ledger.Monthly, Amount: 1 << 50},
		},
		Velocity: []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 100, Window: time.Minute}},
		Descriptor: ledger.Descriptor{Network: "visa", Kind: "authorization", MTI: "0100", STAN: "123456",
			RRN: "612345678901", TransactionID: "381234567890123", CardToken: "tok_0123456789abcdef", Last4: "0010",
			Amount: 1234, Currency: "USD", MerchantName: "CORNER GROCERY", MerchantCity: "SPRINGFIELD", Country: "US",
			MCC: "5411", TerminalID: "TERM0001", Decision: "approved", ResponseCode: "00"},
	}
}

// setKeys gives a request fresh, unique request, life-cycle and original
// keys, and a time 5n milliseconds into the run.
func setKeys(r *ledger.Authorize, n uint64) {
	r.At = t0.Add(time.Duration(n%(1<<30)) * 5 * time.Millisecond)
	binary.LittleEndian.PutUint64(r.Key[8:], n)
	r.Key[0] = 1
	binary.LittleEndian.PutUint64(r.Lifecycle[8:], n)
	r.Lifecycle[0] = 1
	binary.LittleEndian.PutUint64(r.Original[8:], n)
}

func openBench(b *testing.B, opts ledger.Options, accounts int) *ledger.Ledger {
	b.Helper()
	opts.Logger = quiet
	l, err := ledger.Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	for i := 0; i < accounts; i++ {
		if err := l.UpsertAccount(fmt.Sprintf("acct_%d", i), "USD", 1<<50, 0); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

// BenchmarkAuthorize is the ledger's decision without I/O: idempotency,
// three limits, velocity, funds, the hold, the counters and the journal
// entry's encoding, on one goroutine, the journal volatile.
func BenchmarkAuthorize(b *testing.B) {
	const accounts = 10_000
	l := openBench(b, ledger.Options{Volatile: true, ExpectedRequests: 3 * b.N}, accounts)
	reqs := make([]ledger.Authorize, 4096)
	for i := range reqs {
		reqs[i] = benchRequest(i*97%accounts, i)
	}
	warmUp(b, l, reqs, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		r := &reqs[i%len(reqs)]
		setKeys(r, uint64(i)+1)
		if res := l.Authorize(r); res.Status != ledger.Approved {
			b.Fatalf("%+v", res)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's user and system CPU time so far. On a machine
// shared with other work the wall time per operation says little; the CPU
// time says what one authorization costs (the committer's share included).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
}

// warmUp brings the accounts to a steady state: n holds placed, then
// all reversed, so that each account's hold slots and indexes have the
// size its open holds reach, as in a switch that has been running (Go maps
// and slices keep their size).
func warmUp(b *testing.B, l *ledger.Ledger, reqs []ledger.Authorize, n int) {
	placed := make([]ledger.Reverse, 0, n)
	for i := 0; i < n; i++ {
		r := reqs[i%len(reqs)]
		setKeys(&r, uint64(i)+1<<40)
		r.At, r.Velocity = t0.Add(-time.Hour), nil
		if res := l.Authorize(&r); res.Status != ledger.Approved {
			b.Fatalf("%+v", res)
		}
		placed = append(placed, ledger.Reverse{Account: r.Account, Lifecycle: r.Lifecycle, At: r.At})
	}
	for i := range placed {
		rev := &placed[i]
		setKeysReverse(rev, uint64(i)+1<<41)
		if res := l.Reverse(rev); res.Released != 1234 {
			b.Fatalf("%+v", res)
		}
	}
}

func setKeysReverse(r *ledger.Reverse, n uint64) {
	binary.LittleEndian.PutUint64(r.Key[8:], n)
	r.Key[0] = 3
}

// BenchmarkCheck is the read-only evaluation the rules run as their
// spending-controls step.
func BenchmarkCheck(b *testing.B) {
	l := openBench(b, ledger.Options{Volatile: true}, 1000)
	reqs := make([]ledger.Authorize, 1000)
	for i := range reqs {
		reqs[i] = benchRequest(i, i)
		setKeys(&reqs[i], uint64(i)+1)
		l.Authorize(&reqs[i])
		setKeys(&reqs[i], uint64(i)+1_000_000)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if res := l.Check(&reqs[i%len(reqs)]); res.Status != ledger.Approved {
			b.Fatalf("%+v", res)
		}
	}
	reportCPU(b, cpu)
}

// durable runs authorizations the way the sessions do: producers (one per
// core) keep up to window authorizations in flight, and each is released
// by its OnDurable callback — no goroutine per request. Pebble on disk,
// fsync per group commit.
func durable(b *testing.B, accounts, window int) {
	l := openBench(b, ledger.Options{Dir: b.TempDir(), ExpectedRequests: 4 << 20}, accounts)
	var n atomic.Uint64
	var card atomic.Int64
	inflight := make(chan struct{}, window)
	release := func() { <-inflight }
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		// 256 cards per producer, so that no card meets its velocity limit.
		reqs := make([]ledger.Authorize, 256)
		for i := range reqs {
			c := int(card.Add(1))
			reqs[i] = benchRequest(c%accounts, c)
		}
		for i := 0; pb.Next(); i++ {
			inflight <- struct{}{}
			r := &reqs[i%len(reqs)]
			setKeys(r, n.Add(1))
			res := l.Authorize(r)
			if res.Status != ledger.Approved {
				<-inflight
				b.Errorf("%+v", res)
				return
			}
			l.OnDurable(res.Seq, release)
		}
	})
	for i := 0; i < window; i++ {
		inflight <- struct{}{}
	}
	el := time.Since(start)
	b.StopTimer()
	reportCPU(b, cpu)
	report(b, l, el)
}

func report(b *testing.B, l *ledger.Ledger, el time.Duration) {
	st := l.Stats()
	b.ReportMetric(float64(b.N)/el.Seconds(), "auth/s")
	if st.Batches > 0 {
		b.ReportMetric(float64(st.Entries)/float64(st.Batches), "entries/batch")
		b.ReportMetric(float64(st.MeanCommit.Microseconds()), "µs/commit")
	}
}

// BenchmarkAuthorizeDurable: 10,000 accounts, 16,384 authorizations in
// flight, each answered once its group commit is synced.
func BenchmarkAuthorizeDurable(b *testing.B) { durable(b, 10_000, 16384) }

// BenchmarkHotAccount: one account shared by every card (a company's
// funding account), durable.
func BenchmarkHotAccount(b *testing.B) { durable(b, 1, 16384) }

// BenchmarkAuthorizeWaitDurable: a goroutine per request in flight (1,024),
// each blocking in WaitDurable.
func BenchmarkAuthorizeWaitDurable(b *testing.B) {
	const accounts = 10_000
	l := openBench(b, ledger.Options{Dir: b.TempDir(), ExpectedRequests: 4 << 20}, accounts)
	var n atomic.Uint64
	var card atomic.Int64
	b.SetParallelism(512)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		c := int(card.Add(1))
		r := benchRequest(c%accounts, c)
		ctx := context.Background()
		for pb.Next() {
			setKeys(&r, n.Add(1))
			res := l.Authorize(&r)
			if err := l.WaitDurable(ctx, res.Seq); err != nil || res.Status != ledger.Approved {
				b.Errorf("%+v %v", res, err)
				return
			}
		}
	})
	el := time.Since(start)
	b.StopTimer()
	reportCPU(b, cpu)
	report(b, l, el)
}
