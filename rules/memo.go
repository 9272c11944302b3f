package rules

import (
	"encoding/binary"
	"sync"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/spec"
)

// memo is what the engine decided before the ledger, stored with the
// request's result (ledger.Memo) so that a repeat rebuilds the identical
// answer without running the checks again.
//
//	[0]      format (memoVersion)
//	[1]      the check that decided (checkID)
//	[2]      its reason
//	[3]      CVV2 result ('M', 'N', 'P' or 0)
//	[4]      magnetic-stripe CVV result
//	[5:7]    response code when decided before the ledger; zero when the ledger decided
//	[7]      flags (memoFlag…)
//	[8:12]   position of the authorization code (authCode)
//	[12:14]  program rule index, when a program rule decided
//	[14:16]  generation of the program rule set it belonged to
type memo ledger.Memo

const memoVersion = 1

const (
	memoBalanceInquiry uint8 = 1 << iota // the answer carries balances
	memoVerification                     // account verification: approved is 85
	memoRefund                           // a refund: approved without a hold
	memoAuthorization                    // an 0100: approvals carry an auth code
)

func (m *memo) valid() bool            { return m[0] == memoVersion }
func (m *memo) check() checkID         { return checkID(m[1]) }
func (m *memo) reason() reason         { return reason(m[2]) }
func (m *memo) flags() uint8           { return m[7] }
func (m *memo) authPosition() uint32   { return binary.LittleEndian.Uint32(m[8:12]) }
func (m *memo) ruleIndex() uint16      { return binary.LittleEndian.Uint16(m[12:14]) }
func (m *memo) ruleGeneration() uint16 { return binary.LittleEndian.Uint16(m[14:16]) }

// preDecided reports whether the checks decided before the ledger, and
// with which code.
func (m *memo) preDecided() (string, bool) {
	if m[5] == 0 {
		return "", false
	}
	return responseCode(m[5], m[6]), true
}

func (m *memo) setDecision(c checkID, r reason, code string) {
	m[1], m[2] = byte(c), byte(r)
	if code != "" {
		m[5], m[6] = code[0], code[1]
	}
}

func (m *memo) setRule(index int, generation uint16) {
	binary.LittleEndian.PutUint16(m[12:14], uint16(index))
	binary.LittleEndian.PutUint16(m[14:16], generation)
}

// newMemo starts the memo of a request.
func newMemo(a *spec.Authorization, key *ledger.RequestKey, cvv2, cvv byte) memo {
	var m memo
	m[0] = memoVersion
	m[3], m[4] = cvv2, cvv
	var f uint8
	switch a.Type {
	case spec.TxnBalanceInquiry:
		f |= memoBalanceInquiry
	case spec.TxnAccountVerification:
		f |= memoVerification
	case spec.TxnRefund:
		f |= memoRefund
	}
	if a.Kind == spec.KindAuthorization {
		f |= memoAuthorization
	}
	m[7] = f
	binary.LittleEndian.PutUint32(m[8:12], authPosition(key))
	return m
}

// Authorization codes: six digits, derived from the request's key so that
// a repeat gets the same one. They come from one string, a de Bruijn
// sequence of order 6 over the digits, in which each of the million
// six-digit codes appears exactly once as a window: slicing it gives a code
// without building a string per answer.
const authCodeLen = 6

var authCodes = sync.OnceValue(func() string { return deBruijn(10, authCodeLen) })

// authPosition picks the window for a request: any but 0, whose window is
// "000000". The key's bytes are mostly digits and padding, so its four
// words are mixed (multiply, fold) rather than taken as they are.
func authPosition(key *ledger.RequestKey) uint32 {
	h := binary.LittleEndian.Uint64(key[0:8])*0x9E3779B97F4A7C15 ^
		binary.LittleEndian.Uint64(key[8:16])*0xC2B2AE3D27D4EB4F ^
		binary.LittleEndian.Uint64(key[16:24])*0x165667B19E3779F9 ^
		binary.LittleEndian.Uint64(key[24:32])*0xD6E8FEB86659FD93
	h ^= h >> 32
	h *= 0x9E3779B97F4A7C15
	h ^= h >> 29
	return 1 + uint32(h%999_999)
}

// authCode returns the code at position p.
func authCode(p uint32) string {
	s := authCodes()
	if p == 0 || int(p)+authCodeLen > len(s) {
		p = 1
	}
	return s[p : p+authCodeLen]
}

// deBruijn returns the de Bruijn sequence B(k, n) over the digits 0…k−1
// (k ≤ 10), made linear by repeating its first n−1 symbols at the end, so
// that every n-digit string is one of its windows. This is the standard
// construction from Lyndon words (Fredricksen, Kessler and Maiorana).
func deBruijn(k, n int) string {
	a := make([]byte, k*n)
	seq := make([]byte, 0, pow(k, n)+n-1)
	var gen func(t, p int)
	gen = func(t, p int) {
		if t > n {
			if n%p == 0 {
				seq = append(seq, a[1:p+1]...)
			}
			return
		}
		a[t] = a[t-p]
		gen(t+1, p)
		for j := a[t-p] + 1; int(j) < k; j++ {
			a[t] = j
			gen(t+1, t)
		}
	}
	gen(1, 1)
	seq = append(seq, seq[:n-1]...)
	for i := range seq {
		seq[i] += '0'
	}
	return string(seq)
}

func pow(k, n int) int {
	r := 1
	for ; n > 0; n-- {
		r *= k
	}
	return r
}
