package rules_test

import (
	"testing"

	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

func TestCheckFunds(t *testing.T) {
	w := newWorld(t)
	// 1000.00 available.
	w.expect("over the balance", w.purchase(100001), answer{"51", "funds", "insufficient_funds", 'M', 0})
	w.expect("no partial without terminal support", func() *spec.Authorization {
		a := w.purchase(150000)
		return a
	}(), answer{"51", "funds", "insufficient_funds", 'M', 0})

	a := w.purchase(150000)
	a.PartialSupported = true
	d := w.expect("partial approval", a, answer{"10", "funds", "partial_approval", 'M', 0})
	if !d.Answer.Partial || d.Answer.ApprovedAmount != 100000 || d.Answer.RequestedAmount != 150000 ||
		d.Answer.RequestedCurrency != 840 || len(d.Answer.AuthCode) != 6 || d.HoldID == 0 {
		t.Fatalf("partial answer %+v", d.Answer)
	}
	if got := w.available("acct_1"); got != 0 {
		t.Fatalf("available after the partial approval: %d", got)
	}
	w.expect("nothing left", w.purchase(1), answer{"51", "funds", "insufficient_funds", 'M', 0})
	a = w.purchase(1)
	a.PartialSupported = true
	w.expect("nothing left to approve in part", a, answer{"51", "funds", "insufficient_funds", 'M', 0})

	// A refund is approved without a hold.
	a = w.purchase(5000)
	a.Type, a.ProcessingCode = spec.TxnRefund, "200000"
	d = w.expect("refund", a, answer{"00", "funds", "refund", 'M', 0})
	if len(d.Answer.AuthCode) != 6 || w.available("acct_1") != 0 {
		t.Fatalf("refund: auth code %q, available %d", d.Answer.AuthCode, w.available("acct_1"))
	}
}

func TestCheckFundsInquiriesAndVerification(t *testing.T) {
	w := newWorld(t)
	w.expect("a hold", w.purchase(12345), answer{"00", "funds", "approved", 'M', 0})

	a := w.purchase(0)
	a.Type, a.ProcessingCode, a.CVV2Present = spec.TxnBalanceInquiry, "300000", false
	d := w.expect("balance inquiry", a, answer{"00", "funds", "balance_inquiry", 0, 0})
	if !d.Answer.HasBalances || d.Answer.LedgerBalance != 100000 || d.Answer.Available != 100000-12345 ||
		d.Answer.BalanceCurrency != 840 || len(d.Answer.AuthCode) != 6 {
		t.Fatalf("balance inquiry answer %+v", d.Answer)
	}
	// An inquiry may name no currency: it is in the account's.
	a = w.purchase(0)
	a.Type, a.ProcessingCode, a.Currency, a.CVV2Present = spec.TxnBalanceInquiry, "300000", 0, false
	if d := w.expect("balance inquiry without currency", a, answer{"00", "funds", "balance_inquiry", 0, 0}); d.Answer.BalanceCurrency != 840 {
		t.Fatalf("balance currency %d", d.Answer.BalanceCurrency)
	}

	a = w.purchase(0)
	a.Type = spec.TxnAccountVerification
	d = w.expect("account verification", a, answer{"85", "funds", "account_verification", 'M', 0})
	if len(d.Answer.AuthCode) != 6 || d.HoldID != 0 || w.available("acct_1") != 100000-12345 {
		t.Fatalf("verification: %+v, available %d", d, w.available("acct_1"))
	}
}

func TestPartialApprovalInBillingCurrency(t *testing.T) {
	w := newWorld(t)
	a := w.purchase(120000) // EUR 1200.00 billed as USD 1500.00
	a.Currency, a.HasBilling, a.BillingAmount, a.BillingCurrency, a.PartialSupported = 978, true, 150000, 840, true
	d := w.expect("partial in billing", a, answer{"10", "funds", "partial_approval", 'M', 0})
	ans := d.Answer
	if ans.ApprovedBilling != 100000 || ans.ApprovedAmount != 80000 || ans.RequestedAmount != 120000 ||
		ans.RequestedBilling != 150000 || ans.RequestedCurrency != 978 {
		t.Fatalf("answer %+v", ans)
	}
}

// A partial approval is capped by a spending limit that would otherwise
// decline.
func TestPartialApprovalCappedByLimit(t *testing.T) {
	w := newWorld(t)
	setControls(t, w, refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":50000,"interval":"per_authorization"}]}`)
	// With the funds there, the limit declines: a partial approval is for
	// funds, not for limits.
	a := w.purchase(60000)
	a.PartialSupported = true
	w.expect("limit with funds", a, answer{"61", "controls", "spending_controls", 'M', 0})
	a = w.purchase(150000)
	a.PartialSupported = true
	if d := w.expect("capped", a, answer{"10", "funds", "partial_approval", 'M', 0}); d.Answer.ApprovedAmount != 50000 {
		t.Fatalf("approved %d", d.Answer.ApprovedAmount)
	}
}
