package admin_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authswitch/authswitch/switch/admin/resource"
)

func TestProgramRules(t *testing.T) {
	w := newWorld(t)
	var l resource.List[resource.ProgramRule]
	res := w.get("/v1/program_rules")
	expectStatus(t, "list", res, 200)
	res.decode(t, &l)
	if l.Object != "list" || len(l.Data) != 0 || l.Data == nil {
		t.Errorf("empty list: %s", res.body)
	}
	rules := map[string]any{"rules": []any{
		map[string]any{"name": "no_big_online", "expression": `amount > 50000`, "response_code": "61", "description": "cap"},
		map[string]any{"name": "no_gambling", "expression": `mcc == "7995"`},
	}}
	res = w.do("PUT", "/v1/program_rules", rules, req{})
	expectStatus(t, "replace", res, 200)
	res.decode(t, &l)
	if len(l.Data) != 2 || l.Data[0].Name != "no_big_online" || l.Data[0].ResponseCode != "61" ||
		l.Data[1].ResponseCode != "05" || l.Data[0].Object != "program_rule" {
		t.Errorf("replaced: %s", res.body)
	}
	if d := w.authorize(w.purchase(visaPAN, "590", 60000)); d.Answer.ResponseCode != "61" {
		t.Errorf("rule not in force: %s %s", d.Answer.ResponseCode, d.Reason)
	}
	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"no rules", map[string]any{}, "parameter_missing"},
		{"bad expression", map[string]any{"rules": []any{map[string]any{"name": "x", "expression": "amount >"}}}, "program_rules_invalid"},
		{"not bool", map[string]any{"rules": []any{map[string]any{"name": "x", "expression": "amount"}}}, "program_rules_invalid"},
		{"bad name", map[string]any{"rules": []any{map[string]any{"name": "X Y", "expression": "true"}}}, "program_rules_invalid"},
		{"approving code", map[string]any{"rules": []any{map[string]any{"name": "x", "expression": "true", "response_code": "00"}}}, "program_rules_invalid"},
	} {
		expectError(t, tc.name, w.do("PUT", "/v1/program_rules", tc.body, req{}), 400, tc.code, "rules")
	}
	w.get("/v1/program_rules").decode(t, &l)
	if len(l.Data) != 2 {
		t.Errorf("a refused set changed the rules in force: %+v", l.Data)
	}
	expectError(t, "reload without a file", w.post("/v1/program_rules/reload", nil, ""), 409, "no_program_file", "")
	// An empty set removes every rule.
	res = w.do("PUT", "/v1/program_rules", map[string]any{"rules": []any{}}, req{})
	res.decode(t, &l)
	if len(l.Data) != 0 {
		t.Errorf("empty set: %s", res.body)
	}
}

func TestReloadProgramRules(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("rules:\n  - name: first\n    expression: amount > 1\n")
	w := newWorld(t, withProgramFile(path))
	write("rules:\n  - name: second\n    expression: amount > 2\n  - name: third\n    expression: mcc == \"7995\"\n")
	res := w.post("/v1/program_rules/reload", nil, "")
	expectStatus(t, "reload", res, 200)
	var l resource.List[resource.ProgramRule]
	res.decode(t, &l)
	if len(l.Data) != 2 || l.Data[0].Name != "second" {
		t.Errorf("reloaded: %s", res.body)
	}
	write("rules:\n  - name: broken\n    expression: amount >\n")
	expectError(t, "reload a broken file", w.post("/v1/program_rules/reload", nil, ""), 400, "program_rules_invalid", "")
	w.get("/v1/program_rules").decode(t, &l)
	if len(l.Data) != 2 {
		t.Errorf("a broken file changed the rules in force: %+v", l.Data)
	}
	expectError(t, "reload with a body field", w.post("/v1/program_rules/reload", map[string]any{"path": "/etc"}, ""),
		400, "parameter_unknown", "path")
}

