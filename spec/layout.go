package spec

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/field"
)

// The hot-path codec does not interpret moov's field objects per message:
// at start-up it compiles each MessageSpec into a table of layouts (how
// long, how encoded, which subfields) and checks that every field is one of
// the shapes it knows. A spec that uses anything else fails compilation, so
// the two codecs cannot silently drift apart.

type encKind uint8

const (
	encBCD    encKind = iota + 1 // packed digits
	encTrack2                    // packed nibbles with D as '='
	encText                      // EBCDIC code page 037, printable characters
	encDigits                    // EBCDIC digits
	encBinary                    // bytes
)

type prefKind uint8

const (
	prefFixed   prefKind = iota // no prefix: the field's length is its maximum
	prefBinary1                 // 1-byte binary length
	prefEBCDIC2                 // 2 EBCDIC digits
	prefEBCDIC3                 // 3 EBCDIC digits
	prefRest                    // the rest of the enclosing field
)

type shape uint8

const (
	shapePrimitive   shape = iota // a value (positional composites compile to this)
	shapeBitmapped                // Visa 62/63/126: bitmap then fixed subfields
	shapeSubelements              // Mastercard DE 48: TCC then tagged subelements
)

// slot names a subfield the canonical mapping reads.
type slot int8

const (
	slotNone           slot = -1
	slotACI            slot = iota - 1 // Visa 62.1
	slotTransactionID                  // Visa 62.2
	slotValidationCode                 // Visa 62.3
	slotNetworkID                      // Visa 63.1
	slotMessageReason                  // Visa 63.3
	slotSTIPReason                     // Visa 63.4
	slotCVV2Data                       // Visa 126.10
	slotTCC                            // Mastercard DE 48 transaction category code
	slotPOSExtended                    // Mastercard DE 48 SE 61
	slotTraceID                        // Mastercard DE 48 SE 63
	slotCVCResult                      // Mastercard DE 48 SE 87
	slotCVC2                           // Mastercard DE 48 SE 92
	numSlots
)

type layout struct {
	id        int // field number, or subfield/subelement number inside a composite
	enc       encKind
	pref      prefKind
	max, min  int // in the field's units: digits/nibbles for packed, bytes otherwise
	shape     shape
	bitmapLen int
	subs      []*layout // bitmapped: by subfield number; subelements: by tag (0–99)
	tcc       *layout   // subelements: the leading transaction category code
	slot      slot
	// fixedBytes is the encoded size of a fixed packed or EBCDIC value,
	// which the scanner reads inline; 0 for every other field.
	fixedBytes int
}

// size is the number of bytes n units of this layout's encoding take.
func (l *layout) size(n int) int {
	if l.enc == encBCD || l.enc == encTrack2 {
		return bcdLen(n)
	}
	return n
}

// codec is a compiled message spec.
type codec struct {
	net    Network
	spec   *iso8583.MessageSpec
	fields [129]*layout // 0 = MTI
}

type slotBinding struct {
	field, sub int // sub 0 = the TCC of DE 48
	slot       slot
}

var (
	visaSlots = []slotBinding{
		{62, 1, slotACI}, {62, 2, slotTransactionID}, {62, 3, slotValidationCode},
		{63, 1, slotNetworkID}, {63, 3, slotMessageReason}, {63, 4, slotSTIPReason},
		{126, 10, slotCVV2Data},
	}
	mastercardSlots = []slotBinding{
		{48, 0, slotTCC}, {48, 61, slotPOSExtended}, {48, 63, slotTraceID},
		{48, 87, slotCVCResult}, {48, 92, slotCVC2},
	}
)

var (
	visaCodec, visaCodecErr             = compile(Visa, visaSpec, visaSlots)
	mastercardCodec, mastercardCodecErr = compile(Mastercard, mastercardSpec, mastercardSlots)
)

func codecFor(n Network) (*codec, error) {
	switch n {
	case Visa:
		return visaCodec, visaCodecErr
	case Mastercard:
		return mastercardCodec, mastercardCodecErr
	}
	return nil, fmt.Errorf("spec: unknown network %d: %w", n, ErrBadValue)
}

