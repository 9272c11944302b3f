package spec

import (
	"slices"
	"strconv"

	"github.com/moov-io/iso8583/encoding"
	"github.com/moov-io/iso8583/prefix"
)

// This file holds the encodings and length prefixes of both networks, as
// plain functions (used by the hot-path codec) and behind moov-io's
// encoding.Encoder and prefix.Prefixer interfaces (used by the specs). One
// definition serves both paths, so the two cannot disagree on a byte.

// appendBCD packs ASCII digits two to a byte, left-padding an odd count with
// a zero nibble. With track2 set, '=' packs as nibble D.
func appendBCD[T ~string | ~[]byte](dst []byte, s T, track2 bool) ([]byte, error) {
	i := 0
	var hi byte
	if len(s)%2 == 1 {
		n, ok := nibbleOf(s[0], track2)
		if !ok {
			return dst, ErrNotNumeric
		}
		dst = append(dst, n)
		i = 1
	}
	for ; i < len(s); i += 2 {
		h, ok1 := nibbleOf(s[i], track2)
		l, ok2 := nibbleOf(s[i+1], track2)
		if !ok1 || !ok2 {
			return dst, ErrNotNumeric
		}
		hi = h<<4 | l
		dst = append(dst, hi)
	}
	return dst, nil
}

func nibbleOf(c byte, track2 bool) (byte, bool) {
	if c >= '0' && c <= '9' {
		return c - '0', true
	}
	if track2 && c == '=' {
		return 0xD, true
	}
	return 0, false
}

// bcdLen is the number of bytes n packed digits take.
func bcdLen(n int) int { return (n + 1) / 2 }

// bcdPairs and trackPairs map a packed byte to its two characters; a zero
// entry marks a byte with a nibble outside the field's set.
var bcdPairs, trackPairs = func() (digits, track [256][2]byte) {
	for b := 0; b < 256; b++ {
		hi, ok1 := charOf(byte(b>>4), false)
		lo, ok2 := charOf(byte(b&0x0F), false)
		if ok1 && ok2 {
			digits[b] = [2]byte{hi, lo}
		}
		hi, ok1 = charOf(byte(b>>4), true)
		lo, ok2 = charOf(byte(b&0x0F), true)
		if ok1 && ok2 {
			track[b] = [2]byte{hi, lo}
		}
	}
	return digits, track
}()

// decodeBCD appends the n digits packed at the start of src to dst as ASCII.
// The pad nibble of an odd count must be zero; with track2 set, nibble D
// decodes as '='.
func decodeBCD(dst, src []byte, n int, track2 bool) ([]byte, error) {
	size := bcdLen(n)
	if len(src) < size {
		return dst, ErrTruncated
	}
	src = src[:size]
	table := &bcdPairs
	if track2 {
		table = &trackPairs
	}
	if n%2 == 1 {
		if src[0]>>4 != 0 {
			return dst, ErrNotNumeric
		}
		c, ok := charOf(src[0]&0x0F, track2)
		if !ok {
			return dst, ErrNotNumeric
		}
		dst = append(dst, c)
		src = src[1:]
	}
	start := len(dst)
	dst = slices.Grow(dst, 2*len(src))[:start+2*len(src)]
	out := dst[start:]
	for i, b := range src {
		p := table[b]
		if p[0] == 0 {
			return dst[:start], ErrNotNumeric
		}
		out[2*i], out[2*i+1] = p[0], p[1]
	}
	return dst, nil
}

func charOf(nibble byte, track2 bool) (byte, bool) {
	if nibble <= 9 {
		return '0' + nibble, true
	}
	if track2 && nibble == 0xD {
		return '=', true
	}
	return 0, false
}

// appendEBCDIC encodes printable ASCII as code page 037; with digits set,
// only '0'–'9' are allowed.
func appendEBCDIC[T ~string | ~[]byte](dst []byte, s T, digits bool) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if digits {
			if c < '0' || c > '9' {
				return dst, ErrNotNumeric
			}
			dst = append(dst, 0xF0|(c-'0'))
			continue
		}
		e := asciiToEBCDIC[c]
		if e == 0 {
			return dst, ErrBadCharacter
		}
		dst = append(dst, e)
	}
	return dst, nil
}

