package netswitch

import (
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/spec"
)

// RulesDecider is the Decider the switch runs with: the rules engine,
// which calls the ledger.
func RulesDecider(e *rules.Engine) Decider { return decider{e} }

// decider adapts the rules engine to the sessions' Decider.
type decider struct {
	e *rules.Engine
}

func convert(d rules.Decision) Decision {
	code := d.Answer.ResponseCode
	return Decision{
		Answer: d.Answer,
		Seq:    d.Seq,
		Holds:  d.HoldID != 0 && !d.Repeat && (code == "00" || code == "10"),
		Reason: d.Reason,
	}
}

func (d decider) Authorize(a *spec.Authorization) Decision {
	return convert(d.e.Authorize(a))
}

func (d decider) Advice(a *spec.Authorization) Decision {
	return convert(d.e.Advice(a))
}

func (d decider) Reverse(a *spec.Authorization) Decision {
	return convert(d.e.Reverse(a))
}

// StandIn records the switch's own stand-in answer exactly as the network's
// stand-in advice would be recorded: an 0120 carrying the answer's field 39
// and 38 (an approval places a forced hold; a decline is recorded). The
// advice's request key differs from the authorization's by its message
// class, so the late authorization's own entry is not disturbed.
func (d decider) StandIn(a *spec.Authorization, ans *spec.Answer) Decision {
	adv := *a
	adv.MTI, adv.Kind, adv.Repeat = "0120", spec.KindAdvice, false
	adv.ResponseCode, adv.AuthCode = ans.ResponseCode, ans.AuthCode
	adv.AdviceReason = "9020" // stand-in: issuer did not respond in time
	return convert(d.e.Advice(&adv))
}

// Void releases the hold of an authorization whose answer never left, as
// a full reversal of it by its original data elements would.
func (d decider) Void(a *spec.Authorization, _ *Decision) {
	rev := *a
	rev.MTI, rev.Kind, rev.Repeat = "0400", spec.KindReversal, false
	rev.HasOriginal = true
	rev.Original = spec.OriginalData{
		MTI:              a.MTI,
		STAN:             a.STAN,
		TransmissionTime: a.TransmissionTime,
		AcquirerID:       a.AcquirerID,
		ForwardingID:     a.ForwardingID,
	}
	rev.HasReplacement, rev.ActualAmount = false, 0
	d.e.Reverse(&rev)
}
