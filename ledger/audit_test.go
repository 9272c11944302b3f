package ledger_test

import (
	"strings"
	"testing"

	"github.com/authswitch/authswitch/ledger"
)

func adminKey(n byte) ledger.RequestKey {
	var digest [30]byte
	digest[0] = n
	return ledger.MakeAdminRequestKey(digest[:])
}

func TestRecordAudit(t *testing.T) {
	f := setup(t, 10000, 0)
	fund := f.l.Adjust(&ledger.Adjust{Key: adminKey(1), Account: "acct", Amount: 500, At: f.now,
		Descriptor: ledger.Descriptor{Actor: "ops-alice", Action: "account.fund", Object: "acct", RequestID: "req_ab12", Note: "goodwill credit"}})
	if fund.Status != ledger.Approved || fund.Posted != 10500 {
		t.Fatalf("fund %+v", fund)
	}
	a := &ledger.Audit{Key: adminKey(2), Actor: "ops-alice", Action: "account.fund", Object: "acct", RequestID: "req_ab12",
		Note: "ticket OPS-1234", Account: "acct", Ref: fund.Seq, At: f.now}
	res := f.l.RecordAudit(a)
	if res.Status != ledger.Approved || res.Seq != fund.Seq+1 {
		t.Fatalf("audit %+v", res)
	}
	again := f.l.RecordAudit(a)
	if !again.Repeat || again.Seq != res.Seq {
		t.Fatalf("repeat %+v of %+v", again, res)
	}
	noKey := f.l.RecordAudit(&ledger.Audit{Actor: "ops-bob", Action: "card.update", Object: "card_9", At: f.now})
	if noKey.Status != ledger.Approved || noKey.Seq != res.Seq+1 {
		t.Fatalf("audit without a key %+v", noKey)
	}
	e := f.lastEntry()
	if e.Op != ledger.OpAudit || e.Seq != noKey.Seq || e.Descriptor.Actor != "ops-bob" || e.Descriptor.Action != "card.update" ||
		e.Descriptor.Object != "card_9" || e.Account != "" || e.Ref != 0 {
		t.Fatalf("entry %+v", e)
	}
	es, _ := f.l.ReadJournal(fund.Seq, 2, nil)
	if len(es) != 2 {
		t.Fatalf("%d entries", len(es))
	}
	if d := es[0].Descriptor; es[0].Op != ledger.OpAdjust || d.Actor != "ops-alice" || d.Note != "goodwill credit" || d.RequestID != "req_ab12" {
		t.Fatalf("funding entry %+v", es[0])
	}
	if d := es[1].Descriptor; es[1].Op != ledger.OpAudit || es[1].Ref != fund.Seq || es[1].Account != "acct" ||
		d.Actor != "ops-alice" || d.Action != "account.fund" || d.Object != "acct" || d.RequestID != "req_ab12" || d.Note != "ticket OPS-1234" {
		t.Fatalf("audit entry %+v", es[1])
	}
	// Audit entries replay (with and without an account) and are
	// remembered across restarts.
	f.restart(true)
	if again := f.l.RecordAudit(a); !again.Repeat || again.Seq != res.Seq {
		t.Fatalf("repeat after a crash %+v", again)
	}
	f.restart(false)
	if b := f.balance(); b.Posted != 10500 {
		t.Fatalf("balance %+v", b)
	}
}