func compile(n Network, ms *iso8583.MessageSpec, slots []slotBinding) (*codec, error) {
	if err := ms.Validate(); err != nil {
		return nil, fmt.Errorf("spec %s: %w", ms.Name, err)
	}
	c := &codec{net: n, spec: ms}
	for id, f := range ms.Fields {
		if id < 0 || id > 128 {
			return nil, fmt.Errorf("spec %s: field %d out of range", ms.Name, id)
		}
		if id == 1 {
			if err := checkBitmap(f, 8, false); err != nil {
				return nil, fmt.Errorf("spec %s: bitmap: %w", ms.Name, err)
			}
			continue
		}
		l, err := compileField(id, f)
		if err != nil {
			return nil, fmt.Errorf("spec %s: field %d: %w", ms.Name, id, err)
		}
		c.fields[id] = l
	}
	mti := c.fields[0]
	if mti == nil || mti.shape != shapePrimitive || mti.pref != prefFixed || mti.max != 4 ||
		(mti.enc != encBCD && mti.enc != encDigits) {
		return nil, fmt.Errorf("spec %s: MTI must be 4 fixed digits", ms.Name)
	}
	for _, b := range slots {
		f := c.fields[b.field]
		if f == nil {
			return nil, fmt.Errorf("spec %s: slot field %d missing", ms.Name, b.field)
		}
		var sub *layout
		switch {
		case f.shape == shapeSubelements && b.sub == 0:
			sub = f.tcc
		case f.shape != shapePrimitive && b.sub < len(f.subs):
			sub = f.subs[b.sub]
		}
		if sub == nil {
			return nil, fmt.Errorf("spec %s: slot %d.%d missing", ms.Name, b.field, b.sub)
		}
		sub.slot = b.slot
	}
	return c, nil
}

func checkBitmap(f field.Field, length int, fixed bool) error {
	bm, ok := f.(*field.Bitmap)
	if !ok {
		return fmt.Errorf("not a bitmap")
	}
	s := bm.Spec()
	if s.Length != length || s.Enc != binaryEncoder || s.Pref != fixedLength || s.DisableAutoExpand != fixed {
		return fmt.Errorf("bitmap must be %d binary bytes (auto expand %v)", length, !fixed)
	}
	return nil
}

func compileField(id int, f field.Field) (*layout, error) {
	s := f.Spec()
	l := &layout{id: id, slot: slotNone}
	switch f.(type) {
	case *field.String, *field.Binary:
		if s.Pad != nil || s.Packer != nil || s.Unpacker != nil {
			return nil, fmt.Errorf("padding and custom packers are not supported")
		}
		switch e := s.Enc.(type) {
		case bcdEncoding:
			l.enc = encBCD
			if e.track2 {
				l.enc = encTrack2
			}
		case ebcdicEncoding:
			l.enc = encText
			if e.digits {
				l.enc = encDigits
			}
		case binaryEncoding:
			l.enc = encBinary
		default:
			return nil, fmt.Errorf("unsupported encoder %T", s.Enc)
		}
		if _, bin := f.(*field.Binary); bin != (l.enc == encBinary) {
			return nil, fmt.Errorf("binary fields need the binary encoder")
		}
		if err := compilePrefix(l, s); err != nil {
			return nil, err
		}
		if l.pref == prefFixed && (l.enc == encBCD || l.enc == encText || l.enc == encDigits) {
			l.fixedBytes = l.size(l.max)
		}
		return l, nil
	case *field.Composite:
		switch {
		case s.Bitmap != nil:
			return compileBitmapped(l, s)
		case s.Tag != nil && s.Tag.Enc == nil:
			return compilePositional(l, s)
		}
	}
	return nil, fmt.Errorf("unsupported field type %T", f)
}

func compilePrefix(l *layout, s *field.Spec) error {
	l.max = s.Length
	switch p := s.Pref.(type) {
	case fixedPrefixer:
		l.pref, l.min = prefFixed, s.Length
	case binaryPrefixer:
		l.pref, l.min = prefBinary1, p.min
		if s.Length > 255 {
			return fmt.Errorf("1-byte length with maximum %d", s.Length)
		}
	case ebcdicPrefixer:
		switch p.digits {
		case 2:
			l.pref = prefEBCDIC2
		case 3:
			l.pref = prefEBCDIC3
		default:
			return fmt.Errorf("EBCDIC length of %d digits", p.digits)
		}
		l.min = p.min
	case restPrefixer:
		l.pref, l.min = prefRest, 0
	default:
		return fmt.Errorf("unsupported prefixer %T", s.Pref)
	}
	if l.max <= 0 || l.min < 0 {
		return fmt.Errorf("bad length %d", l.max)
	}
	return nil
}

