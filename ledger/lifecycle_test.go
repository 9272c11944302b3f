package ledger_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/cockroachdb/pebble/v2/vfs"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var t0 = time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC) // a Wednesday

type fixture struct {
	t   *testing.T
	l   *ledger.Ledger
	fs  vfs.FS
	now time.Time
	n   int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{t: t, fs: vfs.NewCrashableMem(), now: t0}
	f.open()
	t.Cleanup(func() { f.l.Close() })
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	l, err := ledger.Open(ledger.Options{FS: f.fs, Dir: "db", Now: func() time.Time { return f.now }, Logger: quiet})
	if err != nil {
		f.t.Fatal(err)
	}
	f.l = l
}

// restart closes the ledger (or not, when crash is set) and opens it again.
func (f *fixture) restart(crash bool) {
	f.t.Helper()
	if crash {
		// What a crash leaves: the file system as synced so far.
		f.fs = f.fs.(*vfs.MemFS).CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
		f.l.Close()
	} else if err := f.l.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func (f *fixture) key() ledger.RequestKey {
	f.n++
	return ledger.MakeRequestKey(1, ledger.ClassAuthorization, fmt.Sprintf("%06d", f.n), "0304100000", "12345")
}

func lc(s string) ledger.LifecycleKey { return ledger.MakeLifecycleKey(1, s) }
func orig(stan string) ledger.OriginalKey {
	return ledger.MakeOriginalKey(1, stan, "0304100000", "12345", "tok_card1")
}

func (f *fixture) auth(amount int64, mod func(*ledger.Authorize)) ledger.Result {
	f.t.Helper()
	r := &ledger.Authorize{Key: f.key(), Account: "acct", Card: "card1", Cardholder: "ch1", Amount: amount,
		Currency: "USD", MCC: "5411", At: f.now}
	if mod != nil {
		mod(r)
	}
	res := f.l.Authorize(r)
	if err := f.l.WaitDurable(context.Background(), res.Seq); err != nil {
		f.t.Fatal(err)
	}
	return res
}

func (f *fixture) balance() ledger.Balance {
	f.t.Helper()
	b, ok := f.l.Balance("acct")
	if !ok {
		f.t.Fatal("no account")
	}
	if b.Available != b.Posted+b.CreditLimit-b.Pending {
		f.t.Fatalf("available identity broken: %+v", b)
	}
	return b
}

func expect(t *testing.T, got ledger.Result, status ledger.Status, reason ledger.Reason, approved int64) {
	t.Helper()
	if got.Status != status || got.Reason != reason || got.Approved != approved {
		t.Fatalf("got %v/%v approved %d, want %v/%v approved %d", got.Status, got.Reason, got.Approved, status, reason, approved)
	}
}

func TestAuthorizeHoldAndRepeat(t *testing.T) {
	f := newFixture(t)
	if err := f.l.UpsertAccount("acct", "USD", 10000, 500); err != nil {
		t.Fatal(err)
	}
	r := &ledger.Authorize{Key: f.key(), Account: "acct", Card: "card1", Amount: 3000, Currency: "USD", MCC: "5411", At: t0}
	res := f.l.Authorize(r)
	expect(t, res, ledger.Approved, ledger.ReasonNone, 3000)
	if res.HoldID == 0 || res.Hold != 3000 || res.Available != 7500 || res.Posted != 10000 || res.Seq == 0 {
		t.Fatalf("result %+v", res)
	}
	again := f.l.Authorize(r)
	if !again.Repeat || again.Seq != res.Seq || again.HoldID != res.HoldID || again.Available != res.Available {
		t.Fatalf("repeat %+v of %+v", again, res)
	}
	if b := f.balance(); b.Pending != 3000 || b.Available != 7500 {
		t.Fatalf("repeat changed the balance: %+v", b)
	}
	if got, ok := f.l.Lookup(r.Key); !ok || got.Seq != res.Seq {
		t.Fatalf("lookup %+v %v", got, ok)
	}
}

func (f *fixture) reverse(mod func(*ledger.Reverse)) ledger.Result {
	f.t.Helper()
	r := &ledger.Reverse{Key: f.key(), Account: "acct", Card: "card1", At: f.now}
	mod(r)
	return f.l.Reverse(r)
}

func setup(t *testing.T, balance, credit int64) *fixture {
	f := newFixture(t)
	if err := f.l.UpsertAccount("acct", "USD", balance, credit); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestIncrementalAndReversals(t *testing.T) {
	cases := []struct {
		name         string
		rev          func(*ledger.Reverse)
		released     int64
		holdAfter    int64
		pendingAfter int64
	}{
		{"full reversal of the first authorization by field 90", func(r *ledger.Reverse) { r.Original = orig("000001") }, 1000, 500, 500},
		{"full reversal of the incremental by field 90", func(r *ledger.Reverse) { r.Original = orig("000002") }, 500, 1000, 1000},
		{"partial reversal of the first authorization down to 400", func(r *ledger.Reverse) {
			r.Original, r.ActualAmount = orig("000001"), 400
		}, 600, 900, 900},
		{"life cycle reversal releases everything", func(r *ledger.Reverse) { r.Lifecycle = lc("L1") }, 1500, 0, 0},
		{"life cycle partial reversal down to 1200", func(r *ledger.Reverse) { r.Lifecycle, r.ActualAmount = lc("L1"), 1200 }, 300, 1200, 1200},
		{"actual amount above the hold releases nothing", func(r *ledger.Reverse) { r.Lifecycle, r.ActualAmount = lc("L1"), 9000 }, 0, 1500, 1500},
		{"unknown field 90 falls back to the life cycle", func(r *ledger.Reverse) {
			r.Original, r.Lifecycle = orig("999999"), lc("L1")
		}, 1500, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, 10000, 0)
			first := f.auth(1000, func(r *ledger.Authorize) { r.Lifecycle, r.Original = lc("L1"), orig("000001") })
			inc := f.auth(500, func(r *ledger.Authorize) { r.Lifecycle, r.Original = lc("L1"), orig("000002") })
			if inc.HoldID != first.HoldID || inc.Hold != 1500 || inc.Available != 8500 {
				t.Fatalf("incremental %+v after %+v", inc, first)
			}
			if got := f.l.Holds("acct"); len(got) != 1 || got[0].Parts != 2 || got[0].Amount != 1500 {
				t.Fatalf("holds %+v", got)
			}
			res := f.reverse(c.rev)
			if res.Status != ledger.Approved || res.Released != c.released || res.Hold != c.holdAfter {
				t.Fatalf("reversal %+v", res)
			}
			if b := f.balance(); b.Pending != c.pendingAfter {
				t.Fatalf("pending %d, want %d", b.Pending, c.pendingAfter)
			}
			spent := f.l.Spent("acct", ledger.ScopeCard, "card1", ledger.Daily, nil, f.now)
			if spent != c.pendingAfter {
				t.Fatalf("card's daily spend %d, want %d", spent, c.pendingAfter)
			}
			// A second, identical-amount reversal never releases more than is held.
			again := f.reverse(c.rev)
			if again.Released > c.holdAfter {
				t.Fatalf("second reversal released %d of %d", again.Released, c.holdAfter)
			}
		})
	}
}

