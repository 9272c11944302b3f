package refdata

import (
	"reflect"
	"testing"
	"time"

	"github.com/authswitch/authswitch/spec"
)

func sampleControls() *Controls {
	return &Controls{
		AllowedCategories: []string{"5411", "5999"},
		BlockedCountries:  []string{"RU"},
		SpendingLimits:    []SpendingLimit{{Amount: 5000, Interval: Daily, Categories: []string{"5411"}}, {Amount: 1, Interval: PerAuthorization}},
		Velocity:          []Velocity{{Count: 3, Window: time.Minute}},
	}
}

func TestRecordsRoundTrip(t *testing.T) {
	a := &Account{ID: "acct_1", Currency: "USD", Balance: -42, CreditLimit: 1000, Status: AccountFrozen, Controls: sampleControls()}
	h := &Cardholder{ID: "ch_1", Account: "acct_1", Status: CardholderBlocked, Controls: sampleControls()}
	c := &Card{ID: "card_1", Token: Token{1, 2, 3}, Last4: "0010", Expiry: "2812", Network: spec.Mastercard, Account: "acct_1",
		Cardholder: "ch_1", Status: CardCanceled, Cancellation: CancellationStolen, Controls: sampleControls()}
	k := &CardKeys{Prefix: "476173", CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"}

	ga, err := decodeAccount(appendAccount(nil, a))
	if err != nil || !reflect.DeepEqual(ga, a) {
		t.Fatalf("account %+v %v", ga, err)
	}
	gh, err := decodeCardholder(appendCardholder(nil, h))
	if err != nil || !reflect.DeepEqual(gh, h) {
		t.Fatalf("cardholder %+v %v", gh, err)
	}
	gc, err := decodeCard(appendCard(nil, c))
	if err != nil || !reflect.DeepEqual(gc, c) {
		t.Fatalf("card %+v %v", gc, err)
	}
	gk, err := decodeCardKeys(appendCardKeys(nil, k))
	if err != nil || *gk != *k {
		t.Fatalf("keys %+v %v", gk, err)
	}
	// No controls at all.
	c.Controls = nil
	if gc, err := decodeCard(appendCard(nil, c)); err != nil || gc.Controls != nil {
		t.Fatalf("card without controls %+v %v", gc, err)
	}
	// Every truncation is an error, never a panic.
	full := appendCard(nil, &Card{ID: "card_1", Controls: sampleControls()})
	for n := 0; n < len(full); n++ {
		if _, err := decodeCard(full[:n]); err == nil {
			t.Fatalf("truncated at %d decoded", n)
		}
	}
}

func TestCachedRecordsShareControls(t *testing.T) {
	ci := newControlsIntern()
	c := &Card{ID: "card_1", Token: Token{1}, Controls: sampleControls()}
	one, _ := decodeCardShared(appendCard(nil, c), ci)
	c.ID = "card_2"
	two, _ := decodeCardShared(appendCard(nil, c), ci)
	if one.Controls != two.Controls {
		t.Fatal("the same controls decoded twice are not shared")
	}
	own, _ := decodeCard(appendCard(nil, c))
	if own.Controls == one.Controls || !reflect.DeepEqual(own.Controls, one.Controls) {
		t.Fatal("an unshared decode must be an equal copy")
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(appendCard(nil, &Card{ID: "card_1", Token: Token{9}, Last4: "0010", Expiry: "2812", Controls: sampleControls()}))
	f.Add(appendAccount(nil, &Account{ID: "a", Currency: "USD", Controls: sampleControls()}))
	f.Add(appendCardholder(nil, &Cardholder{ID: "h", Account: "a"}))
	f.Add(appendCardKeys(nil, &CardKeys{Prefix: "4"}))
	ci := newControlsIntern()
	f.Fuzz(func(t *testing.T, b []byte) {
		// Damaged records decode to an error, never a panic or a huge
		// allocation; what decodes survives a round trip unchanged.
		if c, err := decodeCardShared(b, ci); err == nil {
			again, err := decodeCard(appendCard(nil, c))
			if err != nil {
				t.Fatalf("re-encoded card does not decode: %v", err)
			}
			if c.Controls.Empty() {
				c.Controls, again.Controls = nil, nil // an empty set encodes as none
			}
			if !reflect.DeepEqual(again, c) {
				t.Fatalf("round trip changed the card: %+v → %+v", c, again)
			}
		}
		decodeAccountShared(b, ci)
		decodeCardholderShared(b, ci)
		decodeCardKeys(b)
		decodeToken(b)
	})
}