func TestAuthorizations(t *testing.T) {
	w := newWorld(t)
	w.post("/v1/cards", map[string]any{"id": "card_mc", "pan": mcPAN, "expiry": "2812", "network": "mastercard",
		"account": "acct_1"}, "")
	var seqs []string
	for i := range 7 {
		d := w.authorize(w.purchase(visaPAN, "590", int64(1000+i)))
		if d.Answer.ResponseCode != "00" {
			t.Fatalf("purchase %d declined: %s", i, d.Reason)
		}
		seqs = append(seqs, fmt.Sprintf("auth_%d", d.Seq))
	}
	decl := w.authorize(w.purchase(visaPAN, "999", 500)) // wrong CVV2
	if decl.Answer.ResponseCode == "00" {
		t.Fatal("wrong CVV2 approved")
	}
	unknown := w.authorize(w.purchase("4000056655665556", "123", 500)) // no such card

	res := w.get(fmt.Sprintf("/v1/authorizations/auth_%d", decl.Seq))
	expectStatus(t, "get decline", res, 200)
	var a resource.Authorization
	res.decode(t, &a)
	if a.Object != "authorization" || a.Approved || a.Decision != "declined" || a.Card != "card_visa" || a.CardLast4 != "1111" ||
		a.Account != "acct_1" || a.Amount != 500 || a.Currency != "USD" || a.ResponseCode == "00" || a.Hold != nil ||
		a.Network != "visa" || a.Kind != "authorization" || a.Merchant.Name != "EXAMPLE ONLINE STORE" || a.Reason == "" {
		t.Errorf("decline: %s", res.body)
	}
	var first resource.Authorization
	w.get("/v1/"+"authorizations/"+seqs[0]).decode(t, &first)
	if !first.Approved || first.Hold == nil || first.HoldAmount != 1000 || first.ApprovedAmount != 1000 ||
		first.LifecycleKey == "" || first.JournalEntry != "je_"+strings.TrimPrefix(seqs[0], "auth_") {
		t.Errorf("approval: %+v", first)
	}
	var u resource.Authorization
	w.get(fmt.Sprintf("/v1/authorizations/auth_%d", unknown.Seq)).decode(t, &u)
	if u.Card != "" || u.Account != "" || u.CardLast4 != "5556" || u.Approved {
		t.Errorf("unknown card: %+v", u)
	}

	// Pages of three, newest first, by card.
	var got []string
	after := ""
	for page := 0; page < 10; page++ {
		path := "/v1/authorizations?card=card_visa&limit=3"
		if after != "" {
			path += "&starting_after=" + after
		}
		var l resource.List[resource.Authorization]
		res := w.get(path)
		expectStatus(t, "list page", res, 200)
		res.decode(t, &l)
		for _, x := range l.Data {
			got = append(got, x.ID)
		}
		if !l.HasMore {
			break
		}
		after = l.Data[len(l.Data)-1].ID
	}
	want := []string{fmt.Sprintf("auth_%d", decl.Seq)}
	for i := len(seqs) - 1; i >= 0; i-- {
		want = append(want, seqs[i])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("pages by card: %v, want %v", got, want)
	}
	var l resource.List[resource.Authorization]
	w.get("/v1/authorizations?account=acct_1&limit=100").decode(t, &l)
	if len(l.Data) != 8 || l.HasMore {
		t.Errorf("by account: %d, more %v", len(l.Data), l.HasMore)
	}
	w.get("/v1/authorizations?card=card_mc").decode(t, &l)
	if len(l.Data) != 0 || l.Data == nil {
		t.Errorf("a card without authorizations: %+v", l)
	}
	w.get("/v1/authorizations?limit=1").decode(t, &l)
	if len(l.Data) != 1 || l.Data[0].ID != fmt.Sprintf("auth_%d", unknown.Seq) || !l.HasMore {
		t.Errorf("all, newest: %+v", l.Data)
	}

	expectError(t, "unknown id", w.get("/v1/authorizations/auth_999999"), 404, "resource_missing", "id")
	expectError(t, "malformed id", w.get("/v1/authorizations/acct_1"), 404, "resource_missing", "id")
	expectError(t, "limit 0", w.get("/v1/authorizations?card=card_visa&limit=0"), 400, "parameter_invalid", "limit")
	expectError(t, "limit 101", w.get("/v1/authorizations?card=card_visa&limit=101"), 400, "parameter_invalid", "limit")
	expectError(t, "limit x", w.get("/v1/authorizations?card=card_visa&limit=x"), 400, "parameter_invalid", "limit")
	expectError(t, "bad cursor", w.get("/v1/authorizations?card=card_visa&starting_after=card_visa"), 400, "parameter_invalid", "starting_after")
	expectError(t, "card and account", w.get("/v1/authorizations?card=card_visa&account=acct_1"), 400, "parameter_invalid", "account")
	expectError(t, "unknown parameter", w.get("/v1/authorizations?cardholder=ch_1"), 400, "parameter_unknown", "cardholder")
}