func TestReversalBeforeOriginal(t *testing.T) {
	f := setup(t, 10000, 0)
	rev := f.reverse(func(r *ledger.Reverse) { r.Original = orig("000077") })
	if rev.Status != ledger.Approved || rev.Released != 0 || rev.HoldID != 0 {
		t.Fatalf("early reversal %+v", rev)
	}
	late := f.auth(700, func(r *ledger.Authorize) { r.Original = orig("000077") })
	expect(t, late, ledger.Declined, ledger.ReasonAlreadyReversed, 0)
	if b := f.balance(); b.Pending != 0 {
		t.Fatalf("late original held %d", b.Pending)
	}
	// An advice for it is not held either.
	adv := f.auth(700, func(r *ledger.Authorize) { r.Original, r.Force = orig("000077"), true })
	expect(t, adv, ledger.Declined, ledger.ReasonAlreadyReversed, 0)
	// Other authorizations are unaffected, and so is the same original once the retention passed.
	expect(t, f.auth(700, nil), ledger.Approved, ledger.ReasonNone, 700)
	f.now = f.now.Add(8 * 24 * time.Hour)
	expect(t, f.auth(700, func(r *ledger.Authorize) { r.Original = orig("000077") }), ledger.Approved, ledger.ReasonNone, 700)
	// A reversal for an account the ledger does not know is answered too.
	unk := f.l.Reverse(&ledger.Reverse{Key: f.key(), Account: "nobody", Original: orig("1")})
	if unk.Status != ledger.Approved || unk.Released != 0 {
		t.Fatalf("unknown account reversal %+v", unk)
	}
}