func TestOperatorFieldsRefused(t *testing.T) {
	f := setup(t, 10000, 0)
	hold := f.auth(1000, nil)
	before := f.l.Stats().Appended
	pan := "4111111111111111"
	cases := []struct {
		name string
		a    ledger.Audit
		why  ledger.Reason
	}{
		{"no actor", ledger.Audit{Action: "card.update"}, ledger.ReasonInvalidRequest},
		{"no action", ledger.Audit{Actor: "ops"}, ledger.ReasonInvalidRequest},
		{"card number in the note", ledger.Audit{Actor: "ops", Action: "card.update", Note: "card " + pan + " blocked"}, ledger.ReasonSensitiveData},
		{"card number as the object", ledger.Audit{Actor: "ops", Action: "card.update", Object: pan}, ledger.ReasonSensitiveData},
		{"twelve digits in the request id", ledger.Audit{Actor: "ops", Action: "x", RequestID: "req_123456789012"}, ledger.ReasonSensitiveData},
		{"digits in the actor", ledger.Audit{Actor: "a" + pan, Action: "x"}, ledger.ReasonSensitiveData},
		{"digits in the action", ledger.Audit{Actor: "ops", Action: pan}, ledger.ReasonSensitiveData},
		{"note too long", ledger.Audit{Actor: "ops", Action: "x", Note: strings.Repeat("n", 257)}, ledger.ReasonInvalidRequest},
		{"object too long", ledger.Audit{Actor: "ops", Action: "x", Object: strings.Repeat("o", 129)}, ledger.ReasonInvalidRequest},
	}
	for _, c := range cases {
		c.a.Key = adminKey(9)
		if res := f.l.RecordAudit(&c.a); res.Status != ledger.Declined || res.Reason != c.why || res.Seq != 0 {
			t.Errorf("%s: %+v", c.name, res)
		}
	}
	// Eleven digits are not a card number: a phone number in a note is.
	ok := f.l.RecordAudit(&ledger.Audit{Actor: "ops", Action: "x", Note: "call 12345678901 / 2026-03-04 10:00", Key: adminKey(9)})
	if ok.Status != ledger.Approved {
		t.Fatalf("eleven digits refused: %+v", ok)
	}
	// A refused key was not remembered: the same key recorded afterwards is
	// a first answer, not a repeat. The money operations refuse the same
	// way, and move nothing.
	note := ledger.Descriptor{Actor: "ops", Note: "pan " + pan}
	for name, res := range map[string]ledger.Result{
		"adjust":  f.l.Adjust(&ledger.Adjust{Key: adminKey(10), Account: "acct", Amount: 1, Descriptor: note}),
		"capture": f.l.Capture(&ledger.Capture{Key: adminKey(11), Account: "acct", HoldID: hold.HoldID, Amount: 1000, Descriptor: note}),
		"release": f.l.Release(&ledger.Release{Key: adminKey(12), Account: "acct", HoldID: hold.HoldID, Descriptor: note}),
	} {
		if res.Status != ledger.Declined || res.Reason != ledger.ReasonSensitiveData || res.Seq != 0 {
			t.Errorf("%s: %+v", name, res)
		}
	}
	if got := f.l.Stats().Appended; got != before+1 {
		t.Fatalf("refusals journaled: %d entries appended, want 1", got-before)
	}
	if b := f.balance(); b.Posted != 10000 || b.Pending != 1000 {
		t.Fatalf("refusals moved money: %+v", b)
	}
	for _, k := range []ledger.RequestKey{adminKey(10), adminKey(11), adminKey(12)} {
		if _, ok := f.l.Lookup(k); ok {
			t.Fatalf("a refused request was remembered")
		}
	}
}

func TestRecordAuditAfterClose(t *testing.T) {
	l, err := ledger.Open(ledger.Options{Volatile: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if res := l.RecordAudit(&ledger.Audit{Actor: "ops", Action: "x"}); res.Reason != ledger.ReasonUnavailable {
		t.Fatalf("%+v", res)
	}
}

func TestAdminRequestKeys(t *testing.T) {
	digest := []byte("0123456789abcdefghijklmnopqrstuvwxyz") // longer than the 30 bytes used
	k := ledger.MakeAdminRequestKey(digest)
	if k[0] != 0 || k[1] != ledger.ClassAdmin || string(k[2:]) != string(digest[:30]) || !ledger.IsAdminKey(&k) {
		t.Fatalf("admin key % x", k)
	}
	if k != ledger.MakeAdminRequestKey(digest[:30]) {
		t.Fatal("the same digest gave another key")
	}
	short := ledger.MakeAdminRequestKey([]byte{7})
	if short[2] != 7 || short[3] != 0 || !ledger.IsAdminKey(&short) {
		t.Fatalf("short digest % x", short)
	}
	for _, n := range []ledger.Network{1, 2} {
		for _, c := range []byte{ledger.ClassAuthorization, ledger.ClassAdvice, ledger.ClassReversal, ledger.ClassReversalAdvice, ledger.ClassOther, ledger.ClassAdmin} {
			nk := ledger.MakeRequestKey(n, c, "000001", "0304100000", "12345")
			if ledger.IsAdminKey(&nk) {
				t.Fatalf("network %d class %d key taken for an admin key", n, c)
			}
		}
	}
}
