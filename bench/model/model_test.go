package model_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/spec/cvv"
)

// The published CVV test keys.
const cvkA, cvkB = "0123456789ABCDEF", "FEDCBA9876543210"

var now = time.Date(2026, 3, 18, 14, 30, 0, 0, time.UTC) // a Wednesday

// fixture is a small portfolio: one card per case, each named for what it
// tests.
type fixture struct {
	m     *model.Model
	cards map[string]*model.Card
}

type cardSpec struct {
	name       string
	network    string
	balance    int64
	credit     int64
	currency   string
	acctStatus string
	holder     string // cardholder status; "" for none
	status     string
	reason     string
	expiry     string
	acct, hold *portfolio.Controls
	card       *portfolio.Controls
}

func newFixture(t *testing.T, specs ...cardSpec) *fixture {
	t.Helper()
	m := model.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.CardKeys(&portfolio.CardKeys{PANPrefix: "4", CVKA: cvkA, CVKB: cvkB}))
	must(m.CardKeys(&portfolio.CardKeys{PANPrefix: "5", CVKA: cvkB, CVKB: cvkA}))
	f := &fixture{m: m, cards: map[string]*model.Card{}}
	for i, s := range specs {
		if s.network == "" {
			s.network = "visa"
		}
		if s.currency == "" {
			s.currency = "USD"
		}
		if s.acctStatus == "" {
			s.acctStatus = "active"
		}
		if s.status == "" {
			s.status = "active"
		}
		if s.expiry == "" {
			s.expiry = "2812"
		}
		acct := fmt.Sprintf("a%d", i)
		must(m.Account(&portfolio.Account{ID: acct, Currency: s.currency, Balance: s.balance, CreditLimit: s.credit,
			Status: s.acctStatus, Controls: s.acct}))
		holder := ""
		if s.holder != "" {
			holder = fmt.Sprintf("h%d", i)
			must(m.Cardholder(&portfolio.Cardholder{ID: holder, Account: acct, Status: s.holder, Controls: s.hold}))
		}
		first := "4"
		if s.network == "mastercard" {
			first = "5"
		}
		partial := fmt.Sprintf("%s00000%09d", first, i+1)
		pan := partial + string(spec.LuhnCheckDigit(partial))
		must(m.Card(&portfolio.Card{ID: s.name, PAN: pan, Expiry: s.expiry, Network: s.network, Account: acct,
			Cardholder: holder, Status: s.status, CancellationReason: s.reason, Controls: s.card}))
		c, ok := m.CardByID(s.name)
		if !ok {
			t.Fatalf("card %s not in the model", s.name)
		}
		f.cards[s.name] = c
	}
	return f
}

var stan int

// req builds a purchase of amount on the card, then applies the edits.
func (f *fixture) req(card string, amount int64, edits ...func(*spec.Authorization)) *spec.Authorization {
	stan++
	a := &spec.Authorization{
		Network: spec.Visa, MTI: "0100", Kind: spec.KindAuthorization, ProcessingCode: "000000",
		Type: spec.TxnPurchase, Amount: amount, Currency: 840, TransmissionTime: "0318143000",
		STAN: fmt.Sprintf("%06d", stan), AcquirerID: "400050", MCC: "5411", MerchantCountry: "US",
		TransactionID: fmt.Sprintf("3%014d", stan),
	}
	if c := f.cards[card]; c != nil {
		a.PAN, a.Network = c.PAN, c.Network
		if c.Network == spec.Mastercard {
			a.SettlementDate = "0318"
		}
	} else {
		a.PAN = "4000009999999991"
	}
	for _, e := range edits {
		e(a)
	}
	if a.Type == spec.TxnPurchase && a.Amount == 0 {
		a.Type = spec.TxnAccountVerification
	}
	return a
}

func withType(t spec.TxnType, pc string) func(*spec.Authorization) {
	return func(a *spec.Authorization) { a.Type, a.ProcessingCode = t, pc }
}
func withMCC(mcc string) func(*spec.Authorization) {
	return func(a *spec.Authorization) { a.MCC = mcc }
}
func withCountry(cc string) func(*spec.Authorization) {
	return func(a *spec.Authorization) { a.MerchantCountry = cc }
}
func withPartial(a *spec.Authorization) { a.PartialSupported = true }
func withCVV2(v string) func(*spec.Authorization) {
	return func(a *spec.Authorization) { a.CVV2, a.CVV2Present = v, true }
}
func withExpiry(e string) func(*spec.Authorization) {
	return func(a *spec.Authorization) { a.Expiry = e }
}
func withCurrency(n uint16) func(*spec.Authorization) {
	return func(a *spec.Authorization) { a.Currency = n }
}
func withLifecycle(of *spec.Authorization) func(*spec.Authorization) {
	return func(a *spec.Authorization) { a.TransactionID = of.TransactionID }
}