func TestAdviceNoHoldAndCapture(t *testing.T) {
	f := setup(t, 1000, 0)
	adv := f.auth(1500, func(r *ledger.Authorize) { r.Force, r.Lifecycle = true, lc("A1") })
	expect(t, adv, ledger.Approved, ledger.ReasonNone, 1500)
	if adv.Available != -500 {
		t.Fatalf("advice should take available below zero: %+v", adv)
	}
	expect(t, f.auth(50, nil), ledger.Declined, ledger.ReasonInsufficientFunds, 0)
	inq := f.auth(0, func(r *ledger.Authorize) { r.NoHold = true })
	expect(t, inq, ledger.Approved, ledger.ReasonNone, 0)
	refund := f.auth(300, func(r *ledger.Authorize) { r.NoHold = true })
	expect(t, refund, ledger.Approved, ledger.ReasonNone, 300)
	if refund.HoldID != 0 || f.balance().Pending != 1500 {
		t.Fatalf("no-hold approval placed a hold: %+v", refund)
	}

	// Capture for more than held (a tip): the posting and the counters follow the captured amount.
	capt := f.l.Capture(&ledger.Capture{Key: f.key(), Account: "acct", Lifecycle: lc("A1"), Amount: 1700, At: f.now})
	if capt.Status != ledger.Approved || capt.HoldID != adv.HoldID || capt.Released != 1500 || capt.Posted != -700 {
		t.Fatalf("capture %+v", capt)
	}
	if b := f.balance(); b.Pending != 0 || b.Posted != -700 {
		t.Fatalf("after capture %+v", b)
	}
	if s := f.l.Spent("acct", ledger.ScopeCard, "card1", ledger.Monthly, nil, f.now); s != 1700 {
		t.Fatalf("spend after capture %d, want 1700", s)
	}
	if r := f.l.Capture(&ledger.Capture{Key: capt2key, Account: "acct", HoldID: 424242, Amount: 100, At: f.now}); r.Status != ledger.Approved || r.HoldID != 0 || r.Posted != -800 {
		t.Fatalf("capture without a hold still posts: %+v", r)
	}
	// Capture for less than held.
	f.l.Adjust(&ledger.Adjust{Key: f.key(), Account: "acct", Amount: 10000, At: f.now})
	h := f.auth(2000, func(r *ledger.Authorize) { r.Lifecycle = lc("B1") })
	f.l.Capture(&ledger.Capture{Key: f.key(), Account: "acct", HoldID: h.HoldID, Amount: 1200, At: f.now})
	if s := f.l.Spent("acct", ledger.ScopeAccount, "", ledger.Daily, nil, f.now); s != 1700+100+1200 {
		t.Fatalf("spend after short capture %d", s)
	}
}

var capt2key = ledger.MakeRequestKey(1, ledger.ClassOther, "C2", "", "")

