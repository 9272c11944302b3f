package admin_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/switch/admin"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

func TestCreateAndGetAccount(t *testing.T) {
	w := newWorld(t)
	body := map[string]any{"id": "acct_new", "currency": "EUR", "balance": 25000, "credit_limit": 5000,
		"controls": map[string]any{"blocked_categories": []string{"7995"},
			"spending_limits": []any{map[string]any{"amount": 50000, "interval": "daily"}}}}

	expectError(t, "opening balance without an idempotency key", w.post("/v1/accounts", body, ""),
		http.StatusBadRequest, "idempotency_key_missing", "Idempotency-Key")
	if _, ok := w.ledger.Balance("acct_new"); ok {
		t.Fatal("a refused create reached the ledger")
	}

	res := w.post("/v1/accounts", body, "create-acct-new")
	expectStatus(t, "create", res, http.StatusCreated)
	var acct resource.Account
	res.decode(t, &acct)
	want := resource.Balances{Currency: "EUR", Posted: 25000, CreditLimit: 5000, Available: 30000}
	if acct.ID != "acct_new" || acct.Object != "account" || acct.Status != "active" || acct.Currency != "EUR" ||
		acct.Balances != want || acct.CreditLimit != 5000 || acct.Created == nil || *acct.Created != w.api0Time() {
		t.Errorf("created account: %s", res.body)
	}
	if acct.Controls == nil || len(acct.Controls.BlockedCategories) != 1 || acct.Controls.SpendingLimits[0].Interval != "daily" {
		t.Errorf("controls: %+v", acct.Controls)
	}
	if acct.Holds.Object != "list" || acct.Holds.Data == nil || len(acct.Holds.Data) != 0 {
		t.Errorf("holds: %+v", acct.Holds)
	}
	if b := w.balance("acct_new"); b.Posted != 25000 {
		t.Errorf("ledger posted %d", b.Posted)
	}

	// A retry gets the same answer; the money moved once.
	again := w.post("/v1/accounts", body, "create-acct-new")
	expectStatus(t, "retry", again, http.StatusCreated)
	if !bytes.Equal(again.body, res.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry answered %s (replayed %q)", again.body, again.header.Get("Idempotent-Replayed"))
	}
	if b := w.balance("acct_new"); b.Posted != 25000 {
		t.Errorf("after a retry the ledger posted %d", b.Posted)
	}
	// The same key with another body is a conflict.
	body["balance"] = 99999
	expectError(t, "same key, other body", w.post("/v1/accounts", body, "create-acct-new"),
		http.StatusConflict, "idempotency_key_reused", "")
	// Another key for a taken id.
	expectError(t, "taken id", w.post("/v1/accounts", body, "create-acct-new-2"),
		http.StatusConflict, "resource_already_exists", "")

	got := w.get("/v1/accounts/acct_new")
	expectStatus(t, "get", got, 200)
	var g resource.Account
	got.decode(t, &g)
	if g.Balances != want || g.ID != "acct_new" || g.Created == nil {
		t.Errorf("get: %s", got.body)
	}
	// Accounts from the portfolio have no creation time.
	var p resource.Account
	w.get("/v1/accounts/acct_1").decode(t, &p)
	if p.Created != nil || p.Balances.Posted != 100000 {
		t.Errorf("portfolio account: %+v", p)
	}
	expectError(t, "unknown account", w.get("/v1/accounts/acct_none"), http.StatusNotFound, "resource_missing", "id")
	e := expectError(t, "an id like a card number", w.get("/v1/accounts/4111111111111111"), http.StatusNotFound, "resource_missing", "id")
	if strings.Contains(e.Message, "4111") {
		t.Errorf("message quotes the id: %q", e.Message)
	}
}

// api0Time is the world clock's Unix time (creation times are the API's
// clock).
func (w *world) api0Time() int64 { return w.clock.Load() / 1e9 }

func TestCreateAccountGeneratesIDs(t *testing.T) {
	w := newWorld(t)
	var a, b resource.Account
	w.post("/v1/accounts", map[string]any{"currency": "USD"}, "").decode(t, &a)
	w.post("/v1/accounts", map[string]any{"currency": "USD"}, "").decode(t, &b)
	if !strings.HasPrefix(a.ID, "acct_") || len(a.ID) != 25 || a.ID == b.ID {
		t.Errorf("generated ids %q %q", a.ID, b.ID)
	}
	// With a key, a retry returns the same generated id.
	var c, d resource.Account
	w.post("/v1/accounts", map[string]any{"currency": "USD"}, "gen-1").decode(t, &c)
	w.post("/v1/accounts", map[string]any{"currency": "USD"}, "gen-1").decode(t, &d)
	if c.ID != d.ID {
		t.Errorf("a retried create made two accounts: %s, %s", c.ID, d.ID)
	}
}

