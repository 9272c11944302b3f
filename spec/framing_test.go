package spec

import (
	"bytes"
	"errors"
	"testing"
)

func TestNextFrame(t *testing.T) {
	visaMsg := append([]byte{0x00, 0x05, 0x00, 0x00}, "hello"...)
	mcMsg := append([]byte{0x00, 0x05}, "hello"...)
	tests := []struct {
		name     string
		n        Network
		buf      []byte
		max      int
		kind     FrameKind
		consumed int
		payload  string
		discard  int
		err      error
	}{
		{"visa empty", Visa, nil, 0, FrameNeedMore, 0, "", 0, nil},
		{"visa partial prefix", Visa, []byte{0, 5, 0}, 0, FrameNeedMore, 0, "", 0, nil},
		{"visa keep-alive", Visa, []byte{0, 0, 0, 0, 0, 5}, 0, FrameKeepAlive, 4, "", 0, nil},
		{"visa partial frame", Visa, visaMsg[:7], 0, FrameNeedMore, 0, "", 0, nil},
		{"visa frame", Visa, visaMsg, 0, FrameMessage, 9, "hello", 0, nil},
		{"visa frame then more", Visa, append(append([]byte{}, visaMsg...), 0, 0), 0, FrameMessage, 9, "hello", 0, nil},
		{"visa bad prefix", Visa, []byte{0, 5, 0, 1, 'h', 'e', 'l', 'l', 'o'}, 0, 0, 0, "", 0, ErrBadFrame},
		{"visa oversized, partly read", Visa, visaMsg[:6], 4, FrameOversized, 6, "", 3, nil},
		{"visa oversized, whole", Visa, visaMsg, 4, FrameOversized, 9, "", 0, nil},
		{"mc partial prefix", Mastercard, []byte{0}, 0, FrameNeedMore, 0, "", 0, nil},
		{"mc zero length", Mastercard, []byte{0, 0}, 0, FrameKeepAlive, 2, "", 0, nil},
		{"mc frame", Mastercard, mcMsg, 0, FrameMessage, 7, "hello", 0, nil},
		{"mc partial frame", Mastercard, mcMsg[:6], 0, FrameNeedMore, 0, "", 0, nil},
		{"mc oversized", Mastercard, mcMsg[:3], 4, FrameOversized, 3, "", 4, nil},
		{"mc at max", Mastercard, mcMsg, 5, FrameMessage, 7, "hello", 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, consumed, err := tt.n.NextFrame(tt.buf, tt.max)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Kind != tt.kind || consumed != tt.consumed || string(f.Payload) != tt.payload || f.Discard != tt.discard {
				t.Errorf("got kind %d consumed %d payload %q discard %d, want %d %d %q %d",
					f.Kind, consumed, f.Payload, f.Discard, tt.kind, tt.consumed, tt.payload, tt.discard)
			}
		})
	}
}

// A stream of frames read a byte at a time comes out whole and in order.
func TestNextFrameSplitStream(t *testing.T) {
	vs, err := loadVectors(vectorFS(t), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []Network{Visa, Mastercard} {
		var stream []byte
		var want [][]byte
		for _, v := range vs {
			if v.network != n {
				continue
			}
			stream = append(stream, v.frame...)
			want = append(want, v.frame[n.PrefixLen():])
			stream = n.AppendKeepAlive(stream)
		}
		var got [][]byte
		var pending []byte
		keepAlives := 0
		for _, b := range stream {
			pending = append(pending, b)
			for {
				f, consumed, err := n.NextFrame(pending, 0)
				if err != nil {
					t.Fatal(err)
				}
				if f.Kind == FrameNeedMore {
					break
				}
				switch f.Kind {
				case FrameMessage:
					got = append(got, append([]byte(nil), f.Payload...))
				case FrameKeepAlive:
					keepAlives++
				default:
					t.Fatalf("unexpected frame kind %d", f.Kind)
				}
				pending = pending[consumed:]
			}
		}
		if len(got) != len(want) || keepAlives != len(want) || len(pending) != 0 {
			t.Fatalf("%v: %d frames, %d keep-alives, %d left; want %d", n, len(got), keepAlives, len(pending), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Errorf("%v frame %d differs", n, i)
			}
		}
	}
}

func TestLengthPrefix(t *testing.T) {
	b, err := Visa.AppendLengthPrefix(nil, 0x0102)
	if err != nil || !bytes.Equal(b, []byte{1, 2, 0, 0}) {
		t.Errorf("visa prefix %x %v", b, err)
	}
	b, err = Mastercard.AppendLengthPrefix([]byte{9}, 0x0102)
	if err != nil || !bytes.Equal(b, []byte{9, 1, 2}) {
		t.Errorf("mastercard prefix %x %v", b, err)
	}
	if _, err := Mastercard.AppendLengthPrefix(nil, 0x10000); !errors.Is(err, ErrTooLong) {
		t.Errorf("oversized prefix: %v", err)
	}
	if got := Visa.AppendKeepAlive(nil); !bytes.Equal(got, []byte{0, 0, 0, 0}) {
		t.Errorf("keep-alive %x", got)
	}
}

func TestVisaHeader(t *testing.T) {
	v, _ := decodeVector(t, "visa_0100_card_not_present")
	payload := v.frame[4:]
	h, err := ParseVisaHeader(payload)
	if err != nil {
		t.Fatal(err)
	}
	if h.Destination.String() != "000001" || h.Source.String() != "000002" || int(h.TotalLength) != len(payload) {
		t.Errorf("header %+v", h)
	}
	if got := h.AppendTo(nil, len(payload)); !bytes.Equal(got, payload[:VisaHeaderLen]) {
		t.Errorf("AppendTo %x, want %x", got, payload[:VisaHeaderLen])
	}
	h.Reserved = [3]byte{1, 2, 3}
	h.RoundTrip, h.UserInfo = 7, 9
	a := h.Answer()
	if a.Destination != h.Source || a.Source != h.Destination || a.Reserved != [3]byte{} ||
		a.RoundTrip != 7 || a.UserInfo != 9 {
		t.Errorf("answer header %+v", a)
	}

	reject := append([]byte(nil), payload...)
	reject[1] = 0x81
	if _, err := ParseVisaHeader(reject); !errors.Is(err, ErrRejectHeader) {
		t.Errorf("reject header: %v", err)
	}
	bad := append([]byte(nil), payload...)
	bad[0] = 0x17
	if _, err := ParseVisaHeader(bad); !errors.Is(err, ErrBadHeader) {
		t.Errorf("bad header: %v", err)
	}
	if _, err := ParseVisaHeader(payload[:10]); !errors.Is(err, ErrTruncated) {
		t.Errorf("short header: %v", err)
	}
	if _, err := ParseStationID("12345"); !errors.Is(err, ErrBadValue) {
		t.Errorf("short station: %v", err)
	}
	if _, err := ParseStationID("12a456"); !errors.Is(err, ErrNotNumeric) {
		t.Errorf("non-digit station: %v", err)
	}
}
