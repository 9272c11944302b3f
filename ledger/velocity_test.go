package ledger_test

import (
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
)

// TestVelocityWindows: a control allows at most Count approvals in any
// Window, counting approvals only, on its own scope; requests that raced
// (earlier times arriving later) count in their place; the counts survive
// a checkpoint and a replay.
func TestVelocityWindows(t *testing.T) {
	f := setup(t, 1_000_000, 0)
	card5 := []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 5, Window: time.Minute}}
	at := func(sec int, card string, vel []ledger.Velocity) ledger.Result {
		t.Helper()
		return f.auth(10, func(r *ledger.Authorize) {
			r.At, r.Card, r.Velocity = t0.Add(time.Duration(sec)*time.Second), card, vel
		})
	}
	check := func(sec int, card string, vel []ledger.Velocity) ledger.Result {
		t.Helper()
		return f.l.Check(&ledger.Authorize{Key: f.key(), Account: "acct", Card: card, Cardholder: "ch1", Amount: 10,
			Currency: "USD", MCC: "5411", At: t0.Add(time.Duration(sec) * time.Second), Velocity: vel})
	}
	// Five approvals, the fourth "raced": it carries an earlier time than
	// the third.
	for _, sec := range []int{0, 1, 3, 2, 4} {
		expect(t, at(sec, "card1", card5), ledger.Approved, ledger.ReasonNone, 10)
	}
	expect(t, at(5, "card1", card5), ledger.Declined, ledger.ReasonVelocityExceeded, 0)
	// Another card, and the same card without the control, are not held.
	expect(t, at(5, "card2", card5), ledger.Approved, ledger.ReasonNone, 10)
	expect(t, at(6, "card1", nil), ledger.Approved, ledger.ReasonNone, 10) // counted: card1 now has 6 in the window
	// At 61 s the window is (1 s, 61 s]: approvals at 2, 3, 4 and 6 remain.
	expect(t, check(61, "card1", card5), ledger.Approved, ledger.ReasonNone, 10)
	if r := check(61, "card1", []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 4, Window: time.Minute}}); r.Reason != ledger.ReasonVelocityExceeded {
		t.Fatalf("four in the window, control of four: %+v", r)
	}
	// At 62 s: (2 s, 62 s] holds 3, 4, 6.
	expect(t, check(62, "card1", []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 4, Window: time.Minute}}), ledger.Approved, ledger.ReasonNone, 10)
	// A control of zero allows nothing.
	expect(t, check(7, "card3", []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 0, Window: time.Minute}}), ledger.Declined, ledger.ReasonVelocityExceeded, 0)
	// A deeper control later: the card's ring grows and keeps what it had.
	deep := []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 40, Window: time.Hour}}
	for sec := 100; sec < 130; sec++ {
		expect(t, at(sec, "card1", deep), ledger.Approved, ledger.ReasonNone, 10)
	}
	// The account's own scope counts every card. Its ring kept the least
	// depth (4) while no control was on it, and grows once one is.
	acct := func(n int) []ledger.Velocity {
		return []ledger.Velocity{{Scope: ledger.ScopeAccount, Count: n, Window: time.Hour}}
	}
	for sec := 300; sec < 303; sec++ {
		expect(t, at(sec, "card3", acct(100)), ledger.Approved, ledger.ReasonNone, 10)
	}
	want := func() {
		t.Helper()
		if r := check(303, "card4", acct(7)); r.Reason != ledger.ReasonVelocityExceeded {
			t.Fatalf("account: 4 kept + 3 = 7 in the hour, control of 7: %+v", r)
		}
		expect(t, check(303, "card4", acct(8)), ledger.Approved, ledger.ReasonNone, 10)
		// card1: 6 early approvals + 30 = 36 in the hour.
		if r := check(200, "card1", []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 36, Window: time.Hour}}); r.Reason != ledger.ReasonVelocityExceeded {
			t.Fatalf("36 in the hour, control of 36: %+v", r)
		}
		expect(t, check(200, "card1", []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 37, Window: time.Hour}}), ledger.Approved, ledger.ReasonNone, 10)
		expect(t, check(200, "card2", []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 2, Window: time.Hour}}), ledger.Approved, ledger.ReasonNone, 10)
		if r := check(200, "card2", []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 1, Window: time.Hour}}); r.Reason != ledger.ReasonVelocityExceeded {
			t.Fatalf("card2: %+v", r)
		}
	}
	want()
	f.restart(false) // from the checkpoint
	want()
	f.restart(true) // from the journal
	want()
}
