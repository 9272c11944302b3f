package rules_test

import (
	"fmt"
	"testing"
)

func TestCheckStatus(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name, account, holder string
		want                  answer
	}{
		{"all active", "active", "active", answer{"00", "funds", "approved", 0, 0}},
		{"cardholder inactive", "active", "inactive", answer{"62", "status", "cardholder_inactive", 0, 0}},
		{"cardholder blocked", "active", "blocked", answer{"62", "status", "cardholder_blocked", 0, 0}},
		{"account frozen", "frozen", "active", answer{"62", "status", "account_frozen", 0, 0}},
		{"account closed", "closed", "active", answer{"46", "status", "account_closed", 0, 0}},
		// The cardholder is looked at before the account.
		{"both", "closed", "blocked", answer{"62", "status", "cardholder_blocked", 0, 0}},
	}
	for i, tc := range tests {
		acct, holder, pan := fmt.Sprint("acct_s", i), fmt.Sprint("ch_s", i), luhn(fmt.Sprintf("41111100000%04d", i))
		w.load(
			fmt.Sprintf(`{"kind":"account","id":%q,"currency":"USD","balance":100000,"status":%q}`, acct, tc.account),
			fmt.Sprintf(`{"kind":"cardholder","id":%q,"account":%q,"status":%q}`, holder, acct, tc.holder),
			fmt.Sprintf(`{"kind":"card","id":"card_%s","pan":%q,"expiry":"2812","network":"visa","account":%q,"cardholder":%q,"status":"active"}`, acct, pan, acct, holder),
		)
		a := w.purchase(1000)
		a.PAN, a.CVV2Present = pan, false
		w.expect(tc.name, a, tc.want)
	}
}

// luhn completes 15 digits with their check digit.
func luhn(body string) string {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}
