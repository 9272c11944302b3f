package admin

import (
	"strconv"
)

// audited records a write: an "audit" log line and Options.Audit. A money
// movement names its ledger journal entry, which the feed publishes.
func (a *API) audited(c *call, action, object string, seq uint64) {
	ev := AuditEvent{Time: a.now().UTC(), Actor: c.actor, Action: action, Object: redactDigits(object),
		RequestID: c.id, JournalSeq: seq}
	attrs := []any{"actor", ev.Actor, "action", ev.Action, "object", ev.Object, "request_id", ev.RequestID}
	if seq != 0 {
		attrs = append(attrs, "journal_entry", journalEntry(seq))
	}
	a.log.Info("audit", attrs...)
	if a.audit != nil {
		a.audit(ev)
	}
}

func uitoa(v uint64) string { return strconv.FormatUint(v, 10) }
