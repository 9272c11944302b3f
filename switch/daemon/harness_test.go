package daemon_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/spec/cvv"
	"github.com/authswitch/authswitch/switch/daemon"
)

// The test portfolio. Keys are the published test keys of the vectors.
const (
	visaPAN     = "4111111111111111" // acct_main, daily limit 100000
	mcPAN       = "5555555555554444" // acct_main
	smallPAN    = "4000000000000002" // acct_small: 5000
	frozenPAN   = "4012888888881881" // acct_frozen
	lostPAN     = "5105105105105100" // canceled, lost
	visaCVK     = "0123456789ABCDEF"
	visaCVKB    = "FEDCBA9876543210"
	mcCVKA      = "89ABCDEF01234567"
	mcCVKB      = "76543210FEDCBA98"
	testExpiry  = "2812"
	mainBalance = 250000
)

const testPortfolio = `{"kind":"card_keys","pan_prefix":"4","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}
{"kind":"card_keys","pan_prefix":"5","cvk_a":"89ABCDEF01234567","cvk_b":"76543210FEDCBA98"}
{"kind":"account","id":"acct_main","currency":"USD","balance":250000,"status":"active"}
{"kind":"cardholder","id":"ch_main","account":"acct_main","status":"active","controls":{"blocked_categories":["7995"]}}
{"kind":"card","id":"card_visa","pan":"4111111111111111","expiry":"2812","network":"visa","account":"acct_main","cardholder":"ch_main","status":"active","controls":{"spending_limits":[{"amount":100000,"interval":"daily"}]}}
{"kind":"card","id":"card_mc","pan":"5555555555554444","expiry":"2812","network":"mastercard","account":"acct_main","cardholder":"ch_main","status":"active"}
{"kind":"account","id":"acct_small","currency":"USD","balance":5000,"status":"active"}
{"kind":"card","id":"card_small","pan":"4000000000000002","expiry":"2812","network":"visa","account":"acct_small","status":"active"}
{"kind":"account","id":"acct_frozen","currency":"USD","balance":90000,"status":"frozen"}
{"kind":"card","id":"card_frozen","pan":"4012888888881881","expiry":"2812","network":"visa","account":"acct_frozen","status":"active"}
{"kind":"card","id":"card_lost","pan":"5105105105105100","expiry":"2812","network":"mastercard","account":"acct_main","status":"canceled","cancellation_reason":"lost"}
`

// testConfig is a configuration on loopback ports chosen by the kernel, a
// temporary data directory and the test portfolio.
func testConfig(t testing.TB, dir string) daemon.Config {
	t.Helper()
	cfg := daemon.Default()
	cfg.DataDir = dir
	cfg.Visa.Addr = "127.0.0.1:0"
	cfg.Mastercard.Addr = "127.0.0.1:0"
	cfg.AdminAddr = "127.0.0.1:0"
	cfg.LogLevel = "warn"
	p := filepath.Join(dir, "portfolio.jsonl")
	if _, err := os.Stat(p); err != nil {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(testPortfolio), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Portfolio = p
	return cfg
}

func startSwitch(t testing.TB, cfg daemon.Config) *daemon.Daemon {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	d, err := daemon.Start(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Shutdown(t.Context()) })
	return d
}

// client speaks one network's dialect on one connection, with any number
// of requests in flight; answers are matched by STAN.
type client struct {
	t    testing.TB
	n    spec.Network
	conn net.Conn
	wmu  sync.Mutex

	mu      sync.Mutex
	waiting map[string]chan *answer
	other   chan []byte // frames that match no request (keep-alives, echoes)
	done    chan struct{}
}

type answer struct {
	spec.Answer
	MTI    string
	Fields map[int]string // the answer's fields as the moov path reads them
	Frame  []byte
	Header spec.VisaHeader
}

func dial(t testing.TB, d *daemon.Daemon, n spec.Network) *client {
	t.Helper()
	conn, err := net.Dial("tcp", d.Addr(n).String())
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, n: n, conn: conn, waiting: map[string]chan *answer{}, other: make(chan []byte, 64), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() { conn.Close(); <-c.done })
	return c
}

func (c *client) readLoop() {
	defer close(c.done)
	buf := make([]byte, 0, 64<<10)
	tmp := make([]byte, 32<<10)
	for {
		n, err := c.conn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for {
			f, used, ferr := c.n.NextFrame(buf, 0)
			if ferr != nil || f.Kind == spec.FrameNeedMore {
				break
			}
			frame := append([]byte(nil), buf[:used]...)
			buf = buf[used:]
			if f.Kind != spec.FrameMessage {
				c.other <- frame
				continue
			}
			c.dispatch(frame, f.Payload)
		}
		if err != nil {
			return
		}
	}
}

func (c *client) dispatch(frame, payload []byte) {
	m, err := spec.Unpack(c.n, payload)
	if err != nil {
		c.t.Errorf("answer does not unpack: %v", err)
		return
	}
	mti, _ := m.GetMTI()
	stan, _ := m.GetString(11)
	if mti == "0800" {
		c.other <- frame
		return
	}
	ans, err := spec.AnswerFromMessage(c.n, m)
	if err != nil {
		c.t.Errorf("answer %s: %v", mti, err)
		return
	}
	a := &answer{Answer: ans, MTI: mti, Frame: frame, Fields: map[int]string{}}
	for id := range m.GetFields() {
		if s, err := m.GetString(id); err == nil {
			a.Fields[id] = s
		}
	}
	if c.n == spec.Visa {
		a.Header, _ = spec.ParseVisaHeader(payload)
	}
	c.mu.Lock()
	ch := c.waiting[stan]
	delete(c.waiting, stan)
	c.mu.Unlock()
	if ch == nil {
		c.t.Errorf("answer %s for STAN %s that was not asked", mti, stan)
		return
	}
	ch <- a
}