func TestAuthorizationsWithoutIndex(t *testing.T) {
	w := newWorld(t, withoutIndex())
	expectError(t, "get", w.get("/v1/authorizations/auth_1"), 503, "authorization_index_unavailable", "")
	expectError(t, "list", w.get("/v1/authorizations?card=card_visa"), 503, "authorization_index_unavailable", "")
	d := w.authorize(w.purchase(visaPAN, "590", 2500))
	hold := fmt.Sprintf("hold_%d", d.HoldID)
	// Without the index, an open hold is found by the ledger, and a hold
	// it no longer holds through the account the request names.
	expectStatus(t, "capture of an open hold", w.post("/v1/holds/"+hold+"/capture", map[string]any{"amount": 2500}, "c1"), 201)
	if b := w.balance("acct_1"); b.Posted != 97500 || b.Pending != 0 {
		t.Errorf("after capture: %+v", b)
	}
	expectError(t, "capture of a closed hold without an account", w.post("/v1/holds/"+hold+"/capture",
		map[string]any{"amount": 100}, "c2"), 400, "parameter_missing", "account")
	expectError(t, "capture of a closed hold naming the account", w.post("/v1/holds/"+hold+"/capture",
		map[string]any{"amount": 100, "account": "acct_1"}, "c3"), 404, "hold_not_found", "id")
}

