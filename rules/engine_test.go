package rules_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/rules/program"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

// asRepeat turns a request into its repeat (0101, 0121, 0401, 0421).
func asRepeat(a *spec.Authorization) *spec.Authorization {
	r := *a
	r.MTI = r.MTI[:3] + "1"
	r.Repeat = true
	return &r
}

func TestRepeatsGetTheSameAnswerAndChangeNothing(t *testing.T) {
	w := newWorld(t)
	if err := w.engine.ReplaceProgramRules([]program.Rule{{Name: "no_gambling", Expression: `mcc == "7995"`}}); err != nil {
		t.Fatal(err)
	}
	approved := w.purchase(100)
	approvedFirst := w.authorize(approved)
	partial := w.purchase(150000)
	partial.PartialSupported = true
	gambling := w.purchase(100)
	gambling.MCC = "7995"
	badCVV := w.purchase(100)
	badCVV.CVV2 = "000"
	inquiry := w.purchase(0)
	inquiry.Type, inquiry.ProcessingCode, inquiry.CVV2Present = spec.TxnBalanceInquiry, "300000", false
	unknown := w.purchase(100)
	unknown.PAN = "4111111111111129"

	for _, a := range []*spec.Authorization{w.purchase(2500), inquiry, partial, gambling, badCVV, unknown} {
		first := w.authorize(a)
		before := w.available("acct_1")
		for _, again := range []*spec.Authorization{asRepeat(a), a} { // a repeat, a retransmission
			d := w.authorize(again)
			if !d.Repeat {
				t.Errorf("%s: not answered as a repeat", first.Reason)
			}
			if d.Answer != first.Answer || d.Check != first.Check || d.Seq != first.Seq || d.HoldID != first.HoldID {
				t.Errorf("%s: repeat answered %+v %s/%s, first %+v %s/%s", first.Reason, d.Answer, d.Check, d.Reason, first.Answer, first.Check, first.Reason)
			}
			if d.Reason != first.Reason {
				t.Errorf("repeat reason %q, first %q", d.Reason, first.Reason)
			}
		}
		if after := w.available("acct_1"); after != before {
			t.Errorf("%s: a repeat moved available from %d to %d", first.Reason, before, after)
		}
	}

	// The remembered answer stands even after the card changed.
	if _, err := w.engine.UpdateCard("card_visa", func(c *refdata.Card) error { c.Status = refdata.CardInactive; return nil }); err != nil {
		t.Fatal(err)
	}
	if d := w.authorize(asRepeat(approved)); d.Answer != approvedFirst.Answer || d.Answer.ResponseCode != "00" {
		t.Fatalf("repeat after a change: %+v, first %+v", d.Answer, approvedFirst.Answer)
	}

	// A program rule's repeat keeps its answer when the rules changed since;
	// only the rule's name is then no longer known.
	if err := w.engine.ReplaceProgramRules(nil); err != nil {
		t.Fatal(err)
	}
	if d := w.authorize(asRepeat(gambling)); d.Answer.ResponseCode != "05" || d.Check != "program" || !strings.HasPrefix(d.Reason, "program_rule") {
		t.Fatalf("program decline repeated after a reload: %+v %s %s", d.Answer, d.Check, d.Reason)
	}
}

func TestAuthorizationCodes(t *testing.T) {
	w := newWorld(t)
	codes := map[string]bool{}
	for i := 0; i < 20; i++ {
		d := w.authorize(w.purchase(10))
		c := d.Answer.AuthCode
		if len(c) != 6 || strings.Trim(c, "0123456789") != "" || c == "000000" {
			t.Fatalf("auth code %q", c)
		}
		codes[c] = true
	}
	if len(codes) < 18 {
		t.Fatalf("only %d distinct codes in 20 approvals", len(codes))
	}
	a := w.purchase(1000000)
	if d := w.authorize(a); d.Answer.AuthCode != "" {
		t.Fatalf("a decline carries auth code %q", d.Answer.AuthCode)
	}
}