func TestExpiry(t *testing.T) {
	f := setup(t, 100000, 0)
	grocery := f.auth(1000, nil)
	hotel := f.auth(5000, func(r *ledger.Authorize) { r.MCC = "7011" })
	car := f.auth(3000, func(r *ledger.Authorize) { r.MCC = "3400" })
	hs := f.l.Holds("acct")
	if len(hs) != 3 || hs[0].Expires != t0.Add(7*24*time.Hour) || hs[1].Expires != t0.Add(31*24*time.Hour) ||
		hs[2].Expires != t0.Add(31*24*time.Hour) {
		t.Fatalf("expiries %+v", hs)
	}
	if n := f.l.ExpireDue(t0.Add(7*24*time.Hour-time.Second), 100); n != 0 {
		t.Fatalf("expired %d early", n)
	}
	if n := f.l.ExpireDue(t0.Add(7*24*time.Hour), 100); n != 1 {
		t.Fatalf("expired %d at 7 days", n)
	}
	hs = f.l.Holds("acct")
	if len(hs) != 2 || hs[0].ID != hotel.HoldID || hs[1].ID != car.HoldID {
		t.Fatalf("after expiry %+v (grocery %d)", hs, grocery.HoldID)
	}
	if s := f.l.Spent("acct", ledger.ScopeCard, "card1", ledger.AllTime, nil, f.now); s != 8000 {
		t.Fatalf("expiry left spend %d", s)
	}
	if n := f.l.ExpireDue(t0.Add(32*24*time.Hour), 1); n != 1 {
		t.Fatalf("max not respected: %d", n)
	}
	f.l.ExpireDue(t0.Add(32*24*time.Hour), 10)
	if b := f.balance(); b.Pending != 0 || b.Available != 100000 {
		t.Fatalf("after all expiries %+v", b)
	}
}

