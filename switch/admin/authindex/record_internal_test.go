package authindex

import (
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
)

func FuzzDecodeRecord(f *testing.F) {
	a := Authorization{Seq: 9, Time: time.Unix(1700000000, 5).UTC(), Op: ledger.OpAuthorize, Network: "visa",
		Card: "card_1", Amount: -5, HoldID: 3, Partial: true, LifecycleKey: ledger.MakeLifecycleKey(1, "X1")}
	a.Lifecycle = lifecycleString(&a.LifecycleKey)
	f.Add(appendRecord(nil, &a))
	f.Add(appendRecord(nil, &Authorization{}))
	f.Add([]byte{recordVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes must encode to a record that decodes the same.
		again, err := decodeRecord(appendRecord(nil, &got))
		if err != nil || again != got {
			t.Fatalf("round trip differs: %v\n%+v\n%+v", err, got, again)
		}
	})
}

func TestRecordRoundTrip(t *testing.T) {
	a := Authorization{Seq: 9, Time: time.Unix(1700000000, 5).UTC(), Op: ledger.OpReverse, Network: "mastercard",
		Kind: "reversal", Card: "card_1", Last4: "4444", Amount: 1200, Released: 1200, HoldID: 3, Force: true,
		LifecycleKey: ledger.MakeLifecycleKey(2, "MCC1234560101")}
	a.Lifecycle = lifecycleString(&a.LifecycleKey)
	got, err := decodeRecord(appendRecord(nil, &a))
	if err != nil || got != a {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if a.Lifecycle != "MCC1234560101" {
		t.Errorf("lifecycle string %q", a.Lifecycle)
	}
	for n := 0; n < len(appendRecord(nil, &a)); n++ {
		if _, err := decodeRecord(appendRecord(nil, &a)[:n]); err == nil {
			t.Fatalf("a record cut at %d decoded", n)
		}
	}
}
