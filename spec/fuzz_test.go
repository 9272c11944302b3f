package spec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets for both framers (one target, the first byte picks the
// network), both decoders and the two codecs against each other. Seeds:
// every golden vector, whole, truncated and with a byte changed.

func netOf(b byte) Network {
	if b&1 == 0 {
		return Visa
	}
	return Mastercard
}

func netByte(n Network) byte {
	if n == Visa {
		return 0
	}
	return 1
}

// seedVectors adds each vector's payload (and cut and changed copies) as
// (network byte, payload) seeds.
func seedVectors(f *testing.F, add func(net byte, payload []byte)) {
	dir := filepath.Join("testdata", "vectors")
	vs, err := loadVectors(os.DirFS(dir), ".")
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vs {
		p := v.frame[v.network.PrefixLen():]
		nb := netByte(v.network)
		add(nb, p)
		for _, cut := range []int{1, 2, len(p) / 3, len(p) / 2, len(p) - 1} {
			add(nb, p[:len(p)-cut])
		}
		changed := append([]byte(nil), p...)
		changed[len(changed)/2] ^= 0xFF
		add(nb, changed)
	}
}

func FuzzNextFrame(f *testing.F) {
	vs, err := loadVectors(os.DirFS(filepath.Join("testdata", "vectors")), ".")
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range vs {
		stream := append(append([]byte{}, v.frame...), v.network.AppendKeepAlive(nil)...)
		stream = append(stream, v.frame[:len(v.frame)/2]...)
		f.Add(netByte(v.network), stream, uint16(0), uint8(7))
		f.Add(netByte(v.network), stream, uint16(64), uint8(1))
	}
	f.Fuzz(func(t *testing.T, nb byte, stream []byte, max uint16, chunk uint8) {
		n := netOf(nb)
		// Whole stream at once.
		var whole [][]byte
		buf := stream
		for steps := 0; steps <= len(stream); steps++ {
			fr, consumed, err := n.NextFrame(buf, int(max))
			if err != nil {
				if !errors.Is(err, ErrBadFrame) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if consumed < 0 || consumed > len(buf) {
				t.Fatalf("consumed %d of %d", consumed, len(buf))
			}
			if fr.Kind == FrameNeedMore {
				if consumed != 0 {
					t.Fatalf("need more but consumed %d", consumed)
				}
				break
			}
			if consumed == 0 {
				t.Fatalf("kind %d consumed nothing", fr.Kind)
			}
			switch fr.Kind {
			case FrameMessage:
				if len(fr.Payload) != fr.Length || consumed != n.PrefixLen()+fr.Length {
					t.Fatalf("payload %d, length %d, consumed %d", len(fr.Payload), fr.Length, consumed)
				}
				whole = append(whole, fr.Payload)
			case FrameOversized:
				limit := int(max)
				if limit <= 0 {
					limit = DefaultMaxFrame
				}
				if fr.Length <= limit || consumed+fr.Discard != n.PrefixLen()+fr.Length {
					t.Fatalf("oversized %+v consumed %d", fr, consumed)
				}
				if fr.Discard > 0 {
					buf = nil
					continue
				}
			}
			buf = buf[consumed:]
		}
		// The same stream in chunks gives the same frames.
		if chunk == 0 {
			chunk = 1
		}
		var pending []byte
		var split [][]byte
		var discard int
		for i := 0; i < len(stream); i += int(chunk) {
			in := stream[i:min(i+int(chunk), len(stream))]
			if discard > 0 {
				d := min(discard, len(in))
				discard -= d
				in = in[d:]
			}
			pending = append(pending, in...)
			for {
				fr, consumed, err := n.NextFrame(pending, int(max))
				if err != nil || fr.Kind == FrameNeedMore {
					break
				}
				if fr.Kind == FrameMessage {
					split = append(split, append([]byte(nil), fr.Payload...))
				}
				discard = fr.Discard
				pending = pending[consumed:]
			}
		}
		if len(split) != len(whole) {
			t.Fatalf("%d frames in chunks of %d, %d whole", len(split), chunk, len(whole))
		}
		for i := range split {
			if !bytes.Equal(split[i], whole[i]) {
				t.Fatalf("frame %d differs when split", i)
			}
		}
	})
}

func FuzzDecodeRequest(f *testing.F) {
	seedVectors(f, func(nb byte, p []byte) { f.Add(nb, p) })
	var r Request
	f.Fuzz(func(t *testing.T, nb byte, payload []byte) {
		n := netOf(nb)
		err := DecodeRequest(n, payload, &r)
		// A length field cannot make the decoder hold more than the frame.
		if len(r.text) > 2*len(payload)+64 || len(r.msg) > len(payload) {
			t.Fatalf("text %d for a payload of %d", len(r.text), len(payload))
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%T is not a FieldError: %v", err, err)
			}
			if digitRun.MatchString(err.Error()) {
				t.Fatalf("error text carries digits: %q", err)
			}
			if out, ok := AppendFormatError(nil, n, payload); ok {
				fr, _, ferr := n.NextFrame(out, 0xFFFF)
				if ferr != nil || fr.Kind != FrameMessage {
					t.Fatalf("format error answer is not a frame")
				}
				if _, err := Unpack(n, fr.Payload); err != nil {
					t.Fatalf("format error answer does not decode: %v", err)
				}
			}
			return
		}
		out, err := AppendAnswer(nil, &r, &Answer{ResponseCode: "05"})
		if err != nil {
			t.Fatalf("answer: %v", err)
		}
		fr, _, ferr := n.NextFrame(out, 0xFFFF)
		if ferr != nil || fr.Kind != FrameMessage {
			t.Fatalf("answer is not a frame")
		}
		if _, err := Unpack(n, fr.Payload); err != nil {
			t.Fatalf("answer does not decode: %v", err)
		}
	})
}

func FuzzUnpack(f *testing.F) {
	seedVectors(f, func(nb byte, p []byte) { f.Add(nb, p) })
	f.Fuzz(func(t *testing.T, nb byte, payload []byte) {
		n := netOf(nb)
		m, err := Unpack(n, payload)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || digitRun.MatchString(err.Error()) {
				t.Fatalf("unscrubbed error %T: %q", err, err)
			}
			return
		}
		// What decodes re-encodes to the same bytes.
		var hdr *VisaHeader
		body := payload
		if n == Visa {
			h, _ := ParseVisaHeader(payload)
			hdr = &h
			body = payload[VisaHeaderLen:]
		}
		packed, err := m.Pack()
		if err != nil || !bytes.Equal(packed, body) {
			t.Fatalf("re-encodes differently: %v", err)
		}
		if _, err := PackFrame(n, m, hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := FromMessage(n, m); err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%T: %v", err, err)
			}
		}
	})
}

