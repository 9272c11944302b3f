package ledger_test

import (
	"errors"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
)

// lastEntry reads the newest journal entry.
func (f *fixture) lastEntry() ledger.Entry {
	f.t.Helper()
	waitDurable(f.t, f.l, f.l.Stats().Appended)
	es, err := f.l.ReadJournal(1, 1<<20, nil)
	if err != nil || len(es) == 0 {
		f.t.Fatalf("ReadJournal: %d entries, %v", len(es), err)
	}
	return es[len(es)-1]
}

// TestEntriesDescribeTheirHold: a capture, release, expiry or reversal
// that acts on a hold carries the hold's life cycle, card, cardholder, MCC
// and network, whatever its own request said, so the feed can describe it
// without following the hold back to its authorization.
func TestEntriesDescribeTheirHold(t *testing.T) {
	f := setup(t, 1_000_000, 0)
	place := func(id string, mcc string) ledger.Result {
		return f.auth(1000, func(r *ledger.Authorize) {
			r.Lifecycle, r.MCC, r.Card, r.Cardholder = lc(id), mcc, "card_"+id, "ch_"+id
			r.Original = ledger.MakeOriginalKey(2, id, "0304100000", "12345", "card_"+id)
			r.Descriptor = ledger.Descriptor{Network: "mastercard", Kind: "authorization", MTI: "0100"}
		})
	}
	type want struct {
		op                ledger.Op
		id, mcc, network  string
		hold              uint64
		released          int64
		keepCard, keepMCC string // what the request itself carried
	}
	check := func(w want) {
		t.Helper()
		e := f.lastEntry()
		card, mcc := "card_"+w.id, w.mcc
		if w.keepCard != "" {
			card = w.keepCard
		}
		if w.keepMCC != "" {
			mcc = w.keepMCC
		}
		if e.Op != w.op || e.Lifecycle != lc(w.id) || e.Card != card || e.Cardholder != "ch_"+w.id || e.MCC != mcc ||
			e.Descriptor.Network != w.network || e.Result.HoldID != w.hold || e.Result.Released != w.released {
			t.Fatalf("%v entry %+v", w.op, e)
		}
	}

	// An operator's release names only the hold.
	h1 := place("R1", "5411")
	if res := f.l.Release(&ledger.Release{Key: f.key(), Account: "acct", HoldID: h1.HoldID, Amount: 400, At: f.now}); res.Released != 400 {
		t.Fatalf("release %+v", res)
	}
	check(want{op: ledger.OpRelease, id: "R1", mcc: "5411", network: "mastercard", hold: h1.HoldID, released: 400})

	// Clearing's capture by hold id, with its own (different) merchant
	// category: the request's value is kept, the rest comes from the hold.
	h2 := place("C1", "5812")
	if res := f.l.Capture(&ledger.Capture{Key: f.key(), Account: "acct", HoldID: h2.HoldID, Amount: 1200, MCC: "5813", At: f.now}); res.Status != ledger.Approved {
		t.Fatalf("capture %+v", res)
	}
	check(want{op: ledger.OpCapture, id: "C1", mcc: "5812", network: "mastercard", hold: h2.HoldID, released: 1000, keepMCC: "5813"})

	// A reversal by field 90 alone (no life cycle in the request).
	h3 := place("V1", "4111")
	res := f.reverse(func(r *ledger.Reverse) {
		r.Card = "card_V1"
		r.Original = ledger.MakeOriginalKey(2, "V1", "0304100000", "12345", "card_V1")
	})
	if res.Released != 1000 || res.HoldID != h3.HoldID {
		t.Fatalf("reversal %+v", res)
	}
	check(want{op: ledger.OpReverse, id: "V1", mcc: "4111", network: "mastercard", hold: h3.HoldID, released: 1000})

	// Expiry: the ledger's own entry, with nothing but the hold to go on.
	h4 := place("E1", "7011")
	f.restart(false)                                             // the hold's network survives a checkpoint
	if n := f.l.ExpireDue(t0.Add(31*24*time.Hour), 10); n != 2 { // R1's rest and E1
		t.Fatalf("expired %d", n)
	}
	waitDurable(t, f.l, f.l.Stats().Appended)
	es, _ := f.l.ReadJournal(1, 1<<20, nil)
	var e ledger.Entry
	for _, x := range es {
		if x.Op == ledger.OpExpire && x.HoldRef == h4.HoldID {
			e = x
		}
	}
	if e.Op != ledger.OpExpire || e.Result.HoldID != h4.HoldID || e.Lifecycle != lc("E1") || e.Card != "card_E1" ||
		e.Cardholder != "ch_E1" || e.MCC != "7011" || e.Descriptor.Network != "mastercard" || e.Result.Released != 1000 {
		t.Fatalf("expiry entry %+v", e)
	}

	// Replay from the journal alone gives the same state (the filled life
	// cycle of the reversal names the same hold).
	before, _ := f.l.Balance("acct")
	f.restart(true)
	if after, _ := f.l.Balance("acct"); after != before {
		t.Fatalf("balance %+v after replay, %+v before", after, before)
	}
	if hs := f.l.Holds("acct"); len(hs) != 0 {
		t.Fatalf("holds left %+v", hs)
	}
}

