package rules_test

import (
	"testing"

	"github.com/authswitch/authswitch/rules/refdata"
)

func TestCheckCard(t *testing.T) {
	w := newWorld(t)
	w.load(
		`{"kind":"card","id":"c_inactive","pan":"4111111111111129","expiry":"2812","network":"visa","account":"acct_1","status":"inactive"}`,
		`{"kind":"card","id":"c_lost","pan":"4111111111111137","expiry":"2812","network":"visa","account":"acct_1","status":"canceled","cancellation_reason":"lost"}`,
		`{"kind":"card","id":"c_stolen","pan":"4111111111111145","expiry":"2812","network":"visa","account":"acct_1","status":"canceled","cancellation_reason":"stolen"}`,
		`{"kind":"card","id":"c_canceled","pan":"4111111111111152","expiry":"2812","network":"visa","account":"acct_1","status":"canceled"}`,
	)
	tests := []struct {
		name, pan string
		want      answer
	}{
		{"active", visaPAN, answer{"00", "funds", "approved", 'M', 0}},
		{"unknown", "4111111111111160", answer{"14", "card", "card_unknown", 'P', 0}},
		{"inactive", "4111111111111129", answer{"62", "card", "card_inactive", 'P', 0}},
		{"lost", "4111111111111137", answer{"41", "card", "card_lost", 'P', 0}},
		{"stolen", "4111111111111145", answer{"43", "card", "card_stolen", 'P', 0}},
		{"canceled", "4111111111111152", answer{"62", "card", "card_canceled", 'P', 0}},
		{"no PAN at all", "", answer{"14", "card", "card_unknown", 'P', 0}},
	}
	for _, tc := range tests {
		a := w.purchase(1000)
		a.PAN = tc.pan
		w.expect(tc.name, a, tc.want)
	}

	// A card frozen through the admin side is declined by the very next
	// authorization, though its record was cached a moment before.
	w.expect("before freezing", w.purchase(1000), answer{"00", "funds", "approved", 'M', 0})
	if _, err := w.engine.UpdateCard("card_visa", func(c *refdata.Card) error { c.Status = refdata.CardInactive; return nil }); err != nil {
		t.Fatal(err)
	}
	w.expect("after freezing", w.purchase(1000), answer{"62", "card", "card_inactive", 'P', 0})
}