func TestHolds(t *testing.T) {
	w := newWorld(t)
	d1 := w.authorize(w.purchase(visaPAN, "590", 3000))
	d2 := w.authorize(w.purchase(visaPAN, "590", 2000))
	if d1.HoldID == 0 || d2.HoldID == 0 {
		t.Fatalf("no holds: %+v %+v", d1, d2)
	}
	var acct resource.Account
	w.get("/v1/accounts/acct_1").decode(t, &acct)
	if len(acct.Holds.Data) != 2 || acct.Balances.Pending != 5000 || acct.Balances.Available != 95000 {
		t.Fatalf("account with holds: %+v", acct)
	}
	h := acct.Holds.Data[0]
	if h.ID != fmt.Sprintf("hold_%d", d1.HoldID) || h.Amount != 3000 || h.Card != "card_visa" || h.Currency != "USD" ||
		h.Object != "hold" || h.LifecycleKey == "" || h.ExpiresAt <= h.Created || h.Authorizations != 1 {
		t.Errorf("hold: %+v", h)
	}

	var page resource.List[resource.Hold]
	res0 := w.get("/v1/accounts/acct_1/holds?limit=1")
	expectStatus(t, "holds page", res0, 200)
	res0.decode(t, &page)
	if len(page.Data) != 1 || !page.HasMore || page.Data[0].ID != h.ID {
		t.Errorf("first page of holds: %s", res0.body)
	}
	w.get("/v1/accounts/acct_1/holds?starting_after="+h.ID).decode(t, &page)
	if len(page.Data) != 1 || page.HasMore || page.Data[0].Amount != 2000 {
		t.Errorf("second page of holds: %+v", page)
	}
	expectError(t, "holds of an unknown account", w.get("/v1/accounts/acct_none/holds"), 404, "resource_missing", "id")
	expectError(t, "bad cursor", w.get("/v1/accounts/acct_1/holds?starting_after=auth_1"), 400, "parameter_invalid", "starting_after")
	expectError(t, "bad limit", w.get("/v1/accounts/acct_1/holds?limit=1000"), 400, "parameter_invalid", "limit")

	// Capture the first for more than was held (a tip).
	capPath := "/v1/holds/" + h.ID + "/capture"
	expectError(t, "capture without a key", w.post(capPath, map[string]any{"amount": 3300}, ""), 400, "idempotency_key_missing", "Idempotency-Key")
	expectError(t, "capture nothing", w.post(capPath, map[string]any{"amount": 0}, "cap-0"), 400, "parameter_invalid", "amount")
	res := w.post(capPath, map[string]any{"amount": 3300}, "cap-1")
	expectStatus(t, "capture", res, http.StatusCreated)
	var c resource.Capture
	res.decode(t, &c)
	if c.Object != "capture" || c.Hold == nil || *c.Hold != h.ID || c.Amount != 3300 || c.ReleasedAmount != 3000 ||
		c.Account != "acct_1" || c.BalanceAfter.Posted != 96700 {
		t.Errorf("capture: %s", res.body)
	}
	again := w.post(capPath, map[string]any{"amount": 3300}, "cap-1")
	if again.status != 201 || !bytes.Equal(again.body, res.body) {
		t.Errorf("capture retry: %d %s", again.status, again.body)
	}
	if b := w.balance("acct_1"); b.Posted != 96700 || b.Pending != 2000 {
		t.Errorf("after capture and retry: %+v", b)
	}
	expectError(t, "capture again with another key", w.post(capPath, map[string]any{"amount": 3300}, "cap-2"),
		404, "hold_not_found", "id")

	// Release part of the second, then the rest.
	relPath := fmt.Sprintf("/v1/holds/hold_%d/release", d2.HoldID)
	res = w.post(relPath, map[string]any{"amount": 500}, "rel-1")
	expectStatus(t, "partial release", res, http.StatusCreated)
	var r resource.Release
	res.decode(t, &r)
	if r.Object != "release" || r.Amount != 500 || r.HoldAmount != 1500 || r.BalanceAfter.Available != 96700-1500 {
		t.Errorf("partial release: %s", res.body)
	}
	expectStatus(t, "retry", w.post(relPath, map[string]any{"amount": 500}, "rel-1"), http.StatusCreated)
	if b := w.balance("acct_1"); b.Pending != 1500 {
		t.Errorf("pending %d after a retried release, want 1500", b.Pending)
	}
	res = w.post(relPath, nil, "rel-2")
	expectStatus(t, "release the rest", res, http.StatusCreated)
	res.decode(t, &r)
	if r.Amount != 1500 || r.HoldAmount != 0 {
		t.Errorf("full release: %s", res.body)
	}
	if b := w.balance("acct_1"); b.Pending != 0 || b.Available != 96700 {
		t.Errorf("after releases: %+v", b)
	}
	expectError(t, "release a released hold", w.post(relPath, nil, "rel-3"), 404, "hold_not_found", "id")
	expectError(t, "unknown hold", w.post("/v1/holds/hold_99999/release", nil, "rel-4"), 404, "hold_not_found", "id")
	expectError(t, "malformed hold id", w.post("/v1/holds/acct_1/release", nil, "rel-5"), 404, "hold_not_found", "id")
	expectError(t, "negative release", w.post(relPath, map[string]any{"amount": -1}, "rel-6"), 400, "parameter_invalid", "amount")
	expectError(t, "a hold of another account", w.post(fmt.Sprintf("/v1/holds/hold_%d/capture", d1.HoldID),
		map[string]any{"amount": 1, "account": "acct_none"}, "cap-3"), 404, "hold_not_found", "id")
}

