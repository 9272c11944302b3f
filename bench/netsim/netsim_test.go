package netsim

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	moovErrors "github.com/moov-io/iso8583/errors"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/spec"
)

var testPortfolio = portfolio.Options{Seed: 21, Cards: 3000}

func dialBoth(t *testing.T, s *modelSwitch, opts ClientOptions) map[spec.Network]*Client {
	t.Helper()
	clients := map[spec.Network]*Client{}
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		c, err := Dial(context.Background(), n, s.addr(n), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		clients[n] = c
	}
	return clients
}

func newRunner(t *testing.T, clients map[spec.Network]*Client, mix string) *Runner {
	t.Helper()
	m := model.New()
	if _, err := portfolio.Generate(testPortfolio, m); err != nil {
		t.Fatal(err)
	}
	w, err := ParseMix(mix)
	if err != nil {
		t.Fatal(err)
	}
	return &Runner{Model: m, Clients: clients, Mix: w, Workers: 4, Seed: 5}
}

func TestEveryFlowGetsTheModelsAnswer(t *testing.T) {
	s := startModelSwitch(t, testPortfolio, nil)
	clients := dialBoth(t, s, ClientOptions{Conns: 2, IdleTime: 150 * time.Millisecond})
	r := newRunner(t, clients, DefaultMix)
	rep, err := r.Run(context.Background(), 600, 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() || rep.Mismatched != 0 || rep.SendErrors != 0 {
		t.Fatalf("mismatches %d, errors %d: %+v %v", rep.Mismatched, rep.SendErrors, rep.Mismatches, rep.Errors)
	}
	for _, name := range FlowNames() {
		st := rep.Flows[name]
		if st == nil || st.Completed == 0 {
			t.Errorf("flow %s never completed: %+v", name, st)
		}
	}
	// The portfolio's spread shows in the answers: approvals and declines.
	for _, code := range []string{"00", "10", "05", "14", "51", "85"} {
		if rep.Codes[code] == 0 {
			t.Errorf("no answer %s in %v", code, rep.Codes)
		}
	}
	if rep.Requests < 600 || rep.Matched != rep.Requests { // every flow sends at least one request
		t.Fatalf("requests %d matched %d", rep.Requests, rep.Matched)
	}

	// Idle connections: echo tests and keep-alives both ways.
	time.Sleep(400 * time.Millisecond)
	for n, c := range clients {
		st := c.Stats()
		if st.SignOns != 2 || st.EchoesAnswered != 2 || st.EchoesSent == 0 {
			t.Errorf("%s: %+v", n, st)
		}
		if n == spec.Visa && (st.KeepAlivesSent == 0 || st.KeepAlivesIn == 0) {
			t.Errorf("visa keep-alives: %+v", st)
		}
	}
	if s.echos.Load() != 4 {
		t.Errorf("the switch's echoes answered %d times, want 4", s.echos.Load())
	}
}

func TestWrongAnswersAreReported(t *testing.T) {
	// A switch that approves where funds are short.
	s := startModelSwitch(t, testPortfolio, func(want string) string {
		if want == "51" {
			return "00"
		}
		return want
	})
	clients := dialBoth(t, s, ClientOptions{Conns: 1})
	r := newRunner(t, clients, "chip=1,ecommerce=1")
	rep, err := r.Run(context.Background(), 400, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Failed() || rep.Mismatched == 0 {
		t.Fatalf("no mismatch reported: %+v", rep.Codes)
	}
	for _, mm := range rep.Mismatches {
		if !strings.HasPrefix(mm.Want, "39=51") || !strings.Contains(mm.Got, "39=00") {
			t.Errorf("mismatch %+v", mm)
		}
		if strings.Count(mm.Card, "*") != 6 {
			t.Errorf("card not masked: %q", mm.Card)
		}
	}
}

func TestReconnects(t *testing.T) {
	s := startModelSwitch(t, testPortfolio, nil)
	clients := dialBoth(t, s, ClientOptions{Conns: 2, ReconnectWait: 20 * time.Millisecond})
	s.dropAll()
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range clients {
		for c.Stats().Connects < 4 || c.Connections() < 2 {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not reconnect: %+v", c.Network, c.Stats())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err := c.Echo(); err != nil {
			t.Fatalf("%s after reconnecting: %v", c.Network, err)
		}
		if st := c.Stats(); st.SignOns != 4 {
			t.Errorf("%s: sign-ons %d, want one per connection each time", c.Network, st.SignOns)
		}
	}
}

const scenarioYAML = `
scenarios:
  - name: hotel stay
    steps:
      - id: checkin
        card: {network: visa, status: active, account_status: active, cardholder_status: active, min_available: 100000, controls: none, currency: USD}
        merchant: hotel
        entry: chip
        amount: 30000
        expect: "00"
      - id: night
        message: increment
        of: checkin
        amount: 15000
        expect: "00"
      - message: reversal_advice
        of: checkin
        by_lifecycle: true
        actual: 38000
        expect: "00"
      - card: "@checkin"
        type: balance_inquiry
        merchant: atm
        entry: chip
        pin: true
  - name: declines and repeats
    steps:
      - id: lost
        card: {network: mastercard, status: lost, expired: false}
        amount: 1000
        expect: "41"
      - id: cvv
        card: {network: visa, status: active, account_status: active, cardholder_status: active, controls: none, min_available: 5000, currency: USD}
        amount: 1000
        cvv2: bad
        expect: N7
      - id: buy
        card: "@cvv"
        amount: 1000
        expect: "00"
      - message: repeat
        of: buy
        expect: "00"
      - card: unknown
        network: mastercard
        amount: 500
        expect: "14"
      - message: echo
        network: mastercard
  - name: fuel
    steps:
      - id: pump
        card: {network: mastercard, status: active, account_status: active, cardholder_status: active, controls: none, min_available: 1000, max_available: 5000, currency: USD}
        merchant: fuel
        entry: chip
        amount: 10000
        partial: true
        expect: "10"
      - message: reversal_advice
        of: pump
        actual: 500
`

func TestScenarios(t *testing.T) {
	scs, err := ReadScenarios(strings.NewReader(scenarioYAML))
	if err != nil {
		t.Fatal(err)
	}
	s := startModelSwitch(t, testPortfolio, nil)
	r := newRunner(t, dialBoth(t, s, ClientOptions{Conns: 1}), "echo=1")
	for i := range scs {
		res, err := r.PlayScenario(&scs[i])
		if err != nil {
			t.Fatalf("%s: %v", scs[i].Name, err)
		}
		if !res.OK || len(res.Steps) != len(scs[i].Steps) {
			t.Fatalf("%s: %+v", scs[i].Name, res.Steps)
		}
		for _, st := range res.Steps {
			if st.Model != "" {
				t.Errorf("%s %s: the model disagrees with the scenario: %s", scs[i].Name, st.Step, st.Model)
			}
		}
	}
	// A wrong expectation (stolen for a lost card) fails the step and says
	// what came back.
	wrong := strings.Replace(scenarioYAML, `expect: "41"`, `expect: "43"`, 1)
	scs, err = ReadScenarios(strings.NewReader(wrong))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.PlayScenario(&scs[1])
	if err != nil {
		t.Fatal(err)
	}
	if res.OK || res.Steps[0].OK || res.Steps[0].Got != "39=41" || res.Steps[0].Model == "" {
		t.Fatalf("a wrong expectation passed: %+v", res.Steps[0])
	}
}

func TestScenarioFileErrors(t *testing.T) {
	for name, y := range map[string]string{
		"unknown key":     "name: x\nsteps:\n  - amont: 5\n",
		"no steps":        "name: x\n",
		"of unknown step": "name: x\nsteps:\n  - message: repeat\n    of: nowhere\n",
		"bad message":     "name: x\nsteps:\n  - message: capture\n",
		"duplicate id":    "name: x\nsteps:\n  - id: a\n    card: unknown\n  - id: a\n    card: unknown\n",
	} {
		if _, err := ReadScenarios(strings.NewReader(y)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// The scenario files shipped in bench/scenarios parse and pass against a
// switch that answers as the model does, on a realistic portfolio.
func TestShippedScenarios(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenario files: %v", err)
	}
	s := startModelSwitch(t, testPortfolio, nil)
	r := newRunner(t, dialBoth(t, s, ClientOptions{Conns: 1}), "echo=1")
	for _, f := range files {
		scs, err := LoadScenarios(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range scs {
			res, err := r.PlayScenario(&scs[i])
			if err != nil {
				t.Fatalf("%s %q: %v", f, scs[i].Name, err)
			}
			for _, st := range res.Steps {
				if !st.OK || st.Model != "" {
					t.Errorf("%s %q %s: want %s got %s %s %s", f, scs[i].Name, st.Step, st.Want, st.Got, st.Note, st.Model)
				}
			}
		}
	}
}

func FuzzReadScenarios(f *testing.F) {
	f.Add([]byte(scenarioYAML))
	f.Add([]byte("name: x\nsteps:\n  - card: {network: visa, min_available: 5}\n    expect: \"00\"\n"))
	f.Add([]byte("scenarios: [{name: a, steps: [{message: echo}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		scs, err := ReadScenarios(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What reads back is valid: every reference points backwards.
		for _, sc := range scs {
			seen := map[string]bool{}
			for _, st := range sc.Steps {
				if st.Of != "" && !seen[st.Of] || st.Card.Ref != "" && !seen[st.Card.Ref] {
					t.Fatalf("scenario %q accepted a forward reference", sc.Name)
				}
				if st.ID != "" {
					seen[st.ID] = true
				}
			}
		}
	})
}

// The framer reads whatever the wire brings without panicking: frames,
// keep-alives, garbage (as an UnpackError, so the connection carries on).
func FuzzFramer(f *testing.F) {
	f.Add(true, []byte{0, 0, 0, 0})
	f.Add(false, []byte{0, 2, 0xF0, 0xF8})
	f.Add(true, []byte{0, 30, 0, 0, 22, 1, 2})
	f.Fuzz(func(t *testing.T, visa bool, data []byte) {
		n := spec.Mastercard
		if visa {
			n = spec.Visa
		}
		fr := &framer{client: &Client{Network: n, opts: ClientOptions{MaxFrame: spec.DefaultMaxFrame}}}
		r := bytes.NewReader(data)
		for range 8 {
			m, err := fr.ReadMessage(r)
			if err != nil && m != nil {
				t.Fatal("a message and an error")
			}
			if err != nil && !errors.As(err, new(*moovErrors.UnpackError)) {
				return // the stream ended or lost its framing: the connection closes
			}
		}
	})
}
