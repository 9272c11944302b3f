// Command bench load-tests the switch over TCP as the card networks would,
// and writes what it measured: a table on stdout, and under --out a JSON
// file of the runs, a Markdown table and plots of latency percentiles and
// throughput over time.
//
//	bench --spawn .bin/switchd                      # the standard profile against a fresh switch
//	bench --visa-addr A --mc-addr B --admin-addr C --portfolio FILE --mode closed --duration 60s
//
// The standard profile: a 1M-card bench portfolio (controls on every
// level), a closed loop of 8 connections × 32 in flight per network, then
// an open loop at 50,000 requests/s over both networks; 5 s of warm-up
// excluded, 30 s measured each. Latency comes from HdrHistogram; the open
// loop measures it from each request's intended send time. Every answer is
// checked against the expected-answer model: a wrong response code fails
// the run (exit status 1) as a lost request does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/authswitch/authswitch/bench/load"
	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/bench/switchproc"
	"github.com/authswitch/authswitch/spec"
)

type profile struct {
	cards    int
	warmup   time.Duration
	duration time.Duration
}

var profiles = map[string]profile{
	"standard": {cards: 1_000_000, warmup: 5 * time.Second, duration: 30 * time.Second},
	"quick":    {cards: 100_000, warmup: 2 * time.Second, duration: 5 * time.Second},
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	prof := flag.String("profile", "standard", "standard or quick: sets --cards, --warmup and --duration unless given")
	spawn := flag.String("spawn", "", "start this switchd binary on loopback ports with a fresh data directory")
	switchLog := flag.String("switch-log", "", "with --spawn: file for the switch's output (default: discarded)")
	var switchArgs multiFlag
	flag.Var(&switchArgs, "switch-arg", "with --spawn: one more flag for switchd; repeatable")
	visaAddr := flag.String("visa-addr", "", "the switch's Visa listener")
	mcAddr := flag.String("mc-addr", "", "the switch's Mastercard listener")
	adminAddr := flag.String("admin-addr", "", "the switch's admin listener, for process_cpu_seconds_total")
	file := flag.String("portfolio", "", "the portfolio the switch loaded; without it one is generated (and, with --spawn, loaded)")
	seed := flag.Uint64("seed", 1, "seed of the generated portfolio")
	cards := flag.Int("cards", 0, "cards in the generated portfolio (default: the profile's)")
	networks := flag.String("networks", "visa,mastercard", "networks to load")
	mode := flag.String("mode", "both", "closed, open or both")
	conns := flag.Int("conns", 8, "connections per network")
	inflight := flag.Int("inflight", 32, "closed loop: requests in flight per connection")
	rate := flag.Float64("rate", 50_000, "open loop: requests per second over all connections")
	warmup := flag.Duration("warmup", 0, "warm-up excluded from the figures (default: the profile's)")
	duration := flag.Duration("duration", 0, "measured time per run (default: the profile's)")
	count := flag.Int64("count", 0, "measured requests per run, instead of a duration")
	mixFlag := flag.String("mix", load.StandardMix, "request classes and weights")
	out := flag.String("out", "bench/results", "directory for the JSON, Markdown and plots")
	name := flag.String("name", "", "file name stem (default: today's date)")
	format := flag.String("plots", "png", "png or svg")
	flag.Parse()

	p, ok := profiles[*prof]
	if !ok {
		return fmt.Errorf("unknown profile %q", *prof)
	}
	if *cards == 0 {
		*cards = p.cards
	}
	if *warmup == 0 {
		*warmup = p.warmup
	}
	if *duration == 0 {
		*duration = p.duration
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var nets []spec.Network
	for _, n := range strings.Split(*networks, ",") {
		switch strings.TrimSpace(n) {
		case "visa":
			nets = append(nets, spec.Visa)
		case "mastercard":
			nets = append(nets, spec.Mastercard)
		default:
			return fmt.Errorf("--networks: unknown network %q", n)
		}
	}
	mix, err := load.ParseMix(*mixFlag)
	if err != nil {
		return err
	}

	// The portfolio, into the model and (generated) into a file.
	start := time.Now()
	m := model.NewSized(*cards)
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		_, err = portfolio.Read(f, m)
		f.Close()
		if err != nil {
			return err
		}
	} else {
		if *file, err = generate(filepath.Join(*out, "tmp"), *seed, *cards, m); err != nil {
			return err
		}
	}
	log.Info("portfolio ready", "cards", len(m.Cards()), "file", *file, "took", time.Since(start).Round(time.Millisecond))

	if *spawn != "" {
		var logw io.Writer
		if *switchLog != "" {
			f, err := os.Create(*switchLog)
			if err != nil {
				return err
			}
			defer f.Close()
			logw = f
		}
		t0 := time.Now()
		proc, err := switchproc.Start(ctx, switchproc.Options{Binary: *spawn, Portfolio: *file, Args: switchArgs, Log: logw})
		if err != nil {
			return err
		}
		defer func() {
			if err := proc.Stop(60 * time.Second); err != nil {
				log.Warn("stopping the switch", "err", err)
			}
		}()
		*visaAddr, *mcAddr, *adminAddr = proc.VisaAddr, proc.MastercardAddr, proc.AdminAddr
		log.Info("switch ready", "visa", *visaAddr, "mastercard", *mcAddr, "admin", *adminAddr,
			"start_and_load", time.Since(t0).Round(time.Millisecond))
	}
	addrs := map[spec.Network]string{}
	for _, n := range nets {
		a := *visaAddr
		if n == spec.Mastercard {
			a = *mcAddr
		}
		if a == "" {
			return fmt.Errorf("no address for %s: give --%s-addr or --spawn", n, map[spec.Network]string{spec.Visa: "visa", spec.Mastercard: "mc"}[n])
		}
		addrs[n] = a
	}

	t0 := time.Now()
	plan, err := load.NewPlan(m, nets, *conns, mix, time.Now())
	if err != nil {
		return err
	}
	m = nil // the plan holds what the runs need; let the model go
	runtime.GC()
	log.Info("cards classified", "took", time.Since(t0).Round(time.Millisecond), "bench_max_rss_mb", load.OwnMaxRSS()>>20)

	var runs []*load.Result
	base := load.Options{Addrs: addrs, AdminAddr: *adminAddr, Warmup: *warmup, Duration: *duration, Count: *count, Logger: log}
	if *mode == "closed" || *mode == "both" {
		o := base
		o.Name = fmt.Sprintf("closed %d×%d", *conns, *inflight)
		o.InFlight, o.Nonce = *inflight, 1
		res, err := load.Run(ctx, plan, o)
		if res != nil {
			runs = append(runs, res)
		}
		if err != nil {
			return report(runs, *out, *name, *format, err)
		}
	}
	if *mode == "open" || *mode == "both" {
		o := base
		o.Name = fmt.Sprintf("open %.0f/s", *rate)
		o.Rate, o.Nonce = *rate, 2
		res, err := load.Run(ctx, plan, o)
		if res != nil {
			runs = append(runs, res)
		}
		if err != nil {
			return report(runs, *out, *name, *format, err)
		}
	}
	if len(runs) == 0 {
		return fmt.Errorf("--mode %q: want closed, open or both", *mode)
	}
	return report(runs, *out, *name, *format, nil)
}

