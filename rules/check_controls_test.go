package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

// setControls puts controls (portfolio JSON) on an account, cardholder or
// card of the base portfolio.
func setControls(t *testing.T, w *world, kind refdata.Kind, id, controls string) {
	t.Helper()
	// Parse the controls through a portfolio line of the right kind.
	var l refdata.Line
	var line string
	switch kind {
	case refdata.KindAccount:
		line = fmt.Sprintf(`{"kind":"account","id":%q,"currency":"USD","balance":100000,"status":"active","controls":%s}`, id, controls)
	case refdata.KindCardholder:
		line = fmt.Sprintf(`{"kind":"cardholder","id":%q,"account":"acct_1","status":"active","controls":%s}`, id, controls)
	case refdata.KindCard:
		line = fmt.Sprintf(`{"kind":"card","id":%q,"pan":%q,"expiry":"2812","network":"visa","account":"acct_1","cardholder":"ch_1","status":"active","controls":%s}`, id, visaPAN, controls)
	}
	if err := refdata.ParseLine([]byte(line), &l); err != nil {
		t.Fatalf("controls %s: %v", controls, err)
	}
	var c *refdata.Controls
	switch kind {
	case refdata.KindAccount:
		c = l.Account.Controls
	case refdata.KindCardholder:
		c = l.Cardholder.Controls
	case refdata.KindCard:
		c = l.Card.Controls
	}
	if err := w.engine.SetControls(kind, id, c); err != nil {
		t.Fatalf("SetControls: %v", err)
	}
}

