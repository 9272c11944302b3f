package spec

import (
	"encoding/binary"
)

// Framing (shared/wire-spec.md §1–2). Visa: LL LL 00 00, where LL LL is the
// length of the 22-byte BASE I header plus the message, and a frame of
// length 0 is a keep-alive. Mastercard: LL LL, the length of the message.

const (
	// VisaHeaderLen is the length of the BASE I header.
	VisaHeaderLen = 22
	// DefaultMaxFrame is the default largest frame length accepted (the
	// length in the prefix: for Visa header + message).
	DefaultMaxFrame = 8 << 10
)

// PrefixLen is the size of the network's length prefix.
func (n Network) PrefixLen() int {
	if n == Visa {
		return 4
	}
	return 2
}

// FrameKind says what NextFrame found.
type FrameKind uint8

const (
	// FrameNeedMore: the buffer holds no whole frame yet; read more.
	FrameNeedMore FrameKind = iota
	// FrameMessage: Payload is one frame's payload.
	FrameMessage
	// FrameKeepAlive: a zero-length frame. Visa's keep-alive is answered
	// with the same four bytes (AppendKeepAlive); Mastercard defines none,
	// so a zero-length frame is reported for the session to skip unanswered.
	FrameKeepAlive
	// FrameOversized: the frame is longer than the maximum; consumed covers
	// what of it the buffer holds and Discard says how many more bytes of
	// it are still to come and must be dropped.
	FrameOversized
)

// Frame is one result of NextFrame.
type Frame struct {
	Kind FrameKind
	// Payload (FrameMessage) aliases the caller's buffer: Visa, the BASE I
	// header and the message; Mastercard, the message.
	Payload []byte
	// Length is the frame's length as its prefix says.
	Length int
	// Discard (FrameOversized) is the number of bytes of the frame beyond
	// the buffer, to drop from the stream before the next frame.
	Discard int
}

// NextFrame finds the first frame in buf. It never allocates and never
// reads past a frame: consumed is how many bytes of buf the frame took (0
// when more bytes are needed). max is the largest frame length accepted
// (DefaultMaxFrame when ≤ 0). An error means the stream has lost its
// framing (Visa bytes 3–4 not zero): close the connection.
func (n Network) NextFrame(buf []byte, max int) (frame Frame, consumed int, err error) {
	if max <= 0 {
		max = DefaultMaxFrame
	}
	p := n.PrefixLen()
	if len(buf) < p {
		return Frame{Kind: FrameNeedMore}, 0, nil
	}
	length := int(binary.BigEndian.Uint16(buf))
	if n == Visa && (buf[2] != 0 || buf[3] != 0) {
		return Frame{}, 0, fieldErr(FieldMessage, 0, ErrBadFrame)
	}
	if length == 0 {
		return Frame{Kind: FrameKeepAlive}, p, nil
	}
	total := p + length
	if length > max {
		consumed = min(total, len(buf))
		return Frame{Kind: FrameOversized, Length: length, Discard: total - consumed}, consumed, nil
	}
	if len(buf) < total {
		return Frame{Kind: FrameNeedMore, Length: length}, 0, nil
	}
	return Frame{Kind: FrameMessage, Payload: buf[p:total:total], Length: length}, total, nil
}

// AppendLengthPrefix appends the prefix of a frame whose payload (Visa:
// header + message) is payloadLen bytes.
func (n Network) AppendLengthPrefix(dst []byte, payloadLen int) ([]byte, error) {
	if payloadLen < 0 || payloadLen > 0xFFFF {
		return dst, fieldErrf(FieldMessage, 0, ErrTooLong, "frame length")
	}
	dst = append(dst, byte(payloadLen>>8), byte(payloadLen))
	if n == Visa {
		dst = append(dst, 0, 0)
	}
	return dst, nil
}

// AppendKeepAlive appends a keep-alive frame (Visa: 00 00 00 00).
func (n Network) AppendKeepAlive(dst []byte) []byte {
	if n == Visa {
		return append(dst, 0, 0, 0, 0)
	}
	return append(dst, 0, 0)
}

// StationID is a BASE I station id: six digits packed in three bytes.
type StationID [3]byte

// String returns the six digits.
func (s StationID) String() string {
	out, err := decodeBCD(make([]byte, 0, 6), s[:], 6, false)
	if err != nil {
		return "??????"
	}
	return string(out)
}

// ParseStationID packs six digits.
func ParseStationID(digits string) (StationID, error) {
	var s StationID
	if len(digits) != 6 {
		return s, fieldErrf(FieldMessage, 0, ErrBadValue, "station id must be 6 digits")
	}
	if _, err := appendBCD(s[:0], digits, false); err != nil {
		return s, fieldErrf(FieldMessage, 0, err, "station id")
	}
	return s, nil
}

