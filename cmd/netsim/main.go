// Command netsim is the card network simulator.
//
//	netsim gen --seed S --cards N --out FILE [--profile realistic|bench]
//	netsim run --visa-addr A --mc-addr B --portfolio FILE [--count N | --duration D] [--mix ...] [--scenario FILE.yaml]
//	netsim run --spawn .bin/switchd --portfolio FILE ...
//
// gen writes a portfolio (JSON Lines) for the switch to load. run plays the
// networks' side against a switch that loaded that portfolio and has served
// nothing else since: it knows the answer each request must get from its
// own model of the portfolio, and exits 1 on any mismatch.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/netsim"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/bench/switchproc"
	"github.com/authswitch/authswitch/spec"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "netsim:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: netsim gen|run [flags]  (netsim gen -h, netsim run -h)")
	os.Exit(2)
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	seed := fs.Uint64("seed", 1, "random seed: the same seed, count, profile and month give the same file")
	cards := fs.Int("cards", 10_000, "number of cards")
	out := fs.String("out", "-", "output file (- for stdout)")
	profile := fs.String("profile", string(portfolio.Realistic), "realistic or bench")
	visa := fs.Float64("visa-share", 0.5, "fraction of cards on Visa")
	month := fs.String("month", "", "the month expiry dates are drawn around, YYYY-MM (default: this month)")
	_ = fs.Parse(args)

	opts := portfolio.Options{Seed: *seed, Cards: *cards, Profile: portfolio.Profile(*profile), VisaShare: *visa}
	if *month != "" {
		t, err := time.Parse("2006-01", *month)
		if err != nil {
			return fmt.Errorf("--month: %w", err)
		}
		opts.Now = t
	}
	w := os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	start := time.Now()
	pw := portfolio.NewWriter(w)
	st, err := portfolio.Generate(opts, pw)
	if err != nil {
		return err
	}
	if err := pw.Flush(); err != nil {
		return err
	}
	if *out != "-" {
		if err := w.Sync(); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "netsim: %d cards, %d cardholders, %d accounts, %d card key pairs in %v\n",
		st.Cards, st.Cardholders, st.Accounts, st.CardKeys, time.Since(start).Round(time.Millisecond))
	return nil
}

type scenarioFlags []string

