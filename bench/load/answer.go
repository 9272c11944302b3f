package load

import (
	"errors"
	"fmt"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/prefix"

	"github.com/authswitch/authswitch/spec"
)

// The load loop reads four things from each answer: its MTI, STAN (11), RRN
// (37) and response code (39). spec's hot-path decoder takes requests only,
// and the moov path costs tens of microseconds, so the loop walks the
// answer's bitmap itself, using the length prefixes and encodings of spec's
// own message specs (taken from spec.Spec at start-up): it knows no field
// format of its own.

// ErrAnswer is wrapped by every error reading an answer.
var ErrAnswer = errors.New("load: unreadable answer")

// answerInfo is what the loop needs from an answer.
type answerInfo struct {
	mti  uint16
	stan uint32
	rrn  [rrnLen]byte
	code [2]byte
	has  uint8 // hasSTAN | hasRRN | hasCode
}

const (
	hasSTAN = 1 << iota
	hasRRN
	hasCode
)

// answerReader walks answers of one network.
type answerReader struct {
	network spec.Network
	mtiBCD  bool
	fields  [40]fieldShape // 2..39; beyond 39 nothing is read
}

type fieldShape struct {
	known  bool
	max    int
	pref   prefix.Prefixer
	nibble bool // length counts digits packed two a byte
}

func newAnswerReader(n spec.Network) (*answerReader, error) {
	ms, err := spec.Spec(n)
	if err != nil {
		return nil, fmt.Errorf("load: answer reader: %w", err)
	}
	r := &answerReader{network: n}
	mti, err := shapeOf(ms, 0)
	if err != nil {
		return nil, err
	}
	r.mtiBCD = mti.nibble
	for id := 2; id < len(r.fields); id++ {
		if _, ok := ms.Fields[id]; !ok {
			continue
		}
		if r.fields[id], err = shapeOf(ms, id); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func shapeOf(ms *iso8583.MessageSpec, id int) (fieldShape, error) {
	s := ms.Fields[id].Spec()
	if s.Enc == nil || s.Pref == nil {
		return fieldShape{}, fmt.Errorf("load: answer reader: field %d is a composite", id)
	}
	probe, err := s.Enc.Encode([]byte("12"))
	if err != nil {
		return fieldShape{}, fmt.Errorf("load: answer reader: field %d: %w", id, err)
	}
	return fieldShape{known: true, max: s.Length, pref: s.Pref, nibble: len(probe) == 1}, nil
}

// read walks payload (Visa: BASE I header + message) up to field 39.
func (r *answerReader) read(payload []byte, out *answerInfo) error {
	*out = answerInfo{}
	msg := payload
	if r.network == spec.Visa {
		if len(payload) < spec.VisaHeaderLen {
			return fmt.Errorf("%w: short header", ErrAnswer)
		}
		msg = payload[spec.VisaHeaderLen:]
	}
	off := 4
	if r.mtiBCD {
		off = 2
	}
	if len(msg) < off+8 {
		return fmt.Errorf("%w: truncated", ErrAnswer)
	}
	out.mti = uint16(digitsValue(msg[:off], 4, r.mtiBCD))
	bitmap := msg[off : off+8]
	off += 8
	if bitmap[0]&0x80 != 0 {
		off += 8 // the secondary bitmap: fields above 64 are not read
	}
	for id := 2; id <= 39; id++ {
		if bitmap[(id-1)>>3]&(0x80>>((id-1)&7)) == 0 {
			continue
		}
		sh := &r.fields[id]
		if !sh.known {
			return fmt.Errorf("%w: field %d not in the spec", ErrAnswer, id)
		}
		if off > len(msg) {
			return fmt.Errorf("%w: truncated before field %d", ErrAnswer, id)
		}
		n, hdr, err := sh.pref.DecodeLength(sh.max, msg[off:])
		if err != nil {
			return fmt.Errorf("%w: field %d length", ErrAnswer, id)
		}
		size := n
		if sh.nibble {
			size = (n + 1) / 2
		}
		start := off + hdr
		end := start + size
		if end > len(msg) {
			return fmt.Errorf("%w: truncated in field %d", ErrAnswer, id)
		}
		v := msg[start:end]
		switch id {
		case 11:
			out.stan = uint32(digitsValue(v, n, sh.nibble))
			out.has |= hasSTAN
		case 37:
			if len(v) == rrnLen {
				for i, b := range v {
					out.rrn[i] = ascii[b]
				}
				out.has |= hasRRN
			}
		case 39:
			if len(v) == 2 {
				out.code = [2]byte{ascii[v[0]], ascii[v[1]]}
				out.has |= hasCode
			}
		}
		off = end
	}
	return nil
}

// digitsValue reads n digits: packed BCD (left-padded when odd) or EBCDIC.
// Non-digits read as zero; the caller checks what matters.
func digitsValue(v []byte, n int, nibble bool) uint64 {
	var x uint64
	if !nibble {
		for _, b := range v {
			x = x*10 + uint64(b&0x0F)
		}
		return x
	}
	skip := len(v)*2 - n // the pad nibble
	for i := skip; i < len(v)*2; i++ {
		d := v[i/2]
		if i%2 == 0 {
			d >>= 4
		}
		x = x*10 + uint64(d&0x0F)
	}
	return x
}

// ascii maps the EBCDIC code page 037 digits, upper-case letters and space
// back to ASCII; anything else reads as '?'.
var ascii = func() (t [256]byte) {
	for i := range t {
		t[i] = '?'
	}
	for c := 0; c < 256; c++ {
		if e := ebcdic[c]; e != 0 {
			t[e] = byte(c)
		}
	}
	return t
}()
