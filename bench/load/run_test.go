package load

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/spec"
)

// responder answers requests on loopback through spec's hot-path codec,
// the way a switch frames and echoes them; decide picks the response code.
// It stands in for the switch to test the harness's own mechanics.
type responder struct {
	ln     map[spec.Network]net.Listener
	decide func(r *spec.Request, n uint64) (code string, drop bool)
	seen   atomic.Uint64
	wg     sync.WaitGroup
}

func startResponder(t *testing.T, decide func(*spec.Request, uint64) (string, bool)) *responder {
	t.Helper()
	rs := &responder{ln: map[spec.Network]net.Listener{}, decide: decide}
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		rs.ln[n] = ln
		rs.wg.Add(1)
		go rs.accept(n, ln)
	}
	t.Cleanup(func() {
		for _, ln := range rs.ln {
			ln.Close()
		}
		rs.wg.Wait()
	})
	return rs
}

func (rs *responder) addrs() map[spec.Network]string {
	return map[spec.Network]string{spec.Visa: rs.ln[spec.Visa].Addr().String(), spec.Mastercard: rs.ln[spec.Mastercard].Addr().String()}
}

func (rs *responder) accept(n spec.Network, ln net.Listener) {
	defer rs.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		rs.wg.Add(1)
		go rs.serve(n, c)
	}
}

func (rs *responder) serve(n spec.Network, c net.Conn) {
	defer rs.wg.Done()
	defer c.Close()
	buf := make([]byte, 64<<10)
	var out []byte
	var req spec.Request
	r, w := 0, 0
	for {
		k, err := c.Read(buf[w:])
		if err != nil {
			return
		}
		w += k
		out = out[:0]
		for {
			f, used, err := n.NextFrame(buf[r:w], 0)
			if err != nil || f.Kind == spec.FrameNeedMore {
				break
			}
			r += used
			if f.Kind != spec.FrameMessage || spec.DecodeRequest(n, f.Payload, &req) != nil {
				continue
			}
			a := &spec.Answer{ResponseCode: "00"}
			if req.Kind != spec.KindNetworkManagement {
				code, drop := rs.decide(&req, rs.seen.Add(1))
				if drop {
					continue
				}
				a.ResponseCode = code
				if code == "00" {
					a.AuthCode = "A1B2C3"
				}
			}
			out, _ = spec.AppendAnswer(out, &req, a)
		}
		copy(buf, buf[r:w])
		w -= r
		r = 0
		if len(out) > 0 {
			if _, err := c.Write(out); err != nil {
				return
			}
		}
	}
}

func testPlan(t *testing.T, mix string, cards int) *Plan {
	t.Helper()
	return testPlanB(t, mix, cards, 2)
}

