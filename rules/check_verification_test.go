package rules_test

import (
	"testing"

	"github.com/authswitch/authswitch/spec"
)

func TestCheckVerification(t *testing.T) {
	w := newWorld(t)
	w.load(`{"kind":"account","id":"acct_2","currency":"USD","balance":100000,"status":"active"}`,
		`{"kind":"card","id":"c_nokeys","pan":"4222222222222220","expiry":"2812","network":"visa","account":"acct_2","status":"active"}`)
	swipe := func(a *spec.Authorization, cvv string) {
		a.CVV2Present, a.CVV2, a.Entry = false, "", spec.EntrySwipe
		a.Track2, a.ServiceCode, a.TrackCVV = visaPAN+"=2812201000008"+cvv+"00", "201", cvv
	}
	tests := []struct {
		name string
		req  func() *spec.Authorization
		want answer
	}{
		{"Visa CVV2 matches", func() *spec.Authorization { return w.purchase(1000) }, answer{"00", "funds", "approved", 'M', 0}},
		{"Visa CVV2 space-filled as in 126.10", func() *spec.Authorization {
			a := w.purchase(1000)
			a.CVV2 = " 590"
			return a
		}, answer{"00", "funds", "approved", 'M', 0}},
		{"Visa CVV2 wrong", func() *spec.Authorization {
			a := w.purchase(1000)
			a.CVV2 = "591"
			return a
		}, answer{"N7", "verification", "verification_failed", 'N', 0}},
		{"Visa CVV2 empty but present", func() *spec.Authorization {
			a := w.purchase(1000)
			a.CVV2 = ""
			return a
		}, answer{"N7", "verification", "verification_failed", 'N', 0}},
		{"Mastercard CVC2 matches", func() *spec.Authorization { return w.mastercard(1000) }, answer{"00", "funds", "approved", 'M', 0}},
		{"Mastercard CVC2 wrong", func() *spec.Authorization {
			a := w.mastercard(1000)
			a.CVV2 = "048"
			return a
		}, answer{"05", "verification", "verification_failed", 'N', 0}},
		{"track 2 CVV matches", func() *spec.Authorization {
			a := w.purchase(1000)
			swipe(a, "812")
			return a
		}, answer{"00", "funds", "approved", 0, 'M'}},
		{"track 2 CVV wrong", func() *spec.Authorization {
			a := w.purchase(1000)
			swipe(a, "813")
			return a
		}, answer{"05", "verification", "verification_failed", 0, 'N'}},
		{"both present, CVV2 wrong: the track is not reached", func() *spec.Authorization {
			a := w.purchase(1000)
			swipe(a, "812")
			a.CVV2Present, a.CVV2 = true, "000"
			return a
		}, answer{"N7", "verification", "verification_failed", 'N', 'P'}},
		{"no value to verify", func() *spec.Authorization {
			a := w.purchase(1000)
			a.CVV2Present, a.CVV2 = false, ""
			return a
		}, answer{"00", "funds", "approved", 0, 0}},
		{"no keys for the PAN", func() *spec.Authorization {
			a := w.purchase(1000)
			a.PAN = "4222222222222220"
			return a
		}, answer{"96", "verification", "verification_unavailable", 'P', 0}},
		{"decided before the check", func() *spec.Authorization {
			a := w.purchase(1000)
			a.Expiry = "2901"
			return a
		}, answer{"54", "expiry", "expiry_mismatch", 'P', 0}},
	}
	for _, tc := range tests {
		w.expect(tc.name, tc.req(), tc.want)
	}
}