// answerFromFuzz derives a decision from fuzz input.
func answerFromFuzz(code uint8, flags uint8, amount int64) Answer {
	codes := []string{"00", "10", "85", "05", "51", "N7", "30", "9"}
	results := []byte{0, 'M', 'N', 'P'}
	a := Answer{ResponseCode: codes[int(code)%len(codes)], AuthCode: "AB12CD"}
	if flags&1 != 0 {
		a.Partial = true
		a.ApprovedAmount = amount % 1_000_000
		a.RequestedAmount = amount % 10_000_000
		a.ApprovedBilling = amount % 500_000
	}
	if flags&2 != 0 {
		a.HasBalances = true
		a.LedgerBalance = amount%2_000_000 - 1_000_000
		a.Available = amount % 3_000_000
		a.BalanceCurrency = uint16(flags) * 7
	}
	a.CVV2Result = results[flags>>2&3]
	a.CVVResult = results[flags>>4&3]
	if flags&0x40 != 0 {
		a.STIPReason = "9020"
	}
	if flags&0x80 != 0 {
		a.AuthCode = ""
	}
	return a
}

// FuzzDifferential holds the hot path to the moov path: the same bytes
// decode on both or on neither, to the same canonical value, and the same
// request and decision give the same answer bytes.
func FuzzDifferential(f *testing.F) {
	seedVectors(f, func(nb byte, p []byte) { f.Add(nb, p, uint8(0), uint8(0), int64(0)) })
	seedVectors(f, func(nb byte, p []byte) { f.Add(nb, p, uint8(1), uint8(0xFF), int64(123456789)) })
	var r Request
	f.Fuzz(func(t *testing.T, nb byte, payload []byte, code, flags uint8, amount int64) {
		if amount < 0 {
			amount = -amount
		}
		if amount < 0 {
			amount = 0
		}
		n := netOf(nb)
		fastErr := DecodeRequest(n, payload, &r)
		m, moovErr := Unpack(n, payload)
		var moovAuth Authorization
		if moovErr == nil {
			moovAuth, moovErr = FromMessage(n, m)
		}
		if (fastErr == nil) != (moovErr == nil) {
			t.Fatalf("hot path err %v, moov err %v", fastErr, moovErr)
		}
		if fastErr != nil {
			return
		}
		if r.Authorization != moovAuth {
			t.Fatalf("canonical values differ\nfast %+v\nmoov %+v", r.Authorization, moovAuth)
		}
		a := answerFromFuzz(code, flags, amount)
		fast, fastErr := AppendAnswer(nil, &r, &a)
		am, moovErr := BuildAnswer(n, m, &a)
		var slow []byte
		if moovErr == nil {
			h := r.Header.Answer()
			slow, moovErr = PackFrame(n, am, &h)
		}
		if (fastErr == nil) != (moovErr == nil) {
			t.Fatalf("answer: hot path err %v, moov err %v", fastErr, moovErr)
		}
		if fastErr == nil && !bytes.Equal(fast, slow) {
			t.Fatalf("answers differ\nfast %x\nmoov %x", fast, slow)
		}
	})
}
