package rules

import "strings"

// expiry is check 3: the card has not expired (54) and the expiry the
// request carries — field 14, and the one in track 2 — is the card's (54).
// A card expires at the end of its expiry month, UTC.
type expiry struct{}

func (expiry) decide(t *txn) verdict {
	c, a := t.card, t.a
	if c == nil {
		return verdict{}
	}
	y, m, _ := t.now.UTC().Date()
	now := (y%100)*100 + int(m)
	if y < 2000 || y > 2099 || yymm(c.Expiry) < now {
		return verdict{codeExpiredCard, reasonCardExpired}
	}
	if a.Expiry != "" && a.Expiry != c.Expiry {
		return verdict{codeExpiredCard, reasonExpiryMismatch}
	}
	if i := strings.IndexByte(a.Track2, '='); i >= 0 {
		if rest := a.Track2[i+1:]; len(rest) >= 4 && rest[:4] != c.Expiry {
			return verdict{codeExpiredCard, reasonExpiryMismatch}
		}
	}
	return verdict{}
}

// yymm reads a validated YYMM as a number.
func yymm(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
