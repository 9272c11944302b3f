package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The journal's entry encoding: a version byte, the op, a flags byte, the
// sequence number (8 bytes, little endian, at seqOffset, so that an entry
// encoded before its number is handed out can be numbered in place), then
// varints and length-prefixed strings in a fixed order. Fixed-size keys are
// written only when not zero (the flags say which). It is written on the
// hot path into a reused buffer, so encoding allocates nothing.
//
// Version 1 (still read) had the sequence number as a varint and ended
// after the authorization code; version 2 adds the operator's fields of the
// descriptor and the audit reference; version 3 the scopes of the velocity
// controls.

const (
	entryVersion = 3
	seqOffset    = 3
)

const (
	flagForce = 1 << iota
	flagNoHold
	flagPartial
	flagKey
	flagLifecycle
	flagOriginal
	flagMemo
	flagRepeat
)

// errCorrupt is wrapped by every decoding failure.
var errCorrupt = errors.New("ledger: corrupt journal record")

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// appendEntry encodes e after b.
func appendEntry(b []byte, e *Entry) []byte {
	var flags byte
	if e.Force {
		flags |= flagForce
	}
	if e.NoHold {
		flags |= flagNoHold
	}
	if e.Partial {
		flags |= flagPartial
	}
	if e.Key != (RequestKey{}) {
		flags |= flagKey
	}
	if e.Lifecycle != (LifecycleKey{}) {
		flags |= flagLifecycle
	}
	if e.Original != (OriginalKey{}) {
		flags |= flagOriginal
	}
	if e.Result.Memo != (Memo{}) {
		flags |= flagMemo
	}
	b = append(b, entryVersion, byte(e.Op), flags)
	b = binary.LittleEndian.AppendUint64(b, e.Seq)
	b = binary.AppendVarint(b, unixNano(e.Time))
	if flags&flagKey != 0 {
		b = append(b, e.Key[:]...)
	}
	if flags&flagLifecycle != 0 {
		b = append(b, e.Lifecycle[:]...)
	}
	if flags&flagOriginal != 0 {
		b = append(b, e.Original[:]...)
	}
	if flags&flagMemo != 0 {
		b = append(b, e.Result.Memo[:]...)
	}
	b = appendString(b, e.Account)
	b = appendString(b, e.Cardholder)
	b = appendString(b, e.Card)
	b = appendString(b, e.MCC)
	b = appendString(b, e.Currency)
	b = binary.AppendVarint(b, e.Amount)
	b = binary.AppendUvarint(b, e.HoldRef)
	b = binary.AppendVarint(b, unixNano(e.Expires))
	b = binary.AppendVarint(b, e.Credit)
	b = binary.AppendUvarint(b, uint64(e.VelDepth))

	r := &e.Result
	b = append(b, byte(r.Status), byte(r.Reason))
	b = binary.AppendVarint(b, r.Approved)
	b = binary.AppendUvarint(b, r.HoldID)
	b = binary.AppendVarint(b, r.Hold)
	b = binary.AppendVarint(b, r.Released)
	b = binary.AppendVarint(b, r.Posted)
	b = binary.AppendVarint(b, r.Available)

	d := &e.Descriptor
	for _, s := range [...]string{d.Network, d.Kind, d.MTI, d.STAN, d.RRN, d.TransactionID, d.CardToken, d.Last4} {
		b = appendString(b, s)
	}
	b = binary.AppendVarint(b, d.Amount)
	for _, s := range [...]string{d.Currency, d.MerchantName, d.MerchantCity, d.Country, d.MCC, d.TerminalID,
		d.Decision, d.Reason, d.ResponseCode, d.AuthCode, d.Actor, d.Action, d.Object, d.RequestID, d.Note} {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, e.Ref)
	return append(b, e.VelScopes)
}

// numberEntry writes seq into an entry encoded by appendEntry.
func numberEntry(b []byte, seq uint64) {
	binary.LittleEndian.PutUint64(b[seqOffset:], seq)
}

// decoder reads an encoded entry; the first failure sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errCorrupt, what)
	}
}

