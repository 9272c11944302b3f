package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/spec"
)

// Plan is the cards, templates and budgets of a sequence of runs against
// one switch: budgets spent by one run stay spent for the next, as the
// switch's balances do.
type Plan struct {
	Conns int // connections per network every run uses
	Mix   map[string]int
	Cards int
	Notes []string

	networks map[spec.Network][]*partition
	answers  map[spec.Network]*answerReader
}

// NewPlan classifies the model's cards for the mix and splits them over
// conns connections per network. The model must hold the portfolio the
// switch loaded, with nothing run against it since.
func NewPlan(m *model.Model, networks []spec.Network, conns int, mix map[string]int, now time.Time) (*Plan, error) {
	if conns < 1 || conns > 99 {
		return nil, fmt.Errorf("load: %d connections per network: want 1–99", conns)
	}
	p := &Plan{Conns: conns, Mix: mix, Cards: len(m.Cards()),
		networks: map[spec.Network][]*partition{}, answers: map[spec.Network]*answerReader{}}
	for _, n := range networks {
		parts, notes, err := buildPartitions(m, n, mix, conns, now)
		if err != nil {
			return nil, err
		}
		p.Notes = append(p.Notes, notes...)
		p.networks[n] = parts
		if p.answers[n], err = newAnswerReader(n); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Options configure one run.
type Options struct {
	Name  string
	Addrs map[spec.Network]string // the switch's listener per network
	// AdminAddr, when set, is scraped for process_cpu_seconds_total.
	AdminAddr string
	// InFlight is the closed loop's requests outstanding per connection;
	// with Rate 0 the run is a closed loop.
	InFlight int
	// Rate is the open loop's target: requests per second over all
	// connections of all networks.
	Rate     float64
	Warmup   time.Duration
	Duration time.Duration // measured time; ignored when Count is set
	Count    int64         // measured requests over all connections
	// Nonce tells runs against one switch apart in life-cycle keys (0–9;
	// at most ten runs per switch, or keys repeat).
	Nonce uint64
	// DrainTimeout: after the last request, the run waits for answers as
	// long as they keep coming, and gives up (counting what is pending as
	// lost) once none has come for this long; default 5 s. MaxDrain caps
	// the whole wait; default 2 min.
	DrainTimeout time.Duration
	MaxDrain     time.Duration
	Logger       *slog.Logger
}

// Run plays one run of the plan against the switch and returns what it
// measured. An error means the run could not take place (connect, sign-on,
// budgets); failures of the switch (wrong answers, lost requests) are in
// the result.
func Run(ctx context.Context, plan *Plan, opts Options) (*Result, error) {
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = 5 * time.Second
	}
	if opts.MaxDrain <= 0 {
		opts.MaxDrain = 2 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Rate <= 0 && opts.InFlight <= 0 {
		return nil, errors.New("load: a closed loop needs InFlight > 0")
	}
	if opts.Count <= 0 && opts.Duration <= 0 {
		return nil, errors.New("load: give a duration or a count")
	}
	networks := make([]spec.Network, 0, len(opts.Addrs))
	for n := range opts.Addrs {
		if plan.networks[n] == nil {
			return nil, fmt.Errorf("load: the plan has no %s cards", n)
		}
		networks = append(networks, n)
	}
	sort.Slice(networks, func(i, j int) bool { return networks[i] < networks[j] })
	if len(networks) == 0 {
		return nil, errors.New("load: no network address")
	}

	clock := &runClock{start: time.Now(), warmupEnd: int64(opts.Warmup)}
	var closing atomic.Bool // set when the run closes its connections itself
	var conns []*conn
	defer func() {
		for _, c := range conns {
			c.nc.Close()
		}
	}()
	slots := 2 * opts.InFlight
	if opts.Rate > 0 {
		slots = 1 << 16
	}
	dialer := net.Dialer{Timeout: 5 * time.Second}
	for _, n := range networks {
		for i := 0; i < plan.Conns; i++ {
			nc, err := dialer.DialContext(ctx, "tcp", opts.Addrs[n])
			if err != nil {
				return nil, fmt.Errorf("load: dial %s %s: %w", n, opts.Addrs[n], err)
			}
			id := len(conns)
			c := newConn(id, n, nc, plan.networks[n][i], plan.answers[n], clock, opts.Nonce, slots)
			conns = append(conns, c)
			go c.readLoop()
			if err := c.signOn(5 * time.Second); err != nil {
				return nil, err
			}
		}
	}

	res := &Result{
		Name: opts.Name, Mode: "closed", Host: HostInfo(),
		Config: RunConfig{ConnsPerNetwork: plan.Conns, InFlight: opts.InFlight, Mix: plan.Mix, Cards: plan.Cards,
			Duration: opts.Duration.Seconds(), Count: opts.Count},
		Warmup: opts.Warmup.Seconds(), Notes: append([]string(nil), plan.Notes...),
	}
	if opts.Rate > 0 {
		res.Mode, res.Config.Rate, res.Config.InFlight = "open", opts.Rate, 0
	}
	for _, n := range networks {
		res.Config.Networks = append(res.Config.Networks, n.String())
	}

	// Start: every writer at once, on the same clock.
	clock.start = time.Now()
	res.Started = clock.start
	stop := make(chan struct{})
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }) }
	defer halt()
	quota := int64(0)
	if opts.Count > 0 {
		quota = (opts.Count + int64(len(conns)) - 1) / int64(len(conns))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(conns))
	interval := time.Duration(0)
	if opts.Rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(len(conns)) / opts.Rate)
		if interval <= 0 {
			return nil, errors.New("load: rate too high")
		}
	}
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if opts.Rate > 0 {
				phase := interval * time.Duration(i) / time.Duration(len(conns))
				errs[i] = c.runOpen(interval, phase, quota, stop)
			} else {
				errs[i] = c.runClosed(opts.InFlight, quota, stop)
			}
		}()
	}
	writersDone := make(chan struct{})
	go func() { wg.Wait(); close(writersDone) }()

	// Warm-up, then the measured window.
	client := &http.Client{Timeout: 5 * time.Second}
	var cpuA time.Duration
	var swA float64
	swOK := false
	var tA time.Time
	select {
	case <-time.After(opts.Warmup):
	case <-writersDone:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	tA, cpuA = time.Now(), OwnCPU()
	if opts.AdminAddr != "" {
		v, err := ScrapeMetric(ctx, client, "http://"+opts.AdminAddr+"/metrics", "process_cpu_seconds_total")
		if err != nil {
			res.Notes = append(res.Notes, "switch CPU not measured: "+err.Error())
		} else {
			swA, swOK = v, true
		}
	}
	if opts.Count > 0 {
		select {
		case <-writersDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	} else {
		select {
		case <-time.After(opts.Duration):
		case <-writersDone:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	halt()
	tB, cpuB := time.Now(), OwnCPU()
	if swOK {
		v, err := ScrapeMetric(ctx, client, "http://"+opts.AdminAddr+"/metrics", "process_cpu_seconds_total")
		if err != nil {
			res.Notes = append(res.Notes, "switch CPU not measured: "+err.Error())
			swOK = false
		} else {
			swA = v - swA
		}
	}
	// Drain: wait for what is in flight while answers keep coming. A
	// writer still stuck in a write the switch does not read is freed when
	// the connections close; what was in flight then counts as lost.
	completed := func() (done, pending uint64) {
		for _, c := range conns {
			done += c.completed.Load()
			pending += c.pending()
		}
		return done, pending
	}
	last, _ := completed()
	progress, giveUp := time.Now(), time.Now().Add(opts.MaxDrain)
	for {
		done, pending := completed()
		if pending == 0 && isClosed(writersDone) {
			break
		}
		if done != last {
			last, progress = done, time.Now()
		}
		if time.Since(progress) > opts.DrainTimeout || time.Now().After(giveUp) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	closing.Store(true)
	for _, c := range conns {
		c.nc.Close()
	}
	<-writersDone
	for _, c := range conns {
		<-c.readerDone
	}

	// Aggregate by network.
	measured := tB.Sub(tA)
	res.Measured = measured.Seconds()
	total := NewRecorder()
	for _, n := range networks {
		rec := NewRecorder()
		for i, c := range conns {
			if c.network != n {
				continue
			}
			c.rec.Sent = c.sentIn.Load()
			c.rec.Lost = int64(c.pending())
			if errs[i] != nil && !(closing.Load() && errors.Is(errs[i], net.ErrClosed)) {
				res.Notes = append(res.Notes, errs[i].Error())
				c.rec.Errors++
			}
			if c.readErr != nil {
				res.Notes = append(res.Notes, c.readErr.Error())
			}
			rec.Merge(c.rec)
		}
		total.Merge(rec)
		res.Networks = append(res.Networks, networkResult(n.String(), rec, measured))
	}
	res.Total = networkResult("total", total, measured)
	if res.Total.Answered > 0 {
		res.BenchCPUSeconds = (cpuB - cpuA).Seconds()
		res.BenchCPUPerRequest = res.BenchCPUSeconds / float64(res.Total.Answered) * 1e6
		if swOK {
			per := swA / float64(res.Total.Answered) * 1e6
			res.SwitchCPUSeconds, res.SwitchCPUPerRequest = &swA, &per
		}
	}
	for _, err := range errs {
		if errors.Is(err, errExhausted) {
			return res, err
		}
	}
	opts.Logger.Info("run done", "name", opts.Name, "answers_per_second", int64(res.Total.Throughput),
		"p99_ms", res.Total.Latency.At(99)/1e3, "unexpected", res.Total.Unexpected,
		"errors", res.Total.Errors, "lost", res.Total.Lost)
	return res, nil
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
