package load

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// Result is one run of the harness, as written to JSON.
type Result struct {
	Name     string    `json:"name"`
	Started  time.Time `json:"started"`
	Mode     string    `json:"mode"` // "closed" or "open"
	Config   RunConfig `json:"config"`
	Host     Host      `json:"host"`
	Measured float64   `json:"measured_seconds"`
	Warmup   float64   `json:"warmup_seconds"`

	Networks []NetworkResult `json:"networks"`
	Total    NetworkResult   `json:"total"`

	// CPU over the measured window, in seconds, and per answered request
	// in microseconds. Switch figures come from its process_cpu_seconds_total
	// and are absent when no admin address was given.
	BenchCPUSeconds     float64  `json:"bench_cpu_seconds"`
	BenchCPUPerRequest  float64  `json:"bench_cpu_us_per_request"`
	SwitchCPUSeconds    *float64 `json:"switch_cpu_seconds,omitempty"`
	SwitchCPUPerRequest *float64 `json:"switch_cpu_us_per_request,omitempty"`

	Notes []string `json:"notes,omitempty"`
}

// RunConfig is what the run was asked to do.
type RunConfig struct {
	ConnsPerNetwork int            `json:"connections_per_network"`
	InFlight        int            `json:"in_flight_per_connection,omitempty"`
	Rate            float64        `json:"target_rate_per_second,omitempty"`
	Duration        float64        `json:"duration_seconds,omitempty"`
	Count           int64          `json:"count,omitempty"`
	Networks        []string       `json:"networks"`
	Mix             map[string]int `json:"mix"`
	Cards           int            `json:"cards"`
	Portfolio       string         `json:"portfolio,omitempty"`
}

// Host describes where the run happened.
type Host struct {
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go"`
	OS        string `json:"os"`
	Hostname  string `json:"hostname,omitempty"`
}

// HostInfo returns the current host's description.
func HostInfo() Host {
	h, _ := os.Hostname()
	return Host{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH, Hostname: h}
}

// NetworkResult is the measurement of one network, or of all.
type NetworkResult struct {
	Network      string            `json:"network"`
	Sent         int64             `json:"sent"`
	Answered     int64             `json:"answered"`
	Unexpected   int64             `json:"unexpected"`
	Errors       int64             `json:"errors"`
	Lost         int64             `json:"lost"`
	Throughput   float64           `json:"throughput_per_second"`
	Latency      LatencySummary    `json:"latency"`
	Distribution []PercentilePoint `json:"distribution,omitempty"`
	Timeline     []int64           `json:"answers_per_second"`
	Codes        map[string]int64  `json:"response_codes"`
	Mismatches   map[string]int64  `json:"mismatches,omitempty"`
}

// networkResult summarizes a recorder over a measured window.
func networkResult(name string, r *Recorder, measured time.Duration) NetworkResult {
	nr := NetworkResult{
		Network: name, Sent: r.Sent, Answered: r.Answered, Unexpected: r.Unexpected, Errors: r.Errors, Lost: r.Lost,
		Latency: r.Summary(), Distribution: r.Distribution(), Timeline: r.Timeline(),
		Codes: r.Codes, Mismatches: r.Mismatches,
	}
	if measured > 0 {
		nr.Throughput = float64(r.Answered) / measured.Seconds()
	}
	return nr
}

// Failed reports whether anything went wrong: an error, an unexpected
// answer, or a request left unanswered.
func (r *Result) Failed() bool {
	return r.Total.Errors > 0 || r.Total.Unexpected > 0 || r.Total.Lost > 0
}

// WriteJSON writes the result, indented.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("load: encode result: %w", err)
	}
	return nil
}

// ReadResults reads a JSON file written by WriteResults.
func ReadResults(path string) ([]*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load: read results: %w", err)
	}
	var rs []*Result
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("load: decode results %s: %w", path, err)
	}
	return rs, nil
}

