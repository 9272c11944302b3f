package spec

import (
	"encoding/binary"
	"math/bits"
	"time"
)

// The hot path: decode a request into the canonical Authorization and
// append its answer, without moov's Message machinery.

// Request is a decoded request: the canonical Authorization plus what the
// answer needs from the wire: a private copy of the message bytes, where
// each field sits in them, and the Visa header. Reuse one Request per
// in-flight message; DecodeRequest overwrites it.
type Request struct {
	Authorization
	// Header is the BASE I header of a Visa request; zero for Mastercard.
	Header VisaHeader

	msg  []byte // the message (after the Visa header), owned
	text []byte // decoded characters, reused between decodes
	ix   index
	ok   bool
}

// DecodeRequest decodes one frame payload (Visa: BASE I header + message;
// Mastercard: message) into r, which it overwrites. It accepts the request
// MTIs 0100/0101, 0120/0121, 0400/0401, 0420/0421 and 0800. It copies the
// payload, so the caller may reuse its buffer at once; its one allocation is
// the string the Authorization's text fields share.
func DecodeRequest(n Network, payload []byte, r *Request) error {
	if err := r.decode(n, payload); err != nil {
		// Nothing of this or an earlier message stays readable.
		r.Authorization = Authorization{}
		r.Header = VisaHeader{}
		r.text = r.text[:0]
		r.msg = r.msg[:0]
		r.ix.reset()
		r.ok = false
		return err
	}
	r.ok = true
	return nil
}

func (r *Request) decode(n Network, payload []byte) error {
	c, err := codecFor(n)
	if err != nil {
		return err
	}
	var msg []byte
	if r.Header, msg, err = splitPayload(n, payload); err != nil {
		return err
	}
	r.msg = append(r.msg[:0], msg...)
	if r.text, err = c.scan(r.msg, &r.ix, r.text[:0]); err != nil {
		return err
	}
	r.text, err = mapRequest(n, &r.ix, r.text, &r.Authorization)
	return err
}

// AppendAnswer appends to dst the whole answer frame to r: length prefix,
// (Visa) header with stations swapped, message. The answer MTI is the
// request's plus 10 (0101 → 0110). It does not allocate when dst has room.
func AppendAnswer(dst []byte, r *Request, a *Answer) ([]byte, error) {
	if !r.ok {
		return dst, fieldErr(FieldMessage, 0, ErrNotDecoded)
	}
	c, err := codecFor(r.Network)
	if err != nil {
		return dst, err
	}
	f, ok := factsFromIndex(r.Network, &r.ix, r.text)
	if !ok {
		return dst, fieldErr(FieldMTI, 0, ErrUnsupportedMTI)
	}
	f.cvv2 = r.CVV2Present
	f.trackCVV = r.TrackCVV != ""
	return appendAnswer(dst, c, &r.ix, r.msg, &r.Header, &f, a)
}

// AppendFormatError appends a format-error answer (39 = 30) to a payload
// that failed to decode, echoing the fields that were read before the
// failure. It reports false, appending nothing, when no answer can be
// built: the header, MTI or bitmap is unreadable, or the MTI is not a
// request this codec answers.
func AppendFormatError(dst []byte, n Network, payload []byte) ([]byte, bool) {
	c, err := codecFor(n)
	if err != nil {
		return dst, false
	}
	hdr, msg, err := splitPayload(n, payload)
	if err != nil {
		return dst, false
	}
	var ix index
	var buf [512]byte
	text, _ := c.scan(msg, &ix, buf[:0])
	if !ix.has(0) {
		return dst, false
	}
	if !bitmapReadable(msg, int(ix.raw[0].end)) {
		return dst, false
	}
	f, ok := factsFromIndex(n, &ix, text)
	if !ok {
		return dst, false
	}
	out, err := appendAnswer(dst, c, &ix, msg, &hdr, &f, &Answer{ResponseCode: "30"})
	if err != nil {
		return dst, false
	}
	return out, true
}

// bitmapReadable reports whether the bitmaps at msg[off:] are all there.
func bitmapReadable(msg []byte, off int) bool {
	return len(msg) >= off+8 && (msg[off]&0x80 == 0 || len(msg) >= off+16)
}

