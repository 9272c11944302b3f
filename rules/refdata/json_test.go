package refdata_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

// The example lines of portfolio.md.
func TestParseLinePortfolioExamples(t *testing.T) {
	var l refdata.Line
	mustNil(t, refdata.ParseLine([]byte(`{"kind":"account","id":"acct_1","currency":"USD","balance":250000,"status":"active"}`), &l))
	if want := (refdata.Account{ID: "acct_1", Currency: "USD", Balance: 250000, Status: refdata.AccountActive}); l.Kind != refdata.KindAccount || !reflect.DeepEqual(l.Account, want) {
		t.Fatalf("account: %v %+v", l.Kind, l.Account)
	}

	mustNil(t, refdata.ParseLine([]byte(`{"kind":"cardholder","id":"ch_1","account":"acct_1","status":"active","controls":{"blocked_categories":["7995"]}}`), &l))
	if l.Kind != refdata.KindCardholder || l.Cardholder.ID != "ch_1" || l.Cardholder.Account != "acct_1" ||
		l.Cardholder.Status != refdata.CardholderActive || !reflect.DeepEqual(l.Cardholder.Controls.BlockedCategories, []string{"7995"}) {
		t.Fatalf("cardholder: %+v", l.Cardholder)
	}

	mustNil(t, refdata.ParseLine([]byte(`{"kind":"card","id":"card_1","pan":"4761739001010010","expiry":"2812","network":"visa","account":"acct_1","cardholder":"ch_1","status":"active","controls":{"spending_limits":[{"amount":50000,"interval":"daily"}]}}`), &l))
	c := l.Card
	if l.Kind != refdata.KindCard || l.PAN != "4761739001010010" || c.ID != "card_1" || c.Expiry != "2812" || c.Network != spec.Visa ||
		c.Account != "acct_1" || c.Cardholder != "ch_1" || c.Status != refdata.CardActive ||
		!reflect.DeepEqual(c.Controls.SpendingLimits, []refdata.SpendingLimit{{Amount: 50000, Interval: refdata.Daily}}) {
		t.Fatalf("card: %+v", c)
	}

	mustNil(t, refdata.ParseLine([]byte(`{"kind":"card_keys","pan_prefix":"476173","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}`), &l))
	if want := (refdata.CardKeys{Prefix: "476173", CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"}); l.Kind != refdata.KindCardKeys || l.CardKeys != want {
		t.Fatalf("card_keys: %+v", l.CardKeys)
	}
}

func TestParseLineFullControlsAndEscapes(t *testing.T) {
	var l refdata.Line
	line := ` { "kind" : "account", "id":"acct\u005f2", "currency":"EUR", "balance":-5, "credit_limit":100, "status":"frozen",
	"controls":{"allowed_categories":["5411","5999"],"blocked_countries":["RU"],
	"spending_limits":[{"amount":5000,"interval":"per_authorization"},{"amount":9,"interval":"monthly","categories":["5411"]}],
	"velocity":[{"count":3,"window_seconds":60}]} } `
	mustNil(t, refdata.ParseLine([]byte(line), &l))
	want := refdata.Account{ID: "acct_2", Currency: "EUR", Balance: -5, CreditLimit: 100, Status: refdata.AccountFrozen,
		Controls: &refdata.Controls{
			AllowedCategories: []string{"5411", "5999"},
			BlockedCountries:  []string{"RU"},
			SpendingLimits: []refdata.SpendingLimit{{Amount: 5000, Interval: refdata.PerAuthorization},
				{Amount: 9, Interval: refdata.Monthly, Categories: []string{"5411"}}},
			Velocity: []refdata.Velocity{{Count: 3, Window: time.Minute}},
		}}
	if !reflect.DeepEqual(l.Account, want) {
		t.Fatalf("got %+v\nwant %+v", l.Account, want)
	}
}

const goodCard = `"kind":"card","id":"card_1","pan":"4761739001010010","expiry":"2812","network":"visa","account":"acct_1","status":"active"`

func TestParseLineRejects(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"empty", ``, "expected an object"},
		{"not an object", `[1]`, "expected an object"},
		{"trailing text", `{` + goodCard + `} x`, "text after the object"},
		{"unterminated", `{` + goodCard, "unterminated object"},
		{"no kind", `{"id":"a"}`, "kind missing"},
		{"unknown kind", `{"kind":"merchant"}`, `kind "merchant" unknown`},
		{"unknown field", `{` + goodCard + `,"colour":"red"}`, `unknown field "colour"`},
		{"unknown field not named", `{` + goodCard + `,"4761739001010010":1}`, "unknown field"},
		{"duplicate field", `{` + goodCard + `,"status":"inactive"}`, "field status appears twice"},
		{"field of another kind", `{` + goodCard + `,"balance":5}`, "field balance does not belong to a card"},
		{"missing required", `{"kind":"account","id":"a","currency":"USD","status":"active"}`, "field balance missing"},
		{"fraction amount", `{"kind":"account","id":"a","currency":"USD","balance":1.5,"status":"active"}`, "not an integer"},
		{"exponent amount", `{"kind":"account","id":"a","currency":"USD","balance":1e3,"status":"active"}`, "not an integer"},
		{"leading zero", `{"kind":"account","id":"a","currency":"USD","balance":01,"status":"active"}`, "leading zero"},
		{"overflow", `{"kind":"account","id":"a","currency":"USD","balance":99999999999999999999,"status":"active"}`, "out of range"},
		{"string amount", `{"kind":"account","id":"a","currency":"USD","balance":"5","status":"active"}`, "expected an integer"},
		{"negative credit", `{"kind":"account","id":"a","currency":"USD","balance":5,"credit_limit":-1,"status":"active"}`, "credit_limit is negative"},
		{"bad currency", `{"kind":"account","id":"a","currency":"usd","balance":5,"status":"active"}`, "not ISO 4217"},
		{"bad account status", `{"kind":"account","id":"a","currency":"USD","balance":5,"status":"open"}`, `status "open" unknown`},
		{"bad PAN", `{"kind":"card","id":"card_1","pan":"4761739001010011","expiry":"2812","network":"visa","account":"acct_1","status":"active"}`, "Luhn"},
		{"PAN of another network", `{"kind":"card","id":"card_1","pan":"4761739001010010","expiry":"2812","network":"mastercard","account":"acct_1","status":"active"}`, "network does not match"},
		{"bad expiry", `{"kind":"card","id":"card_1","pan":"4761739001010010","expiry":"2813","network":"visa","account":"acct_1","status":"active"}`, "expiry is not YYMM"},
		{"reason on active card", `{` + goodCard + `,"cancellation_reason":"lost"}`, "cancellation_reason on a active card"},
		{"unknown reason", `{"kind":"card","id":"card_1","pan":"4761739001010010","expiry":"2812","network":"visa","account":"acct_1","status":"canceled","cancellation_reason":"eaten"}`, `cancellation_reason "eaten" unknown`},
		{"id like a PAN", `{"kind":"account","id":"4761739001010010","currency":"USD","balance":5,"status":"active"}`, "like a card number"},
		{"id with space", `{"kind":"account","id":"a b","currency":"USD","balance":5,"status":"active"}`, "printable ASCII"},
		{"both category lists", `{` + goodCard + `,"controls":{"allowed_categories":["5411"],"blocked_categories":["7995"]}}`, "both allowed_categories and blocked_categories"},
		{"bad category", `{` + goodCard + `,"controls":{"blocked_categories":["799"]}}`, "is not 4 digits"},
		{"bad country", `{` + goodCard + `,"controls":{"allowed_countries":["USA"]}}`, "alpha-2"},
		{"bad interval", `{` + goodCard + `,"controls":{"spending_limits":[{"amount":5,"interval":"hourly"}]}}`, `interval "hourly" unknown`},
		{"limit without amount", `{` + goodCard + `,"controls":{"spending_limits":[{"interval":"daily"}]}}`, "needs amount and interval"},
		{"zero limit", `{` + goodCard + `,"controls":{"spending_limits":[{"amount":0,"interval":"daily"}]}}`, "not positive"},
		{"zero velocity", `{` + goodCard + `,"controls":{"velocity":[{"count":0,"window_seconds":60}]}}`, "velocity"},
		{"unknown control", `{` + goodCard + `,"controls":{"max_amount":5}}`, `unknown field "max_amount"`},
		{"bad key hex", `{"kind":"card_keys","pan_prefix":"476173","cvk_a":"0123456789ABCDEG","cvk_b":"FEDCBA9876543210"}`, "16 hex digits"},
		{"control character", "{\"kind\":\"acc\tount\"}", "control character"},
		{"bad escape", `{"kind":"\x"}`, "bad escape"},
		{"deep nesting", `{` + goodCard + `,"controls":{"spending_limits":[{"categories":[[["1"]]]}]}}`, "expected a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l refdata.Line
			err := refdata.ParseLine([]byte(tc.line), &l)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, refdata.ErrInvalid) {
				t.Fatalf("error %q does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
			if pans.MatchString(err.Error()) {
				t.Fatalf("error %q carries a card number", err)
			}
		})
	}
}

