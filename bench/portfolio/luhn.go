package portfolio

// LuhnValid reports whether s is all digits, 13–19 long, and passes the Luhn
// check (ISO/IEC 7812-1).
func LuhnValid(s string) bool {
	if len(s) < 13 || len(s) > 19 {
		return false
	}
	sum := 0
	double := false
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			return false
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
	return sum%10 == 0
}

// LuhnCheckDigit returns the digit that, appended to the digits of partial,
// makes a Luhn-valid number. partial must be all digits.
func LuhnCheckDigit(partial string) byte {
	sum := 0
	double := true // the check digit will take the rightmost place
	for i := len(partial) - 1; i >= 0; i-- {
		d := int(partial[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return byte('0' + (10-sum%10)%10)
}
