package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/bench/load"
	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/netsim"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/bench/switchproc"
	"github.com/authswitch/authswitch/spec"
)

// buildSwitch builds cmd/switchd into the test's directory (with the race
// detector when BENCH_E2E_RACE is set), or skips when the tree has none;
// AUTHSWITCH_SWITCHD names one already built.
func buildSwitch(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the switch: not in -short")
	}
	// make test builds switchd once (after vet has compiled its packages)
	// and names it here, so that test packages do not each build it.
	if bin := os.Getenv("AUTHSWITCH_SWITCHD"); bin != "" && os.Getenv("BENCH_E2E_RACE") == "" {
		return bin
	}
	src := filepath.Join("..", "..", "cmd", "switchd")
	if _, err := os.Stat(filepath.Join(src, "main.go")); err != nil {
		t.Skip("cmd/switchd is not in the tree")
	}
	bin := filepath.Join(t.TempDir(), "switchd")
	args := []string{"build", "-o", bin}
	if os.Getenv("BENCH_E2E_RACE") != "" {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./"+filepath.ToSlash(src))...)
	cmd.Dir = "."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build switchd: %v\n%s", err, out)
	}
	return bin
}

// startSwitch generates a portfolio into the model and a file, and starts
// the switch on it.
func startSwitch(t *testing.T, bin string, opts portfolio.Options, m *model.Model) *switchproc.Process {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "portfolio.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := portfolio.NewWriter(f)
	if _, err := portfolio.Generate(opts, portfolio.Tee{w, m}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// The switch's own echo test comes after a short idle, so that the
	// simulator's answers to it are exercised too.
	config := filepath.Join(dir, "switchd.yaml")
	if err := os.WriteFile(config, []byte("visa:\n  idle_echo: 300ms\nmastercard:\n  idle_echo: 300ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	proc, err := switchproc.Start(context.Background(), switchproc.Options{
		Binary: bin, Portfolio: path, Config: config, DataDir: filepath.Join(dir, "data"), Log: &syncWriter{buf: &logs},
		ReadyTimeout: time.Minute,
	})
	if err != nil {
		t.Fatalf("start switch: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if err := proc.Stop(30 * time.Second); err != nil {
			t.Errorf("the switch did not stop cleanly on SIGTERM: %v", err)
		}
		if t.Failed() {
			t.Logf("switch output:\n%s", tail(logs.String(), 4000))
		}
	})
	return proc
}

