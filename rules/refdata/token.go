package refdata

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"sync"
)

// Token is the keyed hash of a PAN: HMAC-SHA256 under the switch's PAN
// key. It identifies a card without revealing its number; without the key
// it cannot be tested against guessed PANs.
type Token [32]byte

// String returns a short, non-reversible label of the token (the first
// eight bytes in hex), for logs and operators.
func (t Token) String() string { return hex.EncodeToString(t[:8]) }

// cacheKey is the 64-bit key the cache files the card under. The token is
// uniformly distributed, so its first eight bytes are as good as any hash.
func (t *Token) cacheKey() uint64 { return binary.LittleEndian.Uint64(t[:8]) }

// MinPANKeyLen is the shortest PAN key accepted: 256 bits, the size of the
// hash.
const MinPANKeyLen = 32

// ErrPANKey: the PAN key is shorter than MinPANKeyLen bytes.
var ErrPANKey = errors.New("refdata: PAN key must be at least 32 bytes")

// Tokenizer computes Tokens. It is safe for concurrent use and does not
// allocate in steady state.
type Tokenizer struct {
	pool sync.Pool // of *tokenState
}

// tokenState is one HMAC with its input buffer: both are reused because a
// slice passed to hash.Hash.Write escapes to the heap.
type tokenState struct {
	mac hash.Hash
	in  [32]byte
	out [sha256.Size]byte
}

// NewTokenizer returns a Tokenizer keyed with key (at least 32 bytes, from
// the switch's secret configuration).
func NewTokenizer(key []byte) (*Tokenizer, error) {
	if len(key) < MinPANKeyLen {
		return nil, ErrPANKey
	}
	k := append([]byte(nil), key...)
	t := &Tokenizer{}
	t.pool.New = func() any { return &tokenState{mac: hmac.New(sha256.New, k)} }
	return t, nil
}

// Token returns the token of pan. PANs longer than 32 bytes (not a PAN)
// are hashed in full all the same.
func (t *Tokenizer) Token(pan string) Token {
	s := t.pool.Get().(*tokenState)
	s.mac.Reset()
	if len(pan) <= len(s.in) {
		n := copy(s.in[:], pan)
		s.mac.Write(s.in[:n])
		clear(s.in[:n])
	} else {
		s.mac.Write([]byte(pan))
	}
	var tok Token
	copy(tok[:], s.mac.Sum(s.out[:0]))
	t.pool.Put(s)
	return tok
}
