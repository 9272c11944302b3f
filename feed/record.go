package feed

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/spec"
)

// SchemaVersion is the version of the record schema this package writes
// (feed/schema/v1.json). A consumer refuses records of a version it does
// not know.
const SchemaVersion = 1

// IDPrefix starts every entry id: the id of the entry with sequence number
// n is "je_<n>".
const IDPrefix = "je_"

// AppendRecord appends the v1 record of a journal entry to dst as one JSON
// line, '\n' included, and returns the extended slice. The field order is
// fixed (v, id, seq first) and every field is always present, so records
// have one shape and ParseSeq can read the sequence number without a full
// decode. It allocates nothing when dst has room.
//
// No card number can leave through it: the card fields carry tokens, and a
// value that looks like a PAN (12–19 digits passing the Luhn check) in a
// card field is masked to its first six and last four digits.
func AppendRecord(dst []byte, e *ledger.Entry) []byte {
	d := &e.Descriptor
	r := &e.Result
	dst = append(dst, `{"v":1,"id":"je_`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `","seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"time":`...)
	dst = appendTime(dst, e.Time)
	dst = appendField(dst, "op", e.Op.String())
	dst = appendField(dst, "network", NetworkOf(e))
	dst = appendField(dst, "kind", KindOf(e))
	dst = appendField(dst, "mti", d.MTI)
	dst = append(dst, `,"lifecycle_key":`...)
	dst = appendLifecycle(dst, &e.Lifecycle)
	dst = appendField(dst, "stan", d.STAN)
	dst = appendField(dst, "rrn", d.RRN)
	dst = appendField(dst, "transaction_id", d.TransactionID)
	token := d.CardToken
	if token == "" {
		token = e.Card
	}
	dst = appendCardField(dst, "card_token", token)
	dst = appendCardField(dst, "last4", d.Last4)
	dst = appendField(dst, "account", e.Account)
	dst = appendField(dst, "cardholder", e.Cardholder)
	dst = appendInt(dst, "amount", e.Amount)
	dst = appendField(dst, "currency", e.Currency)
	dst = appendInt(dst, "request_amount", d.Amount)
	dst = appendField(dst, "request_currency", d.Currency)
	dst = appendInt(dst, "approved", r.Approved)
	dst = appendInt(dst, "released", r.Released)
	dst = append(dst, `,"merchant":{"name":`...)
	dst = appendString(dst, ScrubPANs(d.MerchantName))
	dst = appendField(dst, "city", ScrubPANs(d.MerchantCity))
	dst = appendField(dst, "country", d.Country)
	mcc := d.MCC
	if mcc == "" {
		mcc = e.MCC
	}
	dst = appendField(dst, "mcc", mcc)
	dst = appendField(dst, "terminal_id", d.TerminalID)
	dst = append(dst, '}')
	decision := d.Decision
	if decision == "" {
		decision = r.Status.String()
	}
	dst = appendField(dst, "decision", decision)
	dst = appendField(dst, "status", r.Status.String())
	reason := d.Reason
	if reason == "" && r.Reason != ledger.ReasonNone {
		reason = r.Reason.String()
	}
	dst = appendField(dst, "reason", reason)
	dst = appendField(dst, "ledger_reason", r.Reason.String())
	dst = appendField(dst, "response_code", d.ResponseCode)
	dst = appendField(dst, "auth_code", d.AuthCode)
	dst = appendUint(dst, "hold_id", r.HoldID)
	dst = appendInt(dst, "hold_amount", r.Hold)
	dst = appendUint(dst, "hold_ref", e.HoldRef)
	dst = append(dst, `,"hold_expires":`...)
	dst = appendTime(dst, e.Expires)
	dst = appendInt(dst, "posted", r.Posted)
	dst = appendInt(dst, "available", r.Available)
	dst = appendInt(dst, "credit_limit", e.Credit)
	dst = appendBool(dst, "force", e.Force)
	dst = appendBool(dst, "no_hold", e.NoHold)
	dst = appendBool(dst, "partial_allowed", e.Partial)
	dst = appendBool(dst, "repeat", r.Repeat)
	dst = append(dst, `,"operator":{"actor":`...)
	dst = appendString(dst, d.Actor)
	dst = appendField(dst, "action", d.Action)
	dst = appendField(dst, "object", d.Object)
	dst = appendField(dst, "request_id", d.RequestID)
	dst = appendField(dst, "note", ScrubPANs(d.Note))
	dst = appendUint(dst, "ref", e.Ref)
	return append(dst, "}}\n"...)
}

