// Package feedtest drives a real ledger with seeded random traffic for the
// feed's tests: authorizations and advices on both networks, reversals,
// declines, captures, expiries, releases and adjustments, with the sums a
// settlement report must reproduce kept from the ledger's own results.
package feedtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Quiet is a logger that writes nothing.
var Quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Start is the traffic's first instant (a Tuesday, close to a UTC day end
// so that settlement days change during a test).
var Start = time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)

// Clock is a settable clock safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// OpenLedger opens a ledger in dir (on fs when not nil) with c as clock.
func OpenLedger(tb testing.TB, fs vfs.FS, dir string, c *Clock) *ledger.Ledger {
	tb.Helper()
	l, err := ledger.Open(ledger.Options{FS: fs, Dir: dir, Now: c.Now, Logger: Quiet,
		DefaultExpiry: 3 * time.Hour, LongExpiry: 6 * time.Hour})
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// Key is what a settlement report groups by.
type Key struct {
	Network  string
	Currency string
	Day      string // YYYY-MM-DD, UTC
}

// Sums are what a settlement report must show for one Key, taken from the
// ledger's results.
type Sums struct {
	ApprovedCount, ApprovedAmount int64
	ReversedCount, ReversedAmount int64
	CapturedCount, CapturedAmount int64
	ExpiredCount, ExpiredAmount   int64
	DeclinedCount                 int64
}

// Hold is an open hold the traffic knows of.
type Hold struct {
	ID        uint64
	Account   string
	Network   string
	Lifecycle string
	Amount    int64
	Currency  string
}

// Traffic is a seeded random workload on a ledger.
type Traffic struct {
	L     *ledger.Ledger
	Clock *Clock
	rng   *rand.Rand
	n     int
	accts []account

	// Sums by key, from the ledger's results, for what became durable.
	Sums map[Key]*Sums
	// Holds open, by id, and every hold ever placed (id → network).
	Holds     map[uint64]*Hold
	HoldNet   map[uint64]string
	Entries   int    // entries the traffic caused (account loads included)
	LastSeq   uint64 // the newest entry's sequence number
	PerAcct   map[string][]uint64
	reversals []reversal
}

type account struct {
	id, currency string
}

type reversal struct {
	network            string
	acct               string
	lifecycle          string
	stan, transmission string
	card               string
}

// Networks are the networks the traffic uses, by ledger number.
var Networks = map[ledger.Network]string{1: "visa", 2: "mastercard"}

// NewTraffic loads accounts (half USD, half EUR) into l and returns the
// workload. Account loads are entries too.
func NewTraffic(tb testing.TB, l *ledger.Ledger, c *Clock, seed uint64, accounts int) *Traffic {
	tb.Helper()
	tr := &Traffic{L: l, Clock: c, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		Sums: map[Key]*Sums{}, Holds: map[uint64]*Hold{}, HoldNet: map[uint64]string{}, PerAcct: map[string][]uint64{}}
	first := l.DurableSeq() + 1
	for i := range accounts {
		cur := "USD"
		if i%2 == 1 {
			cur = "EUR"
		}
		id := fmt.Sprintf("acct%04d", i)
		if err := l.UpsertAccount(id, cur, 500_000, 100_000); err != nil {
			tb.Fatal(err)
		}
		tr.accts = append(tr.accts, account{id, cur})
		tr.Entries++
	}
	tr.LastSeq = first + uint64(accounts) - 1
	if err := l.WaitDurable(context.Background(), tr.LastSeq); err != nil {
		tb.Fatal(err)
	}
	return tr
}

func (tr *Traffic) sums(network, currency string, at time.Time) *Sums {
	k := Key{network, currency, at.UTC().Format(time.DateOnly)}
	s := tr.Sums[k]
	if s == nil {
		s = &Sums{}
		tr.Sums[k] = s
	}
	return s
}

func (tr *Traffic) note(acct string, res ledger.Result) {
	if res.Seq == 0 {
		return
	}
	tr.Entries++
	tr.LastSeq = max(tr.LastSeq, res.Seq)
	tr.PerAcct[acct] = append(tr.PerAcct[acct], res.Seq)
}

// Step runs one random operation and returns its result.
func (tr *Traffic) Step() ledger.Result {
	tr.n++
	now := tr.Clock.Advance(time.Duration(1+tr.rng.IntN(40)) * time.Second)
	a := tr.accts[tr.rng.IntN(len(tr.accts))]
	netNo := ledger.Network(1 + tr.rng.IntN(2))
	net := Networks[netNo]
	stan := fmt.Sprintf("%06d", tr.n%1_000_000)
	transmission := now.Format("0102150405")
	card := fmt.Sprintf("tok_%s_%d", a.id, tr.rng.IntN(2))
	switch p := tr.rng.IntN(100); {
	case p < 55: // authorization or advice
		advice := p >= 50
		lc := fmt.Sprintf("%s%013d", net[:1], tr.n)
		amount := int64(100 + tr.rng.IntN(150_000))
		class, kind := ledger.ClassAuthorization, "authorization"
		if advice {
			class, kind = ledger.ClassAdvice, "advice"
		}
		r := &ledger.Authorize{
			Key:       ledger.MakeRequestKey(netNo, class, stan, transmission, "12345"),
			Lifecycle: ledger.MakeLifecycleKey(netNo, lc),
			Original:  ledger.MakeOriginalKey(netNo, stan, transmission, "12345", card),
			Account:   a.id, Card: card, Amount: amount, Currency: a.currency, MCC: "5411", At: now,
			Force: advice, AllowPartial: tr.rng.IntN(4) == 0,
			Descriptor: ledger.Descriptor{Network: net, Kind: kind, MTI: "0100", STAN: stan,
				RRN: "000000" + stan, TransactionID: lc, CardToken: card, Last4: "4242", Amount: amount,
				Currency: a.currency, MerchantName: `Caf\u00e9 "Ω" ` + net, MerchantCity: "Paris",
				Country: "FR", MCC: "5411", TerminalID: "T0000001", ResponseCode: "00", AuthCode: "A1B2C3"},
		}
		res := tr.L.Authorize(r)
		tr.note(a.id, res)
		s := tr.sums(net, a.currency, now)
		if res.Status == ledger.Declined {
			s.DeclinedCount++
			return res
		}
		s.ApprovedCount++
		s.ApprovedAmount += res.Approved
		if res.HoldID != 0 {
			tr.Holds[res.HoldID] = &Hold{ID: res.HoldID, Account: a.id, Network: net, Lifecycle: lc,
				Amount: res.Hold, Currency: a.currency}
			tr.HoldNet[res.HoldID] = net
			tr.reversals = append(tr.reversals, reversal{net, a.id, lc, stan, transmission, card})
		}
		return res
	case p < 68 && len(tr.reversals) > 0: // reversal, full or partial
		i := tr.rng.IntN(len(tr.reversals))
		rv := tr.reversals[i]
		tr.reversals[i] = tr.reversals[len(tr.reversals)-1]
		tr.reversals = tr.reversals[:len(tr.reversals)-1]
		no := ledger.Network(1)
		if rv.network == "mastercard" {
			no = 2
		}
		var actual int64
		if tr.rng.IntN(3) == 0 {
			actual = int64(1 + tr.rng.IntN(50))
		}
		res := tr.L.Reverse(&ledger.Reverse{
			Key:       ledger.MakeRequestKey(no, ledger.ClassReversal, stan, transmission, "12345"),
			Lifecycle: ledger.MakeLifecycleKey(no, rv.lifecycle),
			Original:  ledger.MakeOriginalKey(no, rv.stan, rv.transmission, "12345", rv.card),
			Account:   rv.acct, Card: rv.card, ActualAmount: actual, At: now,
			Descriptor: ledger.Descriptor{Network: rv.network, Kind: "reversal", MTI: "0400", STAN: stan,
				TransactionID: rv.lifecycle, CardToken: rv.card, Last4: "4242", Decision: "approved", ResponseCode: "00"},
		})
		tr.note(rv.acct, res)
		tr.sums(rv.network, tr.currencyOf(rv.acct), now).ReversedCount++
		tr.sums(rv.network, tr.currencyOf(rv.acct), now).ReversedAmount += res.Released
		tr.afterRelease(res.HoldID, res.Hold)
		return res
	case p < 76: // declined before the ledger
		res := tr.L.RecordDecline(&ledger.Decline{
			Key:     ledger.MakeRequestKey(netNo, ledger.ClassAuthorization, stan, transmission, "12345"),
			Account: a.id, Card: card, At: now,
			Descriptor: ledger.Descriptor{Network: net, Kind: "authorization", MTI: "0100", STAN: stan,
				CardToken: card, Last4: "4242", Decision: "declined", Reason: "card_inactive", ResponseCode: "62",
				Amount: 500, Currency: a.currency},
		})
		tr.note(a.id, res)
		tr.sums(net, a.currency, now).DeclinedCount++
		return res
	case p < 88 && len(tr.Holds) > 0: // capture of an open hold
		h := tr.anyHold()
		amount := h.Amount + int64(tr.rng.IntN(200)) - 100
		amount = max(amount, 1)
		no := ledger.Network(1)
		if h.Network == "mastercard" {
			no = 2
		}
		res := tr.L.Capture(&ledger.Capture{
			Key:     ledger.MakeRequestKey(no, ledger.ClassOther, stan, transmission, "99999"),
			Account: h.Account, HoldID: h.ID, Lifecycle: ledger.MakeLifecycleKey(no, h.Lifecycle), Amount: amount,
			At: now, Descriptor: ledger.Descriptor{Network: h.Network, Kind: "capture"},
		})
		tr.note(h.Account, res)
		s := tr.sums(h.Network, h.Currency, now)
		s.CapturedCount++
		s.CapturedAmount += res.Approved
		delete(tr.Holds, h.ID)
		return res
	case p < 92 && len(tr.Holds) > 0: // operator release of part of a hold
		h := tr.anyHold()
		res := tr.L.Release(&ledger.Release{
			Key:     ledger.MakeRequestKey(1, ledger.ClassOther, stan, transmission, "88888"),
			Account: h.Account, HoldID: h.ID, Amount: 1 + h.Amount/2, At: now,
		})
		tr.note(h.Account, res)
		tr.afterRelease(res.HoldID, res.Hold)
		return res
	case p < 96: // adjustment
		res := tr.L.Adjust(&ledger.Adjust{
			Key:     ledger.MakeRequestKey(1, ledger.ClassOther, stan, transmission, "77777"),
			Account: a.id, Amount: int64(1000 + tr.rng.IntN(5000)), At: now,
		})
		tr.note(a.id, res)
		return res
	default: // expiry sweep
		return tr.Expire(now)
	}
}

// Expire runs the ledger's expiry at now and notes what it released.
func (tr *Traffic) Expire(now time.Time) ledger.Result {
	open := make([]*Hold, 0, len(tr.Holds))
	for _, h := range tr.Holds {
		open = append(open, h)
	}
	n := tr.L.ExpireDue(now, 1000)
	if n == 0 {
		return ledger.Result{}
	}
	// Which holds went: those the ledger no longer lists.
	for _, h := range open {
		still := false
		for _, x := range tr.L.Holds(h.Account) {
			if x.ID == h.ID {
				still = true
				break
			}
		}
		if !still {
			s := tr.sums(h.Network, h.Currency, now)
			s.ExpiredCount++
			s.ExpiredAmount += h.Amount
			delete(tr.Holds, h.ID)
		}
	}
	tr.Entries += n
	return ledger.Result{}
}

func (tr *Traffic) afterRelease(id uint64, left int64) {
	h, ok := tr.Holds[id]
	if !ok || id == 0 {
		return
	}
	still := false
	for _, x := range tr.L.Holds(h.Account) {
		if x.ID == id {
			still = true
			break
		}
	}
	if !still {
		delete(tr.Holds, id)
		return
	}
	h.Amount = left
}

func (tr *Traffic) anyHold() *Hold {
	var best *Hold
	k := tr.rng.IntN(len(tr.Holds))
	for _, h := range tr.Holds {
		if k == 0 {
			return h
		}
		best = h
		k--
	}
	return best
}

func (tr *Traffic) currencyOf(acct string) string {
	for _, a := range tr.accts {
		if a.id == acct {
			return a.currency
		}
	}
	return ""
}

// Run runs n steps and waits until everything is durable.
func (tr *Traffic) Run(tb testing.TB, n int) {
	tb.Helper()
	for range n {
		tr.Step()
	}
	tr.WaitDurable(tb)
}

// WaitDurable journals a marker (an adjustment of nothing, so that
// expiries, which return no sequence number, are covered too) and waits
// until it and everything before it is durable.
func (tr *Traffic) WaitDurable(tb testing.TB) {
	tb.Helper()
	tr.n++
	a := tr.accts[0]
	res := tr.L.Adjust(&ledger.Adjust{Key: ledger.MakeRequestKey(1, ledger.ClassOther,
		fmt.Sprintf("%06d", tr.n%1_000_000), "0000000000", "66666"), Account: a.id, At: tr.Clock.Now()})
	if res.Seq == 0 {
		tb.Fatalf("marker not journaled: %+v", res)
	}
	tr.note(a.id, res)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := tr.L.WaitDurable(ctx, res.Seq); err != nil {
		tb.Fatal(err)
	}
}

// Prefill journals n approved authorizations on 1000 accounts as fast as
// the ledger takes them (for benchmarks) and waits until they are durable.
func Prefill(tb testing.TB, l *ledger.Ledger, n int) {
	tb.Helper()
	for i := range 1000 {
		if err := l.UpsertAccount(fmt.Sprintf("bench%04d", i), "USD", 1<<40, 0); err != nil {
			tb.Fatal(err)
		}
	}
	var last uint64
	for i := range n {
		net := ledger.Network(1 + i%2)
		stan := fmt.Sprintf("%06d", i%1_000_000)
		at := fmt.Sprintf("%010d", i/1_000_000)
		lc := fmt.Sprintf("%015d", i)
		res := l.Authorize(&ledger.Authorize{Key: ledger.MakeRequestKey(net, ledger.ClassAuthorization, stan, at, "12345"),
			Lifecycle: ledger.MakeLifecycleKey(net, lc), Account: fmt.Sprintf("bench%04d", i%1000),
			Card: "tok_0123456789abcdef", Amount: 1000 + int64(i%5000), Currency: "USD", MCC: "5411",
			Descriptor: ledger.Descriptor{Network: Networks[net], Kind: "authorization", MTI: "0100", STAN: stan,
				RRN: "612345" + stan, TransactionID: lc, CardToken: "tok_0123456789abcdef", Last4: "4242",
				Amount: 1000 + int64(i%5000), Currency: "USD", MerchantName: "ACME SUPERMARKET 123",
				MerchantCity: "SPRINGFIELD", Country: "US", MCC: "5411", TerminalID: "TERM0001",
				Decision: "approved", ResponseCode: "00", AuthCode: "A1B2C3"}})
		last = res.Seq
	}
	if err := l.WaitDurable(context.Background(), last); err != nil {
		tb.Fatal(err)
	}
}
