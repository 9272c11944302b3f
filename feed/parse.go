package feed

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Record is a decoded v1 record (feed/schema/v1.json). Amounts are integer
// minor units: Amount, Approved, Released, HoldAmount, Posted, Available
// and CreditLimit of the account's Currency; RequestAmount of
// RequestCurrency.
type Record struct {
	V               int        `json:"v"`
	ID              string     `json:"id"`
	Seq             uint64     `json:"seq"`
	Time            time.Time  `json:"time"`
	Op              string     `json:"op"`
	Network         string     `json:"network"`
	Kind            string     `json:"kind"`
	MTI             string     `json:"mti"`
	LifecycleKey    string     `json:"lifecycle_key"`
	STAN            string     `json:"stan"`
	RRN             string     `json:"rrn"`
	TransactionID   string     `json:"transaction_id"`
	CardToken       string     `json:"card_token"`
	Last4           string     `json:"last4"`
	Account         string     `json:"account"`
	Cardholder      string     `json:"cardholder"`
	Amount          int64      `json:"amount"`
	Currency        string     `json:"currency"`
	RequestAmount   int64      `json:"request_amount"`
	RequestCurrency string     `json:"request_currency"`
	Approved        int64      `json:"approved"`
	Released        int64      `json:"released"`
	Merchant        Merchant   `json:"merchant"`
	Decision        string     `json:"decision"`
	Status          string     `json:"status"`
	Reason          string     `json:"reason"`
	LedgerReason    string     `json:"ledger_reason"`
	ResponseCode    string     `json:"response_code"`
	AuthCode        string     `json:"auth_code"`
	HoldID          uint64     `json:"hold_id"`
	HoldAmount      int64      `json:"hold_amount"`
	HoldRef         uint64     `json:"hold_ref"`
	HoldExpires     *time.Time `json:"hold_expires"`
	Posted          int64      `json:"posted"`
	Available       int64      `json:"available"`
	CreditLimit     int64      `json:"credit_limit"`
	Force           bool       `json:"force"`
	NoHold          bool       `json:"no_hold"`
	PartialAllowed  bool       `json:"partial_allowed"`
	Repeat          bool       `json:"repeat"`
	Operator        Operator   `json:"operator"`
}

// Merchant is the card acceptor of a record.
type Merchant struct {
	Name       string `json:"name"`
	City       string `json:"city"`
	Country    string `json:"country"`
	MCC        string `json:"mcc"`
	TerminalID string `json:"terminal_id"`
}

// IsApproved reports whether the record's decision approved (fully or in
// part).
func (r *Record) IsApproved() bool {
	return r.Status == "approved" || r.Status == "partially_approved"
}

// ErrRecord is wrapped by every failure to read a record: not JSON, an
// unknown schema version, or an id that does not match its sequence.
var ErrRecord = errors.New("feed: bad record")

// ParseRecord decodes one record (a line, with or without its '\n') into
// r and checks its version and identity. The error never quotes the line.
func ParseRecord(line []byte, r *Record) error {
	*r = Record{}
	if err := json.Unmarshal(bytes.TrimRight(line, "\n"), r); err != nil {
		// json errors quote only offsets and types, never values.
		return fmt.Errorf("%w: %v", ErrRecord, err)
	}
	if r.V != SchemaVersion {
		return fmt.Errorf("%w: schema version %d, this reader knows %d", ErrRecord, r.V, SchemaVersion)
	}
	if r.Seq == 0 {
		return fmt.Errorf("%w: no sequence number", ErrRecord)
	}
	if want := EntryID(r.Seq); r.ID != want {
		return fmt.Errorf("%w: id does not match sequence %d", ErrRecord, r.Seq)
	}
	if r.Time.IsZero() {
		return fmt.Errorf("%w: entry %d has no time", ErrRecord, r.Seq)
	}
	return nil
}

// EntryID is the id of the entry with sequence number seq.
func EntryID(seq uint64) string { return IDPrefix + strconv.FormatUint(seq, 10) }

var seqPrefix = []byte(`{"v":1,"id":"je_`)

// ParseSeq returns a record's sequence number without decoding the rest:
// records start {"v":1,"id":"je_<seq>","seq":<seq>, and both must agree.
func ParseSeq(line []byte) (uint64, error) {
	if !bytes.HasPrefix(line, seqPrefix) {
		return 0, fmt.Errorf("%w: not a v%d record", ErrRecord, SchemaVersion)
	}
	rest := line[len(seqPrefix):]
	n, rest, ok := leadingUint(rest)
	if !ok || !bytes.HasPrefix(rest, []byte(`","seq":`)) {
		return 0, fmt.Errorf("%w: no entry id", ErrRecord)
	}
	m, rest, ok := leadingUint(rest[len(`","seq":`):])
	if !ok || m != n || len(rest) == 0 || rest[0] != ',' {
		return 0, fmt.Errorf("%w: sequence does not match the id", ErrRecord)
	}
	return n, nil
}

// leadingUint parses the digits at the start of b (1–20 of them, no
// leading zero, a positive value that fits in uint64).
func leadingUint(b []byte) (uint64, []byte, bool) {
	i := 0
	for i < len(b) && i < 21 && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == 0 || i > 20 || b[0] == '0' {
		return 0, b, false
	}
	var n uint64
	for _, c := range b[:i] {
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, b, false
		}
		n = n*10 + d
	}
	return n, b[i:], true
}

// Operator says who made an operator's write (audit entries, and fund,
// debit, capture and release from the admin API); empty for the networks'
// traffic.
type Operator struct {
	Actor     string `json:"actor"`
	Action    string `json:"action"`
	Object    string `json:"object"`
	RequestID string `json:"request_id"`
	Note      string `json:"note"`
	Ref       uint64 `json:"ref"`
}