// VisaHeader is the 22-byte BASE I header (wire-spec §2).
type VisaHeader struct {
	Format       byte // byte 1: 0x01; bit 0x80 marks a reject header
	TextFormat   byte // byte 2: 0x02
	TotalLength  uint16
	Destination  StationID // bytes 5–7: the issuer's station in a request from Visa
	Source       StationID // bytes 8–10: Visa's station in a request
	RoundTrip    byte      // byte 11
	BaseIFlags   [2]byte   // bytes 12–13
	MessageFlags [3]byte   // bytes 14–16
	Batch        byte      // byte 17
	Reserved     [3]byte   // bytes 18–20
	UserInfo     byte      // byte 21
}

// IsReject reports whether the header is a reject header.
func (h *VisaHeader) IsReject() bool { return h.Format&0x80 != 0 }

// ParseVisaHeader reads the header at the start of a Visa frame payload. A
// reject header gives ErrRejectHeader (with the header filled in); a header
// whose length byte is not 22, ErrBadHeader.
func ParseVisaHeader(payload []byte) (VisaHeader, error) {
	var h VisaHeader
	if len(payload) < 2 {
		return h, fieldErrf(FieldMessage, 0, ErrTruncated, "BASE I header")
	}
	h.Format = payload[1]
	if h.IsReject() {
		return h, fieldErr(FieldMessage, 0, ErrRejectHeader)
	}
	if payload[0] != VisaHeaderLen {
		return h, fieldErr(FieldMessage, 0, ErrBadHeader)
	}
	if len(payload) < VisaHeaderLen {
		return h, fieldErrf(FieldMessage, 0, ErrTruncated, "BASE I header")
	}
	h.TextFormat = payload[2]
	h.TotalLength = binary.BigEndian.Uint16(payload[3:])
	copy(h.Destination[:], payload[5:8])
	copy(h.Source[:], payload[8:11])
	h.RoundTrip = payload[11]
	copy(h.BaseIFlags[:], payload[12:14])
	copy(h.MessageFlags[:], payload[14:17])
	h.Batch = payload[17]
	copy(h.Reserved[:], payload[18:21])
	h.UserInfo = payload[21]
	return h, nil
}

// splitPayload separates a frame payload into the BASE I header (Visa) and
// the message.
func splitPayload(n Network, payload []byte) (VisaHeader, []byte, error) {
	if n != Visa {
		return VisaHeader{}, payload, nil
	}
	h, err := ParseVisaHeader(payload)
	if err != nil {
		return h, nil, err
	}
	return h, payload[VisaHeaderLen:], nil
}

// startFrame appends a frame's length prefix (zero for now) and, for Visa,
// the header h; finishFrame sets the lengths once the message is appended.
func startFrame(dst []byte, n Network, h *VisaHeader) []byte {
	dst = n.AppendKeepAlive(dst)
	if n == Visa {
		dst = h.AppendTo(dst, 0)
	}
	return dst
}

// finishFrame fills in the lengths of the frame that starts at dst[start].
func finishFrame(dst []byte, start int, n Network) ([]byte, error) {
	payload := len(dst) - start - n.PrefixLen()
	if payload > 0xFFFF {
		return dst[:start], fieldErrf(FieldMessage, 0, ErrTooLong, "frame")
	}
	binary.BigEndian.PutUint16(dst[start:], uint16(payload))
	if n == Visa {
		binary.BigEndian.PutUint16(dst[start+n.PrefixLen()+3:], uint16(payload)) // header bytes 3–4
	}
	return dst, nil
}

// Answer returns the header of the answer to a request carrying h: stations
// swapped, reserved bytes zero, everything else echoed. The total length is
// set when the answer is appended.
func (h *VisaHeader) Answer() VisaHeader {
	a := *h
	a.Destination, a.Source = h.Source, h.Destination
	a.Reserved = [3]byte{}
	return a
}

// AppendTo appends the header with its total length set to total (header +
// message).
func (h *VisaHeader) AppendTo(dst []byte, total int) []byte {
	return append(dst,
		VisaHeaderLen, h.Format, h.TextFormat, byte(total>>8), byte(total),
		h.Destination[0], h.Destination[1], h.Destination[2],
		h.Source[0], h.Source[1], h.Source[2],
		h.RoundTrip, h.BaseIFlags[0], h.BaseIFlags[1],
		h.MessageFlags[0], h.MessageFlags[1], h.MessageFlags[2],
		h.Batch, h.Reserved[0], h.Reserved[1], h.Reserved[2], h.UserInfo)
}
