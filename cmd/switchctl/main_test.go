package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/admin"
	"github.com/authswitch/authswitch/switch/admin/authindex"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

const (
	secret  = "switchctl-test-token-0"
	visaPAN = "4111111111111111"
)

// env is a real switch's admin side: ledger, engine, index and the API.
type env struct {
	t      *testing.T
	url    string
	ledger *ledger.Ledger
	engine *rules.Engine
	index  *authindex.Index
	next   uint64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := ledger.Open(ledger.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e, err := rules.New(rules.Options{Ledger: l, PANKey: bytes.Repeat([]byte{5}, 32), CacheBytes: 8 << 20, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	x, err := authindex.Open(authindex.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	api, err := admin.New(admin.Options{Engine: e, Ledger: l, Index: x, Tokens: []string{secret}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, url: srv.URL, ledger: l, engine: e, index: x}
}

// ctl runs switchctl with the token in the environment.
func (v *env) ctl(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "AUTHSWITCH_TOKEN":
			return secret
		case "AUTHSWITCH_ADDR":
			return v.url
		}
		return ""
	}
	code = run(args, strings.NewReader(stdin), &out, &errb, getenv)
	if strings.Contains(out.String()+errb.String(), visaPAN) {
		v.t.Errorf("switchctl %v printed the card number", args)
	}
	return code, out.String(), errb.String()
}

func (v *env) ok(stdin string, out any, args ...string) {
	v.t.Helper()
	code, stdout, stderr := v.ctl(stdin, args...)
	if code != 0 {
		v.t.Fatalf("switchctl %v: exit %d: %s", args, code, stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(stdout), out); err != nil {
			v.t.Fatalf("switchctl %v printed %q: %v", args, stdout, err)
		}
	}
}

// purchase authorizes through the real engine and feeds the index.
func (v *env) purchase(amount int64, stan int) {
	v.t.Helper()
	d := v.engine.Decide(&spec.Authorization{Network: spec.Visa, MTI: "0100", Kind: spec.KindAuthorization, PAN: visaPAN,
		ProcessingCode: "000000", Type: spec.TxnPurchase, Amount: amount, Currency: 840, TransmissionTime: "1124081530",
		STAN: fmt.Sprintf("%06d", stan), Expiry: "2812", MCC: "5999", AcquirerID: "400050", Entry: spec.EntryChip,
		MerchantName: "SHOP", MerchantCountry: "US", LifecycleKey: fmt.Sprintf("LC%06d", stan)})
	if d.Answer.ResponseCode != "00" {
		v.t.Fatalf("purchase declined: %s", d.Reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.ledger.WaitDurable(ctx, d.Seq); err != nil {
		v.t.Fatal(err)
	}
	es, err := v.ledger.ReadJournal(v.next+1, 1000, nil)
	if err != nil {
		v.t.Fatal(err)
	}
	if err := v.index.Add(es); err != nil {
		v.t.Fatal(err)
	}
	v.next = es[len(es)-1].Seq
}

func TestAccountsAndCards(t *testing.T) {
	v := newEnv(t)
	var a resource.Account
	v.ok("", &a, "accounts", "create", "--id", "acct_1", "--currency", "USD", "--balance", "10000", "--idempotency-key", "open-1")
	if a.Balances.Posted != 10000 {
		t.Errorf("created %+v", a)
	}
	var adj resource.Adjustment
	for range 2 { // a retry with the same key moves the money once
		v.ok("", &adj, "accounts", "fund", "acct_1", "2500", "--description", "top-up", "--idempotency-key", "fund-1")
	}
	v.ok("", &a, "accounts", "get", "acct_1")
	if a.Balances.Posted != 12500 {
		t.Errorf("posted %d after a retried fund, want 12500", a.Balances.Posted)
	}
	code, _, stderr := v.ctl("", "accounts", "debit", "acct_1", "99999")
	if code != 1 || !strings.Contains(stderr, "402 insufficient_funds") || !strings.Contains(stderr, "--idempotency-key ") {
		t.Errorf("debit over the balance: exit %d, %s", code, stderr)
	}
	v.ok("", &a, "accounts", "freeze", "acct_1")
	if a.Status != "frozen" {
		t.Errorf("freeze: %+v", a)
	}
	v.ok("", &a, "accounts", "unfreeze", "acct_1")

	var k resource.Card
	v.ok(visaPAN+"\n", &k, "cards", "create", "--id", "card_1", "--account", "acct_1", "--expiry", "2812", "--network", "visa")
	if k.Last4 != "1111" || k.ID != "card_1" {
		t.Errorf("card %+v", k)
	}
	code, _, stderr = v.ctl("4111111111111112\n", "cards", "create", "--account", "acct_1", "--expiry", "2812", "--network", "visa")
	if code != 1 || !strings.Contains(stderr, "parameter_invalid") || strings.Contains(stderr, "4111111111111112") {
		t.Errorf("bad number: exit %d, %s", code, stderr)
	}
	code, _, stderr = v.ctl("", "cards", "create", "--account", "acct_1", "--expiry", "2812", "--network", "visa")
	if code != 2 || !strings.Contains(stderr, "standard input") {
		t.Errorf("no number: exit %d, %s", code, stderr)
	}
	v.ok("", &k, "cards", "freeze", "card_1")
	if k.Status != "inactive" {
		t.Errorf("freeze: %+v", k)
	}
	v.ok("", &k, "cards", "unfreeze", "card_1")
	v.ok("", &k, "cards", "get", "card_1")
	if k.Status != "active" {
		t.Errorf("get: %+v", k)
	}

	// Authorizations and holds.
	v.purchase(1500, 1)
	v.purchase(700, 2)
	var l resource.List[resource.Authorization]
	v.ok("", &l, "authorizations", "list", "--card", "card_1", "--limit", "1")
	if len(l.Data) != 1 || !l.HasMore || l.Data[0].Amount != 700 {
		t.Fatalf("first page: %+v", l)
	}
	v.ok("", &l, "authorizations", "list", "--card", "card_1", "--starting-after", l.Data[0].ID)
	if len(l.Data) != 1 || l.HasMore || l.Data[0].Amount != 1500 || l.Data[0].Hold == nil {
		t.Fatalf("second page: %+v", l)
	}
	code, table, _ := v.ctl("", "authorizations", "list", "--account", "acct_1", "--table")
	if code != 0 || !strings.Contains(table, "ID  ") || strings.Count(table, "auth_") != 2 || !strings.Contains(table, "1500 USD") {
		t.Errorf("table: %s", table)
	}
	var one resource.Authorization
	v.ok("", &one, "authorizations", "get", l.Data[0].ID)
	hold := *l.Data[0].Hold
	var c resource.Capture
	v.ok("", &c, "holds", "capture", hold, "1600")
	if c.Amount != 1600 || c.ReleasedAmount != 1500 {
		t.Errorf("capture: %+v", c)
	}
	v.ok("", &a, "accounts", "get", "acct_1")
	if len(a.Holds.Data) != 1 {
		t.Fatalf("holds: %+v", a.Holds)
	}
	var r resource.Release
	v.ok("", &r, "holds", "release", a.Holds.Data[0].ID, "--account", "acct_1")
	if r.Amount != 700 {
		t.Errorf("release: %+v", r)
	}
	v.ok("", &k, "cards", "cancel", "card_1", "--reason", "lost")
	if k.Status != "canceled" || *k.CancellationReason != "lost" {
		t.Errorf("cancel: %+v", k)
	}
	var rl resource.List[resource.ProgramRule]
	v.ok("", &rl, "rules", "list")
	code, _, stderr = v.ctl("", "rules", "reload")
	if code != 1 || !strings.Contains(stderr, "no_program_file") {
		t.Errorf("reload without a file: exit %d %s", code, stderr)
	}
}

func TestUsage(t *testing.T) {
	v := newEnv(t)
	for _, args := range [][]string{
		{},
		{"accounts"},
		{"planets", "list"},
		{"accounts", "explode", "x"},
		{"accounts", "get"},
		{"accounts", "get", "a", "b"},
		{"accounts", "fund", "acct_1", "12.50"},
		{"accounts", "create"},
		{"cards", "cancel", "card_1", "--reason", "misplaced"},
		{"authorizations", "list"},
		{"authorizations", "list", "--card", "c", "--account", "a"},
		{"holds", "capture", "hold_1"},
		{"rules", "list", "extra"},
	} {
		if code, _, _ := v.ctl("", args...); code != 2 {
			t.Errorf("switchctl %v: exit %d, want 2", args, code)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"accounts", "get", "acct_1"}, nil, &out, &errb, func(string) string { return "" }); code != 2 ||
		!strings.Contains(errb.String(), "AUTHSWITCH_TOKEN") {
		t.Errorf("no token: exit %d %s", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"--addr", v.url, "--token", "wrong-token-0000000", "accounts", "get", "acct_1"}, nil, &out, &errb,
		func(string) string { return "" })
	if code != 1 || !strings.Contains(errb.String(), "401 token_invalid") {
		t.Errorf("wrong token: exit %d %s", code, errb.String())
	}
}
