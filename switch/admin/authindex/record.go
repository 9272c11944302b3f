package authindex

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/spec"
)

// Authorization is one indexed request: what its journal entry says, in
// the words the admin API shows.
type Authorization struct {
	Seq  uint64
	Time time.Time
	Op   ledger.Op // authorize, advice, reverse or decline

	Network, Kind, MTI, STAN, RRN, TransactionID string
	Lifecycle                                    string // the network's life-cycle id, as the feed writes it
	LifecycleKey                                 ledger.LifecycleKey
	Card, Last4, Account, Cardholder             string

	Amount          int64  // as requested, minor units of Currency
	Currency        string // of the request
	AccountAmount   int64  // in the account's currency
	AccountCurrency string
	Approved        int64
	Released        int64

	MerchantName, MerchantCity, Country, MCC, TerminalID string

	Decision, Status, Reason, LedgerReason, ResponseCode, AuthCode string

	HoldID     uint64
	HoldAmount int64
	Partial    bool // the request allowed a partial approval
	Force      bool // an advice: the network had decided
}

// IsApproved reports whether the request was approved (in whole or part).
func (a *Authorization) IsApproved() bool {
	switch a.Decision {
	case "approved", "partially_approved":
		return true
	case "":
		return a.Status == ledger.Approved.String() || a.Status == ledger.PartiallyApproved.String()
	}
	return false
}

// indexed reports whether an entry is an authorization the index keeps.
func indexed(op ledger.Op) bool {
	switch op {
	case ledger.OpAuthorize, ledger.OpAdvice, ledger.OpReverse, ledger.OpDecline:
		return true
	}
	return false
}

// fromEntry builds the record of a journal entry.
func fromEntry(e *ledger.Entry) Authorization {
	d, r := &e.Descriptor, &e.Result
	a := Authorization{
		Seq: e.Seq, Time: e.Time.UTC(), Op: e.Op,
		Network: d.Network, Kind: d.Kind, MTI: d.MTI, STAN: d.STAN, RRN: d.RRN, TransactionID: d.TransactionID,
		Lifecycle: lifecycleString(&e.Lifecycle), LifecycleKey: e.Lifecycle,
		Card: e.Card, Last4: d.Last4, Account: e.Account, Cardholder: e.Cardholder,
		Amount: d.Amount, Currency: d.Currency, AccountAmount: e.Amount, AccountCurrency: e.Currency,
		Approved: r.Approved, Released: r.Released,
		MerchantName: d.MerchantName, MerchantCity: d.MerchantCity, Country: d.Country, MCC: d.MCC,
		TerminalID: d.TerminalID,
		Decision:   d.Decision, Status: r.Status.String(), LedgerReason: r.Reason.String(),
		Reason: d.Reason, ResponseCode: d.ResponseCode, AuthCode: d.AuthCode,
		HoldID: r.HoldID, HoldAmount: r.Hold, Partial: e.Partial, Force: e.Force,
	}
	if a.Card == "" {
		a.Card = d.CardToken
	}
	if a.MCC == "" {
		a.MCC = e.MCC
	}
	if a.Network == "" && e.Lifecycle != (ledger.LifecycleKey{}) {
		if n := spec.Network(e.Lifecycle[0]); n == spec.Visa || n == spec.Mastercard {
			a.Network = n.String()
		}
	}
	if a.Kind == "" {
		a.Kind = e.Op.String()
	}
	if a.Decision == "" {
		a.Decision = a.Status
	}
	if a.Reason == "" && r.Reason != ledger.ReasonNone {
		a.Reason = r.Reason.String()
	}
	// The journal carries card ids and last four digits. Should a card
	// number reach a card field anyway, it is masked here, before it is
	// stored or shown.
	a.Card = maskIfPAN(a.Card)
	a.Cardholder = maskIfPAN(a.Cardholder)
	a.Account = maskIfPAN(a.Account)
	if len(a.Last4) > 4 {
		a.Last4 = a.Last4[len(a.Last4)-4:]
	}
	return a
}

