package ops_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/authswitch/authswitch/bench/netsim"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/spec/cvv"
	"github.com/authswitch/authswitch/switch/daemon"
)

// The switch these tests scrape is started once per test binary (the
// first test that needs it starts it; TestMain stops it), served traffic
// that makes every family the switch can export without a fault show up,
// and kept running with its network connections signed on, so that a
// real Prometheus can scrape it too.

// The test portfolio; the card keys are the published test keys of the
// shared vectors.
const (
	visaPAN     = "4111111111111111" // acct_ops_main
	mcPAN       = "5555555555554444" // acct_ops_main
	smallPAN    = "4000000000000002" // acct_ops_small: 5000
	frozenPAN   = "4012888888881881" // acct_ops_frozen
	lostPAN     = "5105105105105100" // canceled, lost
	unknownPAN  = "4242424242424242" // in no portfolio
	cardExpiry  = "2812"
	adminToken  = "ops-test-token-0123456789abcdef"
	ruleDecline = 4242 // amount the program rule declines
	ruleError   = 4343 // amount the broken program rule fails on
)

var cardKeys = map[byte][2]string{
	'4': {"0123456789ABCDEF", "FEDCBA9876543210"},
	'5': {"89ABCDEF01234567", "76543210FEDCBA98"},
}

const testPortfolio = `{"kind":"card_keys","pan_prefix":"4","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}
{"kind":"card_keys","pan_prefix":"5","cvk_a":"89ABCDEF01234567","cvk_b":"76543210FEDCBA98"}
{"kind":"account","id":"acct_ops_main","currency":"USD","balance":2500000,"status":"active"}
{"kind":"cardholder","id":"ch_ops_main","account":"acct_ops_main","status":"active"}
{"kind":"card","id":"card_ops_visa","pan":"4111111111111111","expiry":"2812","network":"visa","account":"acct_ops_main","cardholder":"ch_ops_main","status":"active"}
{"kind":"card","id":"card_ops_mc","pan":"5555555555554444","expiry":"2812","network":"mastercard","account":"acct_ops_main","cardholder":"ch_ops_main","status":"active"}
{"kind":"account","id":"acct_ops_small","currency":"USD","balance":5000,"status":"active"}
{"kind":"card","id":"card_ops_small","pan":"4000000000000002","expiry":"2812","network":"visa","account":"acct_ops_small","status":"active"}
{"kind":"account","id":"acct_ops_frozen","currency":"USD","balance":90000,"status":"frozen"}
{"kind":"card","id":"card_ops_frozen","pan":"4012888888881881","expiry":"2812","network":"visa","account":"acct_ops_frozen","status":"active"}
{"kind":"card","id":"card_ops_lost","pan":"5105105105105100","expiry":"2812","network":"mastercard","account":"acct_ops_main","status":"canceled","cancellation_reason":"lost"}
`

// programRules declines one amount and fails to evaluate on another (the
// division by zero only runs when the amount is ruleError: && drops the
// error of its other side when one side is false).
var programRules = fmt.Sprintf(`rules:
  - name: ops_test_decline
    expression: amount == %d
  - name: ops_test_broken
    expression: amount == %d && amount / (amount - %d) > 0
`, ruleDecline, ruleError, ruleError)

// liveSwitch is the running switch and the network clients signed on to it.
type liveSwitch struct {
	d        *daemon.Daemon
	adminURL string // http://host:port
	visa, mc *netsim.Client
	dir      string
}

var shared struct {
	once sync.Once
	sw   *liveSwitch
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.sw != nil {
		shared.sw.close()
	}
	os.Exit(code)
}

// runningSwitch returns the shared switch, starting it and sending it its
// traffic the first time.
func runningSwitch(t testing.TB) *liveSwitch {
	t.Helper()
	shared.once.Do(func() { shared.sw, shared.err = startSwitch() })
	if shared.err != nil {
		t.Fatalf("starting the switch: %v", shared.err)
	}
	return shared.sw
}