func TestAccountValidation(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name  string
		body  map[string]any
		code  string
		param string
	}{
		{"no currency", map[string]any{}, "parameter_missing", "currency"},
		{"lower-case currency", map[string]any{"currency": "usd"}, "parameter_invalid", "currency"},
		{"unknown currency", map[string]any{"currency": "XYZ"}, "parameter_invalid", "currency"},
		{"negative balance", map[string]any{"currency": "USD", "balance": -1}, "parameter_invalid", "balance"},
		{"negative credit", map[string]any{"currency": "USD", "credit_limit": -1}, "parameter_invalid", "credit_limit"},
		{"bad status", map[string]any{"currency": "USD", "status": "open"}, "parameter_invalid", "status"},
		{"id with spaces", map[string]any{"currency": "USD", "id": "a b"}, "parameter_invalid", "id"},
		{"id like a card number", map[string]any{"currency": "USD", "id": "acct_4111111111111111"}, "parameter_invalid", "id"},
		{"long id", map[string]any{"currency": "USD", "id": strings.Repeat("a", 65)}, "parameter_invalid", "id"},
		{"both category lists", map[string]any{"currency": "USD", "controls": map[string]any{
			"allowed_categories": []string{"5411"}, "blocked_categories": []string{"7995"}}}, "parameter_invalid", "controls"},
		{"bad category", map[string]any{"currency": "USD", "controls": map[string]any{
			"blocked_categories": []string{"79"}}}, "parameter_invalid", "controls"},
		{"bad interval", map[string]any{"currency": "USD", "controls": map[string]any{
			"spending_limits": []any{map[string]any{"amount": 1, "interval": "hourly"}}}}, "parameter_invalid", "controls.spending_limits[0].interval"},
		{"zero limit", map[string]any{"currency": "USD", "controls": map[string]any{
			"spending_limits": []any{map[string]any{"amount": 0, "interval": "daily"}}}}, "parameter_invalid", "controls.spending_limits[0].amount"},
		{"zero window", map[string]any{"currency": "USD", "controls": map[string]any{
			"velocity": []any{map[string]any{"count": 1, "window_seconds": 0}}}}, "parameter_invalid", "controls.velocity[0]"},
		{"unknown control", map[string]any{"currency": "USD", "controls": map[string]any{"colour": 1}}, "parameter_unknown", "colour"},
	} {
		expectError(t, tc.name, w.post("/v1/accounts", tc.body, "k-"+strings.ReplaceAll(tc.name, " ", "-")), http.StatusBadRequest, tc.code, tc.param)
	}
	// Validation failures are not kept: the key can be used for a good request.
	expectStatus(t, "good request with a key a bad one used", w.post("/v1/accounts",
		map[string]any{"currency": "USD"}, "k-no-currency"), http.StatusCreated)
}

func TestUpdateAccount(t *testing.T) {
	w := newWorld(t)
	// Frozen: the engine declines the card's authorizations.
	res := w.post("/v1/accounts/acct_1", map[string]any{"status": "frozen"}, "")
	expectStatus(t, "freeze", res, 200)
	var a resource.Account
	res.decode(t, &a)
	if a.Status != "frozen" || a.Balances.Posted != 100000 {
		t.Errorf("frozen account: %s", res.body)
	}
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode == "00" {
		t.Errorf("a frozen account's card was approved: %+v", d)
	}
	expectStatus(t, "unfreeze", w.post("/v1/accounts/acct_1", map[string]any{"status": "active"}, ""), 200)
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode != "00" {
		t.Errorf("an active account's card was declined: %s %s", d.Answer.ResponseCode, d.Reason)
	}

	// Credit limit and controls; null removes the controls.
	res = w.post("/v1/accounts/acct_1", map[string]any{"credit_limit": 20000,
		"controls": map[string]any{"blocked_countries": []string{"US"}}}, "")
	expectStatus(t, "credit and controls", res, 200)
	res.decode(t, &a)
	if a.CreditLimit != 20000 || a.Balances.Available != 100000+20000-1000 || a.Controls == nil {
		t.Errorf("after credit and controls: %s", res.body)
	}
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode == "00" {
		t.Error("a blocked country was approved")
	}
	res = w.post("/v1/accounts/acct_1", map[string]any{"controls": nil}, "")
	res.decode(t, &a)
	if a.Controls != nil || a.CreditLimit != 20000 || a.Status != "active" {
		t.Errorf("controls: null left %s", res.body)
	}
	// Leaving a field out leaves it alone.
	res = w.post("/v1/accounts/acct_1", map[string]any{}, "")
	res.decode(t, &a)
	if a.CreditLimit != 20000 || a.Status != "active" {
		t.Errorf("an empty update changed %s", res.body)
	}

	expectError(t, "bad status", w.post("/v1/accounts/acct_1", map[string]any{"status": "paused"}, ""), 400, "parameter_invalid", "status")
	expectError(t, "negative credit", w.post("/v1/accounts/acct_1", map[string]any{"credit_limit": -5}, ""), 400, "parameter_invalid", "credit_limit")
	expectError(t, "currency cannot change", w.post("/v1/accounts/acct_1", map[string]any{"currency": "EUR"}, ""), 400, "parameter_unknown", "currency")
	expectError(t, "unknown account", w.post("/v1/accounts/acct_none", map[string]any{"status": "frozen"}, ""), 404, "resource_missing", "id")
	expectError(t, "unknown control in an update", w.post("/v1/accounts/acct_1", map[string]any{"controls": map[string]any{"colour": 1}}, ""),
		400, "parameter_unknown", "colour")
	expectError(t, "bad control in an update", w.post("/v1/accounts/acct_1", map[string]any{"controls": map[string]any{
		"velocity": []any{map[string]any{"count": "x"}}}}, ""), 400, "parameter_invalid_type", "controls.velocity.count")
}

