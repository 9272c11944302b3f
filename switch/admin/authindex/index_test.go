package authindex_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/switch/admin/authindex"
)

var t0 = time.Date(2025, 11, 24, 8, 0, 0, 0, time.UTC)

// entry is an approved Visa authorization of card on account.
func entry(seq uint64, card, account string, hold uint64) ledger.Entry {
	lc := ledger.MakeLifecycleKey(1, fmt.Sprintf("4329081234%05d", seq))
	return ledger.Entry{
		Seq: seq, Time: t0.Add(time.Duration(seq) * time.Second), Op: ledger.OpAuthorize,
		Lifecycle: lc, Account: account, Card: card, MCC: "5999", Amount: 1000 + int64(seq), Currency: "USD",
		Result: ledger.Result{Status: ledger.Approved, Approved: 1000 + int64(seq), HoldID: hold, Hold: 1000 + int64(seq),
			Posted: 100000, Available: 99000, Currency: "USD", Seq: seq},
		Descriptor: ledger.Descriptor{Network: "visa", Kind: "authorization", MTI: "0100", STAN: fmt.Sprintf("%06d", seq),
			RRN: "432908000001", TransactionID: fmt.Sprintf("4329081234%05d", seq), CardToken: card, Last4: "1111",
			Amount: 1000 + int64(seq), Currency: "USD", MerchantName: "EXAMPLE STORE", MerchantCity: "NEW YORK",
			Country: "US", MCC: "5999", TerminalID: "TERM0001", Decision: "approved", ResponseCode: "00", AuthCode: "A1B2C3"},
	}
}

