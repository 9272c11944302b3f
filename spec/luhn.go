package spec

// The Luhn check (ISO/IEC 7812-1) in the three forms the switch needs:
// validating a PAN, spotting a PAN-like digit run that must not be
// published or logged, and making a check digit (the simulator's cards).

// LuhnValid reports whether pan is 13–19 digits with a valid check digit:
// a card number the switch accepts.
func LuhnValid(pan string) bool {
	return len(pan) >= 13 && len(pan) <= 19 && luhnOK(pan)
}

// LooksLikePAN reports whether s is 12–19 digits passing the Luhn check:
// what a primary account number looks like, for the guards that keep card
// numbers out of logs and the feed (they err on the side of 12 digits).
func LooksLikePAN(s string) bool {
	return len(s) >= 12 && len(s) <= 19 && luhnOK(s)
}

// LuhnCheckDigit returns the digit that, appended to partial (all
// digits), makes a Luhn-valid number.
func LuhnCheckDigit(partial string) byte {
	sum, _ := luhnSum(partial, true)
	return byte('0' + (10-sum%10)%10)
}

// luhnOK reports whether s is all digits with a valid check digit.
func luhnOK(s string) bool {
	sum, ok := luhnSum(s, false)
	return ok && sum%10 == 0
}

// luhnSum is the Luhn sum of s's digits from the right, doubling every
// second one (the rightmost first when doubleFirst); ok is false when s
// holds anything but digits.
func luhnSum(s string, doubleFirst bool) (sum int, ok bool) {
	double := doubleFirst
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum, true
}
