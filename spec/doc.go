// Package spec owns the card networks' wire formats: Visa BASE I and
// Mastercard CIS framing, messages and fields, and the mapping between them
// and the network-neutral Authorization and Answer the rest of the switch
// speaks. It knows nothing of sockets, cards or balances.
//
// # Specs as data
//
// The formats (shared/wire-spec.md) are defined once, as moov-io/iso8583
// message specs (visaSpec in visa.go, mastercardSpec in mastercard.go) with
// this package's encoders and prefixes: packed BCD without moov's per-call
// table building, EBCDIC code page 037 (moov's EBCDIC table differs in
// ! [ ] ^ |), Visa track 2 nibbles ('=' as D), strict 1-byte binary and
// EBCDIC LL/LLL lengths, and a "rest of the enclosing field" prefix for the
// parts of positional fields and Mastercard DE 48's subelements. Visa 60 and
// 90 (packed, odd-length parts) are strings split by the mapping.
//
// Two codecs read the specs:
//
//   - the moov path (Unpack, FromMessage, BuildRequest, BuildAnswer,
//     AnswerFromMessage, PackFrame): complete and general, used by the
//     network simulator and as the reference;
//   - the hot path (DecodeRequest, AppendAnswer, AppendFormatError,
//     AppendEcho, PeekMTI, ParseEchoAnswer): at start-up it compiles the same
//     specs into layouts (a spec using a shape it does not know fails
//     Validate); per message it walks the bitmap, records where each field
//     sits in a private copy of the request, fills the canonical
//     Authorization with one allocation (the string all its text fields
//     share) and writes answers by copying echoed fields straight from the
//     request bytes, without allocating.
//
// Both share the canonical mapping (mapping.go, which reads decoded
// characters, never wire bytes) and the answer rules (answer.go), and
// differ only in how bytes are read and written. A differential fuzz test
// (FuzzDifferential) and a round trip of thousands of random requests hold
// them to the same canonical values and the same answer bytes; the golden
// vectors pass byte for byte on both. Validate checks the specs and
// round-trips the embedded vectors; call it at start-up.
//
// # Canonical mapping decisions
//
//   - Transaction type from processing code digits 1–2: 00 purchase (amount
//     0: account verification), 01 cash, 09 purchase with cashback, 20
//     refund, 30 balance inquiry (whatever the amount), anything else
//     unsupported.
//   - Entry method from the PAN entry mode (field 22 digits 1–2): 05, 95
//     chip; 07, 91 contactless; 02, 90, 80 swipe; 01, 10 keyed; 81
//     e-commerce. 01, 10 and 00 become e-commerce when the network marks
//     the transaction so: Visa 60.9–10 indicator 05–08, Mastercard DE 61
//     position 10 = 6.
//   - Merchant country to ISO 3166 alpha-2: Visa 43 positions 39–40, else
//     field 19; Mastercard DE 43 alpha-3, else DE 61 positions 14–16.
//     Unknown codes give "". Currencies stay ISO 4217 numeric
//     (CurrencyByNumeric for alpha code and exponent).
//   - Track 2 (both networks): PAN, '=', expiry, service code, then PVKI (1),
//     PVV (4) and CVV (3). PAN and expiry come from track 2 when fields 2
//     and 14 are absent.
//   - CVV2: Visa 126.10 with presence indicator 1 (value right-justified,
//     spaces removed); Mastercard DE 48 SE 92.
//   - Life-cycle key: Visa 62.2; Mastercard DE 63 Banknet reference followed
//     by DE 15. Advice reason: Visa 63.3, Mastercard DE 60.
//
// # Answers
//
// The answer MTI is the request's plus 10 (0101 → 0110). Echoed when
// present: 2, 3, 4, 6, 7, 11, 12, 13, 32, 37, 41, 42, 49, 51, 70; Visa also
// 19, 25, 62 (62.2 only) and 63 (as received, 63.4 added or replaced from
// Answer.STIPReason); Mastercard also 15, 33, 63 and DE 48's transaction
// category code. 39 always; 38 on approvals (00, 10, 85) of 0100/0101.
// Card verification results go in Visa 44 (position 1 '5', 5 CVV, 10 CVV2,
// spaces between, as long as the last result) and Mastercard DE 48 SE 87,
// when the Answer has a result and the request carried the value: the
// golden 0110 answers a request with a CVV2 and carries no 44, so an
// Answer without a result adds nothing. A partial approval replaces 4 (and
// 6) and puts the requested amount in 54 as type 57; balances are 54 types
// 01 and 02 (sign C or D); 54's account type is processing code digits 3–4.
//
// # Errors
//
// Every error is a *FieldError naming the field (and subfield) with a fixed
// reason, wrapping one of the Err sentinels. None carries message bytes or
// card data; moov's errors (whose UnpackError holds the raw message) are
// replaced, not wrapped.
//
// # Speed
//
// go test ./spec -run '^$' -bench . -benchmem -count 5 (AMD EPYC, 2 cores
// shared with other builds; medians at a load average near 1 — with other
// work on the machine they read 10–20% higher):
//
//	BenchmarkVisaRoundTrip            866 ns/op   208 B/op     1 allocs/op  (0100 decode + 0110 encode)
//	BenchmarkVisaChipRoundTrip        898 ns/op   240 B/op     1 allocs/op
//	BenchmarkMastercardRoundTrip      790 ns/op   224 B/op     1 allocs/op
//	BenchmarkVisaDecode               622 ns/op   208 B/op     1 allocs/op
//	BenchmarkMastercardDecode         552 ns/op   224 B/op     1 allocs/op
//	BenchmarkVisaAnswer               219 ns/op     0 B/op     0 allocs/op
//	BenchmarkMastercardAnswer         188 ns/op     0 B/op     0 allocs/op
//	BenchmarkNextFrame (7 frames)      77 ns/op     0 B/op     0 allocs/op
//	BenchmarkVisaMoovRoundTrip      29035 ns/op 20992 B/op   533 allocs/op
//	BenchmarkMastercardMoovRoundTrip 34201 ns/op 25272 B/op   582 allocs/op
//
// What remains (go test -bench VisaRoundTrip -cpuprofile): about 70% is
// decoding, spread over the ~25 fields of an 0100 (packed BCD and EBCDIC
// conversion ~22%, the per-field walk ~25%, the canonical mapping ~20% of
// which the one string allocation is a quarter); the 0110 is ~25%, mostly
// copying echoed fields. The moov path costs 30–40 times more, in moov's
// per-field objects, maps and re-sorting, and in the re-encoding Unpack does
// to reject trailing bytes.
package spec
