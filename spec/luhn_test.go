package spec_test

import (
	"testing"

	"github.com/authswitch/authswitch/spec"
)

func TestLuhn(t *testing.T) {
	for _, c := range []struct {
		s            string
		valid, looks bool
	}{
		{"4111111111111111", true, true},
		{"4111111111111112", false, false},
		{"5500000000000004", true, true},
		{"378282246310005", true, true}, // 15 digits
		{"000000000000", false, true},   // 12 digits: looks like one, is no PAN
		{"4111111111111111000", false, false},
		{"4111 1111 1111 1111", false, false},
		{"12345678901", false, false},
		{"", false, false},
		{"41111111111111110000", false, false}, // 20 digits
	} {
		if got := spec.LuhnValid(c.s); got != c.valid {
			t.Errorf("LuhnValid(%q) = %v", c.s, got)
		}
		if got := spec.LooksLikePAN(c.s); got != c.looks {
			t.Errorf("LooksLikePAN(%q) = %v", c.s, got)
		}
	}
	for _, partial := range []string{"411111111111111", "550000000000000", "37828224631000", "0"} {
		if pan := partial + string(spec.LuhnCheckDigit(partial)); !spec.LooksLikePAN(pan) && len(pan) >= 12 {
			t.Errorf("check digit of %s: %s fails", partial, pan)
		}
	}
	if d := spec.LuhnCheckDigit("411111111111111"); d != '1' {
		t.Errorf("check digit of 411111111111111 = %c, want 1", d)
	}
}