// WriteResults writes runs as one JSON array to path, creating its
// directory.
func WriteResults(path string, runs []*Result) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("load: results directory: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("load: create results: %w", err)
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	if err := enc.Encode(runs); err != nil {
		f.Close()
		return fmt.Errorf("load: encode results: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("load: close results: %w", err)
	}
	return nil
}

// WriteTable writes the runs as a human table: one row per run and
// network, throughput, latency percentiles in milliseconds, failures and
// CPU per request.
func WriteTable(w io.Writer, runs []*Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := []string{"run", "network", "answers/s", "p50", "p90", "p99", "p99.9", "p99.99", "max", "unexpected", "errors", "bench µs/req", "switch µs/req"}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, r := range runs {
		rows := append([]NetworkResult(nil), r.Networks...)
		if len(rows) > 1 {
			rows = append(rows, r.Total)
		}
		for i, n := range rows {
			l := n.Latency
			// CPU is measured per process, so it goes on the last row: the
			// total, or the only network.
			bench, sw := "-", "-"
			if i == len(rows)-1 {
				bench = fmt.Sprintf("%.2f", r.BenchCPUPerRequest)
				if r.SwitchCPUPerRequest != nil {
					sw = fmt.Sprintf("%.2f", *r.SwitchCPUPerRequest)
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t\n",
				r.Name, n.Network, n.Throughput, ms(l.At(50)), ms(l.At(90)), ms(l.At(99)), ms(l.At(99.9)),
				ms(l.At(99.99)), ms(l.Max), n.Unexpected, n.Errors+n.Lost, bench, sw)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range runs {
		if len(r.Total.Mismatches) == 0 {
			continue
		}
		keys := make([]string, 0, len(r.Total.Mismatches))
		for k := range r.Total.Mismatches {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintf(w, "%s: unexpected answers\n", r.Name)
		for _, k := range keys {
			fmt.Fprintf(w, "  %8d  %s\n", r.Total.Mismatches[k], k)
		}
	}
	fmt.Fprintln(w, "latencies in ms; errors include requests never answered")
	return nil
}

func ms(us float64) string { return fmt.Sprintf("%.3f", us/1e3) }

// WriteMarkdown writes the runs as a Markdown table for the README, with a
// line saying how they were made.
func WriteMarkdown(w io.Writer, runs []*Result, command string) error {
	fmt.Fprintln(w, "| run | load | network | answers/s | p50 ms | p90 ms | p99 ms | p99.9 ms | p99.99 ms | max ms | wrong | errors | bench CPU µs/auth | switch CPU µs/auth |")
	fmt.Fprintln(w, "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, r := range runs {
		load := fmt.Sprintf("%d conns × %d in flight per network", r.Config.ConnsPerNetwork, r.Config.InFlight)
		if r.Mode == "open" {
			load = fmt.Sprintf("open loop at %.0f/s", r.Config.Rate)
		}
		rows := append([]NetworkResult(nil), r.Networks...)
		if len(rows) > 1 {
			rows = append(rows, r.Total)
		}
		for i, n := range rows {
			bench, sw := "", ""
			if i == len(rows)-1 {
				bench = fmt.Sprintf("%.2f", r.BenchCPUPerRequest)
				if r.SwitchCPUPerRequest != nil {
					sw = fmt.Sprintf("%.2f", *r.SwitchCPUPerRequest)
				}
			}
			l := n.Latency
			fmt.Fprintf(w, "| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %d | %d | %s | %s |\n",
				r.Name, load, n.Network, n.Throughput, ms(l.At(50)), ms(l.At(90)), ms(l.At(99)), ms(l.At(99.9)),
				ms(l.At(99.99)), ms(l.Max), n.Unexpected, n.Errors+n.Lost, bench, sw)
		}
	}
	if len(runs) > 0 {
		r := runs[0]
		fmt.Fprintf(w, "\n%s, %d CPUs, %s; %d cards; mix %s; warm-up %.0f s excluded, %.0f s measured per run.",
			r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Host.CPUs, r.Host.GoVersion, r.Config.Cards,
			mixString(r.Config.Mix), r.Warmup, r.Measured)
		if command != "" {
			fmt.Fprintf(w, " Made with `%s`.", command)
		}
		fmt.Fprintln(w)
	}
	return nil
}

func mixString(mix map[string]int) string {
	keys := make([]string, 0, len(mix))
	for k := range mix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, mix[k])
	}
	return strings.Join(parts, ",")
}
