package rules_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/rules/program"
	"github.com/authswitch/authswitch/spec"
)

func writeRules(t *testing.T, path, yaml string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCheckProgram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	writeRules(t, path, `rules:
  - name: no_big_gambling
    expression: mcc == "7995" && amount > 20000
  - name: no_cash_abroad
    expression: txn_type == "cash" && country != "US"
    response_code: "57"
`)
	w := newWorld(t, withProgramRules(path))
	tests := []struct {
		name string
		mod  func(a *spec.Authorization)
		want answer
	}{
		{"small gambling", func(a *spec.Authorization) { a.MCC, a.Amount = "7995", 20000 }, answer{"00", "funds", "approved", 'M', 0}},
		{"big gambling", func(a *spec.Authorization) { a.MCC, a.Amount = "7995", 20001 }, answer{"05", "program", "program_rule:no_big_gambling", 'M', 0}},
		{"cash abroad", func(a *spec.Authorization) { a.Type, a.MerchantCountry = spec.TxnCash, "FR" }, answer{"57", "program", "program_rule:no_cash_abroad", 'M', 0}},
		{"cash at home", func(a *spec.Authorization) { a.Type = spec.TxnCash }, answer{"00", "funds", "approved", 'M', 0}},
		// Earlier checks come first.
		{"unknown card", func(a *spec.Authorization) { a.MCC, a.Amount, a.PAN = "7995", 30000, "4111111111111129" }, answer{"14", "card", "card_unknown", 'P', 0}},
	}
	for _, tc := range tests {
		a := w.purchase(1000)
		tc.mod(a)
		w.expect(tc.name, a, tc.want)
	}
	if got := (counter(t, w, "authswitch_rules_program_rule_declines_total", "rule", "no_big_gambling")); got != 1 {
		t.Fatalf("declines of no_big_gambling: %v", got)
	}

	// Reloading the file changes the rules without a restart.
	writeRules(t, path, "rules:\n  - name: no_gambling\n    expression: mcc == \"7995\"\n")
	if err := w.engine.ReloadProgramRules(); err != nil {
		t.Fatal(err)
	}
	a := w.purchase(100)
	a.MCC = "7995"
	w.expect("after reload", a, answer{"05", "program", "program_rule:no_gambling", 'M', 0})
	if r := w.engine.ProgramRules(); len(r) != 1 || r[0].Name != "no_gambling" {
		t.Fatalf("rules in force: %+v", r)
	}

	// A bad file keeps the rules in force.
	writeRules(t, path, "rules:\n  - name: broken\n    expression: mcc ==\n")
	if err := w.engine.ReloadProgramRules(); !errors.Is(err, program.ErrInvalid) {
		t.Fatalf("reload of a bad file: %v", err)
	}
	a = w.purchase(100)
	a.MCC = "7995"
	w.expect("bad reload kept the rules", a, answer{"05", "program", "program_rule:no_gambling", 'M', 0})

	// Replacing them in memory.
	if err := w.engine.ReplaceProgramRules(nil); err != nil {
		t.Fatal(err)
	}
	a = w.purchase(100)
	a.MCC = "7995"
	w.expect("no rules", a, answer{"00", "funds", "approved", 'M', 0})
}

func TestProgramRuleErrorsDoNotDecline(t *testing.T) {
	w := newWorld(t)
	if err := w.engine.ReplaceProgramRules([]program.Rule{{Name: "overflow", Expression: "amount * 9223372036854775807 > 0"}}); err != nil {
		t.Fatal(err)
	}
	w.expect("failing rule", w.purchase(1000), answer{"00", "funds", "approved", 'M', 0})
	if got := (counter(t, w, "authswitch_rules_program_rule_errors_total", "rule", "overflow")); got != 1 {
		t.Fatalf("errors counted: %v", got)
	}
	if err := (&rules.Engine{}).ReloadProgramRules(); !errors.Is(err, rules.ErrNoProgramFile) {
		t.Fatalf("reload without a file: %v", err)
	}
}

// counter finds one counter of the world's registry by name and label.
func counter(t *testing.T, w *world, name, label, value string) float64 {
	t.Helper()
	families, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	t.Fatalf("no %s{%s=%q} among %s", name, label, value, strings.Join(names, ", "))
	return 0
}