func TestLimits(t *testing.T) {
	daily := func(amount int64, sc ledger.Scope) ledger.Limit {
		return ledger.Limit{Scope: sc, Interval: ledger.Daily, Amount: amount}
	}
	cases := []struct {
		name   string
		before []int64
		amount int64
		limits []ledger.Limit
		mod    func(*ledger.Authorize)
		status ledger.Status
		reason ledger.Reason
		appr   int64
	}{
		{"per-authorization limit allows its amount", nil, 5000, []ledger.Limit{{Interval: ledger.PerAuthorization, Amount: 5000}}, nil, ledger.Approved, 0, 5000},
		{"per-authorization limit declines one more", nil, 5001, []ledger.Limit{{Interval: ledger.PerAuthorization, Amount: 5000}}, nil, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"daily card limit counts earlier spend", []int64{3000}, 2001, []ledger.Limit{daily(5000, ledger.ScopeCard)}, nil, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"daily card limit reached exactly", []int64{3000}, 2000, []ledger.Limit{daily(5000, ledger.ScopeCard)}, nil, ledger.Approved, 0, 2000},
		{"cardholder limit", []int64{3000}, 2500, []ledger.Limit{daily(5000, ledger.ScopeCardholder)}, nil, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"another card's spend does not count for this card", []int64{3000}, 2500, []ledger.Limit{daily(5000, ledger.ScopeCard)},
			func(r *ledger.Authorize) { r.Card = "card2" }, ledger.Approved, 0, 2500},
		{"but it counts for the account", []int64{3000}, 2500, []ledger.Limit{daily(5000, ledger.ScopeAccount)},
			func(r *ledger.Authorize) { r.Card = "card2" }, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"category limit ignores other categories", []int64{3000}, 2500,
			[]ledger.Limit{{Scope: ledger.ScopeCard, Interval: ledger.Daily, Amount: 1000, Categories: []string{"5812"}}},
			nil, ledger.Approved, 0, 2500},
		{"category limit applies to its categories", []int64{3000}, 2500,
			[]ledger.Limit{{Scope: ledger.ScopeCard, Interval: ledger.Daily, Amount: 5000, Categories: []string{"5411", "5812"}}},
			nil, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"partial approval capped by a limit", []int64{3000}, 9000, []ledger.Limit{daily(5000, ledger.ScopeCard)},
			func(r *ledger.Authorize) { r.AllowPartial = true }, ledger.PartiallyApproved, 0, 2000},
		{"limit declines when funds suffice, even with partial allowed", []int64{3000}, 4000, []ledger.Limit{daily(5000, ledger.ScopeCard)},
			func(r *ledger.Authorize) { r.AllowPartial = true }, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"partial approval of the available balance", []int64{6000}, 5000, nil,
			func(r *ledger.Authorize) { r.AllowPartial = true }, ledger.PartiallyApproved, 0, 4000},
		{"no partial without terminal support", []int64{6000}, 5000, nil, nil, ledger.Declined, ledger.ReasonInsufficientFunds, 0},
		{"no partial at zero available", []int64{10000}, 5000, nil,
			func(r *ledger.Authorize) { r.AllowPartial = true }, ledger.Declined, ledger.ReasonInsufficientFunds, 0},
		{"limit is checked before funds", []int64{6000}, 6000, []ledger.Limit{{Interval: ledger.PerAuthorization, Amount: 5000}},
			nil, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"velocity", []int64{100, 100}, 100, nil, func(r *ledger.Authorize) {
			r.Velocity = []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 2, Window: time.Hour}}
		}, ledger.Declined, ledger.ReasonVelocityExceeded, 0},
		{"velocity is checked after limits", []int64{100, 100}, 100, []ledger.Limit{{Interval: ledger.PerAuthorization, Amount: 50}},
			func(r *ledger.Authorize) {
				r.Velocity = []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 2, Window: time.Hour}}
			}, ledger.Declined, ledger.ReasonLimitExceeded, 0},
		{"velocity before funds", []int64{100, 100}, 100000, nil, func(r *ledger.Authorize) {
			r.Velocity = []ledger.Velocity{{Scope: ledger.ScopeAccount, Count: 2, Window: time.Hour}}
		}, ledger.Declined, ledger.ReasonVelocityExceeded, 0},
		{"velocity allows its count", []int64{100}, 100, nil, func(r *ledger.Authorize) {
			r.Velocity = []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 2, Window: time.Hour}}
		}, ledger.Approved, 0, 100},
		{"currency must be the account's", nil, 100, nil, func(r *ledger.Authorize) { r.Currency = "EUR" },
			ledger.Declined, ledger.ReasonCurrencyMismatch, 0},
		{"unknown account", nil, 100, nil, func(r *ledger.Authorize) { r.Account = "nobody" },
			ledger.Declined, ledger.ReasonAccountUnknown, 0},
		{"negative amount", nil, -1, nil, nil, ledger.Declined, ledger.ReasonInvalidAmount, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := setup(t, 10000, 0)
			for _, amt := range c.before {
				expect(t, f.auth(amt, nil), ledger.Approved, 0, amt)
			}
			mod := func(r *ledger.Authorize) {
				r.Limits = c.limits
				if c.mod != nil {
					c.mod(r)
				}
			}
			// Check predicts Authorize exactly and records nothing.
			probe := &ledger.Authorize{Key: f.key(), Account: "acct", Card: "card1", Cardholder: "ch1", Amount: c.amount,
				Currency: "USD", MCC: "5411", At: f.now}
			mod(probe)
			chk := f.l.Check(probe)
			if _, known := f.l.Lookup(probe.Key); known || chk.Seq != 0 {
				t.Fatal("Check recorded something")
			}
			res := f.auth(c.amount, mod)
			expect(t, res, c.status, c.reason, c.appr)
			if chk.Status != res.Status || chk.Reason != res.Reason || chk.Approved != res.Approved {
				t.Fatalf("Check said %+v, Authorize %+v", chk, res)
			}
		})
	}
}

func TestIntervalWindows(t *testing.T) {
	f := setup(t, 1_000_000, 0)
	f.now = time.Date(2026, 3, 8, 23, 0, 0, 0, time.UTC) // Sunday
	f.auth(1000, nil)
	at := func(ts time.Time, iv ledger.Interval) int64 {
		return f.l.Spent("acct", ledger.ScopeCard, "card1", iv, nil, ts)
	}
	mon := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
	if at(mon, ledger.Daily) != 0 || at(mon, ledger.Weekly) != 0 || at(mon, ledger.Monthly) != 1000 || at(mon, ledger.Yearly) != 1000 {
		t.Fatal("Monday starts a new day and week, not month or year")
	}
	if at(mon.Add(-time.Nanosecond), ledger.Weekly) != 1000 {
		t.Fatal("Sunday is in the week that began on Monday 2 March")
	}
	apr := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	if at(apr, ledger.Monthly) != 0 || at(apr, ledger.Yearly) != 1000 || at(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), ledger.AllTime) != 1000 {
		t.Fatal("month and year windows")
	}
	// Spend in a new window starts from zero for the limit.
	f.now = mon
	expect(t, f.auth(5000, func(r *ledger.Authorize) {
		r.Limits = []ledger.Limit{{Scope: ledger.ScopeCard, Interval: ledger.Daily, Amount: 5000}}
	}), ledger.Approved, 0, 5000)
}