func TestFundAndDebit(t *testing.T) {
	w := newWorld(t)
	expectError(t, "fund without a key", w.post("/v1/accounts/acct_1/fund", map[string]any{"amount": 500}, ""),
		400, "idempotency_key_missing", "Idempotency-Key")
	expectError(t, "zero", w.post("/v1/accounts/acct_1/fund", map[string]any{"amount": 0}, "f0"), 400, "parameter_invalid", "amount")
	expectError(t, "negative", w.post("/v1/accounts/acct_1/debit", map[string]any{"amount": -5}, "d0"), 400, "parameter_invalid", "amount")
	expectError(t, "no amount", w.post("/v1/accounts/acct_1/fund", map[string]any{"description": "x"}, "f1"), 400, "parameter_invalid", "amount")
	expectError(t, "card number in the description", w.post("/v1/accounts/acct_1/fund",
		map[string]any{"amount": 5, "description": "refund for 4111111111111111"}, "f2"), 400, "parameter_invalid", "description")
	expectError(t, "long description", w.post("/v1/accounts/acct_1/fund",
		map[string]any{"amount": 5, "description": strings.Repeat("x", 501)}, "f3"), 400, "parameter_invalid", "description")
	expectError(t, "bad key", w.post("/v1/accounts/acct_1/fund", map[string]any{"amount": 5}, "has space"),
		400, "idempotency_key_invalid", "Idempotency-Key")
	expectError(t, "unknown account", w.post("/v1/accounts/acct_none/fund", map[string]any{"amount": 5}, "f4"), 404, "resource_missing", "id")
	if w.balance("acct_1").Posted != 100000 {
		t.Fatal("a refused request moved money")
	}

	fund := map[string]any{"amount": 5000, "description": "top-up"}
	res := w.post("/v1/accounts/acct_1/fund", fund, "fund-1")
	expectStatus(t, "fund", res, http.StatusCreated)
	var adj resource.Adjustment
	res.decode(t, &adj)
	if adj.Object != "adjustment" || adj.Amount != 5000 || adj.Currency != "USD" || adj.Account != "acct_1" ||
		adj.Description != "top-up" || adj.BalanceAfter.Posted != 105000 || !strings.HasPrefix(adj.ID, "adj_") ||
		adj.JournalEntry != "je_"+strings.TrimPrefix(adj.ID, "adj_") {
		t.Errorf("fund: %s", res.body)
	}
	for i := range 3 {
		again := w.post("/v1/accounts/acct_1/fund", fund, "fund-1")
		if again.status != http.StatusCreated || !bytes.Equal(again.body, res.body) {
			t.Errorf("retry %d: %d %s", i, again.status, again.body)
		}
	}
	if got := w.balance("acct_1").Posted; got != 105000 {
		t.Errorf("posted %d after retries, want 105000 (money moved once)", got)
	}
	expectError(t, "same key on debit", w.post("/v1/accounts/acct_1/debit", fund, "fund-1"), 409, "idempotency_key_reused", "")

	res = w.post("/v1/accounts/acct_1/debit", map[string]any{"amount": 4000}, "debit-1")
	expectStatus(t, "debit", res, http.StatusCreated)
	res.decode(t, &adj)
	if adj.Amount != -4000 || adj.BalanceAfter.Posted != 101000 {
		t.Errorf("debit: %s", res.body)
	}
	// A debit the balance cannot cover: 402, and the answer is kept.
	over := w.post("/v1/accounts/acct_1/debit", map[string]any{"amount": 101001}, "debit-2")
	expectError(t, "debit over the balance", over, http.StatusPaymentRequired, "insufficient_funds", "amount")
	again := w.post("/v1/accounts/acct_1/debit", map[string]any{"amount": 101001}, "debit-2")
	if again.status != 402 || !bytes.Equal(again.body, over.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry of a declined debit: %d %s", again.status, again.body)
	}
	if got := w.balance("acct_1").Posted; got != 101000 {
		t.Errorf("posted %d, want 101000", got)
	}
	w.mu.Lock()
	var actions []string
	for _, ev := range w.audits {
		if ev.JournalSeq != 0 {
			actions = append(actions, ev.Action+"/"+ev.Actor)
		}
	}
	w.mu.Unlock()
	if fmt.Sprint(actions) != "[account.fund/ops account.debit/ops]" {
		t.Errorf("money audits: %v", actions)
	}
}

