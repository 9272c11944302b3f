package netswitch

import "github.com/authswitch/authswitch/spec"

// Decision is what the switch needs from a decision: the answer to send
// and the journal sequence number that must be durable before it leaves.
type Decision struct {
	Answer spec.Answer
	// Seq is the journal entry that records the decision; the answer leaves
	// only once Durability reports it synced. Zero means nothing to wait for.
	Seq uint64
	// Holds reports that the decision placed or grew a hold, so that a
	// decision whose answer was dropped as late can be compensated.
	Holds bool
	// Reason is the decision's reason in words, for metrics.
	Reason string
}

// Decider makes decisions. The sessions route each request to it by
// message kind and know nothing of how a decision is made; the rules engine
// implements it (see rules.Engine and cmd/switchd's wiring).
type Decider interface {
	// Authorize decides a 0100/0101.
	Authorize(a *spec.Authorization) Decision
	// Advice records a 0120/0121 (the network or acquirer already decided).
	Advice(a *spec.Authorization) Decision
	// Reverse applies a 0400/0401/0420/0421.
	Reverse(a *spec.Authorization) Decision
	// StandIn records the answer the switch gave on its own when a decision
	// was not ready inside the deadline (approved: hold placed as an advice
	// would; declined: recorded). It returns the journal entry to wait for.
	StandIn(a *spec.Authorization, ans *spec.Answer) Decision
	// Void undoes a decision whose answer never left (it was late and the
	// network got the stand-in answer instead): its hold is released.
	Void(a *spec.Authorization, d *Decision)
}

// Durability tells when a journal entry is synced. The ledger implements
// it; fn runs once seq is durable (at once when it already is).
type Durability interface {
	OnDurable(seq uint64, fn func())
}
