package rules

import (
	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/spec"
)

// Advice records an advice (0120/0121): the network (standing in) or the
// acquirer already decided, and field 39 says what. An approved advice
// places its hold whatever the balance and limits (the money is spent);
// a declined one is recorded. Either way the answer is 00 once recorded.
// A repeat changes nothing.
func (e *Engine) Advice(a *spec.Authorization) Decision {
	key := requestKey(a)
	if res, ok := e.ledger.Lookup(key); ok {
		return e.recorded(a, &res, checkAdvice, true)
	}
	t := e.txns.Get().(*txn)
	t.reset(e, a)
	t.prepare(&key)
	m := newMemo(a, &key, 0, 0)
	why := reasonNetworkDeclined
	if networkApproved(a.ResponseCode) {
		why = reasonNetworkApproved
	}
	m.setDecision(checkAdvice, why, "")
	r := &t.req
	r.Memo = ledger.Memo(m)
	r.Descriptor.Decision, r.Descriptor.Reason = "recorded", why.String()
	r.Descriptor.ResponseCode = a.ResponseCode
	r.Descriptor.AuthCode = a.AuthCode
	switch {
	case why == reasonNetworkApproved && t.account != nil && t.chargeKnown && t.chargeCurrency.Alpha == t.account.Currency:
		r.Force = true
		if debit(a.Type) {
			// Limits and velocity do not decline an advice; the ledger
			// counts its spend all the same.
			gatherLimits(t, levelsOf(t))
		}
		t.result = e.ledger.Authorize(r)
	default:
		if why == reasonNetworkApproved {
			// Approved, but for no account the switch can charge: a card it
			// does not know, or another currency. Recorded for operators.
			e.log.Warn("approved advice recorded without a hold", "network", a.Network.String(), "stan", a.STAN,
				"card", r.Descriptor.CardToken, "last4", r.Descriptor.Last4, "account_known", t.account != nil)
		}
		t.result = e.ledger.RecordDecline(&ledger.Decline{Key: key, Account: r.Account, Card: r.Card, At: t.now,
			Memo: r.Memo, Descriptor: r.Descriptor})
	}
	d := e.recorded(a, &t.result, checkAdvice, false)
	t.release()
	e.txns.Put(t)
	return d
}

// networkApproved reports whether an advice's field 39 approved. A missing
// code counts as approved: placing the hold is the side that cannot lose
// money.
func networkApproved(code string) bool {
	return code == "" || approving(code)
}

// Reverse applies a reversal or reversal advice (0400/0401/0420/0421): the
// ledger finds the original by field 90 and the card, or by the life-cycle
// key, and releases it whole or down to the actual amount of field 95. One
// with no original is recorded (its original, should it come later, is
// declined). The answer is 00. A repeat changes nothing.
func (e *Engine) Reverse(a *spec.Authorization) Decision {
	key := requestKey(a)
	if res, ok := e.ledger.Lookup(key); ok {
		return e.recorded(a, &res, checkReversal, true)
	}
	t := e.txns.Get().(*txn)
	t.reset(e, a)
	t.prepare(&key)
	m := newMemo(a, &key, 0, 0)
	m.setDecision(checkReversal, reasonReversed, "")
	r := &ledger.Reverse{Key: key, Lifecycle: t.req.Lifecycle, Account: t.req.Account, Card: t.req.Card, At: t.now,
		Memo: ledger.Memo(m), Descriptor: t.req.Descriptor}
	r.Descriptor.Decision = "reversal"
	if a.HasOriginal && t.card != nil {
		o := &a.Original
		r.Original = ledger.MakeOriginalKey(ledger.Network(a.Network), o.STAN, o.TransmissionTime, o.AcquirerID, t.card.ID)
	}
	if a.HasReplacement && a.ActualAmount > 0 {
		r.ActualAmount = a.ActualAmount
		if a.HasBilling {
			// The hold is in the billing currency; field 95's actual amount
			// is in the transaction's. Convert at the request's own rate,
			// rounding up so the release never exceeds what was unspent.
			r.ActualAmount = scaleUp(a.ActualAmount, a.BillingAmount, a.Amount)
		}
	}
	t.result = e.ledger.Reverse(r)
	d := e.recorded(a, &t.result, checkReversal, false)
	t.release()
	e.txns.Put(t)
	return d
}

// recorded answers an advice or a reversal: 00 once the ledger has it, 96
// when the ledger is unavailable.
func (e *Engine) recorded(a *spec.Authorization, res *ledger.Result, c checkID, repeat bool) Decision {
	d := Decision{Seq: res.Seq, Repeat: repeat || res.Repeat, HoldID: res.HoldID, Check: c.String()}
	m := memo(res.Memo)
	if !m.valid() {
		m.setDecision(c, reasonNone, "") // the ledger was unavailable: no memo came back
	}
	code, _, why := outcomeOf(res, &m)
	d.Answer.ResponseCode, d.Reason = code, why.String()
	if why == reasonLedgerUnavailable {
		d.Err = ErrLedgerUnavailable
		e.logFailure(a, &d, "")
	}
	if d.Repeat {
		e.metrics.repeats.Add(1)
	} else {
		e.metrics.count(c, why, byte(res.Seq))
	}
	return d
}