func (d *decoder) byte1() byte {
	if d.err != nil || len(d.b) < 1 {
		d.fail("short")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uint64le() uint64 {
	if d.err != nil || len(d.b) < 8 {
		d.fail("short")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(dst []byte) {
	if d.err != nil || len(d.b) < len(dst) {
		d.fail("short key")
		return
	}
	copy(dst, d.b)
	d.b = d.b[len(dst):]
}

// str reads a string, reusing old when it holds the same bytes (replay
// decodes the same account ids again and again).
func (d *decoder) str(old string) string {
	n := d.uvarint()
	if d.err != nil || uint64(len(d.b)) < n {
		d.fail("short string")
		return ""
	}
	s := d.b[:n]
	d.b = d.b[n:]
	if string(s) == old {
		return old
	}
	return string(s)
}

// decodeEntry decodes one entry into e, reusing e's strings when equal.
func decodeEntry(b []byte, e *Entry) error {
	d := decoder{b: b}
	ver := d.byte1()
	if (ver < 1 || ver > entryVersion) && d.err == nil {
		return fmt.Errorf("%w: version %d", errCorrupt, ver)
	}
	e.Op = Op(d.byte1())
	flags := d.byte1()
	e.Force, e.NoHold, e.Partial = flags&flagForce != 0, flags&flagNoHold != 0, flags&flagPartial != 0
	if ver == 1 {
		e.Seq = d.uvarint()
	} else {
		e.Seq = d.uint64le()
	}
	e.Time = fromUnixNano(d.varint())
	e.Key, e.Lifecycle, e.Original, e.Result.Memo = RequestKey{}, LifecycleKey{}, OriginalKey{}, Memo{}
	if flags&flagKey != 0 {
		d.bytes(e.Key[:])
	}
	if flags&flagLifecycle != 0 {
		d.bytes(e.Lifecycle[:])
	}
	if flags&flagOriginal != 0 {
		d.bytes(e.Original[:])
	}
	if flags&flagMemo != 0 {
		d.bytes(e.Result.Memo[:])
	}
	e.Account = d.str(e.Account)
	e.Cardholder = d.str(e.Cardholder)
	e.Card = d.str(e.Card)
	e.MCC = d.str(e.MCC)
	e.Currency = d.str(e.Currency)
	e.Amount = d.varint()
	e.HoldRef = d.uvarint()
	e.Expires = fromUnixNano(d.varint())
	e.Credit = d.varint()
	e.VelDepth = uint16(d.uvarint())

	r := &e.Result
	r.Status, r.Reason, r.Repeat = Status(d.byte1()), Reason(d.byte1()), false
	r.Approved = d.varint()
	r.HoldID = d.uvarint()
	r.Hold = d.varint()
	r.Released = d.varint()
	r.Posted = d.varint()
	r.Available = d.varint()
	r.Currency = e.Currency
	r.Seq = e.Seq

	ds := &e.Descriptor
	for _, p := range [...]*string{&ds.Network, &ds.Kind, &ds.MTI, &ds.STAN, &ds.RRN, &ds.TransactionID, &ds.CardToken, &ds.Last4} {
		*p = d.str(*p)
	}
	ds.Amount = d.varint()
	for _, p := range [...]*string{&ds.Currency, &ds.MerchantName, &ds.MerchantCity, &ds.Country, &ds.MCC, &ds.TerminalID,
		&ds.Decision, &ds.Reason, &ds.ResponseCode, &ds.AuthCode} {
		*p = d.str(*p)
	}
	ds.Actor, ds.Action, ds.Object, ds.RequestID, ds.Note, e.Ref = "", "", "", "", "", 0
	if ver >= 2 {
		for _, p := range [...]*string{&ds.Actor, &ds.Action, &ds.Object, &ds.RequestID, &ds.Note} {
			*p = d.str(*p)
		}
		e.Ref = d.uvarint()
	}
	e.VelScopes = 0
	if ver >= 3 {
		e.VelScopes = d.byte1()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	return d.err
}