func startSwitch() (_ *liveSwitch, err error) {
	dir, err := os.MkdirTemp("", "ops-switch-")
	if err != nil {
		return nil, err
	}
	s := &liveSwitch{dir: dir}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	portfolio := filepath.Join(dir, "portfolio.jsonl")
	rules := filepath.Join(dir, "program_rules.yaml")
	if err := os.WriteFile(portfolio, []byte(testPortfolio), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(rules, []byte(programRules), 0o600); err != nil {
		return nil, err
	}
	cfg := daemon.Default()
	cfg.DataDir = filepath.Join(dir, "data")
	cfg.Portfolio = portfolio
	cfg.Rules.ProgramRules = rules
	cfg.Visa.Addr, cfg.Mastercard.Addr, cfg.AdminAddr = "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"
	cfg.LogLevel = "error"
	cfg.Admin.Tokens = []string{adminToken}
	// Idle connections get the switch's echo tests within the test's time.
	cfg.Visa.IdleEcho = daemon.Duration(150 * time.Millisecond)
	cfg.Mastercard.IdleEcho = daemon.Duration(150 * time.Millisecond)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if s.d, err = daemon.Start(cfg, io.Discard); err != nil {
		return nil, fmt.Errorf("start: %w", err)
	}
	s.adminURL = "http://" + s.d.AdminAddr()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := netsim.ClientOptions{Conns: 1, Logger: quiet}
	if s.visa, err = netsim.Dial(ctx, spec.Visa, s.d.Addr(spec.Visa).String(), opts); err != nil {
		return nil, err
	}
	if s.mc, err = netsim.Dial(ctx, spec.Mastercard, s.d.Addr(spec.Mastercard).String(), opts); err != nil {
		return nil, err
	}
	if err := s.sendTraffic(); err != nil {
		return nil, fmt.Errorf("traffic: %w", err)
	}
	if err := s.waitForFamilies(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *liveSwitch) close() {
	for _, c := range []*netsim.Client{s.visa, s.mc} {
		if c != nil {
			_ = c.Close()
		}
	}
	if s.d != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = s.d.Shutdown(ctx)
		cancel()
	}
	_ = os.RemoveAll(s.dir)
}

// sendTraffic sends what makes the families show: approvals, declines of
// several checks, a program rule's decline and its failure, a reversal,
// malformed frames, a Visa keep-alive and admin API requests with and
// without a token.
func (s *liveSwitch) sendTraffic() error {
	type want struct {
		c      *netsim.Client
		a      *spec.Authorization
		codes  string // acceptable response codes, space-separated
		reason string
	}
	var sends []want
	for _, c := range []*netsim.Client{s.visa, s.mc} {
		pan := visaPAN
		if c.Network == spec.Mastercard {
			pan = mcPAN
		}
		for i := 0; i < 10; i++ {
			sends = append(sends, want{c, purchase(c.Network, pan, 100+int64(i)), "00", "approval"})
		}
		sends = append(sends,
			want{c, purchase(c.Network, pan, ruleDecline), "05", "program rule decline"},
			want{c, purchase(c.Network, pan, ruleError), "00", "program rule error (the rule does not decline)"},
			want{c, purchase(c.Network, unknownPAN, 100), "14", "unknown card"},
		)
	}
	sends = append(sends,
		want{s.visa, purchase(spec.Visa, smallPAN, 10_000), "51", "insufficient funds"},
		want{s.visa, purchase(spec.Visa, frozenPAN, 100), "62 46", "frozen account"},
		want{s.mc, purchase(spec.Mastercard, lostPAN, 100), "41", "lost card"},
	)
	for _, w := range sends {
		r, err := w.c.Send(w.a)
		if err != nil {
			return fmt.Errorf("%s %s: %w", w.c.Network, w.reason, err)
		}
		if !strings.Contains(" "+w.codes+" ", " "+r.Answer.ResponseCode+" ") {
			return fmt.Errorf("%s %s answered %s, want %s", w.c.Network, w.reason, r.Answer.ResponseCode, w.codes)
		}
	}
	orig := purchase(spec.Mastercard, mcPAN, 700)
	if r, err := s.mc.Send(orig); err != nil || r.Answer.ResponseCode != "00" {
		return fmt.Errorf("purchase to reverse: %v %+v", err, r.Answer)
	}
	if r, err := s.mc.Send(reversalOf(orig)); err != nil || r.Answer.ResponseCode != "00" {
		return fmt.Errorf("reversal: %v %+v", err, r.Answer)
	}

	if err := s.sendMalformed(3); err != nil {
		return err
	}
	if err := s.sendKeepAlive(); err != nil {
		return err
	}
	for _, token := range []string{adminToken, ""} {
		req, err := http.NewRequest("GET", s.adminURL+"/v1/accounts/acct_ops_main", nil)
		if err != nil {
			return err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("admin API: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if want := map[bool]int{true: 200, false: 401}[token != ""]; resp.StatusCode != want {
			return fmt.Errorf("admin API with token %t: status %d, want %d", token != "", resp.StatusCode, want)
		}
	}
	return nil
}

// sendMalformed writes n Mastercard frames whose message is not ISO 8583
// on a connection of their own, then closes it.
func (s *liveSwitch) sendMalformed(n int) error {
	conn, err := net.DialTimeout("tcp", s.d.Addr(spec.Mastercard).String(), 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	payload := []byte("0100 this is not an ISO 8583 message")
	frame := binary.BigEndian.AppendUint16(nil, uint16(len(payload)))
	frame = append(frame, payload...)
	for i := 0; i < n; i++ {
		if _, err := conn.Write(frame); err != nil {
			return fmt.Errorf("malformed frame %d: %w", i, err)
		}
	}
	return nil
}

// sendKeepAlive writes one Visa keep-alive (a zero-length frame) on a
// connection of its own and waits for the switch to echo it.
func (s *liveSwitch) sendKeepAlive() error {
	conn, err := net.DialTimeout("tcp", s.d.Addr(spec.Visa).String(), 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	ka := spec.Visa.AppendKeepAlive(nil)
	if _, err := conn.Write(ka); err != nil {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	back := make([]byte, len(ka))
	if _, err := io.ReadFull(conn, back); err != nil {
		return fmt.Errorf("keep-alive not echoed: %w", err)
	}
	return nil
}

// waitForFamilies scrapes until what the traffic caused has all shown
// (echoes run on their own timer; the feed ships on its own).
func (s *liveSwitch) waitForFamilies() error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		fams, err := scrapeURL(s.adminURL + "/metrics")
		if err != nil {
			return err
		}
		missing := missingEvidence(fams)
		if len(missing) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after the traffic, the scrape still lacks: %s", strings.Join(missing, "; "))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// missingEvidence lists what the traffic should have made visible and is
// not (yet) in fams.
func missingEvidence(fams map[string]*dto.MetricFamily) []string {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	for _, n := range []string{"visa", "mastercard"} {
		need(sample(fams, "authswitch_connection_signed_on", map[string]string{"network": n}) >= 1,
			n+" connection signed on")
		need(sample(fams, "authswitch_echoes_total", map[string]string{"network": n, "result": "answered"}) >= 1,
			n+" echo answered")
		need(sample(fams, "authswitch_rules_program_rule_declines_total", map[string]string{"rule": "ops_test_decline"}) >= 2,
			"program rule declines")
	}
	need(sample(fams, "authswitch_keepalives_total", map[string]string{"network": "visa"}) >= 1, "keep-alive")
	need(sample(fams, "authswitch_malformed_frames_total", map[string]string{"network": "mastercard"}) >= 3,
		"malformed frames")
	need(sample(fams, "authswitch_rules_program_rule_errors_total", map[string]string{"rule": "ops_test_broken"}) >= 2,
		"program rule errors")
	need(sample(fams, "authswitch_admin_requests_total", map[string]string{"route": "accounts.get", "code": "200"}) >= 1,
		"admin request")
	need(sample(fams, "authswitch_admin_auth_failures_total", nil) >= 1, "admin auth failure")
	need(sample(fams, "authswitch_feed_shipped_entries_total", nil) >= 1, "feed shipped")
	return missing
}

// sample sums the values of the series of family name whose labels
// include want (a histogram counts its observations); -1 when none.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
	sum, found := 0.0, false
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	if !found {
		return -1
	}
	return sum
}

// scrape returns the switch's metric families as its /metrics shows them.
func (s *liveSwitch) scrape(t testing.TB) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := scrapeURL(s.adminURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func scrapeURL(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, fmt.Errorf("scrape: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: status %d", url, resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", url, err)
	}
	return fams, nil
}

// switchFamily reports whether a family is the switch's own (the ones the
// README catalogue must list), not the Go runtime's or the process's.
func switchFamily(name string) bool {
	for _, p := range []string{"authswitch_", "ledger_", "rules_", "feed_", "admin_"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

var stan atomic.Uint64

// purchase builds an e-commerce purchase with a good CVV2 and numbers of
// its own (STAN, RRN, transmission time, life-cycle key).
func purchase(n spec.Network, pan string, amount int64) *spec.Authorization {
	seq := stan.Add(1)
	s := fmt.Sprintf("%06d", seq%1_000_000)
	now := time.Now().UTC()
	a := &spec.Authorization{
		Network: n, MTI: "0100", Kind: spec.KindAuthorization,
		PAN: pan, ProcessingCode: "000000", Type: spec.TxnPurchase,
		Amount: amount, Currency: 840,
		TransmissionTime: now.Format("0102150405"), STAN: s, LocalTime: now.Format("150405"),
		LocalDate: now.Format("0102"), Expiry: cardExpiry, MCC: "5999", AcquirerCountry: "840",
		Entry: spec.EntryEcommerce, Ecommerce: "07", AcquirerID: "400050", RRN: fmt.Sprintf("77%010d", seq),
		TerminalID: "TERM0001", AcceptorID: "MERCHANT0000001",
		MerchantName: "EXAMPLE ONLINE STORE", MerchantCity: "NEW YORK", MerchantCountry: "US",
	}
	if n == spec.Visa {
		a.TransactionID = fmt.Sprintf("7%014d", seq)
	} else {
		a.TransactionID = fmt.Sprintf("OPS%06d", seq%1_000_000)
		a.NetworkCode = "MCC"
		a.SettlementDate = now.Format("0102")
		a.TCC = "T"
	}
	if k, ok := cardKeys[pan[0]]; ok {
		keys, err := cvv.ParseKeys(k[0], k[1])
		if err == nil {
			if v, err := keys.Compute(pan, cardExpiry, "000"); err == nil {
				a.CVV2, a.CVV2Present = v, true
			}
		}
	}
	return a
}

// reversalOf builds a full reversal (0400) of orig by its original data,
// with numbers of its own.
func reversalOf(orig *spec.Authorization) *spec.Authorization {
	fresh := purchase(orig.Network, orig.PAN, orig.Amount)
	rev := *orig
	rev.MTI, rev.Kind = "0400", spec.KindReversal
	rev.STAN, rev.RRN, rev.TransmissionTime = fresh.STAN, fresh.RRN, fresh.TransmissionTime
	rev.CVV2, rev.CVV2Present = "", false
	rev.HasOriginal = true
	rev.Original = spec.OriginalData{MTI: orig.MTI, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
		AcquirerID: fmt.Sprintf("%011s", orig.AcquirerID), ForwardingID: "00000000000"}
	return &rev
}