func TestDeclineAdjustReleaseAndAccounts(t *testing.T) {
	f := setup(t, 5000, 1000)
	d := &ledger.Decline{Key: f.key(), Account: "acct", Card: "card1", At: f.now, Memo: ledger.Memo{1, 2}}
	res := f.l.RecordDecline(d)
	if res.Status != ledger.Declined || res.Reason != ledger.ReasonExternal || res.Memo != d.Memo || res.Available != 6000 {
		t.Fatalf("decline %+v", res)
	}
	if again := f.l.RecordDecline(d); !again.Repeat || again.Seq != res.Seq {
		t.Fatalf("decline repeat %+v", again)
	}
	noacct := f.l.RecordDecline(&ledger.Decline{Key: f.key(), Card: "ghost", At: f.now})
	if noacct.Status != ledger.Declined || noacct.Seq == 0 {
		t.Fatalf("decline without account %+v", noacct)
	}

	adj := &ledger.Adjust{Key: f.key(), Account: "acct", Amount: -7000, At: f.now}
	expect(t, f.l.Adjust(adj), ledger.Declined, ledger.ReasonInsufficientFunds, 0)
	adj2 := &ledger.Adjust{Key: f.key(), Account: "acct", Amount: 2500, At: f.now}
	f.l.Adjust(adj2)
	if r := f.l.Adjust(adj2); !r.Repeat || f.balance().Posted != 7500 {
		t.Fatalf("adjust is not idempotent: %+v %+v", r, f.balance())
	}

	h := f.auth(2000, nil)
	rel := f.l.Release(&ledger.Release{Key: f.key(), Account: "acct", HoldID: h.HoldID, Amount: 500, At: f.now})
	if rel.Status != ledger.Approved || rel.Released != 500 || rel.Hold != 1500 {
		t.Fatalf("partial release %+v", rel)
	}
	rel = f.l.Release(&ledger.Release{Key: f.key(), Account: "acct", HoldID: h.HoldID, At: f.now})
	if rel.Released != 1500 || rel.Hold != 0 || len(f.l.Holds("acct")) != 0 {
		t.Fatalf("release %+v", rel)
	}
	gone := f.l.Release(&ledger.Release{Key: f.key(), Account: "acct", HoldID: h.HoldID, At: f.now})
	expect(t, gone, ledger.Declined, ledger.ReasonHoldUnknown, 0)

	// Reloading the same portfolio changes nothing; a new balance moves posted by the difference.
	f.auth(1000, nil)
	if err := f.l.UpsertAccount("acct", "USD", 5000, 1000); err != nil {
		t.Fatal(err)
	}
	if b := f.balance(); b.Posted != 7500 || b.Pending != 1000 {
		t.Fatalf("reload changed the account: %+v", b)
	}
	if err := f.l.UpsertAccount("acct", "USD", 6000, 0); err != nil {
		t.Fatal(err)
	}
	if b := f.balance(); b.Posted != 8500 || b.CreditLimit != 0 || b.Available != 7500 {
		t.Fatalf("reload with a new balance: %+v", b)
	}
	if err := f.l.UpsertAccount("acct", "EUR", 6000, 0); err == nil {
		t.Fatal("currency change accepted")
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crash=%v", crash), func(t *testing.T) {
			f := setup(t, 10000, 0)
			a := f.auth(1000, func(r *ledger.Authorize) { r.Lifecycle, r.Original = lc("L1"), orig("000001") })
			f.auth(500, func(r *ledger.Authorize) { r.Lifecycle = lc("L1"); r.MCC = "7011" })
			f.reverse(func(r *ledger.Reverse) { r.Original = orig("000404") })
			key := ledger.MakeRequestKey(1, ledger.ClassAuthorization, "777777", "0304100000", "1")
			f.l.Authorize(&ledger.Authorize{Key: key, Account: "acct", Card: "card9", Amount: 20000, Currency: "USD", AllowPartial: true, At: f.now})
			before, holds := f.balance(), f.l.Holds("acct")
			got, _ := f.l.Lookup(key)
			if err := f.l.WaitDurable(context.Background(), got.Seq); err != nil {
				t.Fatal(err)
			}
			f.restart(crash)
			if after := f.balance(); after != before {
				t.Fatalf("balance %+v, before restart %+v", after, before)
			}
			if h := f.l.Holds("acct"); fmt.Sprint(h) != fmt.Sprint(holds) {
				t.Fatalf("holds %+v, before %+v", h, holds)
			}
			if again, ok := f.l.Lookup(key); !ok || again.Seq != got.Seq || again.Approved != 8500 {
				t.Fatalf("remembered %+v, before %+v", again, got)
			}
			expect(t, f.auth(1, func(r *ledger.Authorize) { r.Original = orig("000404") }), ledger.Declined, ledger.ReasonAlreadyReversed, 0)
			f.l.Adjust(&ledger.Adjust{Key: f.key(), Account: "acct", Amount: 100, At: f.now})
			inc := f.auth(100, func(r *ledger.Authorize) { r.Lifecycle = lc("L1") })
			if inc.HoldID != a.HoldID || inc.Hold != 1600 {
				t.Fatalf("incremental after restart %+v", inc)
			}
			if inc.Seq <= got.Seq {
				t.Fatalf("sequence went back: %d after %d", inc.Seq, got.Seq)
			}
		})
	}
}

