package ledger_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
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
		Velocity: []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 1 << 20, Window: time.Minute}},
		Descriptor: ledger.Descriptor{Network: "visa", Kind: "authorization", MTI: "0100", STAN: "123456",
			RRN: "612345678901", TransactionID: "381234567890123", CardToken: "tok_0123456789abcdef", Last4: "0010",
			Amount: 1234, Currency: "USD", MerchantName: "CORNER GROCERY", MerchantCity: "SPRINGFIELD", Country: "US",
			MCC: "5411", TerminalID: "TERM0001", Decision: "approved", ResponseCode: "00"},
	}
}

// setKeys gives a request fresh, unique request, life-cycle and original keys.
func setKeys(r *ledger.Authorize, n uint64) {
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
	for i := 0; i < b.N; i++ {
		r := &reqs[i%len(reqs)]
		setKeys(r, uint64(i)+1)
		if res := l.Authorize(r); res.Status != ledger.Approved {
			b.Fatalf("%+v", res)
		}
	}
}

// warmUp brings the accounts to a steady state: n holds placed and
// reversed, so each account's hold slots and indexes are at their working
// size, as in a switch that has been running (Go maps keep their size).
func warmUp(b *testing.B, l *ledger.Ledger, reqs []ledger.Authorize, n int) {
	for i := 0; i < n; i++ {
		r := reqs[i%len(reqs)]
		setKeys(&r, uint64(i)+1<<40)
		res := l.Authorize(&r)
		if res.Status != ledger.Approved {
			b.Fatalf("%+v", res)
		}
		rev := &ledger.Reverse{Account: r.Account, Lifecycle: r.Lifecycle, At: r.At}
		setKeysReverse(rev, uint64(i)+1<<41)
		if res := l.Reverse(rev); res.Released != r.Amount {
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
	for i := 0; i < b.N; i++ {
		if res := l.Check(&reqs[i%len(reqs)]); res.Status != ledger.Approved {
			b.Fatalf("%+v", res)
		}
	}
}

// durable runs parallel authorizations that each wait for their entry to
// be synced, over accounts accounts, with g goroutines per core.
func durable(b *testing.B, accounts, perCore int) {
	l := openBench(b, ledger.Options{Dir: b.TempDir()}, accounts)
	var n atomic.Uint64
	var card atomic.Int64
	b.SetParallelism(perCore)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c := int(card.Add(1))
		r := benchRequest(c%accounts, c)
		ctx := context.Background()
		for pb.Next() {
			setKeys(&r, n.Add(1))
			res := l.Authorize(&r)
			if res.Status != ledger.Approved {
				b.Errorf("%+v", res)
				return
			}
			if err := l.WaitDurable(ctx, res.Seq); err != nil {
				b.Error(err)
				return
			}
		}
	})
	el := time.Since(start)
	b.StopTimer()
	st := l.Stats()
	b.ReportMetric(float64(b.N)/el.Seconds(), "auth/s")
	if st.Batches > 0 {
		b.ReportMetric(float64(st.Entries)/float64(st.Batches), "entries/batch")
		b.ReportMetric(float64(st.MeanCommit.Microseconds()), "µs/commit")
	}
}

// BenchmarkAuthorizeDurable: many accounts, each authorization waits for
// its synced group commit (Pebble on disk, fsync).
func BenchmarkAuthorizeDurable(b *testing.B) { durable(b, 10_000, 512) }

// BenchmarkHotAccount: one account shared by every card (a company's
// funding account), durable.
func BenchmarkHotAccount(b *testing.B) { durable(b, 1, 512) }
