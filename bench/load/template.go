package load

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/authswitch/authswitch/spec"
)

// Field is a field of a request template that varies per request.
type Field uint8

// The varying fields.
const (
	FieldSTAN         Field = iota // 11
	FieldTransmission              // 7, MMDDhhmmss
	FieldRRN                       // 37
	FieldTransaction               // Visa 62.2 / Mastercard DE 63 Banknet reference
	FieldAcquirer                  // 32, six digits, one value per connection
	FieldPAN                       // 2, sixteen digits
	FieldExpiry                    // 14
	FieldTrack2                    // 35, PAN=YYMM + service code + discretionary data
	FieldCVV2                      // Visa 126.10 value / Mastercard DE 48 SE 92
	numFields
)

var fieldNames = [numFields]string{"STAN", "transmission time", "RRN", "transaction id", "acquirer", "PAN", "expiry", "track 2", "CVV2"}

func (f Field) String() string { return fieldNames[f] }

// Fixed shapes of the varying fields.
const (
	PANDigits    = 16
	track2Chars  = PANDigits + 1 + 4 + 3 + 1 + 4 + 3 + 2 // PAN = YYMM SSS PVKI PVV CVV 00
	acquirerLen  = 6
	visaTxnLen   = 15
	banknetLen   = 9
	rrnLen       = 12
	stanLen      = 6
	transmitLen  = 10
	expiryLen    = 4
	cvvLen       = 3
	maxFrameSize = 1024
)

// Packer packs a canonical request into a whole frame: length prefix, the
// Visa header for Visa, the message.
type Packer func(n spec.Network, a *spec.Authorization) ([]byte, error)

// Template is a request frame packed once, with where each varying field
// sits. It is read-only once built and safe for concurrent use.
type Template struct {
	Network     spec.Network
	frame       []byte
	at          [numFields]span
	serviceCode string // of the track 2 it carries
}

type span struct{ off, width int } // width 0: the template has no such field

// Has reports whether the template carries the field.
func (t *Template) Has(f Field) bool { return t.at[f].width > 0 }

// Len returns the frame length.
func (t *Template) Len() int { return len(t.frame) }

// ErrTemplate is wrapped by every error building a template.
var ErrTemplate = errors.New("load: request template")

// NewTemplate packs base and finds its varying fields by packing it again
// with each field set to two values that differ in every character: the
// bytes that change are the field. base must carry a 16-digit PAN, a
// six-digit acquirer id, and, when present, a track 2 of the standard
// layout (see Values).
func NewTemplate(pack Packer, base *spec.Authorization) (*Template, error) {
	frame, err := pack(base.Network, base)
	if err != nil {
		return nil, fmt.Errorf("%w: pack: %w", ErrTemplate, err)
	}
	if len(frame) > maxFrameSize {
		return nil, fmt.Errorf("%w: frame of %d bytes", ErrTemplate, len(frame))
	}
	t := &Template{Network: base.Network, frame: frame, serviceCode: base.ServiceCode}
	for f := Field(0); f < numFields; f++ {
		a, b, present, err := variants(base, f)
		if err != nil {
			return nil, err
		}
		if !present {
			continue
		}
		fa, err := pack(a.Network, a)
		if err != nil {
			return nil, fmt.Errorf("%w: pack with %v changed: %w", ErrTemplate, f, err)
		}
		fb, err := pack(b.Network, b)
		if err != nil {
			return nil, fmt.Errorf("%w: pack with %v changed: %w", ErrTemplate, f, err)
		}
		if len(fa) != len(frame) || len(fb) != len(frame) {
			return nil, fmt.Errorf("%w: %v changes the frame length", ErrTemplate, f)
		}
		first, last := -1, -1
		for i := range fa {
			if fa[i] != fb[i] {
				if first < 0 {
					first = i
				}
				last = i
			}
		}
		want := width(base.Network, f)
		if first < 0 || last-first+1 != want {
			return nil, fmt.Errorf("%w: %v spans %d bytes, want %d", ErrTemplate, f, last-first+1, want)
		}
		t.at[f] = span{first, want}
	}
	if t.Has(FieldTrack2) && !t.Has(FieldPAN) {
		return nil, fmt.Errorf("%w: track 2 without a PAN", ErrTemplate)
	}
	// The patcher's own encoders must reproduce spec's bytes exactly.
	v := valuesOf(base)
	got := t.Append(nil, &v)
	if !bytes.Equal(got, frame) {
		return nil, fmt.Errorf("%w: patching the base values does not give the packed frame", ErrTemplate)
	}
	return t, nil
}

