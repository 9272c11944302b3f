package model

// currency is the part of ISO 4217 the model needs.
type currency struct {
	alpha    string
	numeric  uint16
	exponent int
}

var iso4217 = []currency{
	{"USD", 840, 2}, {"EUR", 978, 2}, {"GBP", 826, 2}, {"CAD", 124, 2}, {"JPY", 392, 0},
	{"CHF", 756, 2}, {"AUD", 36, 2}, {"MXN", 484, 2}, {"KRW", 410, 0}, {"BHD", 48, 3},
}

func currencyByAlpha(alpha string) (currency, bool) {
	for _, c := range iso4217 {
		if c.alpha == alpha {
			return c, true
		}
	}
	return currency{}, false
}

func currencyByNumeric(n uint16) (currency, bool) {
	for _, c := range iso4217 {
		if c.numeric == n {
			return c, true
		}
	}
	return currency{}, false
}