func TestCheckControls(t *testing.T) {
	type step struct {
		amount int64
		mod    func(a *spec.Authorization)
		after  time.Duration // clock moves before the step
		want   answer
	}
	ok := answer{"00", "funds", "approved", 'M', 0}
	limit := answer{"61", "controls", "spending_controls", 'M', 0}
	notPermitted := answer{"57", "controls", "spending_controls", 'M', 0}
	mcc := func(m string) func(a *spec.Authorization) { return func(a *spec.Authorization) { a.MCC = m } }
	country := func(c string) func(a *spec.Authorization) {
		return func(a *spec.Authorization) { a.MerchantCountry = c }
	}
	tests := []struct {
		name     string
		kind     refdata.Kind
		id       string
		controls string
		steps    []step
	}{
		{"blocked category on the account", refdata.KindAccount, "acct_1", `{"blocked_categories":["7995"]}`,
			[]step{{1000, mcc("7995"), 0, notPermitted}, {1000, mcc("5999"), 0, ok}}},
		{"blocked category on the cardholder", refdata.KindCardholder, "ch_1", `{"blocked_categories":["7995"]}`,
			[]step{{1000, mcc("7995"), 0, notPermitted}}},
		{"allowed categories on the card", refdata.KindCard, "card_visa", `{"allowed_categories":["5411","5999"]}`,
			[]step{{1000, mcc("5411"), 0, ok}, {1000, mcc("5812"), 0, notPermitted}, {1000, mcc(""), 0, notPermitted}}},
		{"blocked country", refdata.KindCard, "card_visa", `{"blocked_countries":["RU"]}`,
			[]step{{1000, country("RU"), 0, notPermitted}, {1000, country("FR"), 0, ok}, {1000, country(""), 0, ok}}},
		{"allowed countries", refdata.KindAccount, "acct_1", `{"allowed_countries":["US","CA"]}`,
			[]step{{1000, country("CA"), 0, ok}, {1000, country("MX"), 0, notPermitted}, {1000, country(""), 0, notPermitted}}},
		// A limit is exceeded only when the new total is strictly greater.
		{"per-authorization limit", refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":5000,"interval":"per_authorization"}]}`,
			[]step{{5000, nil, 0, ok}, {5001, nil, 0, limit}}},
		{"daily limit on the cardholder", refdata.KindCardholder, "ch_1", `{"spending_limits":[{"amount":10000,"interval":"daily"}]}`,
			[]step{{6000, nil, 0, ok}, {5000, nil, 0, limit}, {4000, nil, 0, ok}, {1, nil, 0, limit},
				{10000, nil, 16 * time.Hour, ok}}}, // the next UTC day
		{"velocity on the account", refdata.KindAccount, "acct_1", `{"velocity":[{"count":2,"window_seconds":60}]}`,
			[]step{{100, nil, 0, ok}, {100, nil, 0, ok}, {100, nil, 0, answer{"65", "controls", "spending_controls", 'M', 0}},
				{100, nil, 61 * time.Second, ok}}},
		{"limit for some categories", refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":1000,"interval":"monthly","categories":["7995"]}]}`,
			[]step{{5000, mcc("5999"), 0, ok}, {1500, mcc("7995"), 0, limit}, {1000, mcc("7995"), 0, ok}}},
		// Kinds in order: categories before limits, limits before velocity.
		{"categories before limits", refdata.KindCard, "card_visa", `{"blocked_categories":["7995"],"spending_limits":[{"amount":1,"interval":"per_authorization"}]}`,
			[]step{{5000, mcc("7995"), 0, notPermitted}, {5000, mcc("5999"), 0, limit}}},
		{"limits before velocity", refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":1000,"interval":"per_authorization"}],"velocity":[{"count":1,"window_seconds":3600}]}`,
			[]step{{100, nil, 0, ok}, {5000, nil, 0, limit}, {100, nil, 0, answer{"65", "controls", "spending_controls", 'M', 0}}}},
		{"refunds are not limited", refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":5000,"interval":"per_authorization"}]}`,
			[]step{{9000, func(a *spec.Authorization) { a.Type, a.ProcessingCode = spec.TxnRefund, "200000" }, 0, answer{"00", "funds", "refund", 'M', 0}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			setControls(t, w, tc.kind, tc.id, tc.controls)
			for i, s := range tc.steps {
				w.advance(s.after)
				a := w.purchase(s.amount)
				if s.mod != nil {
					s.mod(a)
				}
				w.expect(fmt.Sprintf("step %d", i+1), a, s.want)
			}
		})
	}
}

// With a program rule that would decline as well, a limit still decides:
// controls come before program rules, so the limits are checked (read-only)
// before the rules run.
func TestControlsBeforeProgramRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte("rules:\n  - name: all_large\n    expression: amount > 4000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, withProgramRules(path))
	setControls(t, w, refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":5000,"interval":"per_authorization"}],"velocity":[{"count":1,"window_seconds":3600}]}`)
	w.expect("limit first", w.purchase(6000), answer{"61", "controls", "spending_controls", 'M', 0})
	w.expect("then the rule", w.purchase(4500), answer{"05", "program", "program_rule:all_large", 'M', 0})
	w.expect("approved", w.purchase(100), answer{"00", "funds", "approved", 'M', 0})
	w.expect("velocity before the rule", w.purchase(4500), answer{"65", "controls", "spending_controls", 'M', 0})
}

// In a chain that puts verification after controls, a failing limit still
// comes before a wrong CVV2.
func TestControlsBeforeALaterCheck(t *testing.T) {
	w := newWorld(t, withChain("sanity", "card", "controls", "verification", "funds"))
	setControls(t, w, refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":5000,"interval":"per_authorization"}]}`)
	a := w.purchase(6000)
	a.CVV2 = "000"
	// The CVV2 was checked (N), but the limit comes first.
	w.expect("limit and CVV2", a, answer{"61", "controls", "spending_controls", 'N', 0})
	a = w.purchase(100)
	a.CVV2 = "000"
	w.expect("CVV2 alone", a, answer{"N7", "verification", "verification_failed", 'N', 0})
}

// Racing authorizations never spend past a limit: the ledger re-checks
// limits atomically with the hold.
func TestLimitHoldsUnderRace(t *testing.T) {
	w := newWorld(t, withChain(rules.DefaultChain...))
	setControls(t, w, refdata.KindCard, "card_visa", `{"spending_limits":[{"amount":10000,"interval":"daily"}]}`)
	var wg sync.WaitGroup
	var mu sync.Mutex
	approved := int64(0)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				a := w.purchase(700)
				d := w.engine.Authorize(a)
				if d.Answer.ResponseCode == "00" {
					mu.Lock()
					approved += 700
					mu.Unlock()
				} else if d.Answer.ResponseCode != "61" {
					t.Errorf("answer %s %s", d.Answer.ResponseCode, d.Reason)
				}
			}
		}()
	}
	wg.Wait()
	if approved != 9800 { // 14 × 700 ≤ 10000 < 15 × 700
		t.Fatalf("approved %d against a daily limit of 10000", approved)
	}
	if got := w.available("acct_1"); got != 100000-9800 {
		t.Fatalf("available %d", got)
	}
}
