package rules_test

import (
	"testing"
	"time"

	"github.com/authswitch/authswitch/spec"
)

func TestCheckExpiry(t *testing.T) {
	w := newWorld(t)
	w.load(`{"kind":"card","id":"c_old","pan":"4111111111111129","expiry":"2510","network":"visa","account":"acct_1","status":"active"}`,
		`{"kind":"card","id":"c_month","pan":"4111111111111137","expiry":"2511","network":"visa","account":"acct_1","status":"active"}`)
	tests := []struct {
		name string
		mod  func(a *spec.Authorization)
		want answer
	}{
		{"valid", func(a *spec.Authorization) {}, answer{"00", "funds", "approved", 'M', 0}},
		{"expired last month", func(a *spec.Authorization) { a.PAN, a.Expiry, a.CVV2Present = "4111111111111129", "2510", false },
			answer{"54", "expiry", "card_expired", 0, 0}},
		// Valid through the end of its month (the world is on 24 Nov 2025).
		{"expires this month", func(a *spec.Authorization) { a.PAN, a.Expiry, a.CVV2Present = "4111111111111137", "2511", false },
			answer{"00", "funds", "approved", 0, 0}},
		{"message expiry differs", func(a *spec.Authorization) { a.Expiry = "2912" }, answer{"54", "expiry", "expiry_mismatch", 'P', 0}},
		{"no expiry in the message", func(a *spec.Authorization) { a.Expiry = "" }, answer{"00", "funds", "approved", 'M', 0}},
		{"track 2 expiry differs", func(a *spec.Authorization) {
			a.CVV2Present, a.Entry = false, spec.EntrySwipe
			a.Track2, a.ServiceCode, a.TrackCVV = visaPAN+"=29122010000081200", "201", "812"
		}, answer{"54", "expiry", "expiry_mismatch", 0, 'P'}},
	}
	for _, tc := range tests {
		a := w.purchase(1000)
		tc.mod(a)
		w.expect(tc.name, a, tc.want)
	}

	// A month later the card that expired in November is declined.
	w.advance(7 * 24 * time.Hour)
	a := w.purchase(1000)
	a.PAN, a.Expiry, a.CVV2Present = "4111111111111137", "2511", false
	w.expect("after its month", a, answer{"54", "expiry", "card_expired", 0, 0})
}
