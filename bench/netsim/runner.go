package netsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authswitch/authswitch/bench/load"
	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

// Runner plays flows against the switch and checks every answer.
type Runner struct {
	Model   *model.Model
	Clients map[spec.Network]*Client
	Mix     map[string]int // flow name → weight
	Workers int            // flows played at once; default 4
	Rate    float64        // flows started per second; 0: as fast as the workers go
	Seed    uint64
	Logger  *slog.Logger

	mu      sync.Mutex
	busy    map[*model.Account]bool
	tainted map[*model.Account]bool
	report  *Report
	flows   []string // the mix expanded: flow names in proportion
	sources map[[2]int]*traffic.Source
}

// source returns the runner's numbering source for a network and worker,
// the same one every time, so that no two requests share a STAN and time.
func (r *Runner) source(n spec.Network, worker int) *traffic.Source {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sources == nil {
		r.sources = map[[2]int]*traffic.Source{}
	}
	k := [2]int{int(n), worker}
	if s := r.sources[k]; s != nil {
		return s
	}
	s := traffic.NewSource(n, worker, fmt.Sprintf("4001%02d", worker%100), r.Seed)
	r.sources[k] = s
	return s
}

// DefaultMix is the simulator's traffic: mostly card-present and online
// purchases, with every other flow represented.
const DefaultMix = "chip=20,contactless=15,swipe=5,ecommerce=20,atm=4,cashback=2,fuel=4,hotel=2,reversal=3," +
	"partial_reversal=2,timeout_reversal=2,late_original=1,advice=3,balance=3,verification=3,repeat=3,refund=2," +
	"echo=1,unknown_card=1"

// ParseMix reads "flow=weight,...".
func ParseMix(s string) (map[string]int, error) {
	mix := map[string]int{}
	total := 0
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("netsim: mix %q: want flow=weight", part)
		}
		if flows[name] == nil {
			return nil, fmt.Errorf("netsim: mix: unknown flow %q (known: %s)", name, strings.Join(FlowNames(), ", "))
		}
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || n > 10_000 {
			return nil, fmt.Errorf("netsim: mix %q: weight must be 0–10000", part)
		}
		mix[name] += n
		total += n
	}
	if total == 0 {
		return nil, errors.New("netsim: mix has no weight")
	}
	return mix, nil
}

