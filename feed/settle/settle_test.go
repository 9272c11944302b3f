package settle_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/internal/feedtest"
	"github.com/authswitch/authswitch/feed/natsfeed"
	"github.com/authswitch/authswitch/feed/natsserver"
	"github.com/authswitch/authswitch/feed/segment"
	"github.com/authswitch/authswitch/feed/settle"
	"github.com/authswitch/authswitch/ledger"
	"github.com/nats-io/nats.go"
)

func publish(t *testing.T, l *ledger.Ledger, sink feed.Sink) {
	t.Helper()
	p, err := feed.New(l, sink, feed.Options{Logger: feedtest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for p.ShippedThrough() < l.DurableSeq() {
		if time.Now().After(deadline) {
			t.Fatalf("not shipped: %+v", p.Status())
		}
		time.Sleep(2 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	p.Close()
}

// checkTotals compares the report with the sums kept from the ledger's
// own results.
func checkTotals(t *testing.T, rep *settle.Report, want map[feedtest.Key]*feedtest.Sums) {
	t.Helper()
	got := map[feedtest.Key]feedtest.Sums{}
	for _, r := range rep.Rows {
		if r.NetOwed != r.CapturedAmount {
			t.Errorf("%+v: net owed %d, captured %d", r.Key, r.NetOwed, r.CapturedAmount)
		}
		if r.Network == "unknown" {
			if r.ApprovedCount+r.DeclinedCount+r.ReversedCount+r.CapturedCount+r.ExpiredCount != 0 {
				t.Errorf("row without a network: %+v", r)
			}
			continue
		}
		got[feedtest.Key{Network: r.Network, Currency: r.Currency, Day: r.Day}] = feedtest.Sums{
			ApprovedCount: r.ApprovedCount, ApprovedAmount: r.ApprovedAmount,
			ReversedCount: r.ReversedCount, ReversedAmount: r.ReversedAmount,
			CapturedCount: r.CapturedCount, CapturedAmount: r.CapturedAmount,
			ExpiredCount: r.ExpiredCount, ExpiredAmount: r.ExpiredAmount, DeclinedCount: r.DeclinedCount,
		}
	}
	days := map[string]bool{}
	for k, w := range want {
		days[k.Day] = true
		if got[k] != *w {
			t.Errorf("%+v:\n report %+v\n ledger %+v", k, got[k], *w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && g != (feedtest.Sums{}) {
			t.Errorf("report has %+v the ledger never made: %+v", k, g)
		}
	}
	if len(days) < 2 {
		t.Errorf("the traffic spans %d settlement days; the test wants several", len(days))
	}
}

func TestReportTotalsEqualTheLedgerSums(t *testing.T) {
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	tr := feedtest.NewTraffic(t, l, clock, 21, 12)
	tr.Run(t, 4000)

	t.Run("from segment files", func(t *testing.T) {
		dir := t.TempDir()
		sink, err := segment.Open(segment.Options{Dir: dir, Logger: feedtest.Quiet})
		if err != nil {
			t.Fatal(err)
		}
		publish(t, l, sink)
		b := settle.NewBuilder(settle.Options{})
		if err := b.Load(context.Background(), segment.NewReader(dir, segment.ReaderOptions{})); err != nil {
			t.Fatal(err)
		}
		rep := b.Report(time.Now())
		if rep.LastSeq != l.DurableSeq() || rep.Entries != rep.LastSeq {
			t.Fatalf("report covers %d entries through %d; the ledger has %d", rep.Entries, rep.LastSeq, l.DurableSeq())
		}
		checkTotals(t, rep, tr.Sums)
		var sb strings.Builder
		for _, w := range []func(io.Writer) error{rep.WriteTable, rep.WriteJSON, rep.WriteCSV} {
			if err := w(&sb); err != nil {
				t.Fatal(err)
			}
		}
		var back settle.Report
		var js strings.Builder
		rep.WriteJSON(&js)
		if err := json.Unmarshal([]byte(js.String()), &back); err != nil || len(back.Rows) != len(rep.Rows) {
			t.Fatalf("JSON report does not read back: %v", err)
		}
		var cs strings.Builder
		rep.WriteCSV(&cs)
		if n := strings.Count(cs.String(), "\n"); n != 1+len(rep.Rows)+len(rep.ByCurrency) {
			t.Fatalf("CSV has %d lines for %d rows", n, len(rep.Rows))
		}
	})

	t.Run("from JetStream", func(t *testing.T) {
		s, err := natsserver.Start(natsserver.Options{Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Stop()
		nc, err := nats.Connect(s.URL())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		cfg := natsfeed.StreamConfig{Env: "settle"}
		// The first ledger acknowledged its journal to the files above, so
		// this feed comes from a second ledger with its own traffic.
		clock2 := feedtest.NewClock(feedtest.Start)
		l2 := feedtest.OpenLedger(t, nil, t.TempDir(), clock2)
		defer l2.Close()
		tr2 := feedtest.NewTraffic(t, l2, clock2, 22, 10)
		tr2.Run(t, 3000)
		sink, err := natsfeed.NewSink(context.Background(), natsfeed.SinkOptions{Conn: nc, Stream: cfg, Logger: feedtest.Quiet})
		if err != nil {
			t.Fatal(err)
		}
		publish(t, l2, sink)
		c, err := natsfeed.NewConsumer(natsfeed.ConsumerOptions{Conn: nc, Stream: cfg, StopAtEnd: true, Logger: feedtest.Quiet})
		if err != nil {
			t.Fatal(err)
		}
		b := settle.NewBuilder(settle.Options{})
		if err := b.Load(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		rep := b.Report(time.Now())
		if rep.LastSeq != l2.DurableSeq() {
			t.Fatalf("report through %d, ledger %d", rep.LastSeq, l2.DurableSeq())
		}
		checkTotals(t, rep, tr2.Sums)
	})
}

func TestDayFilterAndCutoff(t *testing.T) {
	at := time.Date(2026, 11, 24, 21, 30, 0, 0, time.UTC)
	rec := func(seq uint64, when time.Time) *feed.Record {
		return &feed.Record{V: 1, Seq: seq, ID: feed.EntryID(seq), Time: when, Op: "capture", Network: "visa",
			Currency: "USD", Status: "approved", Approved: 100}
	}
	b := settle.NewBuilder(settle.Options{Cutoff: 21 * time.Hour})
	b.Add(rec(1, at))
	b.Add(rec(2, at.Add(-time.Hour)))
	rep := b.Report(at)
	if len(rep.Rows) != 2 || rep.Rows[0].Day != "2026-11-23" || rep.Rows[1].Day != "2026-11-24" {
		t.Fatalf("cutoff rows %+v", rep.Rows)
	}
	b = settle.NewBuilder(settle.Options{Day: "2026-11-24"})
	b.Add(rec(1, at))
	b.Add(rec(2, at.Add(3*time.Hour)))
	if rep := b.Report(at); len(rep.Rows) != 1 || rep.Rows[0].CapturedCount != 1 {
		t.Fatalf("day filter rows %+v", rep.Rows)
	}
	if err := b.Add(rec(2, at)); err == nil {
		t.Fatal("a repeated entry was folded in")
	}
}

// lifecycle runs a scripted set of life cycles through a real ledger and
// returns the hold index its journal gives.
func lifecycle(t *testing.T) *settle.Holds {
	clock := feedtest.NewClock(feedtest.Start)
	l := feedtest.OpenLedger(t, nil, t.TempDir(), clock)
	defer l.Close()
	for _, a := range []struct{ id, cur string }{{"usd", "USD"}, {"eur", "EUR"}} {
		if err := l.UpsertAccount(a.id, a.cur, 1_000_000, 0); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	key := func() ledger.RequestKey {
		n++
		return ledger.MakeRequestKey(1, ledger.ClassAuthorization, "000000", "1124000000", string(rune('a'+n)))
	}
	auth := func(acct, cur, lc string, amount int64) ledger.Result {
		return l.Authorize(&ledger.Authorize{Key: key(), Lifecycle: ledger.MakeLifecycleKey(1, lc), Account: acct,
			Amount: amount, Currency: cur, MCC: "5411", At: clock.Now(),
			Descriptor: ledger.Descriptor{Network: "visa", Kind: "authorization"}})
	}
	// EXPIRED ages out first; the rest are placed after the sweep.
	auth("usd", "USD", "EXPIRED", 400)
	clock.Advance(4 * time.Hour)
	if got := l.ExpireDue(clock.Now(), 100); got != 1 {
		t.Fatalf("%d holds expired, want 1", got)
	}
	auth("usd", "USD", "OPEN", 1000)
	auth("usd", "USD", "OVER", 1000)
	auth("usd", "USD", "TWICE", 500)
	auth("eur", "EUR", "EURO", 700)
	captured := auth("usd", "USD", "CAPTURED", 300)
	l.Capture(&ledger.Capture{Key: key(), Account: "usd", HoldID: captured.HoldID, Amount: 300, At: clock.Now()})
	auth("usd", "USD", "REVERSED", 200)
	l.Reverse(&ledger.Reverse{Key: key(), Account: "usd", Lifecycle: ledger.MakeLifecycleKey(1, "REVERSED"),
		At: clock.Now(), Descriptor: ledger.Descriptor{Network: "visa", Kind: "reversal"}})
	res := auth("usd", "USD", "LATE", 100)
	if err := l.WaitDurable(context.Background(), res.Seq); err != nil {
		t.Fatal(err)
	}
	b := settle.NewBuilder(settle.Options{})
	entries, err := l.ReadJournal(1, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	var r feed.Record
	for i := range entries {
		if err := feed.ParseRecord(feed.AppendRecord(nil, &entries[i]), &r); err != nil {
			t.Fatal(err)
		}
		if err := b.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Holds
}

func TestReconcileClassifiesEveryLine(t *testing.T) {
	holds := lifecycle(t)
	file := `network,lifecycle_key,amount,currency,date,ignored
visa,LATE,100,USD,2026-11-25,x
visa,OVER,1500,USD,2026-11-25,x
visa,TWICE,500,USD,2026-11-25,x
visa,TWICE,500,USD,2026-11-25,x
visa,CAPTURED,300,USD,2026-11-25,x
visa,EXPIRED,400,USD,2026-11-25,x
visa,REVERSED,200,USD,2026-11-25,x
visa,EURO,700,USD,2026-11-25,x
visa,NOBODY,100,USD,2026-11-25,x
mastercard,LATE,100,USD,2026-11-25,x
`
	lines, err := settle.ReadClearing(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	rec := settle.Reconcile(holds, lines)
	want := []settle.Outcome{settle.Matched, settle.OverCaptured, settle.Matched, settle.AlreadyCaptured,
		settle.AlreadyCaptured, settle.ExpiredThenCaptured, settle.Closed, settle.CurrencyMismatch,
		settle.Unmatched, settle.Unmatched}
	for i, it := range rec.Items {
		if it.Outcome != want[i] {
			t.Errorf("line %d (%s %s): %s, want %s", it.Line, it.Network, it.LifecycleKey, it.Outcome, want[i])
		}
	}
	if rec.Items[2].IdempotencyKey == rec.Items[3].IdempotencyKey {
		t.Fatal("two identical lines share an idempotency key")
	}
	again := settle.Reconcile(holds, lines)
	for i := range rec.Items {
		if again.Items[i].IdempotencyKey != rec.Items[i].IdempotencyKey {
			t.Fatal("idempotency keys differ between runs")
		}
	}

	// Post to an admin API that knows the open holds.
	api := newAdminAPI(t, "s3cret", map[string]bool{"LATE": true, "OVER": true})
	client := &settle.AdminClient{BaseURL: api.URL, Token: "s3cret", Backoff: time.Millisecond}
	if err := rec.Post(context.Background(), client, false); err != nil {
		t.Fatal(err)
	}
	// LATE and OVER post; TWICE, EXPIRED and REVERSED post but the
	// stand-in API knows only LATE and OVER.
	if rec.Posted != 2 || rec.Failed != 3 {
		t.Fatalf("posted %d failed %d: %+v", rec.Posted, rec.Failed, rec.Items)
	}
	if !strings.Contains(rec.Items[2].PostError, "hold not found") {
		t.Fatalf("404 not reported: %q", rec.Items[2].PostError)
	}
	if rec.Items[0].Entry == "" || !rec.Items[0].Posted {
		t.Fatalf("posted item has no entry: %+v", rec.Items[0])
	}
	if ex := rec.Exceptions(); len(ex) != 9 {
		t.Fatalf("%d exceptions, want every line but the one matched and posted", len(ex))
	}
	var sb strings.Builder
	if err := rec.WriteCSV(&sb); err != nil || strings.Count(sb.String(), "\n") != 11 {
		t.Fatalf("CSV: %v\n%s", err, sb.String())
	}
}

type adminAPI struct {
	*httptest.Server
	mu   sync.Mutex
	seen []settle.CaptureRequest
}

// newAdminAPI is a stand-in for the switch's admin capture route, for the
// client's own encoding only: it checks the token and the body and
// answers as the contract says.
func newAdminAPI(t *testing.T, token string, known map[string]bool) *adminAPI {
	a := &adminAPI{}
	seq := 1000
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/captures" {
			http.Error(w, "no route", http.StatusNotFound)
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+token {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		var req settle.CaptureRequest
		dec := json.NewDecoder(r.Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil {
			t.Errorf("body: %v", err)
		}
		a.mu.Lock()
		a.seen = append(a.seen, req)
		seq++
		s := seq
		a.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if !known[req.LifecycleKey] {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"error":{"code":"hold_not_found","message":"no open hold for the life cycle"}}`)
			return
		}
		w.WriteHeader(http.StatusCreated)
		if r.Header.Get("Idempotency-Key") != req.IdempotencyKey {
			t.Errorf("Idempotency-Key header %q, body %q", r.Header.Get("Idempotency-Key"), req.IdempotencyKey)
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "cap_" + strconv.Itoa(s), "object": "capture",
			"journal_entry": feed.EntryID(uint64(s)), "amount": req.Amount, "currency": req.Currency})
	}))
	t.Cleanup(a.Close)
	return a
}

func TestAdminClientEncodingAndErrors(t *testing.T) {
	api := newAdminAPI(t, "tok", map[string]bool{"381234567890123": true})
	req := settle.CaptureRequest{Network: "visa", LifecycleKey: "381234567890123", Amount: 123, Currency: "USD",
		Date: "2026-11-24", IdempotencyKey: "clr_1"}
	c := &settle.AdminClient{BaseURL: api.URL + "/", Token: "tok"}
	res, err := c.Capture(context.Background(), req)
	if err != nil || res.ID != "cap_1001" || res.Entry() != "je_1001" || res.Seq != 1001 || len(res.Raw) == 0 {
		t.Fatalf("capture: %+v, %v", res, err)
	}
	if api.seen[0] != req {
		t.Fatalf("server saw %+v", api.seen[0])
	}
	var raw map[string]any
	b, _ := json.Marshal(req)
	json.Unmarshal(b, &raw)
	for _, k := range []string{"network", "lifecycle_key", "amount", "currency", "date", "idempotency_key"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("request has no %q", k)
		}
	}
	if _, err := (&settle.AdminClient{BaseURL: api.URL, Token: "bad"}).Capture(context.Background(), req); !errors.Is(err, settle.ErrUnauthorized) {
		t.Fatalf("bad token: %v", err)
	}
	req.LifecycleKey = "nope"
	if _, err := c.Capture(context.Background(), req); !errors.Is(err, settle.ErrHoldNotFound) {
		t.Fatalf("unknown hold: %v", err)
	}
	// A 5xx is retried (the idempotency key makes it safe), a 4xx is not.
	var calls int
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"cap_7","journal_entry":"je_7"}`)
	}))
	defer flaky.Close()
	res, err = (&settle.AdminClient{BaseURL: flaky.URL, Token: "t", Backoff: time.Millisecond}).Capture(context.Background(), req)
	if err != nil || res.Seq != 7 || calls != 3 {
		t.Fatalf("retried capture: %+v %v after %d calls", res, err, calls)
	}
	calls = 0
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusUnprocessableEntity)
		io.WriteString(w, `{"error":{"code":"invalid_amount","message":"amount must be positive"}}`)
	}))
	defer bad.Close()
	_, err = (&settle.AdminClient{BaseURL: bad.URL, Token: "t"}).Capture(context.Background(), req)
	var apiErr *settle.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "invalid_amount" || calls != 1 {
		t.Fatalf("422: %v after %d calls", err, calls)
	}
}

func TestReadClearingRejects(t *testing.T) {
	for name, file := range map[string]string{
		"no header":         "",
		"missing column":    "network,lifecycle_key,amount,currency\nvisa,1,1,USD\n",
		"bad network":       "network,lifecycle_key,amount,currency,date\namex,1,1,USD,2026-01-01\n",
		"decimal amount":    "network,lifecycle_key,amount,currency,date\nvisa,1,1.50,USD,2026-01-01\n",
		"bad currency":      "network,lifecycle_key,amount,currency,date\nvisa,1,150,US,2026-01-01\n",
		"bad date":          "network,lifecycle_key,amount,currency,date\nvisa,1,150,USD,01/02/2026\n",
		"empty key":         "network,lifecycle_key,amount,currency,date\nvisa,,150,USD,2026-01-01\n",
		"unbalanced quotes": "network,lifecycle_key,amount,currency,date\nvisa,\"1,150,USD,2026-01-01\n",
	} {
		if _, err := settle.ReadClearing(strings.NewReader(file)); !errors.Is(err, settle.ErrClearing) {
			t.Errorf("%s: %v", name, err)
		}
	}
	lines, err := settle.ReadClearing(strings.NewReader("\ufeffDate,Currency,Amount,LIFECYCLE_KEY,Network\n2026-01-01,usd,-150,k1,VISA\n"))
	if err != nil || len(lines) != 1 || lines[0].Amount != -150 || lines[0].Currency != "USD" || lines[0].Network != "visa" {
		t.Fatalf("reordered columns: %+v %v", lines, err)
	}
}

func FuzzReadClearing(f *testing.F) {
	f.Add("network,lifecycle_key,amount,currency,date\nvisa,381234567890123,1250,USD,2026-11-25\n")
	f.Add("network,lifecycle_key,amount,currency,date\n\"visa\",\"a\"\"b\",-1,EUR,2026-02-30\n")
	f.Fuzz(func(t *testing.T, file string) {
		lines, err := settle.ReadClearing(strings.NewReader(file))
		if err != nil {
			if !errors.Is(err, settle.ErrClearing) {
				t.Fatalf("error not wrapped: %v", err)
			}
			return
		}
		for _, l := range lines {
			if (l.Network != "visa" && l.Network != "mastercard") || len(l.Currency) != 3 || l.LifecycleKey == "" {
				t.Fatalf("accepted %+v", l)
			}
		}
	})
}

func TestMoneyUsesTheCurrencyExponent(t *testing.T) {
	for _, tc := range []struct {
		minor int64
		cur   string
		want  string
	}{{12345, "USD", "123.45"}, {-5, "EUR", "-0.05"}, {12345, "JPY", "12345"}, {12345, "BHD", "12.345"}, {7, "", "0.07"}} {
		if got := settle.MoneyIn(tc.minor, tc.cur); got != tc.want {
			t.Errorf("MoneyIn(%d, %s) = %s, want %s", tc.minor, tc.cur, got, tc.want)
		}
	}
}