func TestAdvices(t *testing.T) {
	w := newWorld(t)
	advice := func(amount int64, code string) *spec.Authorization {
		a := w.purchase(amount)
		a.MTI, a.Kind, a.ResponseCode, a.AuthCode = "0120", spec.KindAdvice, code, "V12345"
		return a
	}
	// Stand-in approved more than the account has: the hold goes on anyway.
	a := advice(150000, "00")
	d := w.authorize(a)
	if d.Answer.ResponseCode != "00" || d.Check != "advice" || d.Reason != "network_approved" || d.HoldID == 0 || d.Answer.AuthCode != "" {
		t.Fatalf("approved advice: %+v", d)
	}
	if got := w.available("acct_1"); got != 100000-150000 {
		t.Fatalf("available after a forced hold: %d", got)
	}
	if r := w.authorize(asRepeat(a)); !r.Repeat || r.Answer != d.Answer || w.available("acct_1") != -50000 {
		t.Fatalf("repeated advice: %+v, available %d", r, w.available("acct_1"))
	}

	d = w.authorize(advice(1000, "51"))
	if d.Answer.ResponseCode != "00" || d.Reason != "network_declined" || d.HoldID != 0 || w.available("acct_1") != -50000 {
		t.Fatalf("declined advice: %+v", d)
	}
	u := advice(1000, "00")
	u.PAN = "4111111111111129"
	if d := w.authorize(u); d.Answer.ResponseCode != "00" || d.HoldID != 0 || d.Seq == 0 {
		t.Fatalf("advice for an unknown card: %+v", d)
	}
	// A limit does not decline an advice, but counts it.
	setControls(t, w, refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":1000,"interval":"daily"}]}`)
	if d := w.authorize(advice(900, "00")); d.HoldID == 0 {
		t.Fatalf("advice under a limit: %+v", d)
	}
	w.load(`{"kind":"account","id":"acct_1","currency":"USD","balance":1000000,"status":"active"}`)
	w.expect("the limit counted the advice", w.purchase(200), answer{"61", "controls", "spending_controls", 'M', 0})
}

func TestReversals(t *testing.T) {
	w := newWorld(t)
	reversal := func(of *spec.Authorization, actual int64) *spec.Authorization {
		r := w.purchase(of.Amount)
		r.MTI, r.Kind, r.CVV2Present = "0400", spec.KindReversal, false
		r.TransactionID, r.LifecycleKey = of.TransactionID, of.LifecycleKey
		r.HasOriginal = true
		r.Original = spec.OriginalData{MTI: "0100", STAN: of.STAN, TransmissionTime: of.TransmissionTime,
			AcquirerID: "00000" + of.AcquirerID, ForwardingID: "00000000000"}
		if actual > 0 {
			r.HasReplacement, r.ActualAmount = true, actual
		}
		return r
	}
	// Full reversal.
	a := w.purchase(3000)
	w.authorize(a)
	r := reversal(a, 0)
	d := w.authorize(r)
	if d.Answer.ResponseCode != "00" || d.Check != "reversal" || d.Reason != "reversed" || d.HoldID == 0 || w.available("acct_1") != 100000 {
		t.Fatalf("full reversal: %+v, available %d", d, w.available("acct_1"))
	}
	if again := w.authorize(asRepeat(r)); !again.Repeat || again.Answer != d.Answer || w.available("acct_1") != 100000 {
		t.Fatalf("repeated reversal: %+v", again)
	}

	// Partial: 12345 approved, 10000 spent, 2345 released.
	a = w.purchase(12345)
	w.authorize(a)
	w.authorize(reversal(a, 10000))
	if got := w.available("acct_1"); got != 100000-10000 {
		t.Fatalf("after a partial reversal: available %d", got)
	}

	// By the life-cycle key alone.
	a = w.purchase(500)
	w.authorize(a)
	r = reversal(a, 0)
	r.HasOriginal, r.Original = false, spec.OriginalData{}
	w.authorize(r)
	if got := w.available("acct_1"); got != 100000-10000 {
		t.Fatalf("after a reversal by life cycle: available %d", got)
	}

	// A reversal before its original: recorded, and the original declined.
	late := w.purchase(700)
	d = w.authorize(reversal(late, 0))
	if d.Answer.ResponseCode != "00" || d.Reason != "reversal_recorded" || d.HoldID != 0 {
		t.Fatalf("early reversal: %+v", d)
	}
	w.expect("original after its reversal", late, answer{"05", "funds", "already_reversed", 'M', 0})
	if got := w.available("acct_1"); got != 100000-10000 {
		t.Fatalf("after the late original: available %d", got)
	}
}

func TestChainConfiguration(t *testing.T) {
	l, err := ledger.Open(ledger.Options{Volatile: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	bad := [][]string{
		{"sanity", "card", "funds", "expiry"},
		{"sanity", "card", "expiry", "expiry", "funds"},
		{"sanity", "card", "frobnicate", "funds"},
		{"sanity", "expiry", "card", "funds"},
		{"card", "funds"},
		{"sanity", "card"},
	}
	for _, chain := range bad {
		if _, err := rules.New(rules.Options{Ledger: l, PANKey: panKey, Chain: chain, Logger: quiet}); err == nil {
			t.Errorf("chain %v accepted", chain)
		}
	}
	if _, err := rules.New(rules.Options{PANKey: panKey}); err == nil {
		t.Error("engine without a ledger")
	}

	// A chain without verification and with status before expiry.
	w := newWorld(t, withChain("sanity", "card", "status", "expiry", "controls", "funds"))
	a := w.purchase(100)
	a.CVV2 = "000"
	w.expect("no verification", a, answer{"00", "funds", "approved", 'P', 0})
	w.load(`{"kind":"account","id":"acct_1","currency":"USD","balance":100000,"status":"frozen"}`)
	a = w.purchase(100)
	a.Expiry = "2901"
	w.expect("status before expiry", a, answer{"62", "status", "account_frozen", 'P', 0})
}

func TestMetrics(t *testing.T) {
	w := newWorld(t)
	w.authorize(w.purchase(100))
	w.engine.Store().SettleCache() // cache fills are asynchronous
	w.authorize(w.purchase(100))
	a := w.purchase(100)
	a.PAN = "4111111111111129"
	w.authorize(a)
	if got := counter(t, w, "authswitch_rules_decisions_total", "result", "approved"); got != 2 {
		t.Fatalf("approved decisions %v", got)
	}
	if got := counter(t, w, "authswitch_rules_decisions_total", "result", "card_unknown"); got != 1 {
		t.Fatalf("card_unknown decisions %v", got)
	}
	families, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ratio float64 = -1
	for _, f := range families {
		if f.GetName() == "authswitch_rules_cache_hit_ratio" {
			ratio = f.GetMetric()[0].GetGauge().GetValue()
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if strings.Contains(l.GetValue(), visaPAN[6:12]) {
					t.Fatalf("metric %s has a label %q", f.GetName(), l.GetValue())
				}
			}
		}
	}
	if ratio <= 0 || ratio > 1 {
		t.Fatalf("cache hit ratio %v", ratio)
	}
}

// With the ledger closed, an approval is impossible (96) and a decline
// still goes out, flagged as unrecorded; advices and reversals are 96.
func TestLedgerUnavailable(t *testing.T) {
	w := newWorld(t)
	if err := w.ledger.Close(); err != nil {
		t.Fatal(err)
	}
	d := w.engine.Authorize(w.purchase(100))
	if d.Answer.ResponseCode != "96" || d.Reason != "ledger_unavailable" || !errors.Is(d.Err, rules.ErrLedgerUnavailable) || d.Answer.AuthCode != "" {
		t.Fatalf("approval without a ledger: %+v", d)
	}
	a := w.purchase(100)
	a.PAN = "4111111111111129"
	d = w.engine.Authorize(a)
	if d.Answer.ResponseCode != "14" || d.Seq != 0 || !errors.Is(d.Err, rules.ErrLedgerUnavailable) {
		t.Fatalf("decline without a ledger: %+v", d)
	}
	adv := w.purchase(100)
	adv.MTI, adv.Kind, adv.ResponseCode = "0120", spec.KindAdvice, "00"
	if d := w.engine.Advice(adv); d.Answer.ResponseCode != "96" || !errors.Is(d.Err, rules.ErrLedgerUnavailable) {
		t.Fatalf("advice without a ledger: %+v", d)
	}
}

// Describe tells, from a journal entry's result alone, what the request
// was answered: the feed fills its records with it.
func TestDescribeJournalEntries(t *testing.T) {
	w := newWorld(t)
	partial := w.purchase(150000)
	partial.PartialSupported = true
	badCVV := w.purchase(100)
	badCVV.CVV2 = "000"
	advice := w.purchase(100)
	advice.MTI, advice.Kind, advice.ResponseCode = "0120", spec.KindAdvice, "00"
	auth := w.purchase(300)
	reversal := w.purchase(300)
	reversal.MTI, reversal.Kind, reversal.CVV2Present, reversal.HasOriginal = "0400", spec.KindReversal, false, true
	reversal.Original = spec.OriginalData{MTI: "0100", STAN: auth.STAN, TransmissionTime: auth.TransmissionTime, AcquirerID: auth.AcquirerID}

	answered := map[uint64]rules.Decision{}
	for _, a := range []*spec.Authorization{w.purchase(100), badCVV, auth, reversal, advice, partial, w.purchase(1)} {
		d := w.authorize(a)
		answered[d.Seq] = d
	}
	entries, err := w.ledger.ReadJournal(0, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, e := range entries {
		o, ok := rules.Describe(&e.Result)
		d, asked := answered[e.Seq]
		if !asked {
			if ok {
				t.Errorf("entry %d (%v) described as %+v", e.Seq, e.Op, o)
			}
			continue
		}
		seen++
		if !ok || o.ResponseCode != d.Answer.ResponseCode || o.AuthCode != d.Answer.AuthCode || o.Check != d.Check {
			t.Errorf("entry %d: described %+v, answered %s %q %s/%s", e.Seq, o, d.Answer.ResponseCode, d.Answer.AuthCode, d.Check, d.Reason)
		}
		if !strings.HasPrefix(d.Reason, o.Reason) {
			t.Errorf("entry %d: reason %q, answered %q", e.Seq, o.Reason, d.Reason)
		}
	}
	if seen != len(answered) {
		t.Fatalf("described %d entries of %d", seen, len(answered))
	}
}
