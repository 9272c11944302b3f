package rules

import (
	"fmt"
)

// A check is one step of the decision, in the manner of a CoreDNS plugin:
// one method, which either passes the request on (the zero verdict) or
// decides it with a response code and a reason. Checks read the request
// and its reference data from the txn and may add to the ledger request
// it carries; only the funds check writes to the ledger.
type check interface {
	decide(t *txn) verdict
}

// verdict is a check's answer: zero passes the request to the next check.
type verdict struct {
	code   string // field 39
	reason reason
}

func (v verdict) decided() bool { return v.code != "" }

// Names of the checks, for configuring the chain.
const (
	CheckSanity       = "sanity"
	CheckCard         = "card"
	CheckExpiry       = "expiry"
	CheckVerification = "verification"
	CheckStatus       = "status"
	CheckControls     = "controls"
	CheckProgram      = "program"
	CheckFunds        = "funds"
)

// DefaultChain is the order of the checks unless configured otherwise.
var DefaultChain = []string{CheckSanity, CheckCard, CheckExpiry, CheckVerification, CheckStatus, CheckControls, CheckProgram, CheckFunds}

// link is one check in the chain.
type link struct {
	id    checkID
	check check
}

var checkIDs = map[string]checkID{
	CheckSanity: checkSanity, CheckCard: checkCard, CheckExpiry: checkExpiry, CheckVerification: checkVerification,
	CheckStatus: checkStatus, CheckControls: checkControls, CheckProgram: checkProgram, CheckFunds: checkFunds,
}

// buildChain checks a configured order and builds the chain. The order is
// free within these bounds: sanity, card and funds are required, funds
// comes last (it is the one that writes to the ledger), and card comes
// before every check that reads the card.
func buildChain(e *Engine, names []string) ([]link, error) {
	if len(names) == 0 {
		names = DefaultChain
	}
	pos := make(map[checkID]int, len(names))
	for i, n := range names {
		id, ok := checkIDs[n]
		if !ok {
			return nil, fmt.Errorf("rules: chain: unknown check %q", n)
		}
		if _, dup := pos[id]; dup {
			return nil, fmt.Errorf("rules: chain: check %s appears twice", n)
		}
		pos[id] = i
	}
	for _, id := range []checkID{checkSanity, checkCard, checkFunds} {
		if _, ok := pos[id]; !ok {
			return nil, fmt.Errorf("rules: chain: check %s is required", id)
		}
	}
	if pos[checkFunds] != len(names)-1 {
		return nil, fmt.Errorf("rules: chain: check funds must come last")
	}
	for _, id := range []checkID{checkExpiry, checkVerification, checkStatus, checkControls} {
		if p, ok := pos[id]; ok && p < pos[checkCard] {
			return nil, fmt.Errorf("rules: chain: check %s reads the card: it must come after card", id)
		}
	}

	chain := make([]link, len(names))
	for i, n := range names {
		id := checkIDs[n]
		var c check
		switch id {
		case checkSanity:
			c = sanity{}
		case checkCard:
			c = cardStatus{}
		case checkExpiry:
			c = expiry{}
		case checkVerification:
			c = verification{}
		case checkStatus:
			c = holderAndAccount{}
		case checkControls:
			c = controls{}
		case checkProgram:
			c = programRules{}
		case checkFunds:
			c = funds{}
		}
		chain[i] = link{id: id, check: c}
	}
	return chain, nil
}
