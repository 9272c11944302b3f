package rules

import (
	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

// controls is check 6, the spending controls of the account, the
// cardholder and the card, kind by kind, the first failing kind deciding:
// categories (57), countries (57), per-authorization and interval limits
// (61), velocity (65). A kind fails when it fails at any level.
//
// Categories and countries are decided here. Limits and velocity need the
// ledger's counters: they go into the ledger request, and the funds
// check's ledger.Authorize evaluates them — limits, velocity, then funds,
// atomically with the hold, so two racing requests can never spend past a
// limit. Should a check between this one and funds decline instead, the
// engine first evaluates the limits read-only (ledger.Check) and a failing
// limit decides, so the first-failure order holds without a second ledger
// call on the way to an approval.
type controls struct{}

// Limits and velocity apply to what takes money: purchases, cash, cash
// back. Refunds, balance inquiries and account verifications move none.
func debit(t spec.TxnType) bool {
	return t == spec.TxnPurchase || t == spec.TxnCash || t == spec.TxnPurchaseWithCashback
}

var intervals = [...]ledger.Interval{
	refdata.PerAuthorization: ledger.PerAuthorization,
	refdata.Daily:            ledger.Daily,
	refdata.Weekly:           ledger.Weekly,
	refdata.Monthly:          ledger.Monthly,
	refdata.Yearly:           ledger.Yearly,
	refdata.AllTime:          ledger.AllTime,
}

func (c controls) decide(t *txn) verdict {
	if t.card == nil || t.account == nil {
		return verdict{}
	}
	a := t.a
	levels := levelsOf(t)
	if levels[0] == nil && levels[1] == nil && levels[2] == nil {
		return verdict{}
	}
	for _, l := range levels {
		if !l.CategoryAllowed(a.MCC) {
			return verdict{codeNotPermitted, reasonSpendingControls}
		}
	}
	for _, l := range levels {
		if !l.CountryAllowed(a.MerchantCountry) {
			return verdict{codeNotPermitted, reasonSpendingControls}
		}
	}
	if !debit(a.Type) {
		return verdict{}
	}
	gatherLimits(t, levels)
	t.limitsPending = len(t.req.Limits)+len(t.req.Velocity) > 0
	return verdict{}
}

// pendingLimits evaluates, read-only, the limits and velocity the controls
// check gathered, for a later check about to decline: a failing limit
// comes first.
func pendingLimits(t *txn) verdict {
	t.limitsPending = false
	res := t.e.ledger.Check(&t.req)
	if res.Status == ledger.Declined && !res.Repeat {
		switch res.Reason {
		case ledger.ReasonLimitExceeded:
			return verdict{codeExceedsAmountLimit, reasonSpendingControls}
		case ledger.ReasonVelocityExceeded:
			return verdict{codeExceedsFrequency, reasonSpendingControls}
		}
	}
	return verdict{}
}

// levelsOf returns the controls of the request's account, cardholder and
// card, by ledger scope (nil where a level has none).
func levelsOf(t *txn) [3]*refdata.Controls {
	var l [3]*refdata.Controls
	if t.account != nil {
		l[ledger.ScopeAccount] = t.account.Controls
	}
	if t.holder != nil {
		l[ledger.ScopeCardholder] = t.holder.Controls
	}
	if t.card != nil {
		l[ledger.ScopeCard] = t.card.Controls
	}
	return l
}

// gatherLimits adds the limits and velocity controls of every level to the
// ledger request.
func gatherLimits(t *txn, levels [3]*refdata.Controls) {
	r := &t.req
	for scope, l := range levels {
		if l == nil {
			continue
		}
		for i := range l.SpendingLimits {
			s := &l.SpendingLimits[i]
			r.Limits = append(r.Limits, ledger.Limit{Scope: ledger.Scope(scope), Interval: intervals[s.Interval], Amount: s.Amount, Categories: s.Categories})
		}
		for _, v := range l.Velocity {
			r.Velocity = append(r.Velocity, ledger.Velocity{Scope: ledger.Scope(scope), Count: v.Count, Window: v.Window})
		}
	}
}
