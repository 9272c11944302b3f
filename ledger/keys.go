package ledger

import "hash/fnv"

// Kind classes for MakeRequestKey: the MTI without its repeat digit.
const (
	ClassAuthorization  byte = 1 // 0100/0101
	ClassAdvice         byte = 2 // 0120/0121
	ClassReversal       byte = 3 // 0400/0401
	ClassReversalAdvice byte = 4 // 0420/0421
	ClassOther          byte = 9 // decisions recorded outside the networks' flows

	// ClassAdmin is reserved for the admin API's operations (funding,
	// debits, captures, releases, audit records): their keys have 0 in
	// byte 0 (no network: the networks' keys carry 1 or 2 there) and
	// ClassAdmin in byte 1, so that no network request can ever share a key
	// with an operator's. Bytes 2–31 are the admin's own identity of the
	// operation (a digest of its idempotency key and path). Build them with
	// MakeAdminRequestKey.
	ClassAdmin byte = 0xAD
)

// MakeAdminRequestKey makes the key of an admin operation from a digest of
// what identifies it (its first 30 bytes are used; a shorter one is
// zero-padded). The same digest always gives the same key, so a retried
// operation reaches the ledger as a repeat.
func MakeAdminRequestKey(digest []byte) RequestKey {
	var k RequestKey
	k[0], k[1] = 0, ClassAdmin
	copy(k[2:], digest)
	return k
}

// IsAdminKey reports whether k is an admin operation's key.
func IsAdminKey(k *RequestKey) bool { return k[0] == 0 && k[1] == ClassAdmin }

// MakeRequestKey packs a request's identity: network, MTI class, STAN (6),
// transmission time (10, MMDDhhmmss) and acquirer id (up to 11, as sent).
// Longer values are cut; a retransmission or repeat packs the same key.
func MakeRequestKey(network Network, class byte, stan, transmission, acquirer string) RequestKey {
	var k RequestKey
	k[0], k[1] = byte(network), class
	putPadded(k[2:8], stan)
	putPadded(k[8:18], transmission)
	putZeroFilled(k[18:29], acquirer)
	return k
}

// MakeLifecycleKey packs a life-cycle key: the network, then the network's
// id for the life cycle (Visa 62.2, 15 digits; Mastercard Banknet
// reference and DE 15), up to 23 bytes. An empty id gives the zero key.
func MakeLifecycleKey(network Network, id string) LifecycleKey {
	var k LifecycleKey
	if id == "" {
		return k
	}
	k[0] = byte(network)
	putPadded(k[1:], id)
	return k
}

// MakeOriginalKey packs how a reversal's field 90 names its original:
// STAN (6), transmission time (10), acquirer id (11, zero-filled as in
// field 90) and the card, taken as a 128-bit hash of its token so that no
// card number is ever stored here. Pass the same card token the original
// carried.
func MakeOriginalKey(network Network, stan, transmission, acquirer, cardToken string) OriginalKey {
	var k OriginalKey
	k[0] = byte(network)
	putPadded(k[1:7], stan)
	putPadded(k[7:17], transmission)
	putZeroFilled(k[17:28], acquirer)
	h := fnv.New128a()
	h.Write([]byte(cardToken))
	copy(k[28:44], h.Sum(nil))
	return k
}

func putPadded(dst []byte, s string) {
	n := copy(dst, s)
	for i := n; i < len(dst); i++ {
		dst[i] = ' '
	}
}

// putZeroFilled writes s right-aligned with leading zeros, as field 90
// carries the acquirer id, so "12345" and "00000012345" are one acquirer.
func putZeroFilled(dst []byte, s string) {
	for len(s) > len(dst) {
		s = s[1:]
	}
	pad := len(dst) - len(s)
	for i := 0; i < pad; i++ {
		dst[i] = '0'
	}
	copy(dst[pad:], s)
}
