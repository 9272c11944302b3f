// Package spec owns the card networks' wire formats: Visa BASE I and
// Mastercard CIS framing, messages and fields, and the mapping between them
// and the network-neutral Authorization and Answer the rest of the switch
// speaks.
//
// The formats are defined once, as moov-io/iso8583 message specs (visa.go,
// mastercard.go) with this package's encoders (packed BCD, EBCDIC code
// page 037, Visa track 2 nibbles) and length prefixes. Two codecs read them:
//
//   - the moov path (Unpack, FromMessage, BuildRequest, BuildAnswer,
//     AnswerFromMessage, PackFrame): complete and general, used by the
//     network simulator and as the reference;
//   - the hot path (DecodeRequest, AppendAnswer, AppendFormatError,
//     AppendEcho): compiled from the same specs, it walks the bitmap,
//     records where each field sits in the request bytes, fills the
//     canonical Authorization with one allocation and writes answers by
//     copying echoed fields straight from the request, without allocating.
//
// A differential fuzz test proves the two identical. Validate checks the
// specs and round-trips the golden vectors at start-up.
//
// Card data (PAN, track 2, CVV, PIN block) never appears in an error: every
// error is a *FieldError naming the field and a fixed reason.
package spec