// lifecycleString is the network's life-cycle id a key was made from,
// without the network byte and padding ("" for the zero key).
func lifecycleString(k *ledger.LifecycleKey) string {
	if *k == (ledger.LifecycleKey{}) {
		return ""
	}
	end := len(k)
	for end > 1 && (k[end-1] == ' ' || k[end-1] == 0) {
		end--
	}
	return string(k[1:end])
}

// maskIfPAN masks s when it holds a run of 12 or more digits (a card
// number's shape), keeping the run's first six and last four.
func maskIfPAN(s string) string {
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run >= 12 {
			return s[:i-run] + spec.MaskPAN(s[i-run:i]) + maskIfPAN(s[i:])
		}
		run = 0
	}
	return s
}

// IDPrefix starts every authorization id.
const IDPrefix = "auth_"

// ID is the authorization id of journal entry seq.
func ID(seq uint64) string { return IDPrefix + strconv.FormatUint(seq, 10) }

// ParseID returns the journal sequence number an authorization id names.
func ParseID(id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, IDPrefix)
	if !ok || rest == "" || len(rest) > 20 || (len(rest) > 1 && rest[0] == '0') {
		return 0, false
	}
	seq, err := strconv.ParseUint(rest, 10, 64)
	return seq, err == nil && seq > 0
}

// recordVersion is the first byte of every stored record.
const recordVersion = 1

var errCorrupt = errors.New("authindex: corrupt record")

func appendRecord(b []byte, a *Authorization) []byte {
	b = append(b, recordVersion, byte(a.Op))
	var flags byte
	if a.Partial {
		flags |= 1
	}
	if a.Force {
		flags |= 2
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, a.Seq)
	b = binary.AppendVarint(b, a.Time.UnixNano())
	if a.LifecycleKey != (ledger.LifecycleKey{}) {
		b = append(b, 1)
		b = append(b, a.LifecycleKey[:]...)
	} else {
		b = append(b, 0)
	}
	for _, s := range [...]string{a.Network, a.Kind, a.MTI, a.STAN, a.RRN, a.TransactionID,
		a.Card, a.Last4, a.Account, a.Cardholder, a.Currency, a.AccountCurrency,
		a.MerchantName, a.MerchantCity, a.Country, a.MCC, a.TerminalID,
		a.Decision, a.Status, a.Reason, a.LedgerReason, a.ResponseCode, a.AuthCode} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, v := range [...]int64{a.Amount, a.AccountAmount, a.Approved, a.Released, a.HoldAmount} {
		b = binary.AppendVarint(b, v)
	}
	return binary.AppendUvarint(b, a.HoldID)
}

type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *decoder) byte1() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func decodeRecord(b []byte) (Authorization, error) {
	var a Authorization
	d := decoder{b: b}
	if v := d.byte1(); v != recordVersion {
		return a, fmt.Errorf("%w: version %d", errCorrupt, v)
	}
	a.Op = ledger.Op(d.byte1())
	flags := d.byte1()
	if flags&^3 != 0 {
		d.fail()
	}
	a.Partial, a.Force = flags&1 != 0, flags&2 != 0
	a.Seq = d.uvarint()
	a.Time = time.Unix(0, d.varint()).UTC()
	switch d.byte1() {
	case 0:
	case 1:
		if len(d.b) < len(a.LifecycleKey) {
			d.fail()
		} else {
			copy(a.LifecycleKey[:], d.b)
			d.b = d.b[len(a.LifecycleKey):]
		}
	default:
		d.fail()
	}
	a.Lifecycle = lifecycleString(&a.LifecycleKey)
	for _, s := range [...]*string{&a.Network, &a.Kind, &a.MTI, &a.STAN, &a.RRN, &a.TransactionID,
		&a.Card, &a.Last4, &a.Account, &a.Cardholder, &a.Currency, &a.AccountCurrency,
		&a.MerchantName, &a.MerchantCity, &a.Country, &a.MCC, &a.TerminalID,
		&a.Decision, &a.Status, &a.Reason, &a.LedgerReason, &a.ResponseCode, &a.AuthCode} {
		*s = d.str()
	}
	for _, v := range [...]*int64{&a.Amount, &a.AccountAmount, &a.Approved, &a.Released, &a.HoldAmount} {
		*v = d.varint()
	}
	a.HoldID = d.uvarint()
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return a, d.err
}
