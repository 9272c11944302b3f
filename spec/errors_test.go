package spec

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// mutate returns a copy of a vector's payload changed by f, which gets the
// payload and the offset of each field (from a clean decode) in it.
func mutate(t *testing.T, name string, f func(p []byte, at func(id int) int) []byte) (Network, []byte) {
	t.Helper()
	v, _ := decodeVector(t, name)
	payload := append([]byte(nil), v.frame[v.network.PrefixLen():]...)
	var r Request
	if err := DecodeRequest(v.network, payload, &r); err != nil {
		t.Fatal(err)
	}
	base := 0
	if v.network == Visa {
		base = VisaHeaderLen
	}
	at := func(id int) int {
		if !r.ix.has(id) {
			t.Fatalf("%s has no field %d", name, id)
		}
		return base + int(r.ix.raw[id].off)
	}
	return v.network, f(payload, at)
}

var digitRun = regexp.MustCompile(`[0-9]{6,}`)

func TestDecodeErrors(t *testing.T) {
	const visa, mc = "visa_0100_card_not_present", "mastercard_0100_ecommerce"
	const visaChip = "visa_0100_chip"
	tests := []struct {
		name   string
		vector string
		edit   func(p []byte, at func(int) int) []byte
		want   error
		field  int
		sub    int
		// moovWant is what the moov path says when it differs in kind
		// (moov reports some failures in its own terms); nil = same as want.
		moovWant error
	}{
		{"third bitmap", visa, func(p []byte, at func(int) int) []byte {
			p[at(0)+2+8] |= 0x80
			return p
		}, ErrBadBitmap, FieldBitmap, 0, nil},
		{"empty secondary bitmap", visa, func(p []byte, at func(int) int) []byte {
			for i := at(0) + 2 + 8; i < at(0)+2+16; i++ {
				p[i] = 0
			}
			return p
		}, ErrBadBitmap, FieldBitmap, 0, nil},
		{"truncated bitmap", visa, func(p []byte, at func(int) int) []byte {
			return p[:at(0)+2+5]
		}, ErrTruncated, FieldBitmap, 0, nil},
		{"field longer than its maximum (visa 2)", visa, func(p []byte, at func(int) int) []byte {
			p[at(2)] = 20
			return p
		}, ErrTooLong, 2, 0, nil},
		{"field longer than its maximum (mastercard 2)", mc, func(p []byte, at func(int) int) []byte {
			p[at(2)], p[at(2)+1] = 0xF2, 0xF0
			return p
		}, ErrTooLong, 2, 0, nil},
		{"zero-length variable field", visa, func(p []byte, at func(int) int) []byte {
			p[at(32)] = 0
			return p
		}, ErrBadLength, 32, 0, nil},
		{"non-digit in packed numeric", visa, func(p []byte, at func(int) int) []byte {
			p[at(3)] = 0x0A
			return p
		}, ErrNotNumeric, 3, 0, nil},
		{"non-zero pad nibble", visa, func(p []byte, at func(int) int) []byte {
			p[at(19)] |= 0x10
			return p
		}, ErrNotNumeric, 19, 0, nil},
		{"non-digit in EBCDIC numeric", mc, func(p []byte, at func(int) int) []byte {
			p[at(3)] = 0xC1
			return p
		}, ErrNotNumeric, 3, 0, nil},
		{"non-digit in EBCDIC length", mc, func(p []byte, at func(int) int) []byte {
			p[at(2)] = 0x40
			return p
		}, ErrNotNumeric, 2, 0, nil},
		{"bad track 2 nibble", visaChip, func(p []byte, at func(int) int) []byte {
			p[at(35)+1] = 0xAB
			return p
		}, ErrNotNumeric, 35, 0, nil},
		{"unprintable EBCDIC", visa, func(p []byte, at func(int) int) []byte {
			p[at(41)] = 0x00
			return p
		}, ErrBadCharacter, 41, 0, nil},
		{"truncated composite (visa 126)", visa, func(p []byte, at func(int) int) []byte {
			return p[:len(p)-2]
		}, ErrTruncated, 126, 0, nil},
		{"composite shorter than its bitmap", visa, func(p []byte, at func(int) int) []byte {
			p[at(63)] = 2
			return p
		}, ErrBadLength, 63, 0, nil},
		{"composite with bytes after its subfields", visa, func(p []byte, at func(int) int) []byte {
			p[at(63)]--
			return p
		}, ErrTruncated, 63, 1, nil},
		{"truncated composite (mastercard 48)", mc, func(p []byte, at func(int) int) []byte {
			return p[:at(48)+8]
		}, ErrTruncated, 48, 0, nil},
		{"truncated subelement", mc, func(p []byte, at func(int) int) []byte {
			// DE 48 is "017" T 61 05 10000 92 03 047: drop its last byte
			// and say 016, so that SE 92 runs past the field's end.
			d := at(48)
			p[d+2] = 0xF6
			return append(p[:d+3+16:d+3+16], p[d+3+17:]...)
		}, ErrTruncated, 48, 92, nil},
		{"subelement longer than its maximum", mc, func(p []byte, at func(int) int) []byte {
			p[at(48)+3+1+2+1] = 0xF6 // SE 61 length 06 > 5
			return p
		}, ErrTooLong, 48, 61, nil},
		{"zero-length subelement", mc, func(p []byte, at func(int) int) []byte {
			p[at(48)+3+1+2+1] = 0xF0
			return p
		}, ErrBadLength, 48, 61, nil},
		{"repeated subelement", mc, func(p []byte, at func(int) int) []byte {
			p[at(48)+3+1+9] = 0xF6 // tag 92 → 62? keep unknown: make it 61 again
			p[at(48)+3+1+9+1] = 0xF1
			return p
		}, ErrBadValue, 48, 61, ErrTrailingData},
		{"non-digit subelement tag", mc, func(p []byte, at func(int) int) []byte {
			p[at(48)+3+1] = 0xC1
			return p
		}, ErrNotNumeric, 48, 0, nil},
		{"unknown field present", visa, func(p []byte, at func(int) int) []byte {
			p[at(0)+2] |= 0x08 // field 5
			return p
		}, ErrUnknownField, 5, 0, nil},
		{"unknown subfield present", visa, func(p []byte, at func(int) int) []byte {
			p[at(63)+1] |= 0x40 // 63.2
			return p
		}, ErrUnknownField, 63, 2, nil},
		{"data after the last field", visa, func(p []byte, at func(int) int) []byte {
			return append(p, 0x00)
		}, ErrTrailingData, FieldMessage, 0, nil},
		{"reject header", visa, func(p []byte, at func(int) int) []byte {
			p[1] |= 0x80
			return p
		}, ErrRejectHeader, FieldMessage, 0, nil},
		{"unsupported MTI", visa, func(p []byte, at func(int) int) []byte {
			p[at(0)] = 0x02
			return p
		}, ErrUnsupportedMTI, FieldMTI, 0, nil},
		{"truncated MTI", mc, func(p []byte, at func(int) int) []byte {
			return p[:3]
		}, ErrTruncated, FieldMTI, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, payload := mutate(t, tt.vector, tt.edit)
			var r Request
			err := DecodeRequest(n, payload, &r)
			checkFieldError(t, "hot path", err, tt.want, tt.field, tt.sub)

			m, err := Unpack(n, payload)
			if err == nil {
				_, err = FromMessage(n, m)
			}
			want := tt.want
			if tt.moovWant != nil {
				want = tt.moovWant
			}
			checkFieldError(t, "moov", err, want, -2, 0)
		})
	}
}

// checkFieldError asserts a *FieldError wrapping want, at field (unless
// -2), whose text holds no run of digits that could be card data.
func checkFieldError(t *testing.T, path string, err, want error, field, sub int) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", path, err, want)
		return
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Errorf("%s: %T is not a *FieldError", path, err)
		return
	}
	if field != -2 && (fe.Field != field || fe.Sub != sub) {
		t.Errorf("%s: error at %d.%d, want %d.%d", path, fe.Field, fe.Sub, field, sub)
	}
	if s := err.Error(); digitRun.MatchString(s) || strings.Contains(s, "4111") || strings.Contains(s, "5555") {
		t.Errorf("%s: error text may carry card data: %q", path, s)
	}
}

// moov's own error texts quote values; the scrubbed errors never do.
func TestMoovErrorsAreScrubbed(t *testing.T) {
	n, payload := mutate(t, "visa_0100_chip", func(p []byte, at func(int) int) []byte {
		return p[:at(35)+10] // inside track 2
	})
	_, err := Unpack(n, payload)
	if err == nil {
		t.Fatal("truncated track 2 accepted")
	}
	checkFieldError(t, "moov", err, ErrTruncated, 35, 0)
}
