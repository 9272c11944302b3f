package spec

// Currency is an ISO 4217 currency. Amounts are integer minor units:
// Exponent is the number of minor-unit digits (2 for USD, 0 for JPY, 3 for
// BHD).
type Currency struct {
	Alpha    string // e.g. "USD"
	Numeric  uint16 // e.g. 840
	Exponent uint8
}

// Country is an ISO 3166-1 country.
type Country struct {
	Alpha2  string // e.g. "US"
	Alpha3  string // e.g. "USA"
	Numeric uint16 // e.g. 840
}

// Lookup tables: position+1 in currencies/countries, 0 when unknown. Arrays
// indexed by code keep lookups free of hashing and allocation on the hot path.
var (
	currencyByNumeric [1000]uint8
	currencyByAlpha   [26 * 26 * 26]uint8
	countryByNumeric  [1000]uint8
	countryByAlpha2   [26 * 26]uint8
	countryByAlpha3   [26 * 26 * 26]uint8
)

func init() {
	for i, c := range currencies {
		currencyByNumeric[c.Numeric] = uint8(i + 1)
		k, _ := alphaKey(c.Alpha)
		currencyByAlpha[k] = uint8(i + 1)
	}
	for i, c := range countries {
		countryByNumeric[c.Numeric] = uint8(i + 1)
		k, _ := alphaKey(c.Alpha2)
		countryByAlpha2[k] = uint8(i + 1)
		k, _ = alphaKey(c.Alpha3)
		countryByAlpha3[k] = uint8(i + 1)
	}
}

// alphaKey maps 2 or 3 upper-case letters to an array index.
func alphaKey[T ~string | ~[]byte](s T) (int, bool) {
	k := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 'A' || c > 'Z' {
			return 0, false
		}
		k = k*26 + int(c-'A')
	}
	return k, len(s) == 2 || len(s) == 3
}

// CurrencyByNumeric returns the currency with ISO 4217 numeric code n.
func CurrencyByNumeric(n uint16) (Currency, bool) {
	if n >= 1000 || currencyByNumeric[n] == 0 {
		return Currency{}, false
	}
	return currencies[currencyByNumeric[n]-1], true
}

// CurrencyByAlpha returns the currency with ISO 4217 alpha code a
// (upper case, e.g. "USD").
func CurrencyByAlpha(a string) (Currency, bool) {
	k, ok := alphaKey(a)
	if !ok || len(a) != 3 || currencyByAlpha[k] == 0 {
		return Currency{}, false
	}
	return currencies[currencyByAlpha[k]-1], true
}

// CountryByNumeric returns the country with ISO 3166-1 numeric code n.
func CountryByNumeric(n uint16) (Country, bool) {
	if n >= 1000 || countryByNumeric[n] == 0 {
		return Country{}, false
	}
	return countries[countryByNumeric[n]-1], true
}

// CountryByAlpha2 returns the country with ISO 3166-1 alpha-2 code a
// (upper case, e.g. "US").
func CountryByAlpha2(a string) (Country, bool) { return countryAlpha2(a) }

// CountryByAlpha3 returns the country with ISO 3166-1 alpha-3 code a
// (upper case, e.g. "USA").
func CountryByAlpha3(a string) (Country, bool) { return countryAlpha3(a) }

func countryAlpha2[T ~string | ~[]byte](a T) (Country, bool) {
	k, ok := alphaKey(a)
	if !ok || len(a) != 2 || countryByAlpha2[k] == 0 {
		return Country{}, false
	}
	return countries[countryByAlpha2[k]-1], true
}

func countryAlpha3[T ~string | ~[]byte](a T) (Country, bool) {
	k, ok := alphaKey(a)
	if !ok || len(a) != 3 || countryByAlpha3[k] == 0 {
		return Country{}, false
	}
	return countries[countryByAlpha3[k]-1], true
}

// Currencies returns every currency the codec knows, by alpha code.
func Currencies() []Currency { return append([]Currency(nil), currencies[:]...) }

// Countries returns every country the codec knows, by alpha-2 code.
func Countries() []Country { return append([]Country(nil), countries[:]...) }
