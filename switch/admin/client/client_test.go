package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/switch/admin"
	"github.com/authswitch/authswitch/switch/admin/client"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

const secret = "client-test-token-0123"

// server is the real API over a real ledger and engine.
func server(t *testing.T) (*httptest.Server, *ledger.Ledger) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := ledger.Open(ledger.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e, err := rules.New(rules.Options{Ledger: l, PANKey: bytes.Repeat([]byte{3}, 32), CacheBytes: 8 << 20, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	api, err := admin.New(admin.Options{Engine: e, Ledger: l, Tokens: []string{secret}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	mux := http.NewServeMux()
	api.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, l
}

// lossy forwards requests and, for the first n that reach the server,
// throws the answer away: the switch acted, the caller never heard.
type lossy struct {
	next http.RoundTripper
	drop atomic.Int32
	keys []string
}

func (l *lossy) RoundTrip(r *http.Request) (*http.Response, error) {
	l.keys = append(l.keys, r.Header.Get("Idempotency-Key"))
	res, err := l.next.RoundTrip(r)
	if err == nil && l.drop.Add(-1) >= 0 {
		res.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return res, err
}

func TestRetriesAfterALostAnswerMoveMoneyOnce(t *testing.T) {
	srv, l := server(t)
	tr := &lossy{next: http.DefaultTransport}
	c, err := client.New(srv.URL, secret, client.WithHTTPClient(&http.Client{Transport: tr}),
		client.WithRetries(3, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.CreateAccount(ctx, resource.AccountCreateParams{ID: "acct_c", Currency: "USD"}, ""); err != nil {
		t.Fatal(err)
	}
	tr.keys = nil
	tr.drop.Store(2)
	adj, err := c.Fund(ctx, "acct_c", resource.AdjustParams{Amount: 900, Description: "test"}, "")
	if err != nil {
		t.Fatalf("Fund after two lost answers: %v", err)
	}
	if adj.Amount != 900 || adj.BalanceAfter.Posted != 900 {
		t.Errorf("adjustment %+v", adj)
	}
	if b, _ := l.Balance("acct_c"); b.Posted != 900 {
		t.Errorf("posted %d, want 900: the money moved more than once", b.Posted)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if len(tr.keys) != 3 || tr.keys[0] != tr.keys[1] || tr.keys[1] != tr.keys[2] || !uuid.MatchString(tr.keys[0]) {
		t.Errorf("attempts carried keys %q, want one UUID three times", tr.keys)
	}

	// Errors the API answers are not retried, and come back typed.
	tr.keys = nil
	_, err = c.Debit(ctx, "acct_c", resource.AdjustParams{Amount: 901}, "")
	var e *resource.Error
	if !errors.As(err, &e) || e.Status != 402 || e.Code != "insufficient_funds" || len(tr.keys) != 1 {
		t.Errorf("debit over the balance: %v after %d attempts", err, len(tr.keys))
	}
	_, err = c.GetAccount(ctx, "acct_none")
	if !errors.As(err, &e) || e.Status != 404 || e.Code != "resource_missing" || e.Param != "id" {
		t.Errorf("unknown account: %v", err)
	}
}

func TestClientCoversTheCommonTasks(t *testing.T) {
	srv, _ := server(t)
	c, err := client.New(strings.TrimPrefix(srv.URL, "http://"), secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		name string
		fn   func() error
	}{
		{"create account", func() error {
			a, err := c.CreateAccount(ctx, resource.AccountCreateParams{ID: "acct_1", Currency: "USD", Balance: 5000}, "open-1")
			if err == nil && a.Balances.Posted != 5000 {
				err = errors.New("wrong balance")
			}
			return err
		}},
		{"freeze account", func() error {
			s := "frozen"
			a, err := c.UpdateAccount(ctx, "acct_1", resource.AccountUpdateParams{Status: &s})
			if err == nil && a.Status != "frozen" {
				err = errors.New("not frozen")
			}
			return err
		}},
		{"remove controls", func() error {
			_, err := c.UpdateAccount(ctx, "acct_1", resource.AccountUpdateParams{Controls: resource.Remove[resource.Controls]()})
			return err
		}},
		{"create cardholder", func() error {
			_, err := c.CreateCardholder(ctx, resource.CardholderCreateParams{ID: "ch_1", Account: "acct_1"}, "")
			return err
		}},
		{"create card", func() error {
			k, err := c.CreateCard(ctx, resource.CardCreateParams{ID: "card_1", PAN: "4111111111111111", Expiry: "2812",
				Network: "visa", Account: "acct_1", Cardholder: "ch_1"}, "")
			if err == nil && k.Last4 != "1111" {
				err = errors.New("wrong last4")
			}
			return err
		}},
		{"cancel card", func() error {
			s, r := "canceled", "stolen"
			k, err := c.UpdateCard(ctx, "card_1", resource.CardUpdateParams{Status: &s, CancellationReason: &r})
			if err == nil && (k.CancellationReason == nil || *k.CancellationReason != "stolen") {
				err = errors.New("not canceled")
			}
			return err
		}},
		{"card keys", func() error {
			_, err := c.PutCardKeys(ctx, "411111", resource.CardKeysParams{CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"})
			if err == nil {
				var l resource.List[resource.CardKeys]
				if l, err = c.ListCardKeys(ctx); err == nil && len(l.Data) != 1 {
					err = errors.New("no keys listed")
				}
			}
			return err
		}},
		{"program rules", func() error {
			_, err := c.ReplaceProgramRules(ctx, resource.ProgramRulesParams{Rules: []resource.ProgramRuleParams{{Name: "r", Expression: "amount > 5"}}})
			if err == nil {
				var l resource.List[resource.ProgramRule]
				if l, err = c.ListProgramRules(ctx); err == nil && len(l.Data) != 1 {
					err = errors.New("rule not listed")
				}
			}
			return err
		}},
		{"reload without a file", func() error {
			_, err := c.ReloadProgramRules(ctx)
			var e *resource.Error
			if errors.As(err, &e) && e.Code == "no_program_file" {
				return nil
			}
			return err
		}},
		{"authorizations without an index", func() error {
			_, err := c.ListAuthorizations(ctx, client.AuthorizationQuery{Card: "card_1", Limit: 5})
			var e *resource.Error
			if errors.As(err, &e) && e.Status == 503 {
				return nil
			}
			return errors.New("want 503")
		}},
		{"list holds", func() error {
			l, err := c.ListHolds(ctx, "acct_1", 5, "")
			if err == nil && (l.Object != "list" || len(l.Data) != 0) {
				err = errors.New("holds listed")
			}
			return err
		}},
		{"release unknown hold", func() error {
			_, err := c.ReleaseHold(ctx, "hold_1", resource.HoldReleaseParams{Account: "acct_1"}, "")
			var e *resource.Error
			if errors.As(err, &e) && e.Code == "hold_not_found" {
				return nil
			}
			return err
		}},
		{"capture needs a key", func() error {
			if _, err := c.CreateCapture(ctx, resource.CaptureParams{Network: "visa"}); err == nil {
				return errors.New("no error")
			}
			return nil
		}},
	}
	for _, s := range steps {
		if err := s.fn(); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
	}
	if _, err := client.New("ftp://x", secret); err == nil {
		t.Error("an ftp address was accepted")
	}
	if _, err := client.New("x:1", ""); err == nil {
		t.Error("no token was accepted")
	}
}