// TestConcurrentRetriesMoveMoneyOnce sends the same funding many times at
// once: one moves the money, the others get its answer or a 409 while it
// is being answered.
func TestConcurrentRetriesMoveMoneyOnce(t *testing.T) {
	w := newWorld(t)
	var wg sync.WaitGroup
	statuses := make([]int, 16)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i] = w.post("/v1/accounts/acct_1/fund", map[string]any{"amount": 700}, "fund-concurrent").status
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		switch s {
		case http.StatusCreated:
			created++
		case http.StatusConflict:
		default:
			t.Errorf("status %d", s)
		}
	}
	if created == 0 {
		t.Error("no request succeeded")
	}
	if got := w.balance("acct_1").Posted; got != 100700 {
		t.Errorf("posted %d, want 100700 (money moved once)", got)
	}
}

// TestRetryAfterLostAnswerMovesMoneyOnce: a crash after the ledger moved
// the money but before the answer was kept. A new API over the same
// ledger (with fresh state) gets the retry: the ledger knows the request
// and the money moves once.
func TestRetryAfterLostAnswerMovesMoneyOnce(t *testing.T) {
	w := newWorld(t)
	fund := map[string]any{"amount": 1234}
	var first resource.Adjustment
	w.post("/v1/accounts/acct_1/fund", fund, "lost-answer").decode(t, &first)

	fresh, err := admin.New(admin.Options{Engine: w.engine, Ledger: w.ledger, Index: w.index, Tokens: []string{token}})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	mux := http.NewServeMux()
	fresh.Register(mux)
	w.srv.Config.Handler = mux
	res := w.post("/v1/accounts/acct_1/fund", fund, "lost-answer")
	expectStatus(t, "retry on a fresh API", res, http.StatusCreated)
	var second resource.Adjustment
	res.decode(t, &second)
	if second.ID != first.ID || second.BalanceAfter != first.BalanceAfter {
		t.Errorf("retry answered %+v, first %+v", second, first)
	}
	if got := w.balance("acct_1").Posted; got != 101234 {
		t.Errorf("posted %d, want 101234", got)
	}
}

// TestKeptAnswersExpire: past the TTL the API forgets an answer; the ledger,
// which still remembers the request, keeps a retry from moving money twice.
func TestKeptAnswersExpire(t *testing.T) {
	w := newWorld(t, withIdempotencyTTL(time.Hour))
	fund := map[string]any{"amount": 500}
	var first resource.Adjustment
	w.post("/v1/accounts/acct_1/fund", fund, "ttl-1").decode(t, &first)
	if r := w.post("/v1/accounts/acct_1/fund", fund, "ttl-1"); r.header.Get("Idempotent-Replayed") != "true" {
		t.Fatal("a retry within the TTL was not replayed")
	}
	w.advance(time.Hour + time.Second)
	// Another write sweeps the expired answer away.
	w.post("/v1/accounts/acct_1/fund", map[string]any{"amount": 1}, "ttl-2")
	r := w.post("/v1/accounts/acct_1/fund", fund, "ttl-1")
	expectStatus(t, "retry past the TTL", r, http.StatusCreated)
	var again resource.Adjustment
	r.decode(t, &again)
	if r.header.Get("Idempotent-Replayed") == "true" || again.ID != first.ID {
		t.Errorf("past the TTL: replayed %q, id %s (first %s)", r.header.Get("Idempotent-Replayed"), again.ID, first.ID)
	}
	if got := w.balance("acct_1").Posted; got != 100501 {
		t.Errorf("posted %d, want 100501 (500 once, 1 once)", got)
	}
}