// reversal of orig; actual > 0 makes it partial; byLifecycle leaves field 90 out.
func reversal(orig *spec.Authorization, actual int64, byLifecycle bool) *spec.Authorization {
	stan++
	r := *orig
	r.MTI, r.Kind, r.STAN = "0400", spec.KindReversal, fmt.Sprintf("%06d", stan)
	if !byLifecycle {
		r.HasOriginal = true
		r.Original = spec.OriginalData{MTI: orig.MTI, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
			AcquirerID: "00000" + orig.AcquirerID, ForwardingID: "00000000000"}
	}
	if actual > 0 {
		r.HasReplacement, r.ActualAmount = true, actual
	}
	return &r
}

type step struct {
	req       *spec.Authorization
	code      string
	amount    int64 // partial approvals
	available int64 // checked with a balance inquiry after the step when non-zero
	ambiguous bool
	cvv2      byte
	cvv       byte
}

func (f *fixture) run(t *testing.T, steps []step) {
	t.Helper()
	for i, s := range steps {
		got, err := f.m.Expect(s.req, now)
		if s.ambiguous {
			if !errors.Is(err, model.ErrAmbiguous) {
				t.Fatalf("step %d: Expect = %+v, %v; want ErrAmbiguous", i, got, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got.Code != s.code {
			t.Fatalf("step %d: code %s (%s), want %s", i, got.Code, got.Reason, s.code)
		}
		if s.amount != 0 && (!got.Partial || got.Amount != s.amount) {
			t.Fatalf("step %d: partial %v amount %d, want %d", i, got.Partial, got.Amount, s.amount)
		}
		if got.Approving() != got.AuthCodeRequired && s.req.Kind == spec.KindAuthorization {
			t.Fatalf("step %d: auth code required %v on code %s", i, got.AuthCodeRequired, got.Code)
		}
		if s.cvv2 != 0 && got.CVV2Result != s.cvv2 {
			t.Fatalf("step %d: CVV2 result %q, want %q", i, got.CVV2Result, s.cvv2)
		}
		if s.cvv != 0 && got.CVVResult != s.cvv {
			t.Fatalf("step %d: CVV result %q, want %q", i, got.CVVResult, s.cvv)
		}
		if s.available != 0 {
			c, _ := f.m.CardByPAN(s.req.PAN)
			_, avail, _ := f.m.Balance(c.Account.ID)
			if avail != s.available {
				t.Fatalf("step %d: available %d, want %d", i, avail, s.available)
			}
		}
	}
}

func TestChecksInOrder(t *testing.T) {
	blocked := &portfolio.Controls{BlockedCategories: []string{"7995"}}
	f := newFixture(t,
		cardSpec{name: "ok", balance: 10_000, holder: "active"},
		cardSpec{name: "mc", network: "mastercard", balance: 10_000},
		cardSpec{name: "inactive", balance: 10_000, status: "inactive"},
		cardSpec{name: "lost", balance: 10_000, status: "canceled", reason: "lost"},
		cardSpec{name: "stolen", balance: 10_000, status: "canceled", reason: "stolen"},
		cardSpec{name: "expired", balance: 10_000, expiry: "2602"},
		cardSpec{name: "blockedholder", balance: 10_000, holder: "blocked"},
		cardSpec{name: "frozen", balance: 10_000, acctStatus: "frozen"},
		cardSpec{name: "closed", balance: 10_000, acctStatus: "closed"},
		cardSpec{name: "nogambling", balance: 10_000, holder: "active", hold: blocked},
		cardSpec{name: "lostgambler", balance: 10_000, status: "canceled", reason: "lost", card: blocked},
		cardSpec{name: "homeonly", balance: 10_000, acct: &portfolio.Controls{AllowedCountries: []string{"US", "CA"}}},
		cardSpec{name: "eur", balance: 10_000, currency: "EUR"},
	)
	good := f.cards["ok"].CVV("2812", "000")
	bad := fmt.Sprintf("%03d", (atoi(good)+1)%1000)
	mcGood := f.cards["mc"].CVV("2812", "000")
	mcBad := fmt.Sprintf("%03d", (atoi(mcGood)+7)%1000)
	f.run(t, []step{
		{req: f.req("ok", 1000, withType(spec.TxnUnsupported, "400000")), code: "12"},
		{req: f.req("ok", 1000, withCurrency(999)), code: "13"},
		{req: f.req("nosuchcard", 1000, withCVV2("123")), code: "14", cvv2: 'P'},
		{req: f.req("inactive", 1000), code: "62"},
		{req: f.req("lost", 1000, withCVV2(bad)), code: "41", cvv2: 'P'},
		{req: f.req("stolen", 1000), code: "43"},
		{req: f.req("expired", 1000), code: "54"},
		{req: f.req("ok", 1000, withExpiry("2811")), code: "54"},
		{req: f.req("ok", 1000, withCVV2(bad)), code: "N7", cvv2: 'N'},
		{req: f.req("mc", 1000, withCVV2(mcBad)), code: "05", cvv2: 'N'},
		{req: f.req("mc", 1000, withCVV2(mcGood)), code: "00", cvv2: 'M'},
		{req: f.req("blockedholder", 1000, withCVV2(f.cards["blockedholder"].CVV("2812", "000"))), code: "62", cvv2: 'M'},
		{req: f.req("frozen", 1000), code: "62"},
		{req: f.req("closed", 1000), code: "46"},
		{req: f.req("nogambling", 1000, withMCC("7995")), code: "57"},
		{req: f.req("nogambling", 1000, withMCC("5411")), code: "00"},
		{req: f.req("lostgambler", 1000, withMCC("7995")), code: "41"}, // status before controls
		{req: f.req("homeonly", 1000, withCountry("FR")), code: "57"},
		{req: f.req("homeonly", 1000, withCountry("CA")), code: "00"},
		{req: f.req("homeonly", 1000, withCountry("")), ambiguous: true},
		{req: f.req("ok", 0), code: "85"},
		{req: f.req("ok", 0, withType(spec.TxnBalanceInquiry, "300000"), withMCC("6011")), code: "00", available: 10_000},
		// A currency that is not the account's: 13 when nothing else declines,
		// not predicted when something else would.
		{req: f.req("eur", 1000), code: "13"},
		{req: f.req("eur", 1000, withCurrency(978)), code: "00"},
		{req: f.req("lost", 1000, withCurrency(978)), ambiguous: true},
	})
}

func TestTrackCVV(t *testing.T) {
	f := newFixture(t, cardSpec{name: "ok", balance: 10_000})
	c := f.cards["ok"]
	track := func(cvv string) func(*spec.Authorization) {
		return func(a *spec.Authorization) {
			a.Track2 = c.PAN + "=2812201" + "10000" + cvv + "00"
			a.ServiceCode, a.TrackCVV = "201", cvv
		}
	}
	good := c.CVV("2812", "201")
	bad := fmt.Sprintf("%03d", (atoi(good)+3)%1000)
	f.run(t, []step{
		{req: f.req("ok", 1000, track(bad)), code: "05", cvv: 'N'},
		{req: f.req("ok", 1000, track(good)), code: "00", cvv: 'M'},
		{req: f.req("ok", 1000, track(good), withExpiry("2812"), withCVV2(c.CVV("2812", "000"))), ambiguous: true},
		{req: f.req("ok", 1000, func(a *spec.Authorization) { a.Track2 = c.PAN + "=2901201" }), code: "54"},
	})
}

func TestFundsHoldsAndReversals(t *testing.T) {
	f := newFixture(t,
		cardSpec{name: "c", balance: 10_000, credit: 2_000},
		cardSpec{name: "hotel", balance: 100_000},
		cardSpec{name: "late", balance: 10_000},
		cardSpec{name: "advice", balance: 1_000},
	)
	p1 := f.req("c", 7_000)
	big := f.req("c", 9_000)
	fuel := f.req("c", 9_000, withPartial)
	checkin := f.req("hotel", 30_000, withMCC("7011"))
	incr := f.req("hotel", 15_000, withMCC("7011"), withLifecycle(checkin))
	late := f.req("late", 2_500)
	f.run(t, []step{
		{req: p1, code: "00", available: 5_000},              // 10 000 + 2 000 credit − 7 000
		{req: big, code: "51", available: 5_000},             // no partial support
		{req: fuel, code: "10", amount: 5_000, available: 0}, // approves what is left
		{req: reversal(fuel, 1_200, false), code: "00", available: 3_800},
		{req: reversal(p1, 0, false), code: "00", available: 10_800},
		{req: reversal(p1, 0, false), code: "00", available: 10_800}, // a second reversal finds nothing more
		{req: checkin, code: "00", available: 70_000},
		{req: incr, code: "00", available: 55_000},
		{req: reversal(incr, 0, false), ambiguous: true},                      // field 90 of one increment
		{req: reversal(checkin, 38_000, true), code: "00", available: 62_000}, // whole life cycle down to 38 000
		{req: f.req("hotel", 1_000, withMCC("7011"), withLifecycle(checkin)), ambiguous: true},
		// The reversal arrives before its original, which is then declined.
		{req: reversal(late, 0, false), code: "00", available: 10_000},
		{req: late, code: "05", available: 10_000},
		// A stand-in advice holds whatever the balance.
		{req: func() *spec.Authorization {
			a := f.req("advice", 4_000)
			a.MTI, a.Kind, a.ResponseCode = "0120", spec.KindAdvice, "00"
			return a
		}(), code: "00", available: -3_000},
		{req: f.req("advice", 0, withType(spec.TxnBalanceInquiry, "300000")), code: "00", available: -3_000},
	})
}

func TestRepeatsChangeNothing(t *testing.T) {
	f := newFixture(t, cardSpec{name: "c", balance: 10_000})
	a := f.req("c", 6_000)
	if e, err := f.m.Expect(a, now); err != nil || e.Code != "00" || e.Repeat {
		t.Fatalf("first: %+v %v", e, err)
	}
	f.m.RecordAuthCode(a, "A1B2C3")
	r := *a
	r.MTI = "0101"
	r.Repeat = true
	e, err := f.m.Expect(&r, now)
	if err != nil || e.Code != "00" || !e.Repeat || e.AuthCode != "A1B2C3" {
		t.Fatalf("repeat: %+v %v", e, err)
	}
	_, avail, _ := f.m.Balance(f.cards["c"].Account.ID)
	if avail != 4_000 {
		t.Fatalf("available after a repeat %d, want 4000", avail)
	}
	// A second request that would not fit now declines, and so does its repeat.
	b := f.req("c", 6_000)
	for range 2 {
		if e, err := f.m.Expect(b, now); err != nil || e.Code != "51" {
			t.Fatalf("over: %+v %v", e, err)
		}
	}
}

func TestSpendingControls(t *testing.T) {
	f := newFixture(t,
		cardSpec{name: "perauth", balance: 100_000, card: &portfolio.Controls{
			SpendingLimits: []portfolio.SpendingLimit{{Amount: 5_000, Interval: portfolio.PerAuthorization}}}},
		cardSpec{name: "daily", balance: 100_000, holder: "active", hold: &portfolio.Controls{
			SpendingLimits: []portfolio.SpendingLimit{{Amount: 10_000, Interval: portfolio.Daily}}}},
		cardSpec{name: "dining", balance: 100_000, card: &portfolio.Controls{
			SpendingLimits: []portfolio.SpendingLimit{{Amount: 3_000, Interval: portfolio.Weekly, Categories: []string{"5812"}}}}},
		cardSpec{name: "velocity", balance: 100_000, card: &portfolio.Controls{
			Velocity: []portfolio.Velocity{{Count: 2, WindowSeconds: 3600}}}},
		cardSpec{name: "poorlimited", balance: 2_000, card: &portfolio.Controls{
			SpendingLimits: []portfolio.SpendingLimit{{Amount: 1_000, Interval: portfolio.PerAuthorization}}}},
	)
	d1 := f.req("daily", 6_000)
	f.run(t, []step{
		{req: f.req("perauth", 5_000), code: "00"}, // a limit is exceeded only above it
		{req: f.req("perauth", 5_001), code: "61"},
		{req: d1, code: "00"},
		{req: f.req("daily", 4_001), code: "61"},
		{req: f.req("daily", 4_000), code: "00"},
		{req: reversal(d1, 0, false), code: "00"},
		{req: f.req("daily", 6_000), code: "00"}, // the reversal released 6 000 of the day's total
		{req: f.req("dining", 2_000, withMCC("5812")), code: "00"},
		{req: f.req("dining", 2_000, withMCC("5411")), code: "00"}, // other categories do not count
		{req: f.req("dining", 1_001, withMCC("5812")), code: "61"},
		{req: f.req("velocity", 100), code: "00"},
		{req: f.req("velocity", 100), code: "00"},
		{req: f.req("velocity", 100), code: "65"},
		{req: f.req("velocity", 0, withType(spec.TxnBalanceInquiry, "300000")), ambiguous: true},
		{req: f.req("velocity", 100, withType(spec.TxnRefund, "200000")), ambiguous: true},
		{req: f.req("poorlimited", 5_000, withPartial), ambiguous: true}, // partial meets a limit
		{req: f.req("poorlimited", 900, withPartial), code: "00"},
	})

	// At a day's edge an interval limit is not predicted.
	g := newFixture(t, cardSpec{name: "daily", balance: 100_000, card: &portfolio.Controls{
		SpendingLimits: []portfolio.SpendingLimit{{Amount: 10_000, Interval: portfolio.Daily}}}})
	midnight := time.Date(2026, 3, 19, 0, 0, 1, 0, time.UTC)
	if _, err := g.m.Expect(g.req("daily", 100), midnight); !errors.Is(err, model.ErrAmbiguous) {
		t.Fatalf("at midnight: %v, want ErrAmbiguous", err)
	}
	if e, err := g.m.Expect(g.req("daily", 100), midnight.Add(time.Hour)); err != nil || e.Code != "00" {
		t.Fatalf("an hour later: %+v %v", e, err)
	}
}

func TestPeekChangesNothing(t *testing.T) {
	f := newFixture(t, cardSpec{name: "c", balance: 1_000})
	a := f.req("c", 800)
	for range 3 {
		if e, err := f.m.Peek(a, now); err != nil || e.Code != "00" {
			t.Fatalf("peek: %+v %v", e, err)
		}
	}
	if _, avail, _ := f.m.Balance(f.cards["c"].Account.ID); avail != 1_000 {
		t.Fatalf("available %d after peeks", avail)
	}
	amount, n := f.m.Headroom(f.cards["c"], "5411", now)
	if amount != 1_000 || n <= 1_000_000 {
		t.Fatalf("headroom %d, %d", amount, n)
	}
}

// The model's CVVs are what spec/cvv verifies with the keys of the
// portfolio, for every generated card.
func TestGeneratedCardsVerify(t *testing.T) {
	m := model.New()
	keys := map[string]*cvv.Keys{}
	var collect keysSink
	collect.keys = keys
	if _, err := portfolio.Generate(portfolio.Options{Seed: 3, Cards: 500, Now: now}, portfolio.Tee{m, &collect}); err != nil {
		t.Fatal(err)
	}
	for _, c := range m.Cards() {
		k := keys[c.PAN[:6]]
		if k == nil || !c.HasKeys() {
			t.Fatalf("card %s has no keys", c.ID)
		}
		for _, sc := range []string{"000", "101", "201"} {
			v := c.CVV(c.Expiry, sc)
			if len(v) != 3 || !k.Verify(c.PAN, c.Expiry, sc, v) {
				t.Fatalf("card %s: CVV for service code %s does not verify", c.ID, sc)
			}
		}
	}
	// The published example.
	mm := model.New()
	_ = mm.CardKeys(&portfolio.CardKeys{PANPrefix: "41234", CVKA: cvkA, CVKB: cvkB})
	_ = mm.Account(&portfolio.Account{ID: "a", Currency: "USD", Status: "active"})
	_ = mm.Card(&portfolio.Card{ID: "x", PAN: "4123456789012345", Expiry: "8701", Network: "visa", Account: "a", Status: "active"})
	c, _ := mm.CardByID("x")
	if got := c.CVV("8701", "101"); got != "561" {
		t.Fatalf("published example: CVV %s, want 561", got)
	}
}

type keysSink struct {
	keys map[string]*cvv.Keys
}

func (k *keysSink) Account(*portfolio.Account) error       { return nil }
func (k *keysSink) Cardholder(*portfolio.Cardholder) error { return nil }
func (k *keysSink) Card(*portfolio.Card) error             { return nil }
func (k *keysSink) CardKeys(c *portfolio.CardKeys) error {
	keys, err := cvv.ParseKeys(c.CVKA, c.CVKB)
	k.keys[c.PANPrefix] = keys
	return err
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestCrossBorderHolds(t *testing.T) {
	f := newFixture(t, cardSpec{name: "c", balance: 10_000})
	withBilling := func(amount int64) func(*spec.Authorization) {
		return func(a *spec.Authorization) {
			a.Currency, a.MerchantCountry = 978, "FR"
			a.HasBilling, a.BillingAmount, a.BillingCurrency = true, amount, 840
		}
	}
	eur := f.req("c", 2_000, withBilling(2_160))
	f.run(t, []step{
		{req: eur, code: "00", available: 7_840}, // the billing amount is what the account is charged
		{req: reversal(eur, 1_000, false), ambiguous: true},
		{req: reversal(eur, 0, false), code: "00", available: 10_000},
		{req: f.req("c", 20_000, withBilling(21_600), withPartial), ambiguous: true},
	})
}
