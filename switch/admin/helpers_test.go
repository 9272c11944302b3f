package admin_test

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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/admin"
	"github.com/authswitch/authswitch/switch/admin/authindex"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

// The test world: a real ledger and rules engine (Pebble on an in-memory
// file system), a real authorization index, the API behind an
// httptest.Server, a clock the test moves. Every answer and every log
// line is kept, so a test can check that no card number ever left.

const (
	token   = "ops:0123456789abcdef0123"
	secret  = "0123456789abcdef0123"
	visaPAN = "4111111111111111" // CVV2 590 under the keys below, expiry 2812
	mcPAN   = "5555555555554444"
	cvkA    = "0123456789ABCDEF"
	cvkB    = "FEDCBA9876543210"
)

var basePortfolio = []string{
	`{"kind":"card_keys","pan_prefix":"411111","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}`,
	`{"kind":"account","id":"acct_1","currency":"USD","balance":100000,"status":"active"}`,
	`{"kind":"cardholder","id":"ch_1","account":"acct_1","status":"active"}`,
	`{"kind":"card","id":"card_visa","pan":"4111111111111111","expiry":"2812","network":"visa","account":"acct_1","cardholder":"ch_1","status":"active"}`,
}

type world struct {
	t      testing.TB
	clock  atomic.Int64
	ledger *ledger.Ledger
	engine *rules.Engine
	index  *authindex.Index
	api    *admin.API
	srv    *httptest.Server
	reg    *prometheus.Registry
	stan   atomic.Int64

	mu      sync.Mutex
	bodies  [][]byte // every answer
	logs    bytes.Buffer
	audits  []admin.AuditEvent
	indexed uint64 // journal entries fed to the index
}

type worldOption func(*admin.Options, *rules.Options)

func withoutIndex() worldOption { return func(o *admin.Options, _ *rules.Options) { o.Index = nil } }

func withIdempotencyTTL(d time.Duration) worldOption {
	return func(o *admin.Options, _ *rules.Options) { o.IdempotencyTTL = d }
}

func withProgramFile(path string) worldOption {
	return func(_ *admin.Options, r *rules.Options) { r.ProgramRules = path }
}