func TestJournalFeedSide(t *testing.T) {
	f := setup(t, 10000, 0)
	var last ledger.Result
	for i := 0; i < 50; i++ {
		last = f.auth(10, func(r *ledger.Authorize) {
			r.Descriptor = ledger.Descriptor{Network: "visa", Kind: "authorization", Last4: "0010", MerchantName: "SHOP"}
		})
	}
	entries, err := f.l.ReadJournal(1, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 51 || entries[0].Op != ledger.OpAccount || entries[50].Seq != last.Seq {
		t.Fatalf("%d entries, last %+v", len(entries), entries[len(entries)-1])
	}
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
	}
	e := entries[50]
	if e.Op != ledger.OpAuthorize || e.Account != "acct" || e.Card != "card1" || e.Result.HoldID != last.HoldID ||
		e.Result.Hold != 10 || e.Descriptor.MerchantName != "SHOP" || !e.Time.Equal(t0) || e.Currency != "USD" {
		t.Fatalf("entry %+v", e)
	}
	if n, b := f.l.Backlog(); n != 51 || b == 0 {
		t.Fatalf("backlog %d entries %d bytes", n, b)
	}
	page, _ := f.l.ReadJournal(20, 5, entries)
	if len(page) != 5 || page[0].Seq != 20 || page[4].Seq != 24 {
		t.Fatalf("page %d from %d", len(page), page[0].Seq)
	}
	if err := f.l.Ack(30); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.l.Backlog(); n != 21 {
		t.Fatalf("backlog after ack %d", n)
	}
	if err := f.l.Ack(1000); err == nil {
		t.Fatal("ack beyond durable accepted")
	}
	f.restart(false)
	if n, _ := f.l.Backlog(); n != 21 {
		t.Fatalf("backlog after restart %d", n)
	}
	rest, err := f.l.ReadJournal(31, 100, nil)
	if err != nil || len(rest) != 21 || rest[0].Seq != 31 {
		t.Fatalf("after restart %d entries from %v: %v", len(rest), rest[0].Seq, err)
	}
}
