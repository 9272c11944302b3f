package rules

import "github.com/authswitch/authswitch/spec"

// sanity is check 1, message sanity: a transaction type the switch
// supports (12), a valid amount and known currencies (13), and a charged
// currency that is the account's (13). The charged currency is field 51
// when the request carries a billing amount, field 49 otherwise.
type sanity struct{}

func (sanity) decide(t *txn) verdict {
	a := t.a
	if a.Kind != spec.KindAuthorization {
		return verdict{codeInvalidTransaction, reasonTransactionNotSupported}
	}
	switch a.Type {
	case spec.TxnPurchase, spec.TxnCash, spec.TxnPurchaseWithCashback, spec.TxnRefund:
		if a.Amount <= 0 || (a.HasBilling && a.BillingAmount <= 0) {
			return verdict{codeInvalidAmount, reasonInvalidAmount}
		}
	case spec.TxnAccountVerification:
		if a.Amount != 0 {
			return verdict{codeInvalidAmount, reasonInvalidAmount}
		}
	case spec.TxnBalanceInquiry:
		// Any amount: an inquiry moves nothing.
	default:
		return verdict{codeInvalidTransaction, reasonTransactionNotSupported}
	}
	if a.Amount < 0 || a.BillingAmount < 0 {
		return verdict{codeInvalidAmount, reasonInvalidAmount}
	}
	if !t.txnKnown || !t.chargeKnown {
		return verdict{codeInvalidAmount, reasonUnknownCurrency}
	}
	if t.account != nil && t.chargeCurrency.Alpha != t.account.Currency {
		return verdict{codeInvalidAmount, reasonCurrencyMismatch}
	}
	return verdict{}
}
