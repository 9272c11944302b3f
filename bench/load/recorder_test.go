package load

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	r := NewRecorder()
	// 1..10000 µs, each once: the p-th percentile is p·100 µs.
	for i := 1; i <= 10_000; i++ {
		r.Latency(time.Duration(i) * time.Microsecond)
	}
	cases := []struct {
		p    float64
		want time.Duration
	}{
		{50, 5000 * time.Microsecond},
		{90, 9000 * time.Microsecond},
		{99, 9900 * time.Microsecond},
		{99.9, 9990 * time.Microsecond},
		{99.99, 9999 * time.Microsecond},
		{100, 10_000 * time.Microsecond},
	}
	for _, c := range cases {
		got := r.Quantile(c.p)
		if rel := math.Abs(float64(got-c.want)) / float64(c.want); rel > 0.001 {
			t.Errorf("p%g = %v, want %v within 0.1%%", c.p, got, c.want)
		}
	}
	if r.Count() != 10_000 {
		t.Fatalf("count %d", r.Count())
	}
	if m := r.Mean(); math.Abs(float64(m-5000500*time.Nanosecond)) > 0.001*float64(m) {
		t.Errorf("mean %v, want 5000.5µs", m)
	}
	s := r.Summary()
	if len(s.Percentiles) != len(Percentiles) || s.At(99) < 9890 || s.At(99) > 9910 || s.Max < 9990 {
		t.Errorf("summary %+v", s)
	}
}

func TestTailIsNotAveragedAway(t *testing.T) {
	// 9 990 fast answers and 10 stalled ones: p99.9 must show the stall.
	r := NewRecorder()
	for range 9_990 {
		r.Latency(200 * time.Microsecond)
	}
	for range 10 {
		r.Latency(2 * time.Second)
	}
	if p := r.Quantile(99); p > 201*time.Microsecond {
		t.Errorf("p99 = %v, want 200µs", p)
	}
	if p := r.Quantile(99.95); p < 1990*time.Millisecond {
		t.Errorf("p99.95 = %v, want the 2s stall", p)
	}
	// Out-of-range values are clamped, never dropped.
	r.Latency(-time.Second)
	r.Latency(time.Hour)
	if r.Count() != 10_002 || r.Max() < 59*time.Second {
		t.Errorf("clamping: count %d max %v", r.Count(), r.Max())
	}
}

func TestMergeAndTimeline(t *testing.T) {
	a, b := NewRecorder(), NewRecorder()
	for i := range 100 {
		a.Latency(time.Millisecond)
		a.Tick(time.Duration(i) * 10 * time.Millisecond) // 100 in the first second
	}
	for i := range 50 {
		b.Latency(3 * time.Millisecond)
		b.Tick(2*time.Second + time.Duration(i)*time.Millisecond)
	}
	a.Sent, a.Answered, b.Sent, b.Answered, b.Unexpected = 100, 100, 60, 50, 2
	b.Codes["00"] = 48
	b.Mismatches["approve: want 00 got 51"] = 2
	a.Merge(b)
	if got := a.Timeline(); len(got) != 3 || got[0] != 100 || got[1] != 0 || got[2] != 50 {
		t.Fatalf("timeline %v", got)
	}
	if a.Count() != 150 || a.Sent != 160 || a.Answered != 150 || a.Unexpected != 2 || a.Codes["00"] != 48 {
		t.Fatalf("merged %+v", a)
	}
	if p := a.Quantile(66); p > 1001*time.Microsecond {
		t.Errorf("p66 = %v, want 1ms", p)
	}
	if p := a.Quantile(67.5); p < 2990*time.Microsecond {
		t.Errorf("p67.5 = %v, want 3ms", p)
	}
	a.Tick(-time.Second)
	a.Tick(maxSeconds * time.Second)
	if len(a.Timeline()) != 3 {
		t.Fatal("ticks outside the run grew the timeline")
	}
}

func TestDistributionIsMonotonic(t *testing.T) {
	r := NewRecorder()
	for i := 1; i <= 100_000; i++ {
		r.Latency(time.Duration(i%977+1) * time.Microsecond)
	}
	d := r.Distribution()
	if len(d) < 20 {
		t.Fatalf("only %d points", len(d))
	}
	for i := 1; i < len(d); i++ {
		if d[i].Percentile < d[i-1].Percentile || d[i].Micros < d[i-1].Micros {
			t.Fatalf("point %d goes back: %+v after %+v", i, d[i], d[i-1])
		}
	}
	if last := d[len(d)-1]; last.Percentile != 100 || last.Micros < 976 {
		t.Fatalf("last point %+v", last)
	}
}

func sampleResult(name string) *Result {
	r := NewRecorder()
	for i := 1; i <= 5000; i++ {
		r.Latency(time.Duration(i) * time.Microsecond)
		r.Tick(time.Duration(i) * time.Millisecond)
	}
	r.Sent, r.Answered = 5000, 5000
	r.Codes["00"] = 5000
	cpu := 3.5
	res := &Result{Name: name, Mode: "closed", Networks: []NetworkResult{networkResult("visa", r, 5*time.Second)},
		Total: networkResult("total", r, 5*time.Second), BenchCPUPerRequest: 1.2, SwitchCPUPerRequest: &cpu}
	return res
}

func TestReportOutputs(t *testing.T) {
	runs := []*Result{sampleResult("closed")}
	if got := runs[0].Total.Throughput; got != 1000 {
		t.Fatalf("throughput %v, want 1000/s", got)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, runs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"answers/s", "closed", "visa", "1000", "2.50", "3.50", "1.20"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := WriteResults(path, runs); err != nil {
		t.Fatal(err)
	}
	back, err := ReadResults(path)
	if err != nil || len(back) != 1 || back[0].Total.Latency.At(99) != runs[0].Total.Latency.At(99) {
		t.Fatalf("read back %v %v", back, err)
	}
	for _, name := range []string{"latency.png", "latency.svg", "throughput.png"} {
		p := filepath.Join(dir, name)
		plot := PlotLatency
		if strings.HasPrefix(name, "throughput") {
			plot = PlotThroughput
		}
		if err := plot(p, runs); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if st, err := os.Stat(p); err != nil || st.Size() < 1000 {
			t.Fatalf("%s: %v %v", name, st, err)
		}
	}
	if err := PlotLatency(filepath.Join(dir, "empty.png"), []*Result{{Name: "none"}}); err == nil {
		t.Fatal("plotting nothing must fail")
	}
}

func TestParseMetric(t *testing.T) {
	page := `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total_other 9
process_cpu_seconds_total{x="y"} 8
process_cpu_seconds_total 12.75
`
	v, err := parseMetric(strings.NewReader(page), "process_cpu_seconds_total")
	if err != nil || v != 12.75 {
		t.Fatalf("got %v %v", v, err)
	}
	if _, err := parseMetric(strings.NewReader("up 1\n"), "process_cpu_seconds_total"); !errors.Is(err, ErrNoMetric) {
		t.Fatalf("missing metric: %v", err)
	}
	if OwnCPU() <= 0 {
		t.Fatal("own CPU time is zero")
	}
}
