package rules

// programRules is check 7: the card program's own rules (package program),
// in order, the first that is true declining with its response code and
// reason program_rule:<name>. A rule whose evaluation fails does not
// decline; it is counted and logged by name.
type programRules struct{}

func (programRules) decide(t *txn) verdict {
	ps := t.e.programs()
	t.rules = ps
	if ps.set.Len() == 0 {
		return verdict{}
	}
	i := ps.set.Match(t.programInput(), ps.onError)
	if i < 0 {
		return verdict{}
	}
	t.ruleHit = i
	return verdict{ps.set.Rule(i).ResponseCode, reasonProgramRule}
}