func testPlanB(t testing.TB, mix string, cards, conns int) *Plan {
	t.Helper()
	m := model.New()
	if _, err := portfolio.Generate(portfolio.Options{Seed: 9, Cards: cards, Profile: portfolio.Bench}, m); err != nil {
		t.Fatal(err)
	}
	w, err := ParseMix(mix)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(m, []spec.Network{spec.Visa, spec.Mastercard}, conns, w, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func approveAll(*spec.Request, uint64) (string, bool) { return "00", false }

func TestClosedLoopCountsEveryAnswer(t *testing.T) {
	rs := startResponder(t, approveAll)
	plan := testPlan(t, "ecommerce=1,chip=1", 2000)
	res, err := Run(context.Background(), plan, Options{
		Name: "closed", Addrs: rs.addrs(), InFlight: 8, Warmup: 50 * time.Millisecond, Count: 4000,
	})
	if err != nil {
		t.Fatal(err)
	}
	tot := res.Total
	if res.Failed() || tot.Unexpected != 0 || tot.Errors != 0 || tot.Lost != 0 {
		t.Fatalf("failures: %+v notes %v", tot, res.Notes)
	}
	if tot.Sent != 4000 || tot.Answered != 4000 || tot.Latency.Count != 4000 {
		t.Fatalf("sent %d answered %d recorded %d, want 4000", tot.Sent, tot.Answered, tot.Latency.Count)
	}
	all := int64(0)
	for _, n := range tot.Timeline {
		all += n
	}
	if tot.Codes["00"] != all || all < 4000 {
		t.Fatalf("codes %v, timeline total %d", tot.Codes, all)
	}
	if len(res.Networks) != 2 || res.Networks[0].Answered+res.Networks[1].Answered != 4000 {
		t.Fatalf("per network %+v", res.Networks)
	}
	if tot.Throughput <= 0 || res.BenchCPUPerRequest <= 0 {
		t.Fatalf("throughput %v, bench CPU %v", tot.Throughput, res.BenchCPUPerRequest)
	}
}

func TestWrongAnswersAreFailures(t *testing.T) {
	rs := startResponder(t, approveAll) // approves even a wrong CVV2
	plan := testPlan(t, "ecommerce=3,bad_cvv2=1", 1000)
	res, err := Run(context.Background(), plan, Options{
		Name: "wrong", Addrs: rs.addrs(), InFlight: 4, Count: 2000,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() {
		t.Fatal("approving a wrong CVV2 did not fail the run")
	}
	var visa, mc int64
	for k, v := range res.Total.Mismatches {
		switch {
		case strings.HasPrefix(k, "visa bad_cvv2: want N7, got 00"):
			visa += v
		case strings.HasPrefix(k, "mastercard bad_cvv2: want 05, got 00"):
			mc += v
		default:
			t.Errorf("unexpected mismatch %q", k)
		}
	}
	// One request in four is a bad CVV2, spread evenly by the schedule.
	if got := visa + mc; got != res.Total.Unexpected || got < 400 || got > 600 {
		t.Fatalf("mismatches visa %d mastercard %d, unexpected %d", visa, mc, res.Total.Unexpected)
	}
}

func TestLostAnswersAreFailures(t *testing.T) {
	rs := startResponder(t, func(_ *spec.Request, n uint64) (string, bool) { return "00", n%100 == 0 })
	plan := testPlan(t, "ecommerce=1", 500)
	res, err := Run(context.Background(), plan, Options{
		Name: "lossy", Addrs: rs.addrs(), InFlight: 64, Count: 3000, DrainTimeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Total.Lost < 20 || !res.Failed() {
		t.Fatalf("lost %d; failed %v", res.Total.Lost, res.Failed())
	}
}

func TestOpenLoopKeepsTheSchedule(t *testing.T) {
	rs := startResponder(t, approveAll)
	plan := testPlan(t, "ecommerce=1", 500)
	res, err := Run(context.Background(), plan, Options{
		Name: "open", Addrs: rs.addrs(), Rate: 4000, Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Mode != "open" {
		t.Fatalf("%+v %v", res.Total, res.Notes)
	}
	// 4000/s for half a second: the schedule, not the responder, sets the pace.
	if a := res.Total.Answered; a < 1600 || a > 2200 {
		t.Fatalf("answered %d in 0.5 s at 4000/s", a)
	}
}

func TestBudgetsAreNeverOverspent(t *testing.T) {
	m := model.New()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(m.CardKeys(&portfolio.CardKeys{PANPrefix: "4", CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"}))
	must(m.Account(&portfolio.Account{ID: "a", Currency: "USD", Balance: 10_000, Status: "active"}))
	must(m.Card(&portfolio.Card{ID: "c", PAN: "4000001234567899", Expiry: "3012", Network: "visa", Account: "a", Status: "active"}))
	plan, err := NewPlan(m, []spec.Network{spec.Visa}, 1, map[string]int{"ecommerce": 1}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	rs := startResponder(t, approveAll)
	res, err := Run(context.Background(), plan, Options{
		Name: "budget", Addrs: map[spec.Network]string{spec.Visa: rs.addrs()[spec.Visa]}, InFlight: 1, Count: 10,
	})
	// 10 000 of balance covers four approvals of 2 500 and no fifth.
	if !errors.Is(err, errExhausted) {
		t.Fatalf("err = %v, want budgets exhausted", err)
	}
	if res == nil || res.Total.Answered != 4 {
		t.Fatalf("answered %v before exhaustion, want 4", res)
	}
}
