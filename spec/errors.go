package spec

import (
	"errors"
	"strconv"
	"strings"

	iso8583errors "github.com/moov-io/iso8583/errors"
)

// Sentinel errors. Every error the codec returns wraps one of these (inside
// a *FieldError that says where), so callers can count and classify bad
// input with errors.Is. None of them, and no FieldError, ever carries
// message bytes or card data.
var (
	// ErrTruncated: the message ends inside a field, a prefix or a header.
	ErrTruncated = errors.New("truncated")
	// ErrBadBitmap: the bitmap announces a third bitmap (bit 65).
	ErrBadBitmap = errors.New("bad bitmap")
	// ErrUnknownField: a field or subfield is present that the spec does not define.
	ErrUnknownField = errors.New("field not defined in the spec")
	// ErrTooLong: a length prefix or a value exceeds the field's maximum.
	ErrTooLong = errors.New("longer than the field's maximum")
	// ErrNotNumeric: a non-digit in a numeric field or length prefix, or a
	// non-zero pad nibble.
	ErrNotNumeric = errors.New("non-digit in a numeric field")
	// ErrBadCharacter: a byte outside the printable characters of code page 037.
	ErrBadCharacter = errors.New("character outside the field's character set")
	// ErrBadLength: a variable field shorter than its minimum (zero length),
	// or a fixed field given a value of the wrong length.
	ErrBadLength = errors.New("bad length")
	// ErrTrailingData: bytes follow the last field of a message or composite.
	ErrTrailingData = errors.New("data after the last field")
	// ErrRejectHeader: the BASE I header has the reject bit (0x80) set in its
	// format byte; the switch counts it and answers nothing.
	ErrRejectHeader = errors.New("BASE I reject header")
	// ErrBadHeader: the BASE I header is malformed (length byte not 22).
	ErrBadHeader = errors.New("malformed BASE I header")
	// ErrUnsupportedMTI: a message type the codec does not decode or answer.
	ErrUnsupportedMTI = errors.New("unsupported message type")
	// ErrBadFrame: a Visa frame prefix whose bytes 3-4 are not zero; the
	// stream has lost its framing and the connection should be closed.
	ErrBadFrame = errors.New("malformed frame prefix")
	// ErrBadValue: a canonical value or answer that cannot be put on the
	// wire (wrong length, out of range, unknown code).
	ErrBadValue = errors.New("invalid value")
	// ErrMalformed: the reference (moov) decoder rejected the message for a
	// reason none of the other sentinels names.
	ErrMalformed = errors.New("malformed message")
	// ErrNotDecoded: AppendAnswer was given a Request whose decode failed.
	ErrNotDecoded = errors.New("request was not decoded")
)

// Field numbers used in FieldError for things that are not data elements.
const (
	FieldMessage = -1 // the message as a whole (trailing data, header, frame)
	FieldMTI     = 0
	FieldBitmap  = 1
)

// FieldError says which field (and subfield) of a message is wrong and why.
// It never holds message bytes or card data: Reason is a fixed text.
type FieldError struct {
	Field  int    // data element number; FieldMTI, FieldBitmap or FieldMessage otherwise
	Sub    int    // subfield or subelement number; 0 when none
	Reason string // fixed text, safe to log
	Err    error  // one of the sentinels above
}

func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString("spec: ")
	switch e.Field {
	case FieldMessage:
		b.WriteString("message")
	case FieldMTI:
		b.WriteString("MTI")
	case FieldBitmap:
		b.WriteString("bitmap")
	default:
		b.WriteString("field ")
		b.WriteString(strconv.Itoa(e.Field))
		if e.Sub != 0 {
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(e.Sub))
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field, sub int, err error) *FieldError {
	return &FieldError{Field: field, Sub: sub, Reason: err.Error(), Err: err}
}

func fieldErrf(field, sub int, err error, reason string) *FieldError {
	return &FieldError{Field: field, Sub: sub, Reason: err.Error() + ": " + reason, Err: err}
}

var sentinels = []error{
	ErrTruncated, ErrBadBitmap, ErrUnknownField, ErrTooLong, ErrNotNumeric,
	ErrBadCharacter, ErrBadLength, ErrTrailingData, ErrRejectHeader, ErrBadHeader,
	ErrUnsupportedMTI, ErrBadFrame, ErrBadValue,
}

// scrubMoovError turns an error from moov-io/iso8583 into a *FieldError.
// moov's UnpackError carries the raw message and its texts may quote field
// values, so nothing of the original error text survives: the field path
// comes from UnpackError.FieldIDs and the reason from our own sentinels
// (our encoders and prefixers return them), or from the few moov failures
// recognised by kind.
func scrubMoovError(err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe
	}
	out := &FieldError{Field: FieldMessage}
	var ue *iso8583errors.UnpackError
	if errors.As(err, &ue) {
		ids := ue.FieldIDs()
		if len(ids) > 0 {
			if n, convErr := strconv.Atoi(ids[0]); convErr == nil {
				out.Field = n
			}
		}
		if len(ids) > 1 {
			if n, convErr := strconv.Atoi(ids[len(ids)-1]); convErr == nil {
				out.Sub = n
			}
		}
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			out.Err = s
			out.Reason = s.Error()
			return out
		}
	}
	// moov's own failures, recognised by kind; their text is dropped.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "not defined in the spec"):
		out.Err = ErrUnknownField
	case strings.Contains(msg, "not enough data"):
		out.Err = ErrTruncated
	case strings.Contains(msg, "does not match aggregate"):
		out.Err = ErrTrailingData
	default:
		out.Err = ErrMalformed
	}
	out.Reason = out.Err.Error()
	return out
}
