package netswitch_test

import (
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/spec"
	netswitch "github.com/authswitch/authswitch/switch"
)

const standInPortfolio = `{"kind":"account","id":"acct_1","currency":"USD","balance":100000,"status":"active"}
{"kind":"card","id":"card_1","pan":"5555555555554444","expiry":"2812","network":"mastercard","account":"acct_1","status":"active"}
`

// stalledJournal holds back the ledger's durability callbacks while it is
// stalled, the way a disk that stops syncing for a while would.
type stalledJournal struct {
	l       *ledger.Ledger
	mu      sync.Mutex
	stalled bool
	held    []func()
}

func (s *stalledJournal) OnDurable(seq uint64, fn func()) {
	s.mu.Lock()
	if s.stalled {
		s.held = append(s.held, func() { s.l.OnDurable(seq, fn) })
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.l.OnDurable(seq, fn)
}

func (s *stalledJournal) stall() { s.mu.Lock(); s.stalled = true; s.mu.Unlock() }

func (s *stalledJournal) resume() {
	s.mu.Lock()
	held := s.held
	s.held, s.stalled = nil, false
	s.mu.Unlock()
	for _, fn := range held {
		fn()
	}
}

type standInRig struct {
	l       *ledger.Ledger
	j       *stalledJournal
	srv     *netswitch.Server
	reg     *prometheus.Registry
	conn    net.Conn
	answers chan map[int]string
}

func newStandInRig(t *testing.T, policy netswitch.StandInPolicy, limit int64) *standInRig {
	t.Helper()
	l, err := ledger.Open(ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	e, err := rules.New(rules.Options{Ledger: l, PANKey: []byte(strings.Repeat("k", 32)), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if _, err := e.LoadPortfolio(strings.NewReader(standInPortfolio)); err != nil {
		t.Fatal(err)
	}
	cfg := netswitch.DefaultListener(spec.Mastercard, "127.0.0.1:0")
	cfg.Deadline = 100 * time.Millisecond
	cfg.StandIn, cfg.StandInLimit = policy, limit
	j := &stalledJournal{l: l}
	reg := prometheus.NewRegistry()
	srv, err := netswitch.New(netswitch.Options{
		Listeners: []netswitch.ListenerConfig{cfg}, Decider: netswitch.RulesDecider(e), Durability: j,
		Registerer: reg, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(t.Context()) })
	conn, err := net.Dial("tcp", srv.Addr(spec.Mastercard).String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := &standInRig{l: l, j: j, srv: srv, reg: reg, conn: conn, answers: make(chan map[int]string, 16)}
	go r.read(t)
	return r
}

func (r *standInRig) read(t *testing.T) {
	for {
		var p [2]byte
		if _, err := io.ReadFull(r.conn, p[:]); err != nil {
			return
		}
		b := make([]byte, binary.BigEndian.Uint16(p[:]))
		if _, err := io.ReadFull(r.conn, b); err != nil {
			return
		}
		m, err := spec.Unpack(spec.Mastercard, b)
		if err != nil {
			t.Error(err)
			return
		}
		f := map[int]string{}
		for id := range m.GetFields() {
			f[id], _ = m.GetString(id)
		}
		r.answers <- f
	}
}

func (r *standInRig) send(t *testing.T, stan string, amount int64) {
	t.Helper()
	a := &spec.Authorization{
		Network: spec.Mastercard, MTI: "0100", PAN: "5555555555554444", ProcessingCode: "000000",
		Amount: amount, Currency: 840, TransmissionTime: "1124081530", STAN: stan, Expiry: "2812",
		MCC: "5411", AcquirerID: "12345", RRN: "432908" + stan, TerminalID: "TERM0001",
		AcceptorID: "MERCHANT0000001", MerchantName: "SHOP", MerchantCity: "NEW YORK", MerchantCountry: "US",
		TransactionID: "ABC" + stan, SettlementDate: "1124", NetworkCode: "MCC", Entry: spec.EntryChip,
	}
	m, err := spec.BuildRequest(spec.Mastercard, a)
	if err != nil {
		t.Fatal(err)
	}
	f, err := spec.PackFrame(spec.Mastercard, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.conn.Write(f); err != nil {
		t.Fatal(err)
	}
}

func (r *standInRig) answer(t *testing.T) map[int]string {
	t.Helper()
	select {
	case a := <-r.answers:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no answer")
		return nil
	}
}

// waitFor polls cond (the late path runs after the stall clears).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestStandInDecline: with the journal stalled past the deadline, the
// network gets 91 in time; when the journal catches up the late approval
// is dropped, counted and its hold released.
func TestStandInDecline(t *testing.T) {
	r := newStandInRig(t, netswitch.StandInDecline, 0)
	r.j.stall()
	start := time.Now()
	r.send(t, "000001", 2500)
	a := r.answer(t)
	if a[39] != "91" || a[11] != "000001" {
		t.Fatalf("answer %v, want 91 for STAN 000001", a)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("stand-in answer after %v", took)
	}
	r.j.resume()
	waitFor(t, "the late decision to be voided", func() bool {
		b, _ := r.l.Balance("acct_1")
		return lateAnswers(t, r.reg) == 1 && b.Pending == 0 && b.Available == 100000
	})
	select {
	case extra := <-r.answers:
		t.Fatalf("a second answer left after the stand-in: %v", extra)
	case <-time.After(50 * time.Millisecond):
	}
}

// TestStandInApprove: the approve policy answers 00 up to its limit, with
// a stand-in authorization code, and the ledger ends with exactly one hold
// for it; above the limit it answers 91.
func TestStandInApprove(t *testing.T) {
	r := newStandInRig(t, netswitch.StandInApprove, 3000)
	r.j.stall()
	r.send(t, "000002", 2500)
	a := r.answer(t)
	if a[39] != "00" || !strings.HasPrefix(a[38], "S") {
		t.Fatalf("answer %v, want 00 with an S authorization code", a)
	}
	r.send(t, "000003", 3001)
	if a := r.answer(t); a[39] != "91" {
		t.Fatalf("over the stand-in limit: %v", a)
	}
	r.j.resume()
	waitFor(t, "one hold of 2500", func() bool {
		b, _ := r.l.Balance("acct_1")
		return lateAnswers(t, r.reg) == 2 && b.Pending == 2500
	})
}

func lateAnswers(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "authswitch_late_answers_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "network" && l.GetValue() == "mastercard" {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}
