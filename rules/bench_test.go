package rules_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/rules/program"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/spec/cvv"
)

// The benchmarks decide approved authorizations end to end: reference
// data from the cache, every check, and the ledger's hold — in a ledger
// without journal I/O (Volatile), so that they measure the decision.
// Every card has controls on all three levels: categories and a daily
// limit on its account, countries and a weekly limit on its cardholder, a
// per-authorization and a monthly limit and a velocity control on the
// card. The clock moves 1 ms a request, so velocity windows and limits
// see realistic traffic; amounts and limits are set so everything is
// approved.

type benchWorld struct {
	engine *rules.Engine
	ledger *ledger.Ledger
	cards  int
	pans   []string
	cvv2   []string
	clock  atomic.Int64
	runs   int // request sets built, to keep their keys apart
}

// benchOptions shape a bench world.
type benchOptions struct {
	cards      int
	holders    int // cards per cardholder and account: cards/holders
	cacheBytes int64
	storeDir   string
}

func newBenchWorld(b *testing.B, o benchOptions) *benchWorld {
	b.Helper()
	w := &benchWorld{cards: o.cards}
	w.clock.Store(time.Date(2025, 11, 24, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, w.clock.Add(1_000_000)).UTC() }
	l, err := ledger.Open(ledger.Options{Volatile: true, Now: now, ExpectedRequests: 4 << 20, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	if o.cacheBytes == 0 {
		o.cacheBytes = 256 << 20
	}
	e, err := rules.New(rules.Options{Ledger: l, PANKey: panKey, CacheBytes: o.cacheBytes, StoreDir: o.storeDir, Now: now, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	w.engine, w.ledger = e, l

	keys, err := cvv.ParseKeys("0123456789ABCDEF", "FEDCBA9876543210")
	if err != nil {
		b.Fatal(err)
	}
	holders := o.holders
	if holders == 0 {
		holders = o.cards
	}
	var sb strings.Builder
	flush := func() {
		if _, err := e.LoadPortfolio(strings.NewReader(sb.String())); err != nil {
			b.Fatal(err)
		}
		sb.Reset()
	}
	for p := 0; p < 10; p++ {
		fmt.Fprintf(&sb, `{"kind":"card_keys","pan_prefix":"4%05d","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}`+"\n", p)
	}
	w.pans = make([]string, o.cards)
	w.cvv2 = make([]string, o.cards)
	for i := 0; i < o.cards; i++ {
		h := i % holders
		if i < holders {
			fmt.Fprintf(&sb, `{"kind":"account","id":"acct_%d","currency":"USD","balance":1000000000000,"status":"active",`+
				`"controls":{"blocked_categories":["7995","5933"],"spending_limits":[{"amount":1000000000000,"interval":"daily"}]}}`+"\n", h)
			fmt.Fprintf(&sb, `{"kind":"cardholder","id":"ch_%d","account":"acct_%d","status":"active",`+
				`"controls":{"allowed_countries":["US","CA","GB"],"spending_limits":[{"amount":1000000000000,"interval":"weekly"}]}}`+"\n", h, h)
		}
		pan := benchPAN(i)
		fmt.Fprintf(&sb, `{"kind":"card","id":"card_%d","pan":%q,"expiry":"2812","network":"visa","account":"acct_%d","cardholder":"ch_%d","status":"active",`+
			`"controls":{"spending_limits":[{"amount":500000,"interval":"per_authorization"},{"amount":1000000000000,"interval":"monthly"}],"velocity":[{"count":200,"window_seconds":60}]}}`+"\n",
			i, pan, h, h)
		w.pans[i] = pan
		if w.cvv2[i], err = keys.Compute(pan, "2812", "000"); err != nil {
			b.Fatal(err)
		}
		if sb.Len() > 32<<20 {
			flush()
		}
	}
	flush()
	// A large load leaves compactions behind; serving is measured after.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if err := e.Store().WaitCompactions(ctx); err != nil {
		b.Fatal(err)
	}
	return w
}

// requests builds n distinct authorizations (distinct STAN and
// transmission time) over the world's cards: uniformly over all of them
// (hot = 0), or over hot cards spread evenly through the portfolio.
func (w *benchWorld) requests(n, hot int, mod func(a *spec.Authorization, card int)) []spec.Authorization {
	out := make([]spec.Authorization, n)
	w.runs++
	if w.runs > 40 {
		panic("too many request sets for distinct keys")
	}
	for i := range out {
		c := int(uint64(i) * 0x9E3779B97F4A7C15 >> 32 % uint64(w.cards))
		if hot > 0 && hot < w.cards {
			c = int(uint64(i)*0x9E3779B97F4A7C15>>32%uint64(hot)) * (w.cards / hot)
		}
		a := &out[i]
		*a = spec.Authorization{
			Network: spec.Visa, MTI: "0100", Kind: spec.KindAuthorization,
			PAN: w.pans[c], ProcessingCode: "000000", Type: spec.TxnPurchase, Amount: 1000 + int64(i%5000), Currency: 840,
			TransmissionTime: fmt.Sprintf("%02d%08d", 10+w.runs, i/1_000_000), STAN: fmt.Sprintf("%06d", i%1_000_000), Expiry: "2812",
			MCC: "5999", AcquirerCountry: "840", Entry: spec.EntryEcommerce, AcquirerID: "400050",
			TerminalID: "TERM0001", AcceptorID: "MERCHANT0000001", MerchantName: "EXAMPLE ONLINE STORE",
			MerchantCity: "NEW YORK", MerchantCountry: "US", RRN: "432908000101",
			CVV2: w.cvv2[c], CVV2Present: true, TransactionID: fmt.Sprintf("4%014d", i), LifecycleKey: fmt.Sprintf("4%014d", i),
		}
		if mod != nil {
			mod(a, c)
		}
	}
	return out
}

// run decides the requests in turn, b.N times in all; each request is
// decided once (a second time it would be a repeat). Before the clock
// starts, the ledger is brought to a steady state: as many authorizations
// as the run will make, each reversed, so that accounts' hold tables are
// at their working size as in a switch that has been running.
func (w *benchWorld) run(b *testing.B, reqs []spec.Authorization) {
	b.Helper()
	if b.N > len(reqs) {
		b.Fatalf("b.N %d over the %d requests built", b.N, len(reqs))
	}
	w.warmUp(b, reqs[:b.N])
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		d := w.engine.Authorize(&reqs[i])
		if d.Answer.ResponseCode != "00" {
			b.Fatalf("request %d: %s %s/%s", i, d.Answer.ResponseCode, d.Check, d.Reason)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// warmUp authorizes and reverses copies of reqs (under other keys), which
// leaves every card, cardholder and account they use in the cache.
func (w *benchWorld) warmUp(b *testing.B, reqs []spec.Authorization) {
	for i := range reqs {
		a := reqs[i]
		a.TransmissionTime = fmt.Sprintf("%02d", 50+w.runs) + a.TransmissionTime[2:] // apart from every run's keys
		a.LifecycleKey = "9" + a.LifecycleKey[1:]
		if d := w.engine.Authorize(&a); d.Answer.ResponseCode != "00" {
			b.Fatalf("warm-up %d: %s %s", i, d.Answer.ResponseCode, d.Reason)
		}
		r := a
		r.MTI, r.Kind, r.CVV2Present = "0400", spec.KindReversal, false
		r.STAN = "9" + a.STAN[1:]
		r.HasOriginal = true
		r.Original = spec.OriginalData{MTI: "0100", STAN: a.STAN, TransmissionTime: a.TransmissionTime, AcquirerID: a.AcquirerID}
		if d := w.engine.Reverse(&r); d.HoldID == 0 {
			b.Fatalf("warm-up reversal %d found nothing", i)
		}
	}
	// The reads above filled the cache, but the cache may drop fills when
	// they come faster than it takes them: read until a pass misses none.
	st := w.engine.Store()
	for pass := 0; pass < 10; pass++ {
		st.SettleCache()
		misses := st.CacheStats().Misses
		for i := range reqs {
			tok := st.Tokenizer().Token(reqs[i].PAN)
			c, err := st.Card(&tok)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := st.Account(c.Account); err != nil {
				b.Fatal(err)
			}
			if _, err := st.Cardholder(c.Cardholder); err != nil {
				b.Fatal(err)
			}
		}
		if st.CacheStats().Misses == misses {
			break
		}
	}
	runtime.GC()
}

const benchRequests = 2_000_000

func benchCards(b *testing.B, cards int, mod func(a *spec.Authorization, card int)) {
	w := newBenchWorld(b, benchOptions{cards: cards})
	reqs := w.requests(min(benchRequests, max(b.N, 1)), 0, mod)
	w.run(b, reqs)
}

// BenchmarkAuthorize: the full decision of an approved card-not-present
// purchase with CVV2, controls on all three levels, warm cache.
func BenchmarkAuthorize(b *testing.B) {
	b.Run("cvv2", func(b *testing.B) { benchCards(b, 1000, nil) })
	b.Run("no-verification-value", func(b *testing.B) {
		benchCards(b, 1000, func(a *spec.Authorization, _ int) { a.CVV2Present, a.CVV2 = false, "" })
	})
	b.Run("one-cel-rule", func(b *testing.B) {
		w := newBenchWorld(b, benchOptions{cards: 1000})
		if err := w.engine.ReplaceProgramRules([]program.Rule{{Name: "no_big_gambling", Expression: `mcc == "7995" && amount > 20000`}}); err != nil {
			b.Fatal(err)
		}
		w.run(b, w.requests(min(benchRequests, max(b.N, 1)), 0, nil))
	})
}

// BenchmarkAuthorizeColdCache: every reference read misses the cache (it
// is too small to keep anything) and reads Pebble.
func BenchmarkAuthorizeColdCache(b *testing.B) {
	w := newBenchWorld(b, benchOptions{cards: 100_000, cacheBytes: 1})
	reqs := w.requests(min(benchRequests, max(b.N, 1)), 0, nil)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		if d := w.engine.Authorize(&reqs[i]); d.Answer.ResponseCode != "00" {
			b.Fatalf("%s %s", d.Answer.ResponseCode, d.Reason)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkAuthorizePortfolioSize: the same decision over portfolios of
// 1k and 100k cards, and with RULES_BENCH_10M set 1M and 10M (they load
// for minutes), ten cards to a cardholder and account. Two traffic shapes:
//
//   - hot: requests over 1000 cards spread evenly through the portfolio
//     (card traffic is concentrated on the cards in use), warm in the
//     cache: what differs between sizes is the portfolio alone — store,
//     heap, ledger;
//   - uniform: requests over every card, the cache large enough to hold
//     them all: adds what a working set the size of the portfolio costs
//     in CPU caches (up to 1M cards; 10M of it would need some 15 GB).
//
// All worlds are built first and the measurements alternate between them,
// three rounds, so that they share the machine's moods (this machine's
// figures move by a third from one minute to the next). RULES_BENCH_SIZES
// (comma-separated) picks other sizes.
func BenchmarkAuthorizePortfolioSize(b *testing.B) {
	sizes := []int{1000, 100_000}
	if os.Getenv("RULES_BENCH_10M") != "" {
		sizes = append(sizes, 1_000_000, 10_000_000)
	}
	if env := os.Getenv("RULES_BENCH_SIZES"); env != "" {
		sizes = nil
		for _, f := range strings.Split(env, ",") {
			var n int
			if _, err := fmt.Sscan(f, &n); err != nil || n <= 0 {
				b.Fatalf("RULES_BENCH_SIZES: %q", f)
			}
			sizes = append(sizes, n)
		}
	}
	const hot, rounds = 1000, 3
	worlds := make([]*benchWorld, len(sizes))
	for i, n := range sizes {
		o := benchOptions{cards: n, holders: max(n/10, 1), cacheBytes: 256 << 20}
		if n <= 1_000_000 {
			o.cacheBytes = int64(n)*400 + 64<<20
		}
		if n > 100_000 {
			o.storeDir = filepath.Join(b.TempDir(), "refdata")
		}
		worlds[i] = newBenchWorld(b, o)
	}
	for r := 1; r <= rounds; r++ {
		for i, n := range sizes {
			w := worlds[i]
			b.Run(fmt.Sprintf("round=%d/cards=%d/hot", r, n), func(b *testing.B) {
				w.run(b, w.requests(min(benchRequests, max(b.N, 1)), hot, nil))
			})
			if n <= 1_000_000 {
				b.Run(fmt.Sprintf("round=%d/cards=%d/uniform", r, n), func(b *testing.B) {
					w.run(b, w.requests(min(benchRequests, max(b.N, 1)), 0, nil))
				})
			}
		}
	}
}

// BenchmarkAuthorizeParallel: both cores deciding (b.RunParallel).
func BenchmarkAuthorizeParallel(b *testing.B) {
	w := newBenchWorld(b, benchOptions{cards: 1000})
	reqs := w.requests(benchRequests, 0, nil)
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			if i >= int64(len(reqs)) {
				b.Error("out of requests")
				return
			}
			if d := w.engine.Authorize(&reqs[i]); d.Answer.ResponseCode != "00" {
				b.Errorf("%s %s", d.Answer.ResponseCode, d.Reason)
				return
			}
		}
	})
}
