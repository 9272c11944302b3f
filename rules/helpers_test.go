package rules_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/spec"
)

// The test world: a real ledger (Pebble on an in-memory file system), a
// real reference store, a clock the test moves.

var panKey = bytes.Repeat([]byte{7}, 32)

// quiet keeps the engine's and the ledger's logs out of test output.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

const (
	visaPAN = "4111111111111111" // vectors' Visa card: CVV2 590 (000), CVV 812 (201), expiry 2812
	mcPAN   = "5555555555554444" // vectors' Mastercard: CVC2 047 (000), expiry 2812
)

// basePortfolio: one account of 1000.00 USD with a cardholder, a Visa and
// a Mastercard card, and the vectors' keys.
var basePortfolio = []string{
	`{"kind":"card_keys","pan_prefix":"411111","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}`,
	`{"kind":"card_keys","pan_prefix":"555555","cvk_a":"89ABCDEF01234567","cvk_b":"76543210FEDCBA98"}`,
	`{"kind":"account","id":"acct_1","currency":"USD","balance":100000,"status":"active"}`,
	`{"kind":"cardholder","id":"ch_1","account":"acct_1","status":"active"}`,
	`{"kind":"card","id":"card_visa","pan":"4111111111111111","expiry":"2812","network":"visa","account":"acct_1","cardholder":"ch_1","status":"active"}`,
	`{"kind":"card","id":"card_mc","pan":"5555555555554444","expiry":"2812","network":"mastercard","account":"acct_1","status":"active"}`,
}

type world struct {
	t      testing.TB
	clock  atomic.Int64
	ledger *ledger.Ledger
	engine *rules.Engine
	reg    *prometheus.Registry
	stan   atomic.Int64
}

type worldOption func(*rules.Options)

func withChain(names ...string) worldOption {
	return func(o *rules.Options) { o.Chain = names }
}

func withProgramRules(path string) worldOption {
	return func(o *rules.Options) { o.ProgramRules = path }
}

func newWorld(t testing.TB, opts ...worldOption) *world {
	t.Helper()
	w := &world{t: t, reg: prometheus.NewRegistry()}
	w.clock.Store(time.Date(2025, 11, 24, 8, 15, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, w.clock.Load()).UTC() }
	l, err := ledger.Open(ledger.Options{Now: now, Logger: quiet})
	if err != nil {
		t.Fatalf("ledger: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	o := rules.Options{Ledger: l, PANKey: panKey, CacheBytes: 16 << 20, Now: now, Registerer: w.reg, Logger: quiet}
	for _, fn := range opts {
		fn(&o)
	}
	e, err := rules.New(o)
	if err != nil {
		t.Fatalf("rules.New: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	w.ledger, w.engine = l, e
	w.load(basePortfolio...)
	return w
}

func (w *world) advance(d time.Duration) { w.clock.Add(int64(d)) }

func (w *world) load(lines ...string) {
	w.t.Helper()
	if _, err := w.engine.LoadPortfolio(strings.NewReader(strings.Join(lines, "\n"))); err != nil {
		w.t.Fatalf("LoadPortfolio: %v", err)
	}
}

// purchase is a Visa card-not-present purchase of amount USD cents with
// the card's right CVV2, a fresh STAN, at the world's time.
func (w *world) purchase(amount int64) *spec.Authorization {
	n := w.stan.Add(1)
	return &spec.Authorization{
		Network: spec.Visa, MTI: "0100", Kind: spec.KindAuthorization,
		PAN: visaPAN, ProcessingCode: "000000", Type: spec.TxnPurchase,
		Amount: amount, Currency: 840,
		TransmissionTime: "1124081530", STAN: fmt.Sprintf("%06d", n), Expiry: "2812",
		MCC: "5999", AcquirerCountry: "840", Entry: spec.EntryEcommerce, AcquirerID: "400050",
		RRN: fmt.Sprintf("4329080%05d", n), TerminalID: "TERM0001", AcceptorID: "MERCHANT0000001",
		MerchantName: "EXAMPLE ONLINE STORE", MerchantCity: "NEW YORK", MerchantCountry: "US",
		CVV2: "590", CVV2Present: true, PartialSupported: false,
		TransactionID: fmt.Sprintf("4329081234%05d", n), LifecycleKey: fmt.Sprintf("4329081234%05d", n),
	}
}

// mastercard is the same purchase on the Mastercard card, CVC2 047.
func (w *world) mastercard(amount int64) *spec.Authorization {
	a := w.purchase(amount)
	a.Network, a.PAN, a.CVV2 = spec.Mastercard, mcPAN, "047"
	a.LifecycleKey = "ABC" + a.STAN + "1124"
	return a
}

// answer is what a test compares of a decision.
type answer struct {
	code, check, reason string
	cvv2, cvv           byte
}

func (w *world) authorize(a *spec.Authorization) rules.Decision {
	w.t.Helper()
	d := w.engine.Decide(a)
	if d.Seq != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.ledger.WaitDurable(ctx, d.Seq); err != nil {
			w.t.Fatalf("WaitDurable: %v", err)
		}
	}
	return d
}

func (w *world) expect(name string, a *spec.Authorization, want answer) rules.Decision {
	w.t.Helper()
	d := w.authorize(a)
	got := answer{d.Answer.ResponseCode, d.Check, d.Reason, d.Answer.CVV2Result, d.Answer.CVVResult}
	if got != want {
		w.t.Errorf("%s: got %s, want %s", name, show(got), show(want))
	}
	return d
}

func show(a answer) string {
	r := func(b byte) string {
		if b == 0 {
			return "-"
		}
		return string(b)
	}
	return fmt.Sprintf("{%s %s %s cvv2=%s cvv=%s}", a.code, a.check, a.reason, r(a.cvv2), r(a.cvv))
}

func (w *world) available(account string) int64 {
	b, ok := w.ledger.Balance(account)
	if !ok {
		w.t.Fatalf("no account %s in the ledger", account)
	}
	return b.Available
}