func open(t *testing.T, dir string) *authindex.Index {
	t.Helper()
	x, err := authindex.Open(authindex.Options{Dir: dir})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func seqs(as []authindex.Authorization) []uint64 {
	out := make([]uint64, len(as))
	for i := range as {
		out[i] = as[i].Seq
	}
	return out
}

func TestAddGetAndFields(t *testing.T) {
	x := open(t, "")
	e := entry(7, "card_1", "acct_1", 3)
	if err := x.Add([]ledger.Entry{e}); err != nil {
		t.Fatal(err)
	}
	a, err := x.GetID("auth_7")
	if err != nil {
		t.Fatal(err)
	}
	want := authindex.Authorization{
		Seq: 7, Time: e.Time, Op: ledger.OpAuthorize, Network: "visa", Kind: "authorization", MTI: "0100",
		STAN: "000007", RRN: "432908000001", TransactionID: "432908123400007", Lifecycle: "432908123400007",
		LifecycleKey: e.Lifecycle, Card: "card_1", Last4: "1111", Account: "acct_1", Amount: 1007, Currency: "USD",
		AccountAmount: 1007, AccountCurrency: "USD", Approved: 1007, MerchantName: "EXAMPLE STORE",
		MerchantCity: "NEW YORK", Country: "US", MCC: "5999", TerminalID: "TERM0001", Decision: "approved",
		Status: "approved", LedgerReason: "none", ResponseCode: "00", AuthCode: "A1B2C3", HoldID: 3, HoldAmount: 1007,
	}
	if a != want {
		t.Errorf("got  %+v\nwant %+v", a, want)
	}
	if !a.IsApproved() {
		t.Error("IsApproved false for an approval")
	}
	if x.Indexed() != 7 {
		t.Errorf("Indexed = %d, want 7", x.Indexed())
	}
	for _, id := range []string{"auth_8", "auth_0", "auth_07", "auth_", "7", "acct_7", "auth_18446744073709551616"} {
		if _, err := x.GetID(id); !errors.Is(err, authindex.ErrNotFound) {
			t.Errorf("GetID(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestOnlyAuthorizationsAreIndexed(t *testing.T) {
	x := open(t, "")
	var es []ledger.Entry
	for i, op := range []ledger.Op{ledger.OpAuthorize, ledger.OpAdvice, ledger.OpReverse, ledger.OpDecline,
		ledger.OpCapture, ledger.OpRelease, ledger.OpExpire, ledger.OpAdjust, ledger.OpAccount} {
		e := entry(uint64(i+1), "card_1", "acct_1", 0)
		e.Op = op
		es = append(es, e)
	}
	if err := x.Add(es); err != nil {
		t.Fatal(err)
	}
	got, more, err := x.ListByAccount("acct_1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(got)) != "[4 3 2 1]" || more {
		t.Errorf("indexed %v (more %v), want [4 3 2 1]", seqs(got), more)
	}
}

func TestListNewestFirstWithCursor(t *testing.T) {
	x := open(t, "")
	var es []ledger.Entry
	for i := uint64(1); i <= 25; i++ {
		card := "card_a"
		if i%2 == 0 {
			card = "card_b"
		}
		es = append(es, entry(i, card, "acct_1", 0))
	}
	// A card whose id starts like another's must not show in its list.
	es = append(es, entry(26, "card_aa", "acct_10", 0))
	if err := x.Add(es); err != nil {
		t.Fatal(err)
	}
	var all []uint64
	var cursor uint64
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatal("pagination does not end")
		}
		got, more, err := x.ListByCard("card_a", cursor, 5)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, seqs(got)...)
		if !more {
			break
		}
		cursor = got[len(got)-1].Seq
	}
	if fmt.Sprint(all) != "[25 23 21 19 17 15 13 11 9 7 5 3 1]" {
		t.Errorf("card_a pages: %v", all)
	}
	got, more, _ := x.ListByAccount("acct_1", 0, 3)
	if fmt.Sprint(seqs(got)) != "[25 24 23]" || !more {
		t.Errorf("acct_1 first page %v more=%v", seqs(got), more)
	}
	got, more, _ = x.ListByAccount("acct_1", 2, 3)
	if fmt.Sprint(seqs(got)) != "[1]" || more {
		t.Errorf("acct_1 after 2: %v more=%v", seqs(got), more)
	}
	got, _, _ = x.List(0, 2)
	if fmt.Sprint(seqs(got)) != "[26 25]" {
		t.Errorf("List: %v", seqs(got))
	}
	got, _, _ = x.ListByCard("card_none", 0, 10)
	if len(got) != 0 {
		t.Errorf("unknown card listed %v", seqs(got))
	}
	got, _, _ = x.ListByCard("card_a", 0, 1000)
	if len(got) != 13 {
		t.Errorf("limit over MaxLimit: %d records", len(got))
	}
}

func TestAddIsIdempotentAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	x, err := authindex.Open(authindex.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	es := []ledger.Entry{entry(1, "card_1", "acct_1", 1), entry(2, "card_1", "acct_1", 1), entry(3, "card_1", "acct_1", 2)}
	for range 3 { // the feed may read a window again after a failure
		if err := x.Add(es); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Add(es[1:2]); err != nil {
		t.Fatal(err)
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := x.Add(es); !errors.Is(err, authindex.ErrClosed) {
		t.Errorf("Add after Close: %v", err)
	}
	x = open(t, dir)
	if x.Indexed() != 3 {
		t.Errorf("Indexed after reopen = %d", x.Indexed())
	}
	got, _, err := x.ListByCard("card_1", 0, 10)
	if err != nil || fmt.Sprint(seqs(got)) != "[3 2 1]" {
		t.Errorf("after re-adds and reopen: %v %v", seqs(got), err)
	}
}

func TestHoldAndLifecycleAccounts(t *testing.T) {
	x := open(t, "")
	e1 := entry(1, "card_1", "acct_1", 11)
	e2 := entry(2, "card_2", "acct_2", 12)
	decl := entry(3, "", "", 0) // unknown card: no account
	decl.Op, decl.Result.Status = ledger.OpDecline, ledger.Declined
	decl.Descriptor.Decision, decl.Descriptor.Reason, decl.Descriptor.ResponseCode = "declined", "card_unknown", "14"
	if err := x.Add([]ledger.Entry{e1, e2, decl}); err != nil {
		t.Fatal(err)
	}
	if a, err := x.HoldAccount(11); err != nil || a != "acct_1" {
		t.Errorf("HoldAccount(11) = %q, %v", a, err)
	}
	if a, err := x.HoldAccount(12); err != nil || a != "acct_2" {
		t.Errorf("HoldAccount(12) = %q, %v", a, err)
	}
	if _, err := x.HoldAccount(13); !errors.Is(err, authindex.ErrNotFound) {
		t.Errorf("HoldAccount(13): %v", err)
	}
	if a, err := x.LifecycleAccount(e2.Lifecycle); err != nil || a != "acct_2" {
		t.Errorf("LifecycleAccount = %q, %v", a, err)
	}
	if _, err := x.LifecycleAccount(decl.Lifecycle); !errors.Is(err, authindex.ErrNotFound) {
		t.Errorf("a life cycle without an account: %v", err)
	}
	if _, err := x.LifecycleAccount(ledger.LifecycleKey{}); !errors.Is(err, authindex.ErrNotFound) {
		t.Errorf("zero life cycle: %v", err)
	}
	if a, err := x.Get(3); err != nil || a.IsApproved() || a.Decision != "declined" || a.Reason != "card_unknown" {
		t.Errorf("decline record: %+v %v", a, err)
	}
}

func TestPrune(t *testing.T) {
	x := open(t, "")
	var es []ledger.Entry
	for i := uint64(1); i <= 10; i++ {
		es = append(es, entry(i, "card_1", "acct_1", i))
	}
	if err := x.Add(es); err != nil {
		t.Fatal(err)
	}
	cutoff := t0.Add(6 * time.Second) // records 1–5 are older
	n, err := x.Prune(cutoff, 3)
	if err != nil || n != 3 {
		t.Fatalf("Prune = %d, %v; want 3 (bounded)", n, err)
	}
	n, err = x.Prune(cutoff, 100)
	if err != nil || n != 2 {
		t.Fatalf("second Prune = %d, %v; want 2", n, err)
	}
	if n, _ := x.Prune(cutoff, 100); n != 0 {
		t.Errorf("third Prune deleted %d", n)
	}
	got, _, _ := x.ListByCard("card_1", 0, 100)
	if fmt.Sprint(seqs(got)) != "[10 9 8 7 6]" {
		t.Errorf("after prune: %v", seqs(got))
	}
	if _, err := x.HoldAccount(5); !errors.Is(err, authindex.ErrNotFound) {
		t.Errorf("hold of a pruned record: %v", err)
	}
	if _, err := x.LifecycleAccount(es[4].Lifecycle); !errors.Is(err, authindex.ErrNotFound) {
		t.Errorf("life cycle of a pruned record: %v", err)
	}
	if a, err := x.HoldAccount(6); err != nil || a != "acct_1" {
		t.Errorf("hold of a kept record: %q %v", a, err)
	}
}

func TestCardNumbersAreMasked(t *testing.T) {
	x := open(t, "")
	e := entry(1, "4111111111111111", "acct 4111111111111111", 0)
	e.Descriptor.CardToken, e.Descriptor.Last4 = "", "4111111111111111"
	if err := x.Add([]ledger.Entry{e}); err != nil {
		t.Fatal(err)
	}
	a, err := x.Get(1)
	if err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf("%+v", a)
	if strings.Contains(rec, "4111111111111111") {
		t.Errorf("a card number reached the index: %s", rec)
	}
	if a.Card != "411111******1111" || a.Last4 != "1111" || a.Account != "acct 411111******1111" {
		t.Errorf("masked fields: card %q last4 %q account %q", a.Card, a.Last4, a.Account)
	}
}

func BenchmarkAdd(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("window512/sync=%v", sync), func(b *testing.B) {
			x, err := authindex.Open(authindex.Options{Dir: b.TempDir(), NoSync: !sync})
			if err != nil {
				b.Fatal(err)
			}
			defer x.Close()
			// Entries are built up front (their sequence numbers moved on
			// each round) so the figure is the index's alone.
			es := make([]ledger.Entry, 512)
			for j := range es {
				es[j] = entry(uint64(j+1), fmt.Sprintf("card_%d", j*7919%100000), fmt.Sprintf("acct_%d", j*7907%50000), uint64(j+1))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := range es {
					es[j].Seq += uint64(len(es))
					es[j].Result.HoldID = es[j].Seq
				}
				if err := x.Add(es); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(es)), "ns/entry")
		})
	}
}