// generate writes a bench-profile portfolio into dir and the model in one
// pass, and returns the file's path.
func generate(dir string, seed uint64, cards int, m *model.Model) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("portfolio-bench-%d-%d.jsonl", seed, cards))
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	w := portfolio.NewWriter(f)
	if _, err := portfolio.Generate(portfolio.Options{Seed: seed, Cards: cards, Profile: portfolio.Bench}, portfolio.Tee{w, m}); err != nil {
		return "", err
	}
	if err := w.Flush(); err != nil {
		return "", err
	}
	return path, f.Close()
}

// report prints the table and writes the JSON, Markdown and plots, also as
// latest.*; runErr, when set, is returned after.
func report(runs []*load.Result, dir, stem, format string, runErr error) error {
	if len(runs) == 0 {
		return runErr
	}
	if err := load.WriteTable(os.Stdout, runs); err != nil {
		return err
	}
	if stem == "" {
		stem = time.Now().Format("2006-01-02")
		if _, err := os.Stat(filepath.Join(dir, stem+".json")); err == nil {
			stem = time.Now().Format("2006-01-02-150405")
		}
	}
	command := "bench " + strings.Join(os.Args[1:], " ")
	write := func(stem string) error {
		if err := load.WriteResults(filepath.Join(dir, stem+".json"), runs); err != nil {
			return err
		}
		md, err := os.Create(filepath.Join(dir, stem+".md"))
		if err != nil {
			return err
		}
		if err := load.WriteMarkdown(md, runs, command); err != nil {
			md.Close()
			return err
		}
		if err := md.Close(); err != nil {
			return err
		}
		if err := load.PlotLatency(filepath.Join(dir, stem+"-latency."+format), runs); err != nil {
			return err
		}
		return load.PlotThroughput(filepath.Join(dir, stem+"-throughput."+format), runs)
	}
	if err := write(stem); err != nil {
		return err
	}
	if err := write("latest"); err != nil {
		return err
	}
	fmt.Printf("results: %s/%s.{json,md} and plots\n", dir, stem)
	failed := false
	for _, r := range runs {
		for _, n := range r.Notes {
			fmt.Println("note:", n)
		}
		failed = failed || r.Failed()
	}
	if runErr != nil {
		return runErr
	}
	if failed {
		return errors.New("wrong answers, errors or lost requests (see the table)")
	}
	return nil
}
