package ledger

import (
	"encoding/hex"
	"reflect"
	"testing"
	"time"
)

// The journal and checkpoint decoders read what is on disk: garbage must
// give an error, never a panic or an absurd allocation, and whatever they
// accept must encode back to the same thing.

func sampleEntry() Entry {
	return Entry{
		Seq: 42, Time: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), Op: OpAuthorize,
		Key: MakeRequestKey(1, ClassAuthorization, "123456", "0304100000", "42"), Lifecycle: MakeLifecycleKey(1, "381234567890123"),
		Original: MakeOriginalKey(1, "123456", "0304100000", "42", "tok"), Account: "acct_1", Cardholder: "ch_1", Card: "card_1",
		MCC: "5411", Amount: 1234, Currency: "USD", Partial: true, Expires: time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC),
		VelDepth: 6,
		Result: Result{Status: PartiallyApproved, Approved: 1000, HoldID: 7, Hold: 1000, Posted: 5000, Available: 4000,
			Currency: "USD", Seq: 42, Memo: Memo{1, 2, 3}},
		Descriptor: Descriptor{Network: "visa", Kind: "authorization", MTI: "0100", STAN: "123456", Last4: "0010",
			Amount: 1234, Currency: "USD", MerchantName: "SHOP", Decision: "partially_approved", ResponseCode: "10"},
	}
}

func FuzzEntry(f *testing.F) {
	e := sampleEntry()
	f.Add(appendEntry(nil, &e))
	e2 := Entry{Seq: 1, Op: OpAccount, Account: "a", Currency: "EUR", Amount: -5, Credit: 10}
	f.Add(appendEntry(nil, &e2))
	e3 := auditEntry()
	f.Add(appendEntry(nil, &e3))
	f.Add([]byte{entryVersion, byte(OpDecline), 0xFF})
	if v1, err := hex.DecodeString(entryV1); err == nil {
		f.Add(v1)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Entry
		if err := decodeEntry(b, &got); err != nil {
			return
		}
		var again Entry
		if err := decodeEntry(appendEntry(nil, &got), &again); err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("round trip changed the entry:\n%+v\n%+v", got, again)
		}
	})
}

// auditEntry has every field version 2 added.
func auditEntry() Entry {
	return Entry{Seq: 1 << 40, Time: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC), Op: OpAudit, Account: "acct_1", Ref: 41,
		Key: MakeAdminRequestKey([]byte("digest")), Result: Result{Status: Approved, Seq: 1 << 40},
		Descriptor: Descriptor{Actor: "ops", Action: "card.update", Object: "card_1", RequestID: "req_1", Note: "n"}}
}

func TestEntryRoundTrip(t *testing.T) {
	var got Entry
	for _, e := range []Entry{sampleEntry(), auditEntry()} {
		if err := decodeEntry(appendEntry(nil, &e), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("decoded\n%+v\nencoded\n%+v", got, e)
		}
	}
	e := sampleEntry()
	b0 := appendEntry(nil, &e)
	numberEntry(b0, 77)
	if err := decodeEntry(b0, &got); err != nil || got.Seq != 77 || got.Result.Seq != 77 {
		t.Fatalf("numbered in place: seq %d, %v", got.Seq, err)
	}
	b := appendEntry(nil, &e)
	for i := 0; i < len(b); i++ {
		if err := decodeEntry(b[:i], &got); err == nil {
			t.Fatalf("a truncated entry (%d of %d bytes) decoded", i, len(b))
		}
	}
}

// entryV1 is sampleEntry as version 1 wrote it.
const entryV1 = "" +
	"01017c2a808092e5e0c2cd99310101313233343536303330343130303030303030303030303030303432000000013338" +
	"313233343536373839303132332020202020202020013132333435363033303431303030303030303030303030303034" +
	"32a68d9d4ac18b5822836dbc798ff28255000000000102030000000000000000000000000006616363745f310463685f" +
	"3106636172645f31043534313103555344a413008080daf7dfc6e09b3100060200d00f07d00f00904ec03e0476697361" +
	"0d617574686f72697a6174696f6e0430313030063132333435360000000430303130a413035553440453484f50000000" +
	"00127061727469616c6c795f617070726f7665640002313000"