// appendAnswer writes an answer frame from a request's index and bytes.
func appendAnswer(dst []byte, c *codec, ix *index, msg []byte, hdr *VisaHeader, f *reqFacts, a *Answer) ([]byte, error) {
	p, err := planAnswer(f, a)
	if err != nil {
		return dst, err
	}
	start := len(dst)
	n := c.net
	ah := hdr.Answer()
	dst = startFrame(dst, n, &ah)
	if dst, err = appendValue(dst, c.fields[0], p.mti[:]); err != nil {
		return dst[:start], err
	}
	dst = appendBitmaps(dst, &p.fields)
	for w := 0; w < 3; w++ {
		for bm := p.fields[w]; bm != 0; bm &= bm - 1 {
			id := w*64 + bits.TrailingZeros64(bm)
			if id < 2 {
				continue
			}
			if dst, err = appendAnswerField(dst, c, id, ix, msg, &p); err != nil {
				return dst[:start], err
			}
		}
	}
	return finishFrame(dst, start, n)
}

func appendAnswerField(dst []byte, c *codec, id int, ix *index, msg []byte, p *answerPlan) ([]byte, error) {
	l := c.fields[id]
	switch {
	case id == 4 && p.partial:
		return appendValue(dst, l, p.amount[:])
	case id == 6 && p.partial:
		return appendValue(dst, l, p.billing[:])
	case id == 38:
		return appendValue(dst, l, p.authCode)
	case id == 39:
		return appendValue(dst, l, p.code[:])
	case id == 44:
		return appendValue(dst, l, p.text44[:p.len44])
	case id == 48:
		return appendPrefixed(dst, l, encText, p.text48[:p.len48])
	case id == 54:
		return appendValue(dst, l, p.text54[:p.len54])
	case id == 62 && c.net == Visa:
		sp := ix.slotRaw[slotTransactionID]
		return appendBitmapped(dst, l, bitmappedSub{2, msg[sp.off:sp.end]}), nil
	case id == 63 && c.net == Visa && p.hasSTIP:
		var subs [3]bitmappedSub
		k := 0
		if ix.has(63) {
			for _, s := range [2]struct {
				n    int
				slot slot
			}{{1, slotNetworkID}, {3, slotMessageReason}} {
				if ix.hasSlot(s.slot) {
					sp := ix.slotRaw[s.slot]
					subs[k] = bitmappedSub{s.n, msg[sp.off:sp.end]}
					k++
				}
			}
		}
		var stip [2]byte
		packed, _ := appendBCD(stip[:0], p.stip[:], false)
		subs[k] = bitmappedSub{4, packed}
		return appendBitmapped(dst, l, subs[:k+1]...), nil
	}
	sp := ix.raw[id]
	return append(dst, msg[sp.off:sp.end]...), nil
}

// appendBitmaps writes the primary bitmap (and the secondary when a field
// above 64 is present) for a set of fields held as bit id&63 of word id/64.
// On the wire field 1 is the first byte's top bit: reversing a word puts
// field f at bit 63-f, one short of its place, hence the shifts.
func appendBitmaps(dst []byte, fields *[3]uint64) []byte {
	primary := bits.Reverse64(fields[0])<<1 | fields[1]&1
	secondary := bits.Reverse64(fields[1])<<1 | fields[2]&1
	if secondary == 0 {
		return binary.BigEndian.AppendUint64(dst, primary)
	}
	dst = binary.BigEndian.AppendUint64(dst, primary|1<<63)
	return binary.BigEndian.AppendUint64(dst, secondary)
}

// appendValue appends a value field (prefix and encoded characters).
func appendValue[T ~string | ~[]byte](dst []byte, l *layout, v T) ([]byte, error) {
	return appendPrefixed(dst, l, l.enc, v)
}

func appendPrefixed[T ~string | ~[]byte](dst []byte, l *layout, enc encKind, v T) ([]byte, error) {
	n := len(v)
	if n > l.max || n < l.min {
		return dst, fieldErrf(l.id, 0, ErrBadValue, "length")
	}
	var err error
	switch l.pref {
	case prefBinary1:
		dst = append(dst, byte(n))
	case prefEBCDIC2:
		dst, err = appendEBCDICLength(dst, n, 2)
	case prefEBCDIC3:
		dst, err = appendEBCDICLength(dst, n, 3)
	}
	if err != nil {
		return dst, fieldErr(l.id, 0, err)
	}
	switch enc {
	case encBCD:
		dst, err = appendBCD(dst, v, false)
	case encTrack2:
		dst, err = appendBCD(dst, v, true)
	case encText:
		dst, err = appendEBCDIC(dst, v, false)
	case encDigits:
		dst, err = appendEBCDIC(dst, v, true)
	default:
		dst = append(dst, v...)
	}
	if err != nil {
		return dst, fieldErr(l.id, 0, err)
	}
	return dst, nil
}

