package admin_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/authswitch/authswitch/switch/admin/resource"
)

func TestCardholders(t *testing.T) {
	w := newWorld(t)
	res := w.post("/v1/cardholders", map[string]any{"id": "ch_2", "account": "acct_1",
		"controls": map[string]any{"allowed_countries": []string{"US"}}}, "ch-2")
	expectStatus(t, "create", res, http.StatusCreated)
	var h resource.Cardholder
	res.decode(t, &h)
	if h.ID != "ch_2" || h.Object != "cardholder" || h.Account != "acct_1" || h.Status != "active" ||
		h.Controls == nil || h.Created == nil {
		t.Errorf("created: %s", res.body)
	}
	again := w.post("/v1/cardholders", map[string]any{"id": "ch_2", "account": "acct_1",
		"controls": map[string]any{"allowed_countries": []string{"US"}}}, "ch-2")
	if !bytes.Equal(again.body, res.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %s", again.body)
	}
	expectError(t, "taken id", w.post("/v1/cardholders", map[string]any{"id": "ch_2", "account": "acct_1"}, ""),
		409, "resource_already_exists", "")
	expectError(t, "no account", w.post("/v1/cardholders", map[string]any{"id": "ch_3"}, ""), 400, "parameter_missing", "account")
	expectError(t, "unknown account", w.post("/v1/cardholders", map[string]any{"account": "acct_none"}, ""),
		400, "resource_missing", "account")
	expectError(t, "bad status", w.post("/v1/cardholders", map[string]any{"account": "acct_1", "status": "gone"}, ""),
		400, "parameter_invalid", "status")

	expectStatus(t, "get", w.get("/v1/cardholders/ch_1"), 200)
	expectError(t, "get unknown", w.get("/v1/cardholders/ch_none"), 404, "resource_missing", "id")

	// Blocking the cardholder declines its cards.
	res = w.post("/v1/cardholders/ch_1", map[string]any{"status": "blocked"}, "")
	expectStatus(t, "block", res, 200)
	res.decode(t, &h)
	if h.Status != "blocked" {
		t.Errorf("blocked: %s", res.body)
	}
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode == "00" {
		t.Error("a blocked cardholder's card was approved")
	}
	expectError(t, "account cannot change", w.post("/v1/cardholders/ch_1", map[string]any{"account": "acct_2"}, ""),
		400, "parameter_unknown", "account")
	expectError(t, "update unknown", w.post("/v1/cardholders/ch_none", map[string]any{"status": "active"}, ""),
		404, "resource_missing", "id")
}

func TestCreateCardNeverShowsTheNumber(t *testing.T) {
	w := newWorld(t)
	body := map[string]any{"id": "card_mc", "pan": mcPAN, "expiry": "2812", "network": "mastercard",
		"account": "acct_1", "cardholder": "ch_1",
		"controls": map[string]any{"spending_limits": []any{map[string]any{"amount": 5000, "interval": "per_authorization"}}}}
	res := w.post("/v1/cards", body, "card-mc")
	expectStatus(t, "create", res, http.StatusCreated)
	var c resource.Card
	res.decode(t, &c)
	if c.ID != "card_mc" || c.Object != "card" || c.Last4 != "4444" || c.Network != "mastercard" || c.Expiry != "2812" ||
		c.Status != "active" || c.Cardholder == nil || *c.Cardholder != "ch_1" || c.CancellationReason != nil || c.Created == nil {
		t.Errorf("created card: %s", res.body)
	}
	again := w.post("/v1/cards", body, "card-mc")
	if again.status != 201 || !bytes.Equal(again.body, res.body) {
		t.Errorf("retry: %d %s", again.status, again.body)
	}
	// The same key with another number is another request.
	other := map[string]any{"id": "card_mc", "pan": "5105105105105100", "expiry": "2812", "network": "mastercard",
		"account": "acct_1", "cardholder": "ch_1",
		"controls": map[string]any{"spending_limits": []any{map[string]any{"amount": 5000, "interval": "per_authorization"}}}}
	expectError(t, "same key, other number", w.post("/v1/cards", other, "card-mc"), 409, "idempotency_key_reused", "")

	got := w.get("/v1/cards/card_mc")
	expectStatus(t, "get", got, 200)
	var g resource.Card
	got.decode(t, &g)
	if g.Last4 != "4444" || g.Controls == nil || g.Controls.SpendingLimits[0].Amount != 5000 {
		t.Errorf("get: %s", got.body)
	}
	// The same number on another card id is refused without naming it.
	dup := w.post("/v1/cards", map[string]any{"id": "card_dup", "pan": visaPAN, "expiry": "2812", "network": "visa",
		"account": "acct_1"}, "")
	expectError(t, "number taken", dup, 409, "card_number_taken", "")

	// The card works with the real engine: a purchase over its limit is declined.
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode != "00" {
		t.Errorf("portfolio card declined: %s %s", d.Answer.ResponseCode, d.Reason)
	}
}

