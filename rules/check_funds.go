package rules

import "github.com/authswitch/authswitch/ledger"

// funds is check 8, the last: ledger.Authorize evaluates, atomically for
// the account, the limits and velocity the controls check gathered, then
// the available balance (51), and places the hold. A terminal that
// accepts partial approvals gets what is available (10) instead of a
// decline. Refunds (approved without a hold), balance inquiries (answered
// with the balances) and account verifications (85) are answered here too,
// through the ledger so that they are journaled and remembered.
type funds struct{}

func (funds) decide(t *txn) verdict {
	if t.card == nil || t.account == nil {
		return verdict{codeSystemMalfunction, reasonReferenceDataUnavailable}
	}
	t.memo = newMemo(t.a, &t.req.Key, t.cvv2, t.cvv)
	t.req.Memo = ledger.Memo(t.memo)
	t.result = t.e.ledger.Authorize(&t.req)
	t.recorded = true
	code, _, why := ledgerVerdict(&t.result, t.memo.flags())
	return verdict{code, why}
}

// ledgerVerdict maps what the ledger decided to a response code, the check
// it stands for, and a reason. flags are the memo's.
func ledgerVerdict(res *ledger.Result, flags uint8) (string, checkID, reason) {
	switch res.Status {
	case ledger.Approved:
		switch {
		case flags&memoVerification != 0:
			return codeVerified, checkFunds, reasonAccountVerification
		case flags&memoBalanceInquiry != 0:
			return codeApproved, checkFunds, reasonBalanceInquiry
		case flags&memoRefund != 0:
			return codeApproved, checkFunds, reasonRefund
		}
		return codeApproved, checkFunds, reasonApproved
	case ledger.PartiallyApproved:
		return codePartial, checkFunds, reasonPartialApproval
	}
	switch res.Reason {
	case ledger.ReasonInsufficientFunds:
		return codeInsufficientFunds, checkFunds, reasonInsufficientFunds
	case ledger.ReasonLimitExceeded:
		return codeExceedsAmountLimit, checkControls, reasonSpendingControls
	case ledger.ReasonVelocityExceeded:
		return codeExceedsFrequency, checkControls, reasonSpendingControls
	case ledger.ReasonAlreadyReversed:
		return codeDoNotHonor, checkFunds, reasonAlreadyReversed
	case ledger.ReasonCurrencyMismatch:
		return codeInvalidAmount, checkSanity, reasonCurrencyMismatch
	case ledger.ReasonInvalidAmount:
		return codeInvalidAmount, checkSanity, reasonInvalidAmount
	case ledger.ReasonAccountUnknown:
		// The store has the account, the ledger does not: the portfolio
		// load did not reach the ledger.
		return codeSystemMalfunction, checkFunds, reasonReferenceDataUnavailable
	}
	return codeSystemMalfunction, checkFunds, reasonLedgerUnavailable
}

// approving reports whether a response code approves.
func approving(code string) bool {
	return code == codeApproved || code == codePartial || code == codeVerified
}
