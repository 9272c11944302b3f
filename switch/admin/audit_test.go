package admin_test

import (
	"fmt"
	"strings"
	"testing"
)

func TestWritesAreAudited(t *testing.T) {
	w := newWorld(t)
	w.post("/v1/accounts", map[string]any{"id": "acct_a", "currency": "USD"}, "")
	w.post("/v1/cardholders", map[string]any{"id": "ch_a", "account": "acct_a"}, "")
	w.post("/v1/cards", map[string]any{"id": "card_a", "pan": mcPAN, "expiry": "2812", "network": "mastercard", "account": "acct_a"}, "")
	w.post("/v1/cards/card_a", map[string]any{"status": "canceled", "cancellation_reason": "lost"}, "")
	w.do("PUT", "/v1/card_keys/555555", map[string]any{"cvk_a": "0011223344556677", "cvk_b": cvkB}, req{})
	w.do("PUT", "/v1/program_rules", map[string]any{"rules": []any{}}, req{token: "fedcba9876543210fedc"})
	w.post("/v1/accounts/acct_a/fund", map[string]any{"amount": 10}, "fund-a")
	w.post("/v1/accounts/acct_a/fund", map[string]any{"amount": 10}, "fund-a") // a replay is not a second write
	w.get("/v1/accounts/acct_a")                                               // reads are not audited

	w.mu.Lock()
	var got []string
	for _, ev := range w.audits {
		s := ev.Actor + " " + ev.Action + " " + ev.Object
		if ev.JournalSeq != 0 {
			s += " je"
		}
		if ev.RequestID == "" || ev.Time.IsZero() {
			t.Errorf("audit event without a request id or time: %+v", ev)
		}
		got = append(got, s)
	}
	logs := w.logs.String()
	w.mu.Unlock()
	want := []string{
		"ops account.create acct_a", "ops cardholder.create ch_a", "ops card.create card_a", "ops card.cancel card_a",
		"ops card_keys.put 555555", "settlement program_rules.replace program_rules", "ops account.fund acct_a je",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("audit events:\n got %q\nwant %q", got, want)
	}
	if n := strings.Count(logs, "msg=audit"); n != len(want) {
		t.Errorf("%d audit log lines, want %d", n, len(want))
	}
}

func TestMetrics(t *testing.T) {
	w := newWorld(t)
	w.get("/v1/accounts/acct_1")
	w.get("/v1/accounts/acct_none")
	w.do("GET", "/v1/accounts/acct_1", nil, req{token: "-"})
	w.post("/v1/accounts/acct_1/fund", map[string]any{"amount": 1}, "m-1")
	w.post("/v1/accounts/acct_1/fund", map[string]any{"amount": 1}, "m-1")
	for _, tc := range []struct {
		route, code string
		want        float64
	}{
		{"accounts.get", "200", 1}, {"accounts.get", "404", 1}, {"accounts.get", "401", 1}, {"accounts.fund", "201", 2},
	} {
		got := requests(t, w, tc.route, tc.code)
		if got != tc.want {
			t.Errorf("authswitch_admin_requests_total{route=%s,code=%s} = %v, want %v", tc.route, tc.code, got, tc.want)
		}
	}
	for name, want := range map[string]float64{"authswitch_admin_auth_failures_total": 1, "authswitch_admin_idempotent_replays_total": 1} {
		if got := gathered(t, w, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	w.authorize(w.purchase(visaPAN, "590", 100))
	if got := gathered(t, w, "authswitch_admin_authindex_lag_entries"); got != 0 {
		t.Errorf("index lag %v after feeding it", got)
	}
	w.engine.Decide(w.purchase(visaPAN, "590", 100)) // not fed to the index
	if got := gathered(t, w, "authswitch_admin_authindex_lag_entries"); got < 0 || got > 1 {
		t.Errorf("index lag %v, want 0 or 1 (durability is asynchronous)", got)
	}
}

// requests returns authswitch_admin_requests_total{route,code}.
func requests(t *testing.T, w *world, route, code string) float64 {
	t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "authswitch_admin_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// gathered returns the value of an unlabelled counter or gauge.
func gathered(t *testing.T, w *world, name string) float64 {
	t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			m := mf.GetMetric()[0]
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