func TestCardValidation(t *testing.T) {
	w := newWorld(t)
	base := func(k string, v any) map[string]any {
		m := map[string]any{"pan": "4000056655665556", "expiry": "2812", "network": "visa", "account": "acct_1"}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name  string
		body  map[string]any
		code  string
		param string
	}{
		{"no pan", base("pan", nil), "parameter_missing", "pan"},
		{"luhn", base("pan", "4000056655665557"), "parameter_invalid", "pan"},
		{"short", base("pan", "400005665566"), "parameter_invalid", "pan"},
		{"letters", base("pan", "40000566556655x6"), "parameter_invalid", "pan"},
		{"network mismatch", base("network", "mastercard"), "parameter_invalid", "pan"},
		{"no network", base("network", nil), "parameter_missing", "network"},
		{"bad network", base("network", "amex"), "parameter_invalid", "network"},
		{"no expiry", base("expiry", nil), "parameter_missing", "expiry"},
		{"bad expiry", base("expiry", "2813"), "parameter_invalid", "expiry"},
		{"no account", base("account", nil), "parameter_missing", "account"},
		{"unknown account", base("account", "acct_none"), "resource_missing", "account"},
		{"unknown cardholder", base("cardholder", "ch_none"), "resource_missing", "cardholder"},
		{"bad status", base("status", "lost"), "parameter_invalid", "status"},
		{"reason on an active card", base("cancellation_reason", "lost"), "parameter_invalid", "cancellation_reason"},
		{"bad controls", base("controls", map[string]any{"allowed_countries": []string{"usa"}}), "parameter_invalid", "controls"},
		{"pan as a number", base("pan", 4000056655665556), "parameter_invalid_type", "pan"},
	} {
		res := w.post("/v1/cards", tc.body, "")
		e := expectError(t, tc.name, res, 400, tc.code, tc.param)
		if strings.Contains(e.Message, "4000") || strings.Contains(e.Message, "5665") {
			t.Errorf("%s: the message quotes the number: %q", tc.name, e.Message)
		}
	}
	// A cardholder of another account.
	w.post("/v1/accounts", map[string]any{"id": "acct_2", "currency": "USD"}, "")
	w.post("/v1/cardholders", map[string]any{"id": "ch_x", "account": "acct_2"}, "")
	expectError(t, "cardholder of another account", w.post("/v1/cards", base("cardholder", "ch_x"), ""),
		400, "parameter_invalid", "cardholder")
}