func (c *client) frame(a *spec.Authorization) []byte {
	c.t.Helper()
	m, err := spec.BuildRequest(c.n, a)
	if err != nil {
		c.t.Fatalf("build %s: %v", a.MTI, err)
	}
	hdr := &spec.VisaHeader{Format: 1, TextFormat: 2}
	hdr.Destination, _ = spec.ParseStationID("000001")
	hdr.Source, _ = spec.ParseStationID("000002")
	f, err := spec.PackFrame(c.n, m, hdr)
	if err != nil {
		c.t.Fatalf("pack %s: %v", a.MTI, err)
	}
	return f
}

// send writes a request and returns where its answer will arrive.
func (c *client) send(a *spec.Authorization) chan *answer {
	return c.sendRaw(a.STAN, c.frame(a))
}

func (c *client) sendRaw(stan string, frame []byte) chan *answer {
	ch := make(chan *answer, 1)
	c.mu.Lock()
	c.waiting[stan] = ch
	c.mu.Unlock()
	c.write(frame)
	return ch
}

func (c *client) write(b []byte) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func wait(t testing.TB, ch chan *answer) *answer {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10 s")
		return nil
	}
}

// do sends a request and waits for its answer.
func (c *client) do(a *spec.Authorization) *answer {
	c.t.Helper()
	return wait(c.t, c.send(a))
}

var stanSeq struct {
	sync.Mutex
	n int
}

func nextSTAN() string {
	stanSeq.Lock()
	defer stanSeq.Unlock()
	stanSeq.n++
	return fmt.Sprintf("%06d", stanSeq.n%1_000_000)
}

// purchase builds an e-commerce purchase of amount cents on pan, with a
// fresh STAN and life-cycle key, CVV2 when withCVV2.
func purchase(n spec.Network, pan string, amount int64) *spec.Authorization {
	stan := nextSTAN()
	a := &spec.Authorization{
		Network: n, MTI: "0100", Kind: spec.KindAuthorization,
		PAN: pan, ProcessingCode: "000000", Type: spec.TxnPurchase,
		Amount: amount, Currency: 840,
		TransmissionTime: "1124" + "08" + stan[2:6], STAN: stan, LocalTime: "08" + stan[2:6], LocalDate: "1124",
		Expiry: testExpiry, MCC: "5999", AcquirerCountry: "840", Entry: spec.EntryEcommerce, Ecommerce: "07",
		AcquirerID: "400050", RRN: "4329080" + stan[1:], TerminalID: "TERM0001", AcceptorID: "MERCHANT0000001",
		MerchantName: "EXAMPLE ONLINE STORE", MerchantCity: "NEW YORK", MerchantCountry: "US",
	}
	if n == spec.Visa {
		a.TransactionID = "43290812" + stan + "9"
	} else {
		a.TransactionID = "MCC" + stan
		a.NetworkCode = "MCC"
		a.SettlementDate = "1124"
		a.TCC = "T"
	}
	return a
}

func withCVV2(t testing.TB, a *spec.Authorization) *spec.Authorization {
	t.Helper()
	ka, kb := visaCVK, visaCVKB
	if a.PAN[0] == '5' {
		ka, kb = mcCVKA, mcCVKB
	}
	k, err := cvv.ParseKeys(ka, kb)
	if err != nil {
		t.Fatal(err)
	}
	v, err := k.Compute(a.PAN, a.Expiry, "000")
	if err != nil {
		t.Fatal(err)
	}
	a.CVV2, a.CVV2Present = v, true
	return a
}

// reversalOf builds a reversal (0400) of orig for actual (0: full).
func reversalOf(orig *spec.Authorization, mti string, actual int64) *spec.Authorization {
	r := *orig
	r.MTI = mti
	r.Kind = spec.KindReversal
	if mti[1] == '4' && mti[2] == '2' {
		r.Kind = spec.KindReversalAdvice
	}
	r.STAN = nextSTAN()
	r.CVV2, r.CVV2Present = "", false
	r.HasOriginal = true
	r.Original = spec.OriginalData{MTI: orig.MTI, STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
		AcquirerID: fmt.Sprintf("%011s", orig.AcquirerID), ForwardingID: "00000000000"}
	if actual > 0 {
		r.HasReplacement, r.ActualAmount = true, actual
	}
	return &r
}

func networkMgmt(n spec.Network, code string) *spec.Authorization {
	return &spec.Authorization{Network: n, MTI: "0800", Kind: spec.KindNetworkManagement,
		TransmissionTime: "1124080000", STAN: nextSTAN(), NetworkMgmtCode: code}
}

func amountOf(s string) int64 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return v
}

// balances returns the available balance from an answer's field 54.
func available(t testing.TB, a *answer) int64 {
	t.Helper()
	if !a.HasBalances {
		t.Fatalf("answer %s/%s carries no balances", a.MTI, a.ResponseCode)
	}
	return a.Available
}

func frameLen(n spec.Network, b []byte) int {
	return int(binary.BigEndian.Uint16(b))
}

var _ = bytes.Equal
var _ = frameLen

func duration(d time.Duration) daemon.Duration { return daemon.Duration(d) }
