package authindex

import (
	"fmt"

	"github.com/authswitch/authswitch/ledger"
)

// IndexingJournal is the ledger as the feed's publisher reads it, with
// every entry it reads indexed before it is returned: the publisher
// acknowledges entries to the ledger only after reading them, so the
// index holds every entry the ledger may drop. It has all of the ledger's
// methods (the publisher's Journal and its durability notification).
//
// While the index cannot be written, ReadJournal fails and the publisher
// retries, its backlog growing in the ledger's journal: the index never
// has a gap, at the price of holding the feed back. The index shares the
// machine's disk with the ledger, so in practice what breaks one breaks
// both.
type IndexingJournal struct {
	*ledger.Ledger
	Index *Index
}

// ReadJournal reads durable entries from the ledger and indexes them.
func (j IndexingJournal) ReadJournal(from uint64, max int, buf []ledger.Entry) ([]ledger.Entry, error) {
	es, err := j.Ledger.ReadJournal(from, max, buf)
	if err != nil {
		return es, err
	}
	if err := j.Index.Add(es); err != nil {
		return es[:0], fmt.Errorf("authindex: indexing journal entries from %d: %w", from, err)
	}
	return es, nil
}