var pans = regexp.MustCompile(`[0-9]{12,}`)

// mirror is the portfolio line as encoding/json reads it, to hold the
// hand-written reader to the standard library's reading.
type mirror struct {
	Kind               string          `json:"kind"`
	ID                 string          `json:"id"`
	Currency           string          `json:"currency"`
	Balance            int64           `json:"balance"`
	CreditLimit        int64           `json:"credit_limit"`
	Status             string          `json:"status"`
	Controls           *mirrorControls `json:"controls"`
	Account            string          `json:"account"`
	PAN                string          `json:"pan"`
	Expiry             string          `json:"expiry"`
	Network            string          `json:"network"`
	Cardholder         string          `json:"cardholder"`
	CancellationReason string          `json:"cancellation_reason"`
	PANPrefix          string          `json:"pan_prefix"`
	CVKA               string          `json:"cvk_a"`
	CVKB               string          `json:"cvk_b"`
}

type mirrorControls struct {
	AllowedCategories []string `json:"allowed_categories"`
	BlockedCategories []string `json:"blocked_categories"`
	AllowedCountries  []string `json:"allowed_countries"`
	BlockedCountries  []string `json:"blocked_countries"`
	SpendingLimits    []struct {
		Amount     int64    `json:"amount"`
		Interval   string   `json:"interval"`
		Categories []string `json:"categories"`
	} `json:"spending_limits"`
	Velocity []struct {
		Count         int   `json:"count"`
		WindowSeconds int64 `json:"window_seconds"`
	} `json:"velocity"`
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		`{"kind":"account","id":"acct_1","currency":"USD","balance":250000,"status":"active"}`,
		`{"kind":"cardholder","id":"ch_1","account":"acct_1","status":"active","controls":{"blocked_categories":["7995"]}}`,
		`{"kind":"card","id":"card_1","pan":"4761739001010010","expiry":"2812","network":"visa","account":"acct_1","cardholder":"ch_1","status":"active","controls":{"spending_limits":[{"amount":50000,"interval":"daily"}]}}`,
		`{"kind":"card_keys","pan_prefix":"476173","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}`,
		`{"kind":"account","id":"a\u0062","currency":"EUR","balance":-1,"credit_limit":null,"status":"closed","controls":{"velocity":[{"count":1,"window_seconds":1}],"allowed_countries":["FR"]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var l refdata.Line
		err := refdata.ParseLine(data, &l)
		if err != nil {
			if !errors.Is(err, refdata.ErrInvalid) {
				t.Fatalf("error %q does not wrap ErrInvalid", err)
			}
			if m := pans.FindString(err.Error()); m != "" && strings.Contains(string(data), m) {
				t.Fatalf("error %q echoes a digit run of the input", err)
			}
			return
		}
		// Accepted: encoding/json must read the same values.
		var m mirror
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("accepted a line encoding/json rejects: %v", err)
		}
		if m.Kind != l.Kind.String() {
			t.Fatalf("kind %q vs %v", m.Kind, l.Kind)
		}
		var ctl *mirrorControls
		switch l.Kind {
		case refdata.KindAccount:
			a := l.Account
			if a.ID != m.ID || a.Currency != m.Currency || a.Balance != m.Balance || a.CreditLimit != m.CreditLimit || a.Status.String() != m.Status {
				t.Fatalf("account %+v vs %+v", a, m)
			}
			ctl = m.Controls
			compareControls(t, a.Controls, ctl)
		case refdata.KindCardholder:
			h := l.Cardholder
			if h.ID != m.ID || h.Account != m.Account || h.Status.String() != m.Status {
				t.Fatalf("cardholder %+v vs %+v", h, m)
			}
			compareControls(t, h.Controls, m.Controls)
		case refdata.KindCard:
			c := l.Card
			if c.ID != m.ID || l.PAN != m.PAN || c.Expiry != m.Expiry || c.Network.String() != m.Network || c.Account != m.Account ||
				c.Cardholder != m.Cardholder || c.Status.String() != m.Status || c.Cancellation.String() != m.CancellationReason {
				t.Fatalf("card differs from encoding/json's reading")
			}
			compareControls(t, c.Controls, m.Controls)
		case refdata.KindCardKeys:
			if l.CardKeys.Prefix != m.PANPrefix || l.CardKeys.CVKA != m.CVKA || l.CardKeys.CVKB != m.CVKB {
				t.Fatalf("card keys differ from encoding/json's reading")
			}
		}
	})
}

func compareControls(t *testing.T, c *refdata.Controls, m *mirrorControls) {
	t.Helper()
	if c.Empty() && m == nil {
		return
	}
	if m == nil {
		t.Fatalf("controls %+v vs none", c)
	}
	if c == nil {
		c = &refdata.Controls{}
	}
	eq := func(a, b []string) bool { return len(a) == len(b) && (len(a) == 0 || reflect.DeepEqual(a, b)) }
	if !eq(c.AllowedCategories, m.AllowedCategories) || !eq(c.BlockedCategories, m.BlockedCategories) ||
		!eq(c.AllowedCountries, m.AllowedCountries) || !eq(c.BlockedCountries, m.BlockedCountries) ||
		len(c.SpendingLimits) != len(m.SpendingLimits) || len(c.Velocity) != len(m.Velocity) {
		t.Fatalf("controls %+v vs %+v", c, m)
	}
	for i, l := range c.SpendingLimits {
		ml := m.SpendingLimits[i]
		if l.Amount != ml.Amount || l.Interval.String() != ml.Interval || !eq(l.Categories, ml.Categories) {
			t.Fatalf("limit %+v vs %+v", l, ml)
		}
	}
	for i, v := range c.Velocity {
		mv := m.Velocity[i]
		if v.Count != mv.Count || v.Window != time.Duration(mv.WindowSeconds)*time.Second {
			t.Fatalf("velocity %+v vs %+v", v, mv)
		}
	}
}

func BenchmarkParseLineCard(b *testing.B) {
	line := []byte(`{"kind":"card","id":"card_1","pan":"4761739001010010","expiry":"2812","network":"visa","account":"acct_1","cardholder":"ch_1","status":"active","controls":{"spending_limits":[{"amount":50000,"interval":"daily"}]}}`)
	var l refdata.Line
	b.ReportAllocs()
	for b.Loop() {
		if err := refdata.ParseLine(line, &l); err != nil {
			b.Fatal(err)
		}
	}
}
