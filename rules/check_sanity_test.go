package rules_test

import (
	"testing"

	"github.com/authswitch/authswitch/spec"
)

func TestCheckSanity(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name string
		mod  func(a *spec.Authorization)
		want answer
	}{
		{"purchase approved", func(a *spec.Authorization) {}, answer{"00", "funds", "approved", 'M', 0}},
		{"unsupported processing code", func(a *spec.Authorization) { a.ProcessingCode, a.Type = "400000", spec.TxnUnsupported },
			answer{"12", "sanity", "transaction_not_supported", 'P', 0}},
		{"purchase of nothing", func(a *spec.Authorization) { a.Amount = 0 }, answer{"13", "sanity", "invalid_amount", 'P', 0}},
		{"refund of nothing", func(a *spec.Authorization) { a.Type, a.Amount = spec.TxnRefund, 0 },
			answer{"13", "sanity", "invalid_amount", 'P', 0}},
		{"verification with an amount", func(a *spec.Authorization) { a.Type = spec.TxnAccountVerification },
			answer{"13", "sanity", "invalid_amount", 'P', 0}},
		{"unknown currency", func(a *spec.Authorization) { a.Currency = 999 }, answer{"13", "sanity", "unknown_currency", 'P', 0}},
		{"missing currency", func(a *spec.Authorization) { a.Currency = 0 }, answer{"13", "sanity", "unknown_currency", 'P', 0}},
		{"currency not the account's", func(a *spec.Authorization) { a.Currency = 978 },
			answer{"13", "sanity", "currency_mismatch", 'P', 0}},
		{"billing in the account's currency", func(a *spec.Authorization) {
			a.Currency, a.HasBilling, a.BillingAmount, a.BillingCurrency = 978, true, 1200, 840
		}, answer{"00", "funds", "approved", 'M', 0}},
		{"billing in another currency", func(a *spec.Authorization) {
			a.HasBilling, a.BillingAmount, a.BillingCurrency = true, 1100, 978
		}, answer{"13", "sanity", "currency_mismatch", 'P', 0}},
		{"billing currency unknown", func(a *spec.Authorization) {
			a.HasBilling, a.BillingAmount, a.BillingCurrency = true, 1100, 1
		}, answer{"13", "sanity", "unknown_currency", 'P', 0}},
		{"billing amount zero", func(a *spec.Authorization) {
			a.HasBilling, a.BillingAmount, a.BillingCurrency = true, 0, 840
		}, answer{"13", "sanity", "invalid_amount", 'P', 0}},
		// Sanity comes first: an unknown currency on an unknown card is 13.
		{"before the card check", func(a *spec.Authorization) { a.PAN, a.Currency = "4111111111111129", 999 },
			answer{"13", "sanity", "unknown_currency", 'P', 0}},
	}
	for _, tc := range tests {
		a := w.purchase(1000)
		tc.mod(a)
		w.expect(tc.name, a, tc.want)
	}

	// Authorize is for authorizations: anything else handed to it is 12
	// (Decide routes by kind, and answers 12 for what is not a decision).
	a := w.purchase(1000)
	a.Kind = spec.KindNetworkManagement
	if d := w.engine.Authorize(a); d.Answer.ResponseCode != "12" || d.Check != "sanity" || d.Answer.CVV2Result != 'P' {
		t.Fatalf("Authorize of a network management message: %+v", d)
	}
	if d := w.engine.Decide(a); d.Answer.ResponseCode != "12" || d.Seq != 0 {
		t.Fatalf("Decide of a network management message: %+v", d)
	}
}