// decodeEBCDIC appends the first n bytes of src to dst as ASCII.
func decodeEBCDIC(dst, src []byte, n int, digits bool) ([]byte, error) {
	if len(src) < n {
		return dst, ErrTruncated
	}
	start := len(dst)
	dst = slices.Grow(dst, n)[:start+n]
	out := dst[start:]
	if digits {
		for i, b := range src[:n] {
			if !isEBCDICDigit(b) {
				return dst[:start], ErrNotNumeric
			}
			out[i] = '0' + b&0x0F
		}
		return dst, nil
	}
	for i, b := range src[:n] {
		a := ebcdicToASCII[b]
		if a == 0 {
			return dst[:start], ErrBadCharacter
		}
		out[i] = a
	}
	return dst, nil
}

// --- moov-io encoders ---

var (
	// bcdEncoder is packed BCD for moov fields; it replaces moov's
	// encoding.BCD, which builds its lookup tables on every call.
	bcdEncoder encoding.Encoder = bcdEncoding{}
	// track2Encoder is Visa's track 2: packed nibbles with '=' as D.
	track2Encoder encoding.Encoder = bcdEncoding{track2: true}
	// textEncoder is EBCDIC code page 037, printable characters only.
	textEncoder encoding.Encoder = ebcdicEncoding{}
	// digitsEncoder is EBCDIC restricted to digits (Mastercard numerics).
	digitsEncoder encoding.Encoder = ebcdicEncoding{digits: true}
	// binaryEncoder passes bytes through (PIN block, bitmaps).
	binaryEncoder encoding.Encoder = binaryEncoding{}
)

type binaryEncoding struct{}

func (binaryEncoding) Encode(src []byte) ([]byte, error) { return append([]byte(nil), src...), nil }

func (binaryEncoding) Decode(src []byte, length int) ([]byte, int, error) {
	if length < 0 {
		return nil, 0, ErrBadLength
	}
	if len(src) < length {
		return nil, 0, ErrTruncated
	}
	return append([]byte(nil), src[:length]...), length, nil
}

type bcdEncoding struct{ track2 bool }

func (e bcdEncoding) Encode(src []byte) ([]byte, error) {
	return appendBCD(make([]byte, 0, bcdLen(len(src))), src, e.track2)
}

func (e bcdEncoding) Decode(src []byte, length int) ([]byte, int, error) {
	if length < 0 {
		return nil, 0, ErrBadLength
	}
	out, err := decodeBCD(make([]byte, 0, length), src, length, e.track2)
	if err != nil {
		return nil, 0, err
	}
	return out, bcdLen(length), nil
}

type ebcdicEncoding struct{ digits bool }

func (e ebcdicEncoding) Encode(src []byte) ([]byte, error) {
	return appendEBCDIC(make([]byte, 0, len(src)), src, e.digits)
}

func (e ebcdicEncoding) Decode(src []byte, length int) ([]byte, int, error) {
	if length < 0 {
		return nil, 0, ErrBadLength
	}
	out, err := decodeEBCDIC(make([]byte, 0, length), src, length, e.digits)
	if err != nil {
		return nil, 0, err
	}
	return out, length, nil
}

// --- moov-io prefixers ---

var (
	fixedLength prefix.Prefixer = fixedPrefixer{}
	// binaryL is Visa's 1-byte binary length (digits, nibbles or bytes, as
	// the field counts). A variable field is never empty.
	binaryL   prefix.Prefixer = binaryPrefixer{min: 1}
	ebcdicLL  prefix.Prefixer = ebcdicPrefixer{digits: 2, min: 1}
	ebcdicLLL prefix.Prefixer = ebcdicPrefixer{digits: 3, min: 1}
	// restOfField takes what is left of the enclosing field, up to the
	// subfield's maximum, and puts nothing on the wire: the parts of a
	// positional field, and Mastercard DE 48's subelement list.
	restOfField prefix.Prefixer = restPrefixer{}
)

