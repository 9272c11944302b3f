// Package cvv computes and verifies card verification values with the
// standard Visa CVV algorithm, the one behind CVV/CVC (magnetic stripe),
// CVV2/CVC2 (printed on the card, service code 000) and iCVV.
//
// The algorithm, for a card verification key pair (CVK A, CVK B):
//
//  1. Concatenate PAN, expiry (YYMM) and service code and pad on the right
//     with zeros to 32 digits.
//  2. Take the digits as two 8-byte blocks (16 hex digits each).
//  3. Encrypt the first block with single DES under CVK A.
//  4. XOR the result with the second block.
//  5. Encrypt that with two-key triple DES: encrypt under A, decrypt under B,
//     encrypt under A.
//  6. Decimalize the 16 hex digits of the result: first the digits 0–9 left
//     to right, then the digits A–F, each less 10, left to right. The first
//     three are the CVV.
//
// Keys here come from portfolio files and simulators; production keys belong
// in an HSM or KMS, which performs the same computation behind its own API.
//
// Nothing in this package logs, and its errors never carry the PAN, the
// expiry, the service code, the value or the keys.
package cvv
