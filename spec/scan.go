package spec

import (
	"encoding/binary"
	"math/bits"
)

// span is a half-open byte range [off, end).
type span struct{ off, end uint32 }

func (s span) len() int { return int(s.end - s.off) }

// index records, for one message, which fields are present, where each one
// sits in the message bytes and where its decoded characters sit in the
// text buffer. The hot path fills it from bytes (scan); the moov path from a
// *iso8583.Message (moov.go). The canonical mapping reads only text, so both
// paths share it.
type index struct {
	present  [3]uint64      // bit i: field i present (0 = MTI)
	raw      [129]span      // encoded field including its length prefix (hot path only)
	text     [129]span      // characters of a value or positional field
	slots    uint32         // bit s: slot s present
	slotRaw  [numSlots]span // encoded subfield value (hot path only)
	slotText [numSlots]span
}

func (ix *index) reset() {
	ix.present = [3]uint64{}
	ix.slots = 0
}

func (ix *index) has(id int) bool { return ix.present[id>>6]&(1<<(id&63)) != 0 }
func (ix *index) set(id int)      { ix.present[id>>6] |= 1 << (id & 63) }

func (ix *index) hasSlot(s slot) bool { return ix.slots&(1<<s) != 0 }

// scan walks a message (MTI, bitmaps, fields in bitmap order), validating
// every field against the codec's layouts, filling ix and appending the
// decoded characters to text. On error, ix holds the fields read before
// the failing one.
func (c *codec) scan(msg []byte, ix *index, text []byte) ([]byte, error) {
	ix.reset()
	off, text, err := c.scanField(c.fields[0], msg, 0, ix, text)
	if err != nil {
		return text, err
	}
	ix.raw[0] = span{0, uint32(off)}
	ix.set(0)
	if len(msg)-off < 8 {
		return text, fieldErr(FieldBitmap, 0, ErrTruncated)
	}
	primary := binary.BigEndian.Uint64(msg[off:])
	off += 8
	var secondary uint64
	if primary&(1<<63) != 0 {
		if len(msg)-off < 8 {
			return text, fieldErr(FieldBitmap, 0, ErrTruncated)
		}
		secondary = binary.BigEndian.Uint64(msg[off:])
		off += 8
		if secondary&(1<<63) != 0 {
			return text, fieldErrf(FieldBitmap, 0, ErrBadBitmap, "third bitmap")
		}
		if secondary == 0 {
			return text, fieldErrf(FieldBitmap, 0, ErrBadBitmap, "empty secondary bitmap")
		}
	}
	words := [2]uint64{primary &^ (1 << 63), secondary}
	for w, bm := range words {
		for bm != 0 {
			lz := bits.LeadingZeros64(bm)
			bm &^= 1 << (63 - lz)
			id := w*64 + lz + 1
			l := c.fields[id]
			if l == nil {
				return text, fieldErr(id, 0, ErrUnknownField)
			}
			start := off
			if l.fixedBytes > 0 {
				// Most fields: fixed length, packed or EBCDIC.
				end := off + l.fixedBytes
				if end > len(msg) {
					return text, fieldErr(id, 0, ErrTruncated)
				}
				t0 := len(text)
				if l.enc == encBCD {
					text, err = decodeBCD(text, msg[off:end], l.max, false)
				} else {
					text, err = decodeEBCDIC(text, msg[off:end], l.max, l.enc == encDigits)
				}
				if err != nil {
					return text, fieldErr(id, 0, err)
				}
				ix.text[id] = span{uint32(t0), uint32(len(text))}
				off = end
			} else if off, text, err = c.scanField(l, msg, off, ix, text); err != nil {
				return text, err
			}
			ix.raw[id] = span{uint32(start), uint32(off)}
			ix.set(id)
		}
	}
	if off != len(msg) {
		return text, fieldErr(FieldMessage, 0, ErrTrailingData)
	}
	return text, nil
}

// readLength decodes a field's length prefix at the start of b: the value's
// length in the layout's units and the prefix's size in bytes.
func readLength(l *layout, b []byte) (n, hdr int, err error) {
	switch l.pref {
	case prefFixed:
		return l.max, 0, nil
	case prefBinary1:
		if len(b) < 1 {
			return 0, 0, ErrTruncated
		}
		n, hdr = int(b[0]), 1
	case prefEBCDIC2, prefEBCDIC3:
		hdr = 2
		if l.pref == prefEBCDIC3 {
			hdr = 3
		}
		if n, err = parseEBCDICLength(b, hdr); err != nil {
			return 0, 0, err
		}
	case prefRest:
		return min(len(b), l.max), 0, nil
	}
	if n > l.max {
		return 0, 0, ErrTooLong
	}
	if n < l.min {
		return 0, 0, ErrBadLength
	}
	return n, hdr, nil
}

// decodeValue appends the n units encoded at the start of b as characters.
func decodeValue(l *layout, text, b []byte, n int) ([]byte, error) {
	switch l.enc {
	case encBCD:
		return decodeBCD(text, b, n, false)
	case encTrack2:
		return decodeBCD(text, b, n, true)
	case encText:
		return decodeEBCDIC(text, b, n, false)
	case encDigits:
		return decodeEBCDIC(text, b, n, true)
	}
	if len(b) < n {
		return text, ErrTruncated
	}
	return text, nil // binary values are not kept as text
}

