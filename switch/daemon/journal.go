package daemon

import (
	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
)

// describedJournal is the ledger's journal as the feed reads it, with the
// answer filled into each entry the ledger decided. The ledger journals an
// authorization before it knows the outcome, so the entry's descriptor
// carries no response or authorization code unless the checks declined it
// first; the rules engine's memo, kept in the entry's result, says what was
// answered (rules.Describe). Filling it here keeps both the ledger and the
// feed free of the rules' logic.
type describedJournal struct {
	*ledger.Ledger
}

// ReadJournal reads durable entries and completes their descriptors.
func (j describedJournal) ReadJournal(from uint64, max int, buf []ledger.Entry) ([]ledger.Entry, error) {
	es, err := j.Ledger.ReadJournal(from, max, buf)
	for i := range es {
		describe(&es[i])
	}
	return es, err
}

func describe(e *ledger.Entry) {
	d := &e.Descriptor
	if d.ResponseCode != "" {
		return
	}
	o, ok := rules.Describe(&e.Result)
	if !ok {
		return
	}
	d.ResponseCode, d.AuthCode = o.ResponseCode, o.AuthCode
	if d.Decision == "" {
		d.Decision = o.Decision
	}
	if d.Reason == "" {
		d.Reason = o.Reason
	}
}