func TestIndexingJournalIndexesWhatItReads(t *testing.T) {
	l, err := ledger.Open(ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.UpsertAccount("acct_1", "USD", 10000, 0); err != nil {
		t.Fatal(err)
	}
	var last ledger.Result
	for i := range 5 {
		e := entry(0, "card_1", "acct_1", 0)
		last = l.Authorize(&ledger.Authorize{
			Key:     ledger.MakeRequestKey(1, ledger.ClassAuthorization, fmt.Sprintf("%06d", i), "1124081530", "400050"),
			Account: "acct_1", Card: "card_1", Amount: 100, Currency: "USD", MCC: "5999", At: t0,
			Lifecycle: ledger.MakeLifecycleKey(1, fmt.Sprintf("LC%d", i)), Descriptor: e.Descriptor,
		})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.WaitDurable(ctx, last.Seq); err != nil {
		t.Fatal(err)
	}
	x := open(t, "")
	j := authindex.IndexingJournal{Ledger: l, Index: x}
	es, err := j.ReadJournal(1, 100, nil)
	if err != nil || len(es) != 6 { // the account load and five authorizations
		t.Fatalf("ReadJournal: %d entries, %v", len(es), err)
	}
	if x.Indexed() != last.Seq {
		t.Errorf("Indexed = %d, want %d", x.Indexed(), last.Seq)
	}
	got, _, _ := x.ListByAccount("acct_1", 0, 100)
	if len(got) != 5 {
		t.Errorf("%d authorizations indexed, want 5", len(got))
	}
	if a, err := x.LifecycleAccount(ledger.MakeLifecycleKey(1, "LC3")); err != nil || a != "acct_1" {
		t.Errorf("life cycle: %q %v", a, err)
	}
	x.Close()
	if _, err := j.ReadJournal(1, 100, nil); err == nil {
		t.Error("ReadJournal succeeded with a closed index")
	}
}