func TestSimulatorAgainstTheSwitch(t *testing.T) {
	bin := buildSwitch(t)
	m := model.New()
	proc := startSwitch(t, bin, portfolio.Options{Seed: 77, Cards: 5000}, m)

	clients := map[spec.Network]*netsim.Client{}
	for n, addr := range map[spec.Network]string{spec.Visa: proc.VisaAddr, spec.Mastercard: proc.MastercardAddr} {
		c, err := netsim.Dial(context.Background(), n, addr, netsim.ClientOptions{Conns: 2, IdleTime: 150 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[n] = c
	}
	mix, _ := netsim.ParseMix(netsim.DefaultMix)
	r := &netsim.Runner{Model: m, Clients: clients, Mix: mix, Workers: 8, Seed: 3}

	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, f := range files {
		scs, err := netsim.LoadScenarios(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := range scs {
			res, err := r.PlayScenario(&scs[i])
			if err != nil {
				t.Fatalf("%s %q: %v", f, scs[i].Name, err)
			}
			for _, st := range res.Steps {
				if !st.OK {
					t.Errorf("%s %q %s: want %s, got %s %s", filepath.Base(f), scs[i].Name, st.Step, st.Want, st.Got, st.Note)
				}
			}
		}
	}

	rep, err := r.Run(context.Background(), 3000, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, mm := range rep.Mismatches {
		t.Errorf("%s/%s %s %s STAN %s card %s: want %s, got %s", mm.Flow, mm.Step, mm.Network, mm.MTI, mm.STAN, mm.Card, mm.Want, mm.Got)
	}
	for _, e := range rep.Errors {
		t.Errorf("send: %s", e)
	}
	if rep.Requests < 3000 || rep.Matched != rep.Requests {
		t.Errorf("requests %d, matched %d", rep.Requests, rep.Matched)
	}
	for _, name := range netsim.FlowNames() {
		if st := rep.Flows[name]; st == nil || st.Completed == 0 {
			t.Errorf("flow %s never completed against the switch: %+v", name, st)
		}
	}
	// Idle connections: our echo tests (and Visa keep-alives) every 150 ms
	// keep the switch from idling...
	time.Sleep(time.Second)
	for n, c := range clients {
		st := c.Stats()
		if st.SignOns != 2 || st.EchoesSent == 0 || st.ReadErrors != 0 || st.Unmatched != 0 {
			t.Errorf("%s connections: %+v", n, st)
		}
		if n == spec.Visa && (st.KeepAlivesSent == 0 || st.KeepAlivesIn == 0) {
			t.Errorf("visa keep-alives not echoed: %+v", st)
		}
	}
	// ...and a connection that stays silent gets the switch's own echo
	// after its 300 ms, which the simulator answers.
	for n, addr := range map[spec.Network]string{spec.Visa: proc.VisaAddr, spec.Mastercard: proc.MastercardAddr} {
		quiet, err := netsim.Dial(context.Background(), n, addr, netsim.ClientOptions{Conns: 1, IdleTime: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer quiet.Close()
		deadline := time.Now().Add(5 * time.Second)
		for quiet.Stats().EchoesAnswered == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if st := quiet.Stats(); st.EchoesAnswered == 0 || st.Closed != 0 {
			t.Errorf("%s: the switch's echo was not answered: %+v", n, st)
		}
	}
}

func TestBenchAgainstTheSwitch(t *testing.T) {
	bin := buildSwitch(t)
	m := model.New()
	proc := startSwitch(t, bin, portfolio.Options{Seed: 1, Cards: 20_000, Profile: portfolio.Bench}, m)
	mix, err := load.ParseMix(load.StandardMix)
	if err != nil {
		t.Fatal(err)
	}
	nets := []spec.Network{spec.Visa, spec.Mastercard}
	plan, err := load.NewPlan(m, nets, 2, mix, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[spec.Network]string{spec.Visa: proc.VisaAddr, spec.Mastercard: proc.MastercardAddr}
	for i, o := range []load.Options{
		{Name: "closed", InFlight: 16, Warmup: 200 * time.Millisecond, Count: 20_000},
		{Name: "open", Rate: 2_000, Warmup: 200 * time.Millisecond, Duration: time.Second},
	} {
		o.Addrs, o.AdminAddr, o.Nonce = addrs, proc.AdminAddr, uint64(i+1)
		res, err := load.Run(context.Background(), plan, o)
		if err != nil {
			t.Fatalf("%s: %v", o.Name, err)
		}
		tot := res.Total
		for k, v := range tot.Mismatches {
			t.Errorf("%s: %d × %s", o.Name, v, k)
		}
		if res.Failed() {
			t.Errorf("%s: unexpected %d, errors %d, lost %d; notes %v", o.Name, tot.Unexpected, tot.Errors, tot.Lost, res.Notes)
		}
		if res.SwitchCPUPerRequest == nil {
			t.Errorf("%s: the switch's CPU was not measured: %v", o.Name, res.Notes)
		}
		// Every class of the standard mix got its expected declines, not
		// just approvals.
		for _, code := range []string{"00", "14", "57"} {
			if tot.Codes[code] == 0 {
				t.Errorf("%s: no %s answers: %v", o.Name, code, tot.Codes)
			}
		}
		if o.Count > 0 && tot.Answered != o.Count {
			t.Errorf("%s: answered %d of %d", o.Name, tot.Answered, o.Count)
		}
	}
}

// syncWriter lets the test read the switch's output while it runs.
type syncWriter struct {
	mu  sync.Mutex
	buf *bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