func TestHoldInfoNetwork(t *testing.T) {
	f := setup(t, 100000, 0)
	f.auth(100, func(r *ledger.Authorize) { r.Descriptor.Network = "visa"; r.MCC = "0742" })
	f.auth(100, func(r *ledger.Authorize) { r.MCC = "" })
	hs := f.l.Holds("acct")
	if len(hs) != 2 || hs[0].Network != "visa" || hs[0].MCC != "0742" || hs[1].Network != "" || hs[1].MCC != "" {
		t.Fatalf("holds %+v", hs)
	}
}

func TestHoldAccountAndRequireHold(t *testing.T) {
	f := setup(t, 100000, 0)
	if err := f.l.UpsertAccount("other", "USD", 100000, 0); err != nil {
		t.Fatal(err)
	}
	mine := f.auth(1000, nil)
	theirs := f.auth(2000, func(r *ledger.Authorize) { r.Account = "other" })
	for _, c := range []struct {
		id   uint64
		acct string
		ok   bool
	}{{mine.HoldID, "acct", true}, {theirs.HoldID, "other", true}, {0, "", false}, {theirs.HoldID + 100, "", false}} {
		if acct, ok := f.l.HoldAccount(c.id); acct != c.acct || ok != c.ok {
			t.Errorf("HoldAccount(%d) = %q, %v; want %q, %v", c.id, acct, ok, c.acct, c.ok)
		}
	}

	// A required hold that is not this account's (or not open) declines,
	// journaled and remembered, and moves nothing.
	before := f.balance()
	refuse := &ledger.Capture{Key: f.key(), Account: "acct", HoldID: theirs.HoldID, Amount: 2000, RequireHold: true, At: f.now}
	res := f.l.Capture(refuse)
	expect(t, res, ledger.Declined, ledger.ReasonHoldUnknown, 0)
	if res.Seq == 0 || res.HoldID != 0 || f.balance() != before {
		t.Fatalf("refused capture %+v, balance %+v", res, f.balance())
	}
	if again := f.l.Capture(refuse); !again.Repeat || again.Seq != res.Seq {
		t.Fatalf("repeat %+v", again)
	}
	// Without RequireHold the same capture posts (clearing's money was
	// spent) and leaves the other account's hold alone.
	res = f.l.Capture(&ledger.Capture{Key: f.key(), Account: "acct", HoldID: theirs.HoldID, Amount: 2000, At: f.now})
	if res.Status != ledger.Approved || res.HoldID != 0 || res.Posted != before.Posted-2000 {
		t.Fatalf("capture without a hold %+v", res)
	}
	if acct, ok := f.l.HoldAccount(theirs.HoldID); !ok || acct != "other" {
		t.Fatalf("the other account's hold moved: %q %v", acct, ok)
	}
	// With the hold: captured, and the directory forgets it.
	res = f.l.Capture(&ledger.Capture{Key: f.key(), Account: "acct", HoldID: mine.HoldID, Amount: 900, RequireHold: true, At: f.now})
	if res.Status != ledger.Approved || res.HoldID != mine.HoldID || res.Released != 1000 {
		t.Fatalf("capture %+v", res)
	}
	if _, ok := f.l.HoldAccount(mine.HoldID); ok {
		t.Fatal("a captured hold is still found")
	}
	// The directory is rebuilt on restart, from a checkpoint or the journal.
	for _, crash := range []bool{false, true} {
		f.restart(crash)
		if acct, ok := f.l.HoldAccount(theirs.HoldID); !ok || acct != "other" {
			t.Fatalf("after restart (crash %v): %q %v", crash, acct, ok)
		}
		if _, ok := f.l.HoldAccount(mine.HoldID); ok {
			t.Fatalf("after restart (crash %v): the captured hold is back", crash)
		}
	}
}

func TestUpsertAccountSeq(t *testing.T) {
	f := newFixture(t)
	seq, err := f.l.UpsertAccountSeq("acct", "USD", 1000, 0)
	if err != nil || seq == 0 {
		t.Fatalf("create: %d, %v", seq, err)
	}
	waitDurable(t, f.l, seq)
	if e := f.lastEntry(); e.Seq != seq || e.Op != ledger.OpAccount || e.Account != "acct" || e.Amount != 1000 {
		t.Fatalf("entry %+v", e)
	}
	res := f.auth(100, nil)
	// The same load again writes nothing and names the account's newest
	// entry: waiting on it makes everything about the account durable.
	same, err := f.l.UpsertAccountSeq("acct", "USD", 1000, 0)
	if err != nil || same != res.Seq {
		t.Fatalf("unchanged reload: %d, %v (newest entry %d)", same, err, res.Seq)
	}
	moved, err := f.l.UpsertAccountSeq("acct", "USD", 1500, 200)
	if err != nil || moved != res.Seq+1 {
		t.Fatalf("reload: %d, %v", moved, err)
	}
	if b := f.balance(); b.Posted != 1500 || b.CreditLimit != 200 || b.Pending != 100 {
		t.Fatalf("balance %+v", b)
	}
	if _, err := f.l.UpsertAccountSeq("acct", "EUR", 1500, 0); err == nil {
		t.Fatal("currency changed")
	}
	f.l.Close()
	if _, err := f.l.UpsertAccountSeq("new", "USD", 1, 0); !errors.Is(err, ledger.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