func compileBitmapped(l *layout, s *field.Spec) (*layout, error) {
	bm := s.Bitmap.Spec().Length
	if err := checkBitmap(s.Bitmap, bm, true); err != nil {
		return nil, err
	}
	if bm < 1 || bm > 8 {
		return nil, fmt.Errorf("composite bitmap of %d bytes (1 to 8 supported)", bm)
	}
	if err := compilePrefix(l, s); err != nil {
		return nil, err
	}
	if l.pref != prefBinary1 || l.min != bm {
		return nil, fmt.Errorf("bitmapped composite needs a 1-byte length of at least its bitmap")
	}
	l.shape, l.bitmapLen = shapeBitmapped, bm
	l.subs = make([]*layout, bm*8+1)
	for key, sf := range s.Subfields {
		n, err := strconv.Atoi(key)
		if err != nil || n < 1 || n > bm*8 {
			return nil, fmt.Errorf("subfield %q outside the bitmap", key)
		}
		sub, err := compileField(n, sf)
		if err != nil {
			return nil, fmt.Errorf("subfield %d: %w", n, err)
		}
		if sub.shape != shapePrimitive || sub.pref != prefFixed {
			return nil, fmt.Errorf("subfield %d: only fixed subfields are supported", n)
		}
		l.subs[n] = sub
	}
	return l, nil
}

// compilePositional turns a composite of consecutive parts into a single
// value of the parts' encoding; Mastercard DE 48 (TCC then subelements) is
// the one positional composite with a composite inside.
func compilePositional(l *layout, s *field.Spec) (*layout, error) {
	if err := compilePrefix(l, s); err != nil {
		return nil, err
	}
	keys := make([]int, 0, len(s.Subfields))
	for key := range s.Subfields {
		n, err := strconv.Atoi(key)
		if err != nil || strconv.Itoa(n) != key {
			return nil, fmt.Errorf("part %q is not a position", key)
		}
		keys = append(keys, n)
	}
	slices.Sort(keys)
	if inner, ok := s.Subfields["2"].(*field.Composite); ok && len(keys) == 2 {
		return compileSubelements(l, s.Subfields["1"], inner)
	}
	variable := l.pref != prefFixed
	pos := 1
	for _, k := range keys {
		sub, err := compileField(k, s.Subfields[strconv.Itoa(k)])
		if err != nil {
			return nil, fmt.Errorf("part %d: %w", k, err)
		}
		if k != pos {
			return nil, fmt.Errorf("part %d does not start at position %d", k, pos)
		}
		if sub.shape != shapePrimitive || (sub.enc != encText && sub.enc != encDigits) {
			return nil, fmt.Errorf("part %d: only EBCDIC parts are supported", k)
		}
		if l.enc == 0 {
			l.enc = sub.enc
		} else if l.enc != sub.enc {
			return nil, fmt.Errorf("part %d: parts must share one encoding", k)
		}
		if variable != (sub.pref == prefRest) || (!variable && sub.pref != prefFixed) {
			return nil, fmt.Errorf("part %d: a variable field's parts take the rest, a fixed field's are fixed", k)
		}
		pos += sub.max
	}
	if pos-1 != l.max {
		return nil, fmt.Errorf("parts cover %d positions of %d", pos-1, l.max)
	}
	return l, nil
}

func compileSubelements(l *layout, tcc field.Field, inner *field.Composite) (*layout, error) {
	t, err := compileField(0, tcc)
	if err != nil {
		return nil, fmt.Errorf("transaction category code: %w", err)
	}
	if t.enc != encText || t.pref != prefFixed || t.max != 1 {
		return nil, fmt.Errorf("transaction category code must be 1 fixed character")
	}
	if l.pref != prefEBCDIC3 || l.min < 1 {
		return nil, fmt.Errorf("subelement field needs an LLL length of at least 1")
	}
	is := inner.Spec()
	tag := is.Tag
	if is.Pref != restOfField || is.Length != l.max-1 || tag.Length != 2 || tag.Enc != digitsEncoder ||
		tag.Pad != nil || !tag.SkipUnknownTLVTags || !tag.StoreUnknownTLVTags || tag.PrefUnknownTLV != ebcdicLL {
		return nil, fmt.Errorf("subelements must be the rest of the field, tagged by 2 EBCDIC digits with LL lengths, unknown ones kept")
	}
	l.shape, l.tcc = shapeSubelements, t
	t.slot = slotNone
	l.subs = make([]*layout, 100)
	for key, sf := range is.Subfields {
		n, err := strconv.Atoi(key)
		if err != nil || len(key) != 2 {
			return nil, fmt.Errorf("subelement %q is not a 2-digit tag", key)
		}
		sub, err := compileField(n, sf)
		if err != nil {
			return nil, fmt.Errorf("subelement %s: %w", key, err)
		}
		if sub.shape != shapePrimitive || sub.pref != prefEBCDIC2 || sub.enc != encText || sub.min < 1 {
			return nil, fmt.Errorf("subelement %s must be EBCDIC text with an LL length", key)
		}
		l.subs[n] = sub
	}
	return l, nil
}