// FlowNames lists the flows a mix can name.
func FlowNames() []string {
	names := make([]string, 0, len(flows))
	for k := range flows {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Report is what a run found.
type Report struct {
	Flows      map[string]*FlowStats  `json:"flows"`
	Requests   int64                  `json:"requests"`
	Matched    int64                  `json:"matched"`
	Mismatched int64                  `json:"mismatched"`
	SendErrors int64                  `json:"send_errors"`
	Ambiguous  int64                  `json:"ambiguous_skipped"`
	Codes      map[string]int64       `json:"response_codes"`
	Mismatches []Mismatch             `json:"mismatches,omitempty"` // the first maxMismatches
	Errors     []string               `json:"errors,omitempty"`     // the first maxMismatches
	Latency    load.LatencySummary    `json:"latency"`
	Clients    map[string]ClientStats `json:"clients"`
	Seconds    float64                `json:"seconds"`

	latency *load.Recorder
}

// FlowStats counts one flow's runs.
type FlowStats struct {
	Started   int64 `json:"started"`
	Completed int64 `json:"completed"`
	Skipped   int64 `json:"skipped"` // no card gave a predictable answer
	Stopped   int64 `json:"stopped"` // stopped midway: an unpredictable step, an error or a mismatch
}

// Mismatch is an answer that differs from the model's.
type Mismatch struct {
	Flow    string `json:"flow"`
	Step    string `json:"step"`
	Network string `json:"network"`
	MTI     string `json:"mti"`
	STAN    string `json:"stan"`
	Card    string `json:"card"` // masked PAN
	Want    string `json:"want"`
	Got     string `json:"got"`
}

const maxMismatches = 200

// Failed reports whether any answer was wrong or any request failed.
func (r *Report) Failed() bool { return r.Mismatched > 0 || r.SendErrors > 0 }

func newReport() *Report {
	return &Report{Flows: map[string]*FlowStats{}, Codes: map[string]int64{}, latency: load.NewRecorder(),
		Clients: map[string]ClientStats{}}
}

// Run plays flows until count flows have started (count > 0) or the
// duration has passed.
func (r *Runner) Run(ctx context.Context, count int, duration time.Duration) (*Report, error) {
	if r.Workers <= 0 {
		r.Workers = 4
	}
	if r.Logger == nil {
		r.Logger = slog.Default()
	}
	if count <= 0 && duration <= 0 {
		return nil, errors.New("netsim: give a flow count or a duration")
	}
	r.busy, r.tainted, r.report = map[*model.Account]bool{}, map[*model.Account]bool{}, newReport()
	names := make([]string, 0, len(r.Mix))
	for k := range r.Mix {
		names = append(names, k)
	}
	sort.Strings(names)
	r.flows = nil
	for _, k := range names {
		if flows[k] == nil {
			return nil, fmt.Errorf("netsim: unknown flow %q", k)
		}
		for range r.Mix[k] {
			r.flows = append(r.flows, k)
		}
	}
	if len(r.flows) == 0 {
		return nil, errors.New("netsim: empty mix")
	}
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	start := time.Now()
	tickets := make(chan struct{})
	go func() {
		defer close(tickets)
		var tick *time.Ticker
		if r.Rate > 0 {
			tick = time.NewTicker(time.Duration(float64(time.Second) / r.Rate))
			defer tick.Stop()
		}
		for i := 0; count <= 0 || i < count; i++ {
			if tick != nil {
				select {
				case <-tick.C:
				case <-ctx.Done():
					return
				}
			}
			select {
			case tickets <- struct{}{}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < r.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(r.Seed, uint64(w)+1))
			srcs := map[spec.Network]*traffic.Source{}
			for n := range r.Clients {
				srcs[n] = r.source(n, w)
			}
			for range tickets {
				name := r.flows[rng.IntN(len(r.flows))]
				r.play(name, rng, srcs)
			}
		}()
	}
	wg.Wait()
	rep := r.report
	rep.Seconds = time.Since(start).Seconds()
	rep.Latency = rep.latency.Summary()
	for n, c := range r.Clients {
		rep.Clients[n.String()] = c.Stats()
	}
	return rep, nil
}

// play runs one flow, on another card when the first step of a card is
// not predictable.
func (r *Runner) play(name string, rng *rand.Rand, srcs map[spec.Network]*traffic.Source) {
	r.count(name, func(s *FlowStats) { s.Started++ })
	for try := 0; try < 5; try++ {
		f := &flow{r: r, name: name, rng: rng, srcs: srcs}
		outcome := flows[name](f)
		f.release()
		switch outcome {
		case outcomeDone:
			r.count(name, func(s *FlowStats) { s.Completed++ })
			return
		case outcomeStopped:
			r.count(name, func(s *FlowStats) { s.Stopped++ })
			return
		}
		// outcomeRetry: the first step was not predictable on that card.
	}
	r.count(name, func(s *FlowStats) { s.Skipped++ })
}

func (r *Runner) count(flow string, fn func(*FlowStats)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.report.Flows[flow]
	if s == nil {
		s = &FlowStats{}
		r.report.Flows[flow] = s
	}
	fn(s)
}

// lock takes a card's account for a flow, unless another flow has it or a
// mismatch has made the model's idea of it unreliable.
func (r *Runner) lock(c *model.Card) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.busy[c.Account] || r.tainted[c.Account] {
		return false
	}
	r.busy[c.Account] = true
	return true
}

func (r *Runner) unlock(a *model.Account) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.busy, a)
}

func (r *Runner) taint(a *model.Account) {
	if a == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tainted[a] = true
}

func (r *Runner) recordError(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.report.SendErrors++
	if len(r.report.Errors) < maxMismatches {
		r.report.Errors = append(r.report.Errors, err.Error())
	}
}
