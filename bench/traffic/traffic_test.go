package traffic_test

import (
	"testing"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

func testModel(t *testing.T) *model.Model {
	t.Helper()
	m := model.New()
	if _, err := portfolio.Generate(portfolio.Options{Seed: 11, Cards: 200, Now: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func cardOn(t *testing.T, m *model.Model, n spec.Network, currency string) *model.Card {
	for _, c := range m.Cards() {
		if c.Network == n && c.Account.Currency == currency {
			return c
		}
	}
	t.Fatalf("no %s card in %s", n, currency)
	return nil
}

// Every kind of request survives the wire: what spec decodes from the
// packed frame is what the source built.
func TestRequestsRoundTrip(t *testing.T) {
	m := testModel(t)
	merchant := func(k string) traffic.Merchant {
		mm, ok := traffic.MerchantByKey(k)
		if !ok {
			t.Fatalf("no merchant %s", k)
		}
		return mm
	}
	kinds := []struct {
		name string
		req  traffic.Request
	}{
		{"chip", traffic.Request{Type: spec.TxnPurchase, Amount: 4250, Merchant: merchant("grocery"), Entry: spec.EntryChip}},
		{"swipe", traffic.Request{Type: spec.TxnPurchase, Amount: 1999, Merchant: merchant("restaurant"), Entry: spec.EntrySwipe}},
		{"contactless", traffic.Request{Type: spec.TxnPurchase, Amount: 650, Merchant: merchant("grocery"), Entry: spec.EntryContactless}},
		{"ecommerce", traffic.Request{Type: spec.TxnPurchase, Amount: 12345, Merchant: merchant("online"), Entry: spec.EntryEcommerce, Partial: true}},
		{"bad cvv2", traffic.Request{Type: spec.TxnPurchase, Amount: 100, Merchant: merchant("online"), Entry: spec.EntryEcommerce, CVV2: traffic.Bad}},
		{"atm", traffic.Request{Type: spec.TxnCash, Amount: 20000, Merchant: merchant("atm"), Entry: spec.EntryChip, PIN: true}},
		{"cashback", traffic.Request{Type: spec.TxnPurchaseWithCashback, Amount: 6000, Merchant: merchant("grocery"), Entry: spec.EntryChip}},
		{"balance", traffic.Request{Type: spec.TxnBalanceInquiry, Merchant: merchant("atm"), Entry: spec.EntrySwipe, PIN: true}},
		{"verification", traffic.Request{Type: spec.TxnAccountVerification, Merchant: merchant("streaming"), Entry: spec.EntryEcommerce}},
		{"refund", traffic.Request{Type: spec.TxnRefund, Amount: 500, Merchant: merchant("online"), Entry: spec.EntryEcommerce}},
		{"cross-border", traffic.Request{Type: spec.TxnPurchase, Amount: 2500, Merchant: merchant("supermarche"), Entry: spec.EntryChip}},
		{"wrong expiry", traffic.Request{Type: spec.TxnPurchase, Amount: 2500, Merchant: merchant("online"), Entry: spec.EntryEcommerce, Expiry: traffic.WrongExpiry}},
	}
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		src := traffic.NewSource(n, 7, "400050", 3)
		card := cardOn(t, m, n, "USD")
		for _, k := range kinds {
			a, err := src.Authorization(card, k.req)
			if err != nil {
				t.Fatalf("%s %s: %v", n, k.name, err)
			}
			got, _, err := traffic.Decoded(n, a)
			if err != nil {
				t.Fatalf("%s %s: %v", n, k.name, err)
			}
			check := func(what string, g, w any) {
				if g != w {
					t.Errorf("%s %s: %s decoded %v, built %v", n, k.name, what, g, w)
				}
			}
			check("PAN", got.PAN, a.PAN)
			check("type", got.Type, a.Type)
			check("amount", got.Amount, a.Amount)
			check("currency", got.Currency, a.Currency)
			check("billing", got.HasBilling, a.HasBilling)
			check("billing amount", got.BillingAmount, a.BillingAmount)
			check("STAN", got.STAN, a.STAN)
			check("RRN", got.RRN, a.RRN)
			check("acquirer", got.AcquirerID, a.AcquirerID)
			check("MCC", got.MCC, a.MCC)
			check("country", got.MerchantCountry, a.MerchantCountry)
			check("entry", got.Entry, a.Entry)
			check("partial", got.PartialSupported, a.PartialSupported)
			check("CVV2", got.CVV2, a.CVV2)
			check("CVV2 present", got.CVV2Present, a.CVV2Present)
			check("track CVV", got.TrackCVV, a.TrackCVV)
			check("service code", got.ServiceCode, a.ServiceCode)
			check("PIN", got.PINBlockPresent, a.PINBlockPresent)
			check("life cycle", got.LifecycleKey, a.LifecycleKey)
			if a.Expiry != "" {
				check("expiry", got.Expiry, a.Expiry)
			}
		}
	}
}

func TestSourcesNumberUniquely(t *testing.T) {
	src := traffic.NewSource(spec.Mastercard, 42, "012345", 1)
	m := testModel(t)
	card := cardOn(t, m, spec.Mastercard, "USD")
	seen := map[string]bool{}
	online, _ := traffic.MerchantByKey("online")
	for range 2000 {
		a, err := src.Authorization(card, traffic.Request{Type: spec.TxnPurchase, Amount: 100, Merchant: online, Entry: spec.EntryEcommerce})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"stan " + a.STAN, "rrn " + a.RRN, "txn " + a.TransactionID} {
			if seen[k] {
				t.Fatalf("duplicate %s", k)
			}
			seen[k] = true
		}
		if len(a.TransactionID) != 9 {
			t.Fatalf("Banknet reference %q", a.TransactionID)
		}
	}
}

func TestFollowUpsRoundTrip(t *testing.T) {
	m := testModel(t)
	hotel, _ := traffic.MerchantByKey("hotel")
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		src := traffic.NewSource(n, 1, "400050", 0)
		card := cardOn(t, m, n, "USD")
		orig, err := src.Authorization(card, traffic.Request{Type: spec.TxnPurchase, Amount: 30000, Merchant: hotel, Entry: spec.EntryChip})
		if err != nil {
			t.Fatal(err)
		}
		inc := src.Increment(orig, 15000)
		rev := src.Reversal(orig, 38000, true, false)
		adv := src.Advice(orig, "00", "V12345")
		echo := src.NetworkManagement(traffic.EchoCode(n))
		for _, a := range []*spec.Authorization{traffic.Repeat(orig), inc, rev, adv, echo} {
			got, _, err := traffic.Decoded(n, a)
			if err != nil {
				t.Fatalf("%s %s: %v", n, a.MTI, err)
			}
			if got.MTI != a.MTI || got.STAN != a.STAN || got.LifecycleKey != a.LifecycleKey {
				t.Errorf("%s %s: decoded %s/%s/%s", n, a.MTI, got.MTI, got.STAN, got.LifecycleKey)
			}
		}
		got, _, _ := traffic.Decoded(n, rev)
		if !got.HasOriginal || got.Original.STAN != orig.STAN || !got.HasReplacement || got.ActualAmount != 38000 {
			t.Errorf("%s reversal: %+v", n, got.Original)
		}
		got, _, _ = traffic.Decoded(n, adv)
		if got.ResponseCode != "00" || got.AuthCode != "V12345" || got.Kind != spec.KindAdvice {
			t.Errorf("%s advice: %s %s", n, got.ResponseCode, got.AuthCode)
		}
	}
}