func TestUpdateCard(t *testing.T) {
	w := newWorld(t)
	res := w.post("/v1/cards/card_visa", map[string]any{"status": "inactive"}, "")
	expectStatus(t, "freeze", res, 200)
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode == "00" {
		t.Error("a frozen card was approved")
	}
	expectStatus(t, "unfreeze", w.post("/v1/cards/card_visa", map[string]any{"status": "active"}, ""), 200)
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode != "00" {
		t.Errorf("an unfrozen card was declined: %s %s", d.Answer.ResponseCode, d.Reason)
	}
	expectError(t, "reason on an active card", w.post("/v1/cards/card_visa", map[string]any{"cancellation_reason": "lost"}, ""),
		400, "parameter_invalid", "cancellation_reason")
	expectError(t, "bad reason", w.post("/v1/cards/card_visa", map[string]any{"status": "canceled", "cancellation_reason": "broken"}, ""),
		400, "parameter_invalid", "cancellation_reason")
	expectError(t, "bad expiry", w.post("/v1/cards/card_visa", map[string]any{"expiry": "28"}, ""), 400, "parameter_invalid", "expiry")
	expectError(t, "the number cannot change", w.post("/v1/cards/card_visa", map[string]any{"pan": mcPAN}, ""),
		400, "parameter_unknown", "pan")

	res = w.post("/v1/cards/card_visa", map[string]any{"status": "canceled", "cancellation_reason": "stolen"}, "")
	expectStatus(t, "cancel", res, 200)
	var c resource.Card
	res.decode(t, &c)
	if c.Status != "canceled" || c.CancellationReason == nil || *c.CancellationReason != "stolen" || c.Last4 != "1111" {
		t.Errorf("canceled card: %s", res.body)
	}
	if d := w.authorize(w.purchase(visaPAN, "590", 1000)); d.Answer.ResponseCode == "00" {
		t.Error("a stolen card was approved")
	}
	expectError(t, "reactivate", w.post("/v1/cards/card_visa", map[string]any{"status": "active"}, ""),
		400, "card_canceled", "status")
	// The reason of a canceled card can be corrected, and its controls changed.
	res = w.post("/v1/cards/card_visa", map[string]any{"cancellation_reason": "lost", "expiry": "2912"}, "")
	expectStatus(t, "correct the reason", res, 200)
	res.decode(t, &c)
	if *c.CancellationReason != "lost" || c.Expiry != "2912" {
		t.Errorf("after correction: %s", res.body)
	}
	expectError(t, "update unknown", w.post("/v1/cards/card_none", map[string]any{"status": "inactive"}, ""),
		404, "resource_missing", "id")
	expectError(t, "get unknown", w.get("/v1/cards/card_none"), 404, "resource_missing", "id")
}

func TestCardKeys(t *testing.T) {
	w := newWorld(t)
	res := w.do("PUT", "/v1/card_keys/555555", map[string]any{"cvk_a": "0011223344556677", "cvk_b": "8899AABBCCDDEEFF"}, req{})
	expectStatus(t, "put", res, 200)
	var k resource.CardKeys
	res.decode(t, &k)
	if k.Object != "card_keys" || k.PANPrefix != "555555" || len(k.KeyCheckValue) != 6 {
		t.Errorf("put: %s", res.body)
	}
	var l resource.List[resource.CardKeys]
	w.get("/v1/card_keys").decode(t, &l)
	if l.Object != "list" || len(l.Data) != 2 || l.Data[0].PANPrefix != "411111" || l.Data[1].KeyCheckValue != k.KeyCheckValue {
		t.Errorf("list: %+v", l)
	}
	for _, tc := range []struct {
		name, path string
		body       map[string]any
		code       string
		param      string
	}{
		{"prefix too long", "/v1/card_keys/411111111", map[string]any{"cvk_a": cvkA, "cvk_b": cvkB}, "parameter_invalid", "pan_prefix"},
		{"prefix not digits", "/v1/card_keys/4111a", map[string]any{"cvk_a": cvkA, "cvk_b": cvkB}, "parameter_invalid", "pan_prefix"},
		{"no cvk_b", "/v1/card_keys/411111", map[string]any{"cvk_a": cvkA}, "parameter_missing", "cvk_b"},
		{"short key", "/v1/card_keys/411111", map[string]any{"cvk_a": "0123", "cvk_b": cvkB}, "parameter_invalid", "cvk_a"},
		{"not hex", "/v1/card_keys/411111", map[string]any{"cvk_a": cvkA, "cvk_b": "FEDCBA987654321G"}, "parameter_invalid", "cvk_b"},
	} {
		expectError(t, tc.name, w.do("PUT", tc.path, tc.body, req{}), 400, tc.code, tc.param)
	}
	// The engine verifies with the keys put here: a card under the prefix
	// with the wrong CVV2 is declined, the right one approved.
	w.do("PUT", "/v1/card_keys/411111", map[string]any{"cvk_a": cvkA, "cvk_b": cvkB}, req{})
	if d := w.authorize(w.purchase(visaPAN, "590", 100)); d.Answer.ResponseCode != "00" {
		t.Errorf("right CVV2 declined: %s %s", d.Answer.ResponseCode, d.Reason)
	}
	if d := w.authorize(w.purchase(visaPAN, "591", 100)); d.Answer.ResponseCode == "00" {
		t.Error("wrong CVV2 approved")
	}
}