func (s *scenarioFlags) String() string     { return strings.Join(*s, ",") }
func (s *scenarioFlags) Set(v string) error { *s = append(*s, v); return nil }

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	visaAddr := fs.String("visa-addr", "", "the switch's Visa listener (host:port)")
	mcAddr := fs.String("mc-addr", "", "the switch's Mastercard listener (host:port)")
	spawn := fs.String("spawn", "", "start this switchd binary on loopback ports with the portfolio and a fresh data directory")
	switchLog := fs.String("switch-log", "", "with --spawn: file for the switch's output")
	file := fs.String("portfolio", "", "the portfolio the switch loaded (JSON Lines)")
	mixFlag := fs.String("mix", netsim.DefaultMix, "flows and weights; flows: "+strings.Join(netsim.FlowNames(), ", "))
	count := fs.Int("count", 0, "flows to play")
	duration := fs.Duration("duration", 0, "play for this long (instead of a count)")
	workers := fs.Int("workers", 8, "flows played at once")
	rate := fs.Float64("rate", 0, "flows started per second (0: as fast as the workers go)")
	conns := fs.Int("conns", 2, "connections per network")
	idle := fs.Duration("idle", 30*time.Second, "echo test after a connection idles this long")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed of the traffic")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	var scenarios scenarioFlags
	fs.Var(&scenarios, "scenario", "a scenario file (YAML) to play before the mix; repeatable")
	_ = fs.Parse(args)

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if *file == "" {
		return errors.New("--portfolio is required: the model must know what the switch loaded")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := model.New()
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	st, err := portfolio.Read(f, m)
	f.Close()
	if err != nil {
		return err
	}
	log.Info("portfolio loaded into the model", "cards", st.Cards, "accounts", st.Accounts)

	if *spawn != "" {
		out, err := logFile(*switchLog)
		if err != nil {
			return err
		}
		proc, err := switchproc.Start(ctx, switchproc.Options{Binary: *spawn, Portfolio: *file, Log: out})
		if err != nil {
			return err
		}
		defer func() {
			if err := proc.Stop(30 * time.Second); err != nil {
				log.Warn("stopping the switch", "err", err)
			}
		}()
		*visaAddr, *mcAddr = proc.VisaAddr, proc.MastercardAddr
		log.Info("switch started", "visa", proc.VisaAddr, "mastercard", proc.MastercardAddr, "admin", proc.AdminAddr)
	}

	clients := map[spec.Network]*netsim.Client{}
	for n, addr := range map[spec.Network]string{spec.Visa: *visaAddr, spec.Mastercard: *mcAddr} {
		if addr == "" {
			continue
		}
		c, err := netsim.Dial(ctx, n, addr, netsim.ClientOptions{Conns: *conns, IdleTime: *idle, Logger: log})
		if err != nil {
			return err
		}
		defer c.Close()
		clients[n] = c
	}
	if len(clients) == 0 {
		return errors.New("give --visa-addr, --mc-addr or --spawn")
	}
	mix, err := netsim.ParseMix(*mixFlag)
	if err != nil {
		return err
	}
	r := &netsim.Runner{Model: m, Clients: clients, Mix: mix, Workers: *workers, Rate: *rate, Seed: *seed, Logger: log}

	failed := false
	var results []*netsim.ScenarioResult
	for _, path := range scenarios {
		scs, err := netsim.LoadScenarios(path)
		if err != nil {
			return err
		}
		for i := range scs {
			res, err := r.PlayScenario(&scs[i])
			if err != nil {
				return err
			}
			results = append(results, res)
			printScenario(res)
			failed = failed || !res.OK
		}
	}

	var rep *netsim.Report
	if *count > 0 || *duration > 0 {
		rep, err = r.Run(ctx, *count, *duration)
		if err != nil {
			return err
		}
		printReport(rep)
		failed = failed || rep.Failed()
	}
	if *jsonOut != "" {
		b, err := json.MarshalIndent(struct {
			Scenarios []*netsim.ScenarioResult `json:"scenarios,omitempty"`
			Report    *netsim.Report           `json:"report,omitempty"`
		}{results, rep}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	if failed {
		return errors.New("the switch gave answers the model did not expect (see above)")
	}
	return nil
}

func logFile(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	return os.Create(path)
}

func printScenario(res *netsim.ScenarioResult) {
	verdict := "ok"
	if !res.OK {
		verdict = "FAILED"
	}
	fmt.Printf("scenario %q: %s\n", res.Name, verdict)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	for _, s := range res.Steps {
		mark := "ok"
		if !s.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\twant %s\tgot %s\t%s\n", mark, s.Step, s.MTI, s.Card, s.Want, s.Got, joinNotes(s.Note, s.Model))
	}
	tw.Flush()
}

func joinNotes(note, model string) string {
	if model != "" {
		note = strings.TrimSpace(note + " model: " + model)
	}
	return note
}

func printReport(rep *netsim.Report) {
	fmt.Printf("%d requests in %.1f s: %d as expected, %d mismatched, %d failed to send, %d steps not predictable\n",
		rep.Requests, rep.Seconds, rep.Matched, rep.Mismatched, rep.SendErrors, rep.Ambiguous)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow\tstarted\tcompleted\tstopped\tskipped\t")
	names := make([]string, 0, len(rep.Flows))
	for k := range rep.Flows {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		s := rep.Flows[k]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t\n", k, s.Started, s.Completed, s.Stopped, s.Skipped)
	}
	tw.Flush()
	codes := make([]string, 0, len(rep.Codes))
	for k := range rep.Codes {
		codes = append(codes, k)
	}
	sort.Strings(codes)
	fmt.Print("answers:")
	for _, k := range codes {
		fmt.Printf(" %s×%d", k, rep.Codes[k])
	}
	fmt.Println()
	if l := rep.Latency; l.Count > 0 {
		fmt.Printf("round trip: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", l.At(50)/1e3, l.At(99)/1e3, l.Max/1e3)
	}
	for n, s := range rep.Clients {
		fmt.Printf("%s connections: %+v\n", n, s)
	}
	for _, m := range rep.Mismatches {
		fmt.Printf("MISMATCH %s/%s %s %s STAN %s card %s: want %s, got %s\n", m.Flow, m.Step, m.Network, m.MTI, m.STAN, m.Card, m.Want, m.Got)
	}
	for _, e := range rep.Errors {
		fmt.Printf("ERROR %s\n", e)
	}
}