// binaryLWithBitmap is the prefix of a bitmapped composite: its length
// counts the bitmap, so anything shorter than the bitmap is malformed.
func binaryLWithBitmap(bitmapLen int) prefix.Prefixer { return binaryPrefixer{min: bitmapLen} }

type fixedPrefixer struct{}

func (fixedPrefixer) EncodeLength(fixLen, dataLen int) ([]byte, error) {
	if dataLen != fixLen {
		return nil, ErrBadLength
	}
	return nil, nil
}

func (fixedPrefixer) DecodeLength(fixLen int, _ []byte) (int, int, error) { return fixLen, 0, nil }
func (fixedPrefixer) Inspect() string                                     { return "Fixed" }

type binaryPrefixer struct{ min int }

func (p binaryPrefixer) EncodeLength(maxLen, dataLen int) ([]byte, error) {
	if dataLen > maxLen || dataLen > 255 {
		return nil, ErrTooLong
	}
	if dataLen < p.min {
		return nil, ErrBadLength
	}
	return []byte{byte(dataLen)}, nil
}

func (p binaryPrefixer) DecodeLength(maxLen int, data []byte) (int, int, error) {
	if len(data) < 1 {
		return 0, 0, ErrTruncated
	}
	n := int(data[0])
	if n > maxLen {
		return 0, 0, ErrTooLong
	}
	if n < p.min {
		return 0, 0, ErrBadLength
	}
	return n, 1, nil
}

func (p binaryPrefixer) Inspect() string { return "Binary.L" }

type ebcdicPrefixer struct{ digits, min int }

func (p ebcdicPrefixer) EncodeLength(maxLen, dataLen int) ([]byte, error) {
	if dataLen > maxLen {
		return nil, ErrTooLong
	}
	if dataLen < p.min {
		return nil, ErrBadLength
	}
	return appendEBCDICLength(nil, dataLen, p.digits)
}

func (p ebcdicPrefixer) DecodeLength(maxLen int, data []byte) (int, int, error) {
	n, err := parseEBCDICLength(data, p.digits)
	if err != nil {
		return 0, 0, err
	}
	if n > maxLen {
		return 0, 0, ErrTooLong
	}
	if n < p.min {
		return 0, 0, ErrBadLength
	}
	return n, p.digits, nil
}

func (p ebcdicPrefixer) Inspect() string { return "EBCDIC." + "LLL"[:p.digits] }

// appendEBCDICLength writes n as digits EBCDIC digits.
func appendEBCDICLength(dst []byte, n, digits int) ([]byte, error) {
	if n < 0 || (digits == 2 && n > 99) || (digits == 3 && n > 999) {
		return dst, ErrTooLong
	}
	if digits == 3 {
		dst = append(dst, 0xF0|byte(n/100))
	}
	return append(dst, 0xF0|byte(n/10%10), 0xF0|byte(n%10)), nil
}

// parseEBCDICLength reads a length of digits EBCDIC digits.
func parseEBCDICLength(data []byte, digits int) (int, error) {
	if len(data) < digits {
		return 0, ErrTruncated
	}
	n := 0
	for _, b := range data[:digits] {
		if !isEBCDICDigit(b) {
			return 0, ErrNotNumeric
		}
		n = n*10 + int(b&0x0F)
	}
	return n, nil
}

type restPrefixer struct{}

func (restPrefixer) EncodeLength(maxLen, dataLen int) ([]byte, error) {
	if dataLen > maxLen {
		return nil, ErrTooLong
	}
	return nil, nil
}

func (restPrefixer) DecodeLength(maxLen int, data []byte) (int, int, error) {
	return min(len(data), maxLen), 0, nil
}

func (restPrefixer) Inspect() string { return "Rest" }

// itoaPad formats v as exactly width digits into dst (v ≥ 0; the caller
// checks the range).
func appendPadded(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	s := strconv.AppendInt(buf[:0], v, 10)
	for i := len(s); i < width; i++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}