// scanField reads the field of layout l at msg[off:] and returns the offset
// after it.
func (c *codec) scanField(l *layout, msg []byte, off int, ix *index, text []byte) (int, []byte, error) {
	n, hdr := l.max, 0
	if l.pref != prefFixed {
		var err error
		if n, hdr, err = readLength(l, msg[off:]); err != nil {
			return off, text, fieldErr(l.id, 0, err)
		}
	}
	body := off + hdr
	var err error
	switch l.shape {
	case shapeBitmapped:
		if len(msg)-body < n {
			return off, text, fieldErr(l.id, 0, ErrTruncated)
		}
		text, err = scanBitmapped(l, msg[body:body+n], body, ix, text)
		return body + n, text, err
	case shapeSubelements:
		if len(msg)-body < n {
			return off, text, fieldErr(l.id, 0, ErrTruncated)
		}
		text, err = scanSubelements(l, msg[body:body+n], body, ix, text)
		return body + n, text, err
	}
	t0 := len(text)
	if text, err = decodeValue(l, text, msg[body:], n); err != nil {
		return off, text, fieldErr(l.id, 0, err)
	}
	ix.text[l.id] = span{uint32(t0), uint32(len(text))}
	return body + l.size(n), text, nil
}

// scanBitmapped reads a Visa bitmapped composite's body b (after its length
// byte; base is b's offset in the message).
func scanBitmapped(l *layout, b []byte, base int, ix *index, text []byte) ([]byte, error) {
	// The prefix's minimum guarantees the bitmap is there; bitmaps here
	// are at most 8 bytes, so one word holds it.
	var bm uint64
	for _, x := range b[:l.bitmapLen] {
		bm = bm<<8 | uint64(x)
	}
	bm <<= 64 - 8*uint(l.bitmapLen)
	p := l.bitmapLen
	for ; bm != 0; bm &^= 1 << (63 - bits.LeadingZeros64(bm)) {
		i := bits.LeadingZeros64(bm) + 1
		sub := l.subs[i]
		if sub == nil {
			return text, fieldErr(l.id, i, ErrUnknownField)
		}
		size := sub.size(sub.max)
		t0 := len(text)
		var err error
		if text, err = decodeValue(sub, text, b[p:], sub.max); err != nil {
			return text, fieldErr(l.id, i, err)
		}
		if sub.slot != slotNone {
			ix.slots |= 1 << sub.slot
			ix.slotRaw[sub.slot] = span{uint32(base + p), uint32(base + p + size)}
			ix.slotText[sub.slot] = span{uint32(t0), uint32(len(text))}
		}
		p += size
	}
	if p != len(b) {
		return text, fieldErr(l.id, 0, ErrTrailingData)
	}
	return text, nil
}

// scanSubelements reads Mastercard DE 48's body: the transaction category
// code, then subelements (tag, LL, value) in any order, each at most once.
// Subelements the spec does not define are skipped, as moov keeps them.
func scanSubelements(l *layout, b []byte, base int, ix *index, text []byte) ([]byte, error) {
	t0 := len(text)
	var err error
	if text, err = decodeValue(l.tcc, text, b, 1); err != nil {
		return text, fieldErr(l.id, 0, err)
	}
	if l.tcc.slot != slotNone {
		ix.slots |= 1 << l.tcc.slot
		ix.slotRaw[l.tcc.slot] = span{uint32(base), uint32(base + 1)}
		ix.slotText[l.tcc.slot] = span{uint32(t0), uint32(len(text))}
	}
	var seen [2]uint64
	for p := 1; p < len(b); {
		if len(b)-p < 2 {
			return text, fieldErr(l.id, 0, ErrTruncated)
		}
		if !isEBCDICDigit(b[p]) || !isEBCDICDigit(b[p+1]) {
			return text, fieldErr(l.id, 0, ErrNotNumeric)
		}
		tag := int(b[p]&0x0F)*10 + int(b[p+1]&0x0F)
		p += 2
		n, err := parseEBCDICLength(b[p:], 2)
		if err != nil {
			return text, fieldErr(l.id, tag, err)
		}
		sub := l.subs[tag]
		if n < 1 || (sub != nil && n < sub.min) {
			return text, fieldErr(l.id, tag, ErrBadLength)
		}
		if sub != nil && n > sub.max {
			return text, fieldErr(l.id, tag, ErrTooLong)
		}
		p += 2
		if len(b)-p < n {
			return text, fieldErr(l.id, tag, ErrTruncated)
		}
		if seen[tag>>6]&(1<<(tag&63)) != 0 {
			return text, fieldErrf(l.id, tag, ErrBadValue, "repeated subelement")
		}
		seen[tag>>6] |= 1 << (tag & 63)
		if sub != nil {
			t0 := len(text)
			if text, err = decodeValue(sub, text, b[p:], n); err != nil {
				return text, fieldErr(l.id, tag, err)
			}
			if sub.slot != slotNone {
				ix.slots |= 1 << sub.slot
				ix.slotRaw[sub.slot] = span{uint32(base + p), uint32(base + p + n)}
				ix.slotText[sub.slot] = span{uint32(t0), uint32(len(text))}
			}
		}
		p += n
	}
	return text, nil
}