func TestCapturesByLifecycle(t *testing.T) {
	w := newWorld(t)
	a := w.purchase(visaPAN, "590", 4000)
	d := w.authorize(a)
	body := map[string]any{"network": "visa", "lifecycle_key": a.LifecycleKey, "amount": 4200, "currency": "USD",
		"date": "2025-11-25", "idempotency_key": "clearing-file-7-line-1"}
	res := w.do("POST", "/v1/captures", body, req{token: "fedcba9876543210fedc"})
	expectStatus(t, "capture", res, http.StatusCreated)
	var c resource.Capture
	res.decode(t, &c)
	if c.Hold == nil || *c.Hold != fmt.Sprintf("hold_%d", d.HoldID) || c.Amount != 4200 || c.ReleasedAmount != 4000 ||
		c.Network != "visa" || c.LifecycleKey != a.LifecycleKey || c.Date != "2025-11-25" || c.Account != "acct_1" {
		t.Errorf("capture: %s", res.body)
	}
	again := w.do("POST", "/v1/captures", body, req{token: "fedcba9876543210fedc"})
	if again.status != 201 || !bytes.Equal(again.body, res.body) {
		t.Errorf("retry: %d %s", again.status, again.body)
	}
	if b := w.balance("acct_1"); b.Posted != 95800 || b.Pending != 0 {
		t.Errorf("after capture and retry: %+v", b)
	}
	// A second presentment of the same life cycle (the hold is gone)
	// still posts: the money was spent.
	body["idempotency_key"], body["amount"] = "clearing-file-7-line-2", 100
	res = w.post("/v1/captures", body, "")
	expectStatus(t, "second presentment", res, http.StatusCreated)
	res.decode(t, &c)
	if c.Hold != nil || c.Amount != 100 || c.BalanceAfter.Posted != 95700 {
		t.Errorf("second presentment: %s", res.body)
	}
	// A refund's credit.
	body["idempotency_key"], body["amount"] = "clearing-file-7-line-3", -700
	expectStatus(t, "credit", w.post("/v1/captures", body, ""), http.StatusCreated)
	if b := w.balance("acct_1"); b.Posted != 96400 {
		t.Errorf("after the credit: %+v", b)
	}

	expectError(t, "unknown life cycle", w.post("/v1/captures", map[string]any{"network": "visa", "lifecycle_key": "999999999999999",
		"amount": 1, "currency": "USD", "date": "2025-11-25"}, "x1"), 404, "hold_not_found", "lifecycle_key")
	expectError(t, "the other network's life cycle", w.post("/v1/captures", map[string]any{"network": "mastercard",
		"lifecycle_key": a.LifecycleKey, "amount": 1, "currency": "USD", "date": "2025-11-25"}, "x2"), 404, "hold_not_found", "lifecycle_key")
	base := func(k string, v any) map[string]any {
		m := map[string]any{"network": "visa", "lifecycle_key": a.LifecycleKey, "amount": 1, "currency": "USD", "date": "2025-11-25"}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name        string
		body        map[string]any
		idem        string
		code, param string
	}{
		{"no key", base("x", nil), "", "idempotency_key_missing", "Idempotency-Key"},
		{"keys differ", base("idempotency_key", "a"), "b", "idempotency_key_mismatch", "idempotency_key"},
		{"no network", base("network", nil), "k", "parameter_missing", "network"},
		{"bad network", base("network", "discover"), "k", "parameter_invalid", "network"},
		{"no life cycle", base("lifecycle_key", nil), "k", "parameter_missing", "lifecycle_key"},
		{"bad life cycle", base("lifecycle_key", "a b"), "k", "parameter_invalid", "lifecycle_key"},
		{"zero", base("amount", 0), "k", "parameter_invalid", "amount"},
		{"no currency", base("currency", nil), "k", "parameter_missing", "currency"},
		{"other currency", base("currency", "EUR"), "k-eur", "currency_mismatch", "currency"},
		{"no date", base("date", nil), "k", "parameter_missing", "date"},
		{"bad date", base("date", "2025-13-01"), "k", "parameter_invalid", "date"},
	} {
		expectError(t, tc.name, w.post("/v1/captures", tc.body, tc.idem), 400, tc.code, tc.param)
	}
	if b := w.balance("acct_1"); b.Posted != 96400 {
		t.Errorf("refused captures moved money: %+v", b)
	}
}
