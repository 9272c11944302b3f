package program_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/rules/program"
)

func input() *program.Input {
	return &program.Input{
		Amount: 25000, Currency: "USD", BillingAmount: 25000, BillingCurrency: "USD",
		MCC: "7995", Country: "US", Network: "visa", Type: "purchase", EntryMode: "ecommerce",
		AcquirerCountry: "840", AcquirerID: "400050", TerminalID: "TERM0001",
		MerchantName: "LUCKY CASINO", MerchantCity: "LAS VEGAS", PartialSupported: true,
		CardID: "card_1", AccountID: "acct_1",
		At: time.Date(2025, 11, 24, 23, 30, 0, 0, time.UTC), // a Monday
	}
}

func TestMatchFirstRuleInOrder(t *testing.T) {
	set, err := program.Compile([]program.Rule{
		{Name: "small_gambling", Expression: `mcc == "7995" && amount <= 20000`},
		{Name: "big_gambling", Expression: `mcc == "7995" && amount > 20000`, ResponseCode: "57"},
		{Name: "any_casino", Expression: `merchant_name.contains("CASINO")`},
	})
	if err != nil {
		t.Fatal(err)
	}
	i := set.Match(input(), nil)
	if i != 1 {
		t.Fatalf("matched rule %d, want 1", i)
	}
	r := set.Rule(i)
	if r.Name != "big_gambling" || r.Reason != "program_rule:big_gambling" || r.ResponseCode != "57" {
		t.Fatalf("rule %+v", r)
	}
	if set.Rule(0).ResponseCode != program.DefaultResponseCode {
		t.Fatalf("default response code %q", set.Rule(0).ResponseCode)
	}
}

func TestEveryVariable(t *testing.T) {
	tests := []struct {
		expr  string
		match bool
	}{
		{`amount == 25000`, true},
		{`currency == "USD" && billing_currency == "USD" && billing_amount == 25000`, true},
		{`country in ["US", "CA"]`, true},
		{`network == "visa" && txn_type == "purchase" && entry_mode == "ecommerce"`, true},
		{`acquirer_country == "840" && acquirer_id == "400050" && terminal_id == "TERM0001"`, true},
		{`merchant_city.startsWith("LAS")`, true},
		{`partial_supported`, true},
		{`card_id == "card_1" && account_id == "acct_1" && cardholder_id == ""`, true},
		{`hour_utc >= 22 && weekday_utc == 1`, true},
		{`mcc.startsWith("5")`, false},
		{`amount > 25000`, false},
	}
	for _, tc := range tests {
		set, err := program.Compile([]program.Rule{{Name: "r", Expression: tc.expr}})
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if got := set.Match(input(), nil) == 0; got != tc.match {
			t.Errorf("%s: match %v, want %v", tc.expr, got, tc.match)
		}
	}
}

func TestCompileRejects(t *testing.T) {
	long := strings.Repeat(`mcc == "1234" || `, 300) + "true"
	tests := []struct {
		name  string
		rules []program.Rule
		want  string
	}{
		{"bad name", []program.Rule{{Name: "Big Gambling", Expression: "true"}}, "name must be"},
		{"duplicate", []program.Rule{{Name: "a", Expression: "true"}, {Name: "a", Expression: "false"}}, "used twice"},
		{"approval code", []program.Rule{{Name: "a", Expression: "true", ResponseCode: "00"}}, "not a decline code"},
		{"syntax", []program.Rule{{Name: "a", Expression: "mcc =="}}, "rule a"},
		{"unknown variable", []program.Rule{{Name: "a", Expression: "pan == \"4111\""}}, "undeclared reference"},
		{"type error", []program.Rule{{Name: "a", Expression: `amount == "5"`}}, "no matching overload"},
		{"not bool", []program.Rule{{Name: "a", Expression: "amount + 1"}}, "not bool"},
		{"empty", []program.Rule{{Name: "a"}}, "expression empty"},
		{"too long", []program.Rule{{Name: "a", Expression: long}}, "longer than"},
	}
	for _, tc := range tests {
		_, err := program.Compile(tc.rules)
		if !errors.Is(err, program.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want ErrInvalid saying %q", tc.name, err, tc.want)
		}
	}
}

func TestCostBound(t *testing.T) {
	// A comprehension over a long literal list is refused by its estimated
	// cost, before it ever runs.
	var b strings.Builder
	b.WriteString("[")
	for i := 0; i < 50; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"`)
	}
	b.WriteString(`].exists(x, [1,2,3,4,5,6,7,8,9,10].exists(y, merchant_name.contains(x)))`)
	_, err := program.Compile([]program.Rule{{Name: "costly", Expression: b.String()}})
	if !errors.Is(err, program.ErrInvalid) || !strings.Contains(err.Error(), "estimated cost") {
		t.Fatalf("error %v, want the cost bound", err)
	}
}

func TestEvaluationErrorDoesNotMatch(t *testing.T) {
	set, err := program.Compile([]program.Rule{
		{Name: "overflow", Expression: `amount * 9223372036854775807 > 0`},
		{Name: "next", Expression: `true`},
	})
	if err != nil {
		t.Fatal(err)
	}
	var failed []int
	if i := set.Match(input(), func(rule int, err error) { failed = append(failed, rule) }); i != 1 {
		t.Fatalf("matched %d, want 1", i)
	}
	if len(failed) != 1 || failed[0] != 0 {
		t.Fatalf("errors reported for %v", failed)
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, []byte(`rules:
  - name: no_big_gambling
    expression: mcc == "7995" && amount > 20000
    description: gambling above 200.00
  - name: no_cash_abroad
    expression: txn_type == "cash" && country != "US"
    response_code: "57"
`), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := program.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != 2 || set.Source() != path || set.Rules()[1].ResponseCode != "57" || set.Rules()[0].Description == "" {
		t.Fatalf("set %+v", set.Rules())
	}
	if err := os.WriteFile(path, []byte("rules:\n  - name: x\n    expresion: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := program.Load(path); !errors.Is(err, program.ErrInvalid) {
		t.Fatalf("misspelt field: %v", err)
	}
	if _, err := program.Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Fatal("missing file loaded")
	}
}

func TestEnumeratedValuesDoNotAllocate(t *testing.T) {
	set, err := program.Compile([]program.Rule{{Name: "r", Expression: `mcc == "7995" && country == "US" && network == "visa" && amount > 200`}})
	if err != nil {
		t.Fatal(err)
	}
	in := input()
	in.Amount = 250 // below 256: boxed without allocating
	set.Match(in, nil)
	allocs := testing.AllocsPerRun(200, func() {
		if set.Match(in, nil) != 0 {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Fatalf("evaluation allocates %.1f times", allocs)
	}
}

func BenchmarkMatchOneRule(b *testing.B) {
	set, err := program.Compile([]program.Rule{{Name: "no_big_gambling", Expression: `mcc == "7995" && amount > 20000`}})
	if err != nil {
		b.Fatal(err)
	}
	in := input()
	in.MCC = "5411"
	b.ReportAllocs()
	for b.Loop() {
		if set.Match(in, nil) != -1 {
			b.Fatal("matched")
		}
	}
}