type bitmappedSub struct {
	n   int
	raw []byte
}

// appendBitmapped writes a Visa bitmapped composite from encoded
// subfields given in ascending order.
func appendBitmapped(dst []byte, l *layout, subs ...bitmappedSub) []byte {
	size := l.bitmapLen
	for _, s := range subs {
		size += len(s.raw)
	}
	dst = append(dst, byte(size))
	bm := len(dst)
	for i := 0; i < l.bitmapLen; i++ {
		dst = append(dst, 0)
	}
	for _, s := range subs {
		dst[bm+(s.n-1)>>3] |= 0x80 >> ((s.n - 1) & 7)
		dst = append(dst, s.raw...)
	}
	return dst
}

// PeekMTI returns the message type of a frame payload (e.g. 810) without
// decoding the rest, so that a session can route answers to its own
// echoes (0810) apart from requests.
func PeekMTI(n Network, payload []byte) (uint16, error) {
	c, err := codecFor(n)
	if err != nil {
		return 0, err
	}
	_, msg, err := splitPayload(n, payload)
	if err != nil {
		return 0, err
	}
	var buf [4]byte
	_, hdr, _ := readLength(c.fields[0], msg)
	text, err := decodeValue(c.fields[0], buf[:0], msg[hdr:], 4)
	if err != nil {
		return 0, fieldErr(FieldMTI, 0, err)
	}
	v, _ := parseDigits(text)
	return uint16(v), nil
}

// EchoAnswer is what the switch needs from an 0810 answering its own echo.
type EchoAnswer struct {
	STAN         uint32  // field 11
	ResponseCode [2]byte // field 39
}

// ParseEchoAnswer reads an 0810's field 11 and 39 so that the session can
// match it with the echo it sent.
func ParseEchoAnswer(n Network, payload []byte) (EchoAnswer, error) {
	var e EchoAnswer
	c, err := codecFor(n)
	if err != nil {
		return e, err
	}
	_, msg, err := splitPayload(n, payload)
	if err != nil {
		return e, err
	}
	var ix index
	var buf [256]byte
	text, err := c.scan(msg, &ix, buf[:0])
	if err != nil {
		return e, err
	}
	if sp := ix.text[0]; string(text[sp.off:sp.end]) != "0810" {
		return e, fieldErr(FieldMTI, 0, ErrUnsupportedMTI)
	}
	if !ix.has(11) {
		return e, fieldErrf(11, 0, ErrBadValue, "missing")
	}
	sp := ix.text[11]
	v, _ := parseDigits(text[sp.off:sp.end])
	e.STAN = uint32(v)
	if ix.has(39) {
		sp = ix.text[39]
		copy(e.ResponseCode[:], text[sp.off:sp.end])
	}
	return e, nil
}

// AppendEcho appends the switch's own echo request: an 0800 with 7 (at, in
// UTC), 11 (stan modulo 1,000,000) and 70 (Visa 301, Mastercard 270). For
// Visa, hdr is the header of the last message the network sent on the
// connection (nil when none): the echo goes to its source from its
// destination, with zeros in the other bytes.
func AppendEcho(dst []byte, n Network, stan uint32, at time.Time, hdr *VisaHeader) []byte {
	c, err := codecFor(n)
	if err != nil {
		return dst
	}
	start := len(dst)
	h := VisaHeader{Format: 0x01, TextFormat: 0x02}
	if hdr != nil {
		h.Destination, h.Source = hdr.Source, hdr.Destination
	}
	dst = startFrame(dst, n, &h)
	var fields [3]uint64
	for _, id := range [...]int{7, 11, 70} {
		fields[id>>6] |= 1 << (id & 63)
	}
	dst, _ = appendValue(dst, c.fields[0], "0800")
	dst = appendBitmaps(dst, &fields)
	var v [10]byte
	t := at.UTC()
	b := appendPadded(v[:0], int64(t.Month()), 2)
	b = appendPadded(b, int64(t.Day()), 2)
	b = appendPadded(b, int64(t.Hour()), 2)
	b = appendPadded(b, int64(t.Minute()), 2)
	b = appendPadded(b, int64(t.Second()), 2)
	dst, _ = appendValue(dst, c.fields[7], b)
	dst, _ = appendValue(dst, c.fields[11], appendPadded(v[:0], int64(stan%1_000_000), 6))
	code := "270"
	if n == Visa {
		code = "301"
	}
	dst, _ = appendValue(dst, c.fields[70], code)
	dst, _ = finishFrame(dst, start, n) // an echo is far below the limit
	return dst
}