func newWorld(t testing.TB, opts ...worldOption) *world {
	t.Helper()
	w := &world{t: t, reg: prometheus.NewRegistry()}
	w.clock.Store(time.Date(2025, 11, 24, 8, 15, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, w.clock.Load()).UTC() }
	log := slog.New(slog.NewTextHandler(lockedWriter{&w.mu, &w.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l, err := ledger.Open(ledger.Options{Now: now, Logger: log})
	if err != nil {
		t.Fatalf("ledger: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	ro := rules.Options{Ledger: l, PANKey: bytes.Repeat([]byte{7}, 32), CacheBytes: 16 << 20, Now: now, Logger: log}
	x, err := authindex.Open(authindex.Options{Logger: log})
	if err != nil {
		t.Fatalf("authindex: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	ao := admin.Options{Ledger: l, Index: x, Tokens: []string{token, "settlement:fedcba9876543210fedc"},
		MaxBodyBytes: 64 << 10, Logger: log, Registerer: w.reg, Now: now,
		Audit: func(ev admin.AuditEvent) { w.mu.Lock(); w.audits = append(w.audits, ev); w.mu.Unlock() }}
	for _, fn := range opts {
		fn(&ao, &ro)
	}
	e, err := rules.New(ro)
	if err != nil {
		t.Fatalf("rules.New: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.LoadPortfolio(strings.NewReader(strings.Join(basePortfolio, "\n"))); err != nil {
		t.Fatalf("portfolio: %v", err)
	}
	ao.Engine = e
	api, err := admin.New(ao)
	if err != nil {
		t.Fatalf("admin.New: %v", err)
	}
	t.Cleanup(func() { api.Close() })
	mux := http.NewServeMux()
	api.Register(mux)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	w.ledger, w.engine, w.index, w.api = l, e, ao.Index, api
	t.Cleanup(w.checkNoSecrets)
	return w
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// checkNoSecrets fails the test if any answer or log line carried a card
// number or a card verification key.
func (w *world) checkNoSecrets() {
	w.mu.Lock()
	defer w.mu.Unlock()
	secrets := []string{visaPAN, mcPAN, "4000056655665556", "5105105105105100", cvkA, cvkB, "0011223344556677", secret}
	for _, s := range secrets {
		for _, b := range w.bodies {
			if bytes.Contains(b, []byte(s)) {
				w.t.Errorf("an answer carried a secret (%s…): %s", s[:4], b)
			}
		}
		if strings.Contains(w.logs.String(), s) {
			w.t.Errorf("the log carried a secret (%s…)", s[:4])
		}
		for _, ev := range w.audits {
			if strings.Contains(fmt.Sprintf("%+v", ev), s) {
				w.t.Errorf("an audit event carried a secret (%s…)", s[:4])
			}
		}
	}
}

// resp is one answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r resp) err(t *testing.T) resource.Error {
	t.Helper()
	var e resource.ErrorBody
	r.decode(t, &e)
	if e.Error == nil {
		t.Fatalf("no error in %s", r.body)
	}
	return *e.Error
}

// req is a request's options.
type req struct {
	token       string // "" → the ops token; "-" → none
	idem        string
	contentType string
	raw         []byte // body as is
}

func (w *world) do(method, path string, body any, o req) resp {
	w.t.Helper()
	var rd io.Reader
	switch {
	case o.raw != nil:
		rd = bytes.NewReader(o.raw)
	case body != nil:
		b, err := json.Marshal(body)
		if err != nil {
			w.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	r, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	switch o.token {
	case "":
		r.Header.Set("Authorization", "Bearer "+secret)
	case "-":
	default:
		r.Header.Set("Authorization", "Bearer "+o.token)
	}
	if rd != nil {
		ct := o.contentType
		if ct == "" {
			ct = "application/json"
		}
		r.Header.Set("Content-Type", ct)
	}
	if o.idem != "" {
		r.Header.Set("Idempotency-Key", o.idem)
	}
	res, err := w.srv.Client().Do(r)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatal(err)
	}
	w.mu.Lock()
	w.bodies = append(w.bodies, b)
	w.mu.Unlock()
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func (w *world) get(path string) resp { return w.do("GET", path, nil, req{}) }

func (w *world) post(path string, body any, idem string) resp {
	return w.do("POST", path, body, req{idem: idem})
}

// expectStatus fails unless r has status.
func expectStatus(t *testing.T, what string, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
}

// expectError checks an error answer's status, code and param.
func expectError(t *testing.T, what string, r resp, status int, code, param string) resource.Error {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	e := r.err(t)
	if e.Code != code || e.Param != param {
		t.Errorf("%s: error code %q param %q, want %q %q (%s)", what, e.Code, e.Param, code, param, e.Message)
	}
	if e.Type == "" || e.Message == "" {
		t.Errorf("%s: error without a type or message: %s", what, r.body)
	}
	return e
}

// purchase is a Visa e-commerce purchase on pan with its CVV2.
func (w *world) purchase(pan, cvv2 string, amount int64) *spec.Authorization {
	n := w.stan.Add(1)
	return &spec.Authorization{
		Network: spec.Visa, MTI: "0100", Kind: spec.KindAuthorization,
		PAN: pan, ProcessingCode: "000000", Type: spec.TxnPurchase,
		Amount: amount, Currency: 840,
		TransmissionTime: "1124081530", STAN: fmt.Sprintf("%06d", n), Expiry: "2812",
		MCC: "5999", AcquirerCountry: "840", Entry: spec.EntryEcommerce, AcquirerID: "400050",
		RRN: fmt.Sprintf("4329080%05d", n), TerminalID: "TERM0001", AcceptorID: "MERCHANT0000001",
		MerchantName: "EXAMPLE ONLINE STORE", MerchantCity: "NEW YORK", MerchantCountry: "US",
		CVV2: cvv2, CVV2Present: true,
		TransactionID: fmt.Sprintf("4329081234%05d", n), LifecycleKey: fmt.Sprintf("4329081234%05d", n),
	}
}

// authorize decides a request with the real engine and waits for its
// journal entry, then feeds the index as the feed would.
func (w *world) authorize(a *spec.Authorization) rules.Decision {
	w.t.Helper()
	d := w.engine.Decide(a)
	if d.Seq != 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := w.ledger.WaitDurable(ctx, d.Seq); err != nil {
			w.t.Fatalf("WaitDurable: %v", err)
		}
	}
	w.feedIndex()
	return d
}

// feedIndex adds every durable journal entry not yet indexed, from the
// ledger's journal, as the feed's publisher does.
func (w *world) feedIndex() {
	w.t.Helper()
	if w.index == nil {
		return
	}
	for range 1000 {
		es, err := w.ledger.ReadJournal(w.indexed+1, 256, nil)
		if err != nil {
			w.t.Fatalf("ReadJournal: %v", err)
		}
		if len(es) == 0 {
			return
		}
		if err := w.index.Add(es); err != nil {
			w.t.Fatalf("index.Add: %v", err)
		}
		w.indexed = es[len(es)-1].Seq
	}
	w.t.Fatal("the journal did not end")
}

func (w *world) balance(account string) ledger.Balance {
	w.t.Helper()
	b, ok := w.ledger.Balance(account)
	if !ok {
		w.t.Fatalf("no account %s in the ledger", account)
	}
	return b
}

func (w *world) advance(d time.Duration) { w.clock.Add(int64(d)) }
