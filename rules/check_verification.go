package rules

import (
	"strings"

	"github.com/authswitch/authswitch/spec"
)

// verification is check 4, card verification with the standard CVV
// algorithm and the keys of the PAN's longest matching card_keys prefix:
//
//   - CVV2/CVC2 when the request carries one (service code 000): a
//     mismatch declines N7 on Visa, 05 on Mastercard (whose answer says
//     SE 87 'N');
//   - the magnetic-stripe CVV of track 2 when present (the track's service
//     code): a mismatch declines 05.
//
// Comparisons take constant time. Without keys for the PAN the value
// cannot be checked: 96, so that the network stands in (it holds the keys
// too). Results go back in the answer: 'M', 'N', or 'P' when the decision
// came before the check.
type verification struct{}

func (verification) decide(t *txn) verdict {
	a, c := t.a, t.card
	if c == nil || (!a.CVV2Present && a.TrackCVV == "") {
		return verdict{}
	}
	keys, ok := t.keys()
	if !ok {
		return verdict{codeSystemMalfunction, reasonVerificationUnavailable}
	}
	if a.CVV2Present {
		if keys.Verify(a.PAN, c.Expiry, "000", strings.TrimSpace(a.CVV2)) {
			t.cvv2 = 'M'
		} else {
			t.cvv2 = 'N'
			if a.Network == spec.Visa {
				return verdict{codeCVV2Mismatch, reasonVerificationFailed}
			}
			return verdict{codeDoNotHonor, reasonVerificationFailed}
		}
	}
	if a.TrackCVV != "" {
		if keys.Verify(a.PAN, c.Expiry, a.ServiceCode, a.TrackCVV) {
			t.cvv = 'M'
		} else {
			t.cvv = 'N'
			return verdict{codeDoNotHonor, reasonVerificationFailed}
		}
	}
	return verdict{}
}
