package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/cockroachdb/pebble/v2/vfs"
)

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
	f := &fixture{t: t, fs: vfs.NewMem(), now: t0}
	f.open()
	t.Cleanup(func() { f.l.Close() })
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	l, err := ledger.Open(ledger.Options{FS: f.fs, Dir: "db", Now: func() time.Time { return f.now }, NoSync: true})
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
