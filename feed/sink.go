package feed

import (
	"errors"
	"fmt"
	"time"

	"github.com/authswitch/authswitch/ledger"
)

// ErrSequence is wrapped when entries do not follow one another: a gap or
// a step back in the journal's sequence numbers.
var ErrSequence = errors.New("feed: entries out of sequence")

// Sink ships windows of records somewhere durable: segment files
// (feed/segment) or NATS JetStream (feed/natsfeed).
//
// Send starts shipping w and calls done exactly once: with nil when the
// sink holds every record of w durably (fsynced, or acknowledged by
// JetStream), or with the reason it could not. done may run before Send
// returns and on any goroutine; it never blocks. Send may block only
// briefly, for the sink's own bounded queue; it must not wait for the
// downstream. The sink must not touch w after calling done: the publisher
// reuses it.
//
// The publisher sends windows in sequence order, at most Options.
// MaxInFlight at a time, and sends a window again (the same First and
// Last, the same records) after a failure. Windows may reach a sink again
// after a restart with boundaries that differ from the first time: a sink
// makes such duplicates harmless (skipping what it already holds, or
// naming what it stores so the downstream drops a repeat), and every
// consumer is idempotent by entry id anyway.
//
// Close releases the sink; windows still in flight complete with an error.
type Sink interface {
	Name() string
	Send(w *Window, done func(error))
	Close() error
}

// Window is a run of consecutive journal entries, encoded as records.
type Window struct {
	First, Last uint64 // sequence numbers of the first and last record
	// Floor: every entry below it had been acknowledged by the sink when
	// this window was sent. A consumer starting from nothing starts there.
	Floor   uint64
	Data    []byte      // the records as JSON Lines, in sequence order
	Records []RecordRef // one per record, in order
	Oldest  time.Time   // the first entry's time (backlog age)

	sent   time.Time
	state  windowState
	tries  int
	doneFn func(error)
}

// RecordRef locates one record of a window.
type RecordRef struct {
	Seq        uint64
	Start, End int    // Data[Start:End] is the line, '\n' included
	Network    string // NetworkOf the entry ("" for ledger-internal entries)
	Kind       string // KindOf the entry
}

// Line returns the i-th record's line, '\n' included.
func (w *Window) Line(i int) []byte {
	r := &w.Records[i]
	return w.Data[r.Start:r.End]
}

type windowState uint8

const (
	windowFree windowState = iota
	windowPending
	windowAcked
	windowFailed
)

func (w *Window) reset() {
	w.First, w.Last, w.Floor = 0, 0, 0
	w.Data = w.Data[:0]
	clear(w.Records)
	w.Records = w.Records[:0]
	w.Oldest = time.Time{}
	w.state, w.tries = windowFree, 0
}

// Append encodes e as the window's next record. Entries must come in
// sequence order without gaps (ErrSequence otherwise); the first sets
// First and Oldest.
func (w *Window) Append(e *ledger.Entry) error {
	if len(w.Records) > 0 && e.Seq != w.Last+1 {
		return fmt.Errorf("%w: entry %d after %d", ErrSequence, e.Seq, w.Last)
	}
	if e.Seq == 0 {
		return fmt.Errorf("%w: entry without a sequence number", ErrSequence)
	}
	if len(w.Records) == 0 {
		w.First, w.Oldest = e.Seq, e.Time
	}
	start := len(w.Data)
	w.Data = AppendRecord(w.Data, e)
	w.Records = append(w.Records, RecordRef{Seq: e.Seq, Start: start, End: len(w.Data),
		Network: NetworkOf(e), Kind: KindOf(e)})
	w.Last = e.Seq
	return nil
}

// Len is the number of records in the window.
func (w *Window) Len() int { return len(w.Records) }
