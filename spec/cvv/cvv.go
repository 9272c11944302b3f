package cvv

import (
	"crypto/cipher"
	"crypto/des"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
)

// Digits is the length of a card verification value.
const Digits = 3

// Errors returned by this package. They never carry card data or key
// material.
var (
	// ErrKey: a key is not 8 bytes (16 hex digits).
	ErrKey = errors.New("cvv: card verification key must be 16 hex digits")
	// ErrInput: the PAN is not 12–19 digits, the expiry not 4 digits or the
	// service code not 3 digits.
	ErrInput = errors.New("cvv: PAN, expiry or service code malformed")
)

// Keys is a card verification key pair ready for use. It is immutable and
// safe for concurrent use.
type Keys struct {
	a   cipher.Block // single DES under CVK A (step 3)
	aba cipher.Block // two-key triple DES, A–B–A (step 5)
	kcv string       // key check value of the pair, for display
}

// NewKeys returns the key pair (cvkA, cvkB), 8 bytes each. DES parity bits
// are ignored, as the algorithm does.
func NewKeys(cvkA, cvkB []byte) (*Keys, error) {
	if len(cvkA) != 8 || len(cvkB) != 8 {
		return nil, ErrKey
	}
	a, err := des.NewCipher(cvkA)
	if err != nil {
		return nil, fmt.Errorf("cvv: CVK A: %w", ErrKey)
	}
	var k3 [24]byte
	copy(k3[0:8], cvkA)
	copy(k3[8:16], cvkB)
	copy(k3[16:24], cvkA)
	aba, err := des.NewTripleDESCipher(k3[:])
	clear(k3[:])
	if err != nil {
		return nil, fmt.Errorf("cvv: CVK pair: %w", ErrKey)
	}
	k := &Keys{a: a, aba: aba}
	// The key check value: the pair encrypting eight zero bytes, first six
	// hex digits. It identifies a key pair without revealing it.
	var zero [8]byte
	aba.Encrypt(zero[:], zero[:])
	k.kcv = fmt.Sprintf("%X", zero[:3])
	return k, nil
}

// ParseKeys returns the key pair given as 16 hex digits each (either case).
func ParseKeys(hexA, hexB string) (*Keys, error) {
	if len(hexA) != 16 || len(hexB) != 16 {
		return nil, ErrKey
	}
	a, errA := hex.DecodeString(hexA)
	b, errB := hex.DecodeString(hexB)
	if errA != nil || errB != nil {
		return nil, ErrKey
	}
	return NewKeys(a, b)
}

// CheckValue returns the pair's key check value: the first six hex digits
// of eight zero bytes encrypted under the pair. Safe to show and log.
func (k *Keys) CheckValue() string { return k.kcv }

// Compute returns the three-digit CVV of a card: pan (12–19 digits), expiry
// (YYMM) and the service code ("000" for CVV2/CVC2, the track's service code
// for the magnetic-stripe value).
func (k *Keys) Compute(pan, expiry, serviceCode string) (string, error) {
	var out [Digits]byte
	if !k.compute(pan, expiry, serviceCode, &out) {
		return "", ErrInput
	}
	return string(out[:]), nil
}

// Verify reports whether value is the card's CVV for the given expiry and
// service code. The comparison takes the same time whatever digits match.
// Malformed input never verifies. Verify does not allocate.
func (k *Keys) Verify(pan, expiry, serviceCode, value string) bool {
	var want [Digits]byte
	if !k.compute(pan, expiry, serviceCode, &want) {
		return false
	}
	if len(value) != Digits {
		return false
	}
	var got [Digits]byte
	copy(got[:], value)
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// blocks is the cipher input and output of one computation. It comes from a
// pool because slices handed to a cipher.Block escape to the heap: pooling
// keeps Verify free of allocations.
type blocks struct{ first, second [8]byte }

var blockPool = sync.Pool{New: func() any { return new(blocks) }}

// compute runs the algorithm into out; false when the input is malformed.
func (k *Keys) compute(pan, expiry, serviceCode string, out *[Digits]byte) bool {
	if len(pan) < 12 || len(pan) > 19 || len(expiry) != 4 || len(serviceCode) != 3 {
		return false
	}
	// Step 1: up to 26 digits, zero-padded to 32.
	var digits [32]byte
	n := copy(digits[:], pan)
	n += copy(digits[n:], expiry)
	n += copy(digits[n:], serviceCode)
	for i := 0; i < n; i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		digits[i] = c - '0'
	}

	// Step 2: two blocks of 16 digits, packed two to a byte.
	b := blockPool.Get().(*blocks)
	for i := 0; i < 8; i++ {
		b.first[i] = digits[2*i]<<4 | digits[2*i+1]
		b.second[i] = digits[16+2*i]<<4 | digits[16+2*i+1]
	}
	// Steps 3–5.
	k.a.Encrypt(b.first[:], b.first[:])
	for i := range b.first {
		b.first[i] ^= b.second[i]
	}
	k.aba.Encrypt(b.first[:], b.first[:])

	// Step 6: decimalization, digits 0–9 first, then A–F less 10.
	var nibbles [16]byte
	for i, c := range b.first {
		nibbles[2*i] = c >> 4
		nibbles[2*i+1] = c & 0x0f
	}
	clear(b.first[:])
	clear(b.second[:])
	blockPool.Put(b)

	got := 0
	for _, d := range nibbles {
		if d <= 9 && got < Digits {
			out[got] = '0' + d
			got++
		}
	}
	for _, d := range nibbles {
		if d > 9 && got < Digits {
			out[got] = '0' + d - 10
			got++
		}
	}
	return true
}
