package traffic

// Merchant is a card acceptor.
type Merchant struct {
	Key        string
	Name       string // up to 22 characters (Mastercard's DE 43 name part)
	City       string // up to 13 characters
	Country    string // ISO 3166 alpha-2
	MCC        string
	Currency   string // local currency, ISO 4217 alpha
	TerminalID string // 8 characters
	AcceptorID string // 15 characters
}

// Merchants is the catalogue the simulator and the bench draw from.
var Merchants = []Merchant{
	{"grocery", "EXAMPLE GROCERY", "CHICAGO", "US", "5411", "USD", "TERM0002", "MERCHANT0000002"},
	{"restaurant", "CORNER BISTRO", "NEW YORK", "US", "5812", "USD", "TERM0003", "MERCHANT0000003"},
	{"fuel", "FUEL STOP 24", "DALLAS", "US", "5542", "USD", "PUMP0007", "MERCHANT0000004"},
	{"hotel", "GRAND HOTEL", "LAS VEGAS", "US", "7011", "USD", "FRONT001", "MERCHANT0000005"},
	{"online", "EXAMPLE ONLINE STORE", "NEW YORK", "US", "5999", "USD", "TERM0001", "MERCHANT0000001"},
	{"streaming", "STREAMING SERVICE", "SAN JOSE", "US", "5815", "USD", "WEB00001", "MERCHANT0000006"},
	{"atm", "ATM OPERATOR", "CHICAGO", "US", "6011", "USD", "ATM00001", "ATMOPERATOR0001"},
	{"casino", "LUCKY CASINO", "LAS VEGAS", "US", "7995", "USD", "CAGE0001", "MERCHANT0000008"},
	{"pharmacy", "CITY PHARMACY", "TORONTO", "CA", "5912", "CAD", "TERM0009", "MERCHANT0000009"},
	{"supermarche", "SUPERMARCHE CENTRAL", "PARIS", "FR", "5411", "EUR", "TERM0010", "MERCHANT0000010"},
	{"trattoria", "TRATTORIA ROMA", "ROME", "IT", "5812", "EUR", "TERM0011", "MERCHANT0000011"},
	{"bakery", "BAECKEREI MUELLER", "BERLIN", "DE", "5462", "EUR", "TERM0012", "MERCHANT0000012"},
	{"cornershop", "CORNER SHOP", "LONDON", "GB", "5411", "GBP", "TERM0013", "MERCHANT0000013"},
	{"kombini", "KOMBINI", "TOKYO", "JP", "5411", "JPY", "TERM0014", "MERCHANT0000014"},
	{"bazaar", "GRAND BAZAAR", "TEHRAN", "IR", "5999", "USD", "TERM0015", "MERCHANT0000015"},
}

// MerchantByKey returns the catalogue's merchant with the key.
func MerchantByKey(key string) (Merchant, bool) {
	for _, m := range Merchants {
		if m.Key == key {
			return m, true
		}
	}
	return Merchant{}, false
}

// Domestic returns the catalogue's merchants in a country.
func Domestic(country string) []Merchant {
	var out []Merchant
	for _, m := range Merchants {
		if m.Country == country {
			out = append(out, m)
		}
	}
	return out
}

// usdPerUnit is how many US dollars one major unit of a currency buys, in
// millionths: the fixed rates the simulator converts billing amounts with.
var usdPerUnit = map[string]int64{
	"USD": 1_000_000, "EUR": 1_080_000, "GBP": 1_270_000, "CAD": 730_000, "JPY": 6_700,
}