// NetworkOf is the network an entry belongs to: its descriptor's, else the
// network byte of its life-cycle key, else "" (ledger-internal entries:
// account loads, adjustments, and expiries, which carry only a hold id).
func NetworkOf(e *ledger.Entry) string {
	if e.Descriptor.Network != "" {
		return e.Descriptor.Network
	}
	if e.Lifecycle != (ledger.LifecycleKey{}) {
		if n := spec.Network(e.Lifecycle[0]); n == spec.Visa || n == spec.Mastercard {
			return n.String()
		}
	}
	return ""
}

// KindOf is an entry's message kind: its descriptor's ("authorization",
// "advice", "reversal", "reversal_advice"), else the ledger operation
// ("capture", "release", "expire", "adjust", "account", ...).
func KindOf(e *ledger.Entry) string {
	if e.Descriptor.Kind != "" {
		return e.Descriptor.Kind
	}
	return e.Op.String()
}

// LifecycleString is the network's life-cycle id a key was made from (Visa
// 62.2; Mastercard Banknet reference and DE 15), without the network byte
// and padding; "" for the zero key.
func LifecycleString(k *ledger.LifecycleKey) string {
	if *k == (ledger.LifecycleKey{}) {
		return ""
	}
	end := len(k)
	for end > 1 && (k[end-1] == ' ' || k[end-1] == 0) {
		end--
	}
	return string(k[1:end])
}

func appendLifecycle(dst []byte, k *ledger.LifecycleKey) []byte {
	if *k == (ledger.LifecycleKey{}) {
		return append(dst, `""`...)
	}
	end := len(k)
	for end > 1 && (k[end-1] == ' ' || k[end-1] == 0) {
		end--
	}
	return appendBytesString(dst, k[1:end])
}

func appendField(dst []byte, name, v string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return appendString(dst, v)
}

// appendCardField writes a card field, masking a value that looks like a
// PAN so that a caller's mistake cannot put one in the feed.
func appendCardField(dst []byte, name, v string) []byte {
	if spec.LooksLikePAN(v) {
		v = spec.MaskPAN(v)
	}
	return appendField(dst, name, v)
}

func appendInt(dst []byte, name string, v int64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return strconv.AppendInt(dst, v, 10)
}

func appendUint(dst []byte, name string, v uint64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return strconv.AppendUint(dst, v, 10)
}

func appendBool(dst []byte, name string, v bool) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return strconv.AppendBool(dst, v)
}

// appendTime writes t as an RFC 3339 UTC string with all nine digits of
// nanoseconds ("2026-11-24T10:30:00.123456789Z"), or null for the zero
// time. Fixed width, so every record's time has the same shape.
func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, "null"...)
	}
	t = t.UTC()
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		dst = append(dst, '"')
		dst = t.AppendFormat(dst, time.RFC3339Nano)
		return append(dst, '"')
	}
	h, mi, sec := t.Clock()
	ns := t.Nanosecond()
	var b [32]byte
	b[0] = '"'
	put := func(at, width, v int) {
		for i := at + width - 1; i >= at; i-- {
			b[i] = byte('0' + v%10)
			v /= 10
		}
	}
	put(1, 4, y)
	b[5] = '-'
	put(6, 2, int(mo))
	b[8] = '-'
	put(9, 2, d)
	b[11] = 'T'
	put(12, 2, h)
	b[14] = ':'
	put(15, 2, mi)
	b[17] = ':'
	put(18, 2, sec)
	b[20] = '.'
	put(21, 9, ns)
	b[30], b[31] = 'Z', '"'
	return append(dst, b[:]...)
}

const hexDigits = "0123456789abcdef"

// safe[b] is true for ASCII bytes that go into a JSON string unescaped.
var safe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD so
// that every record is valid JSON whatever a descriptor holds.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if safe[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendEscaped(dst, b)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendBytesString is appendString for a byte slice (life-cycle keys).
func appendBytesString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if safe[b] {
				dst = append(dst, b)
			} else {
				dst = appendEscaped(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

func appendEscaped(dst []byte, b byte) []byte {
	switch b {
	case '"', '\\':
		return append(dst, '\\', b)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
}

// ScrubPANs masks every run of 12 to 19 digits inside free text (a
// merchant name, a city, an operator's note) that passes the Luhn check:
// a terminal that writes the card number into its name field must not put
// it in the feed. Text without such a run is returned as it is, without
// allocating.
func ScrubPANs(s string) string {
	var out []byte
	for i := 0; i < len(s); {
		if s[i] < '0' || s[i] > '9' {
			i++
			continue
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if spec.LooksLikePAN(s[i:j]) {
			if out == nil {
				out = []byte(s)
			}
			for k := i + 6; k < j-4; k++ {
				out[k] = '*'
			}
		}
		i = j
	}
	if out == nil {
		return s
	}
	return string(out)
}
