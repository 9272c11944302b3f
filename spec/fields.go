package spec

import (
	"strconv"

	"github.com/moov-io/iso8583/field"
	"github.com/moov-io/iso8583/prefix"
	"github.com/moov-io/iso8583/sort"
)

// Builders for the field specs of visa.go and mastercard.go. Each returns a
// moov-io field whose encoder and prefixer are ours (codecs.go); the
// hot-path codec compiles the same specs into its own tables (layout.go),
// so a field is defined once.

// part is one named part of a positional field: its first position
// (1-based), width in characters and name (the names the golden vectors
// use; "" for a fixed separator).
type part struct {
	pos   int
	width int
	name  string
}

func partsWidth(parts []part) int {
	n := 0
	for _, p := range parts {
		n += p.width
	}
	return n
}

func bcdFixed(n int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: n, Description: desc, Enc: bcdEncoder, Pref: fixedLength})
}

func bcdL(max int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: max, Description: desc, Enc: bcdEncoder, Pref: binaryL})
}

func track2L(max int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: max, Description: desc, Enc: track2Encoder, Pref: binaryL})
}

func textFixed(n int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: n, Description: desc, Enc: textEncoder, Pref: fixedLength})
}

func textL(max int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: max, Description: desc, Enc: textEncoder, Pref: binaryL})
}

func textLL(max int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: max, Description: desc, Enc: textEncoder, Pref: ebcdicLL})
}

func textLLL(max int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: max, Description: desc, Enc: textEncoder, Pref: ebcdicLLL})
}

func digitsFixed(n int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: n, Description: desc, Enc: digitsEncoder, Pref: fixedLength})
}

func digitsLL(max int, desc string) field.Field {
	return field.NewString(&field.Spec{Length: max, Description: desc, Enc: digitsEncoder, Pref: ebcdicLL})
}

func binaryFixed(n int, desc string) field.Field {
	return field.NewBinary(&field.Spec{Length: n, Description: desc, Enc: binaryEncoder, Pref: fixedLength})
}

// messageBitmap is the primary bitmap; a set bit 1 brings the secondary.
func messageBitmap() field.Field {
	return field.NewBitmap(&field.Spec{Length: 8, Description: "Bitmap", Enc: binaryEncoder, Pref: fixedLength})
}

// positional is a field made of consecutive EBCDIC parts. A fixed field
// (fixed = true) has exactly the parts' width; a variable one carries its
// length in pref and may end after any position, so each part takes what is
// left of the field up to its width.
func positional(desc string, parts []part, fixed bool, digits bool, pref prefix.Prefixer) field.Field {
	enc := textEncoder
	if digits {
		enc = digitsEncoder
	}
	subs := make(map[string]field.Field, len(parts))
	for _, p := range parts {
		s := &field.Spec{Length: p.width, Description: p.name, Enc: enc, Pref: fixedLength}
		if !fixed {
			s.Pref = restOfField
		}
		subs[strconv.Itoa(p.pos)] = field.NewString(s)
	}
	return field.NewComposite(&field.Spec{
		Length:      partsWidth(parts),
		Description: desc,
		Pref:        pref,
		Tag:         &field.TagSpec{Sort: sort.StringsByInt},
		Subfields:   subs,
	})
}

// bitmapped is a Visa composite: a 1-byte length (counting the bitmap),
// a bitmap of bitmapLen bytes, then the subfields whose bits are set.
func bitmapped(desc string, bitmapLen int, subs map[string]field.Field) field.Field {
	return field.NewComposite(&field.Spec{
		Length:      255,
		Description: desc,
		Pref:        binaryLWithBitmap(bitmapLen),
		Bitmap: field.NewBitmap(&field.Spec{
			Length: bitmapLen, Description: desc + " bitmap",
			Enc: binaryEncoder, Pref: fixedLength, DisableAutoExpand: true,
		}),
		Subfields: subs,
	})
}