// variants returns two copies of base differing in every character of f,
// or present false when base has no such field.
func variants(base *spec.Authorization, f Field) (a, b *spec.Authorization, present bool, err error) {
	ca, cb := *base, *base
	set := func(cur string, n int, fn func(*spec.Authorization, string)) {
		if cur == "" {
			return
		}
		present = true
		if len(cur) != n {
			err = fmt.Errorf("%w: %v is %d characters, want %d", ErrTemplate, f, len(cur), n)
			return
		}
		fn(&ca, strings.Repeat("1", n))
		fn(&cb, strings.Repeat("2", n))
	}
	switch f {
	case FieldSTAN:
		set(base.STAN, stanLen, func(x *spec.Authorization, s string) { x.STAN = s })
	case FieldTransmission:
		set(base.TransmissionTime, transmitLen, func(x *spec.Authorization, s string) { x.TransmissionTime = s })
	case FieldRRN:
		set(base.RRN, rrnLen, func(x *spec.Authorization, s string) { x.RRN = s })
	case FieldTransaction:
		n := visaTxnLen
		if base.Network == spec.Mastercard {
			n = banknetLen
		}
		set(base.TransactionID, n, func(x *spec.Authorization, s string) { x.TransactionID = s })
	case FieldAcquirer:
		set(base.AcquirerID, acquirerLen, func(x *spec.Authorization, s string) { x.AcquirerID = s })
	case FieldPAN:
		set(base.PAN, PANDigits, func(x *spec.Authorization, s string) { x.PAN = s })
	case FieldExpiry:
		set(base.Expiry, expiryLen, func(x *spec.Authorization, s string) { x.Expiry = s })
	case FieldTrack2:
		set(base.Track2, track2Chars, func(x *spec.Authorization, s string) {
			x.Track2 = s[:PANDigits] + "=" + s[PANDigits+1:]
			x.ServiceCode = s[:3]
			x.TrackCVV = s[:3]
		})
	case FieldCVV2:
		if base.CVV2Present {
			set(base.CVV2, cvvLen, func(x *spec.Authorization, s string) { x.CVV2 = s })
		}
	}
	return &ca, &cb, present, err
}

// width is the number of bytes a field's value takes on the wire.
func width(n spec.Network, f Field) int {
	chars := map[Field]int{
		FieldSTAN: stanLen, FieldTransmission: transmitLen, FieldRRN: rrnLen, FieldAcquirer: acquirerLen,
		FieldPAN: PANDigits, FieldExpiry: expiryLen, FieldTrack2: track2Chars, FieldCVV2: cvvLen,
		FieldTransaction: banknetLen,
	}[f]
	if n == spec.Mastercard {
		return chars // EBCDIC: a byte a character
	}
	switch f {
	case FieldRRN, FieldCVV2:
		return chars // Visa text fields are EBCDIC too
	case FieldTransaction:
		return (visaTxnLen + 1) / 2
	}
	return (chars + 1) / 2 // packed BCD and track 2 nibbles
}

// Values are the varying fields of one request, as ASCII in fixed arrays
// so that filling them allocates nothing.
type Values struct {
	STAN         [stanLen]byte
	Transmission [transmitLen]byte
	RRN          [rrnLen]byte
	Transaction  [visaTxnLen]byte // Mastercard uses the first banknetLen
	Acquirer     [acquirerLen]byte
	PAN          [PANDigits]byte
	Expiry       [expiryLen]byte
	CVV2         [cvvLen]byte
	TrackCVV     [cvvLen]byte
}

func valuesOf(a *spec.Authorization) Values {
	var v Values
	copy(v.STAN[:], a.STAN)
	copy(v.Transmission[:], a.TransmissionTime)
	copy(v.RRN[:], a.RRN)
	copy(v.Transaction[:], a.TransactionID)
	copy(v.Acquirer[:], a.AcquirerID)
	copy(v.PAN[:], a.PAN)
	copy(v.Expiry[:], a.Expiry)
	if a.Expiry == "" && len(a.Track2) >= PANDigits+5 {
		copy(v.Expiry[:], a.Track2[PANDigits+1:])
	}
	copy(v.CVV2[:], a.CVV2)
	copy(v.TrackCVV[:], a.TrackCVV)
	return v
}

// Append appends the template's frame with v written into every varying
// field it carries. It allocates only when dst lacks room.
func (t *Template) Append(dst []byte, v *Values) []byte {
	base := len(dst)
	dst = append(dst, t.frame...)
	out := dst[base:]
	put := func(f Field, ascii []byte) {
		s := t.at[f]
		if s.width == 0 {
			return
		}
		w := out[s.off : s.off+s.width]
		switch {
		case t.Network == spec.Mastercard || f == FieldRRN || f == FieldCVV2:
			putEBCDIC(w, ascii)
		case f == FieldTrack2:
			putTrack2Nibbles(w, ascii)
		default:
			putBCD(w, ascii)
		}
	}
	put(FieldSTAN, v.STAN[:])
	put(FieldTransmission, v.Transmission[:])
	put(FieldRRN, v.RRN[:])
	if t.Network == spec.Mastercard {
		put(FieldTransaction, v.Transaction[:banknetLen])
	} else {
		put(FieldTransaction, v.Transaction[:])
	}
	put(FieldAcquirer, v.Acquirer[:])
	put(FieldPAN, v.PAN[:])
	put(FieldExpiry, v.Expiry[:])
	put(FieldCVV2, v.CVV2[:])
	if t.Has(FieldTrack2) {
		var tr [track2Chars]byte
		copy(tr[:], v.PAN[:])
		tr[PANDigits] = '='
		copy(tr[PANDigits+1:], v.Expiry[:])
		copy(tr[PANDigits+5:], t.serviceCode)
		copy(tr[PANDigits+8:], "10000") // PIN verification key index and an unused PVV
		copy(tr[PANDigits+13:], v.TrackCVV[:])
		copy(tr[PANDigits+16:], "00")
		put(FieldTrack2, tr[:])
	}
	return dst
}