// TestEntryVersion1 reads a journal entry written before version 2: a
// journal on disk outlives the code that wrote it.
func TestEntryVersion1(t *testing.T) {
	b, err := hex.DecodeString(entryV1)
	if err != nil {
		t.Fatal(err)
	}
	var got Entry
	if err := decodeEntry(b, &got); err != nil {
		t.Fatal(err)
	}
	if want := sampleEntry(); !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
	}
}

func sampleAccount(l *Ledger) *account {
	a := newAccount("acct_1", "USD")
	a.posted, a.credit, a.loaded, a.lastSeq = 5000, 100, 5000, 9
	l.accounts.mu.Lock()
	l.accounts.addLocked(a)
	l.accounts.mu.Unlock()
	e := sampleEntry()
	e.Result.Status = Approved
	e.Result.Approved = 1000
	l.applyAuthorize(a, &e, holdUnknown)
	e.Original = MakeOriginalKey(1, "1", "2", "3", "4")
	l.applyAuthorize(a, &e, holdUnknown)
	rev := Entry{Op: OpReverse, Original: MakeOriginalKey(1, "9", "9", "9", "9"), Time: e.Time}
	l.applyReverse(a, &rev)
	return a
}

func fuzzLedger() *Ledger {
	l := &Ledger{requests: newRequestTable(int64(time.Hour), 1<<10, 0), tombTTL: int64(time.Hour)}
	l.accounts.init()
	return l
}

func FuzzAccountSnapshot(f *testing.F) {
	l0 := fuzzLedger()
	f.Add(l0.encodeAccount(nil, sampleAccount(l0)))
	f.Add([]byte{snapshotVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		l := fuzzLedger()
		a, err := l.decodeAccount("x", b)
		if err != nil {
			return
		}
		again, err := fuzzLedger().decodeAccount("x", l.encodeAccount(nil, a))
		if err != nil {
			t.Fatalf("re-encoded account does not decode: %v", err)
		}
		if x, y := l.encodeAccount(nil, a), l.encodeAccount(nil, again); string(x) != string(y) {
			t.Fatal("round trip changed the account")
		}
	})
}

func TestAccountSnapshotRoundTrip(t *testing.T) {
	l := fuzzLedger()
	a := sampleAccount(l)
	if err := a.check(); err != nil {
		t.Fatal(err)
	}
	b := l.encodeAccount(nil, a)
	l = fuzzLedger() // the holds' ids are the first ledger's
	got, err := l.decodeAccount(a.id, b)
	if err != nil {
		t.Fatal(err)
	}
	if err := got.check(); err != nil {
		t.Fatal(err)
	}
	if string(l.encodeAccount(nil, got)) != string(b) || got.pending != 2000 || got.open != 1 || len(got.revOriginal) != 1 {
		t.Fatalf("decoded account differs: pending %d, %d holds", got.pending, got.open)
	}
	for i := 0; i < len(b); i++ {
		if _, err := fuzzLedger().decodeAccount(a.id, b[:i]); err == nil {
			t.Fatalf("a truncated snapshot (%d of %d bytes) decoded", i, len(b))
		}
	}
	if hi := l.holdInfo(got, &got.holds[l.holdSlot(got, 7)]); hi.Network != "visa" || hi.MCC != "5411" || hi.Card != "card_1" {
		t.Fatalf("decoded hold %+v", hi)
	}
	// A checkpoint of version 1 (before holds kept their network) still reads.
	l1 := fuzzLedger()
	v1, err := l1.decodeAccount(a.id, l.encodeAccountVersion(nil, a, 1))
	if err != nil {
		t.Fatalf("version 1: %v", err)
	}
	if hi := l1.holdInfo(v1, &v1.holds[l1.holdSlot(v1, 7)]); hi.Network != "" || hi.Amount != 2000 || v1.pending != 2000 {
		t.Fatalf("version 1 hold %+v", hi)
	}
}

func FuzzRequests(f *testing.F) {
	k, res := MakeRequestKey(1, 1, "1", "2", "3"), sampleEntry().Result
	f.Add(encodeRequest(nil, &k, 5, &res))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = fuzzLedger().decodeRequests(b)
	})
}
