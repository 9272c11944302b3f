package load

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in nanoseconds from 1 ns to a minute with three
// significant digits: any recorded value is within 0.1% of the truth.
const (
	minLatency     = 1
	maxLatency     = int64(time.Minute)
	latencySigFigs = 3
	// maxSeconds bounds the throughput timeline (and its memory).
	maxSeconds = 24 * 3600
)

// Percentiles reported in tables and JSON.
var Percentiles = []float64{50, 75, 90, 99, 99.9, 99.99}

// Recorder collects one connection's (or, merged, one network's)
// measurements. It is not safe for concurrent use: each connection's
// reader owns one, and they are merged when the run ends.
type Recorder struct {
	hist       *hdrhistogram.Histogram
	timeline   []int64 // answers received per second since the run started
	Sent       int64   // requests written in the measured window
	Answered   int64   // answers to them
	Unexpected int64   // answers whose response code was not the expected one
	Errors     int64   // frames that did not decode, answers to nothing in flight
	Lost       int64   // requests never answered (connection lost, or still pending when the run drained)
	Codes      map[string]int64
	Mismatches map[string]int64 // "class: want X got Y" → count
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{
		hist:       hdrhistogram.New(minLatency, maxLatency, latencySigFigs),
		Codes:      make(map[string]int64),
		Mismatches: make(map[string]int64),
	}
}

// Latency records one latency. Values beyond the histogram's range are
// clamped to it rather than lost.
func (r *Recorder) Latency(d time.Duration) {
	v := int64(d)
	if v < minLatency {
		v = minLatency
	} else if v > maxLatency {
		v = maxLatency
	}
	_ = r.hist.RecordValue(v) // in range by construction
}

// Tick counts an answer received at the given offset from the run's start.
func (r *Recorder) Tick(sinceStart time.Duration) {
	s := int(sinceStart / time.Second)
	if s < 0 || s >= maxSeconds {
		return
	}
	if s >= len(r.timeline) {
		r.timeline = append(r.timeline, make([]int64, s+1-len(r.timeline))...)
	}
	r.timeline[s]++
}

// Merge adds other's measurements into r.
func (r *Recorder) Merge(other *Recorder) {
	r.hist.Merge(other.hist)
	if len(other.timeline) > len(r.timeline) {
		r.timeline = append(r.timeline, make([]int64, len(other.timeline)-len(r.timeline))...)
	}
	for i, n := range other.timeline {
		r.timeline[i] += n
	}
	r.Sent += other.Sent
	r.Answered += other.Answered
	r.Unexpected += other.Unexpected
	r.Errors += other.Errors
	r.Lost += other.Lost
	for k, v := range other.Codes {
		r.Codes[k] += v
	}
	for k, v := range other.Mismatches {
		r.Mismatches[k] += v
	}
}

// Count returns the number of latencies recorded.
func (r *Recorder) Count() int64 { return r.hist.TotalCount() }

// Quantile returns the latency at percentile p (0–100).
func (r *Recorder) Quantile(p float64) time.Duration {
	return time.Duration(r.hist.ValueAtPercentile(p))
}

// Max returns the largest latency recorded.
func (r *Recorder) Max() time.Duration { return time.Duration(r.hist.Max()) }

// Mean returns the mean latency.
func (r *Recorder) Mean() time.Duration { return time.Duration(r.hist.Mean()) }

// Timeline returns answers per second since the run started.
func (r *Recorder) Timeline() []int64 { return append([]int64(nil), r.timeline...) }

// Distribution returns the latency at percentiles spaced evenly on the
// scale 1/(1−p) from 0 up to the highest recorded (ticks per half distance
// as in HdrHistogram's percentile output), for plotting.
func (r *Recorder) Distribution() []PercentilePoint {
	var out []PercentilePoint
	for _, b := range r.hist.CumulativeDistributionWithTicks(5) {
		out = append(out, PercentilePoint{Percentile: b.Quantile, Micros: float64(b.ValueAt) / 1e3})
	}
	return out
}

// Summary returns the latency summary in microseconds.
func (r *Recorder) Summary() LatencySummary {
	s := LatencySummary{Count: r.Count()}
	if s.Count == 0 {
		return s
	}
	s.Mean = micros(r.Mean())
	s.Max = micros(r.Max())
	for _, p := range Percentiles {
		s.Percentiles = append(s.Percentiles, PercentileValue{Percentile: p, Micros: micros(r.Quantile(p))})
	}
	return s
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// LatencySummary is a latency distribution in microseconds.
type LatencySummary struct {
	Count       int64             `json:"count"`
	Mean        float64           `json:"mean_us"`
	Max         float64           `json:"max_us"`
	Percentiles []PercentileValue `json:"percentiles"`
}

// At returns the value at percentile p, or 0 when it was not computed.
func (s LatencySummary) At(p float64) float64 {
	for _, v := range s.Percentiles {
		if v.Percentile == p {
			return v.Micros
		}
	}
	return 0
}

// PercentileValue is one percentile of a summary.
type PercentileValue struct {
	Percentile float64 `json:"p"`
	Micros     float64 `json:"us"`
}

// PercentilePoint is one point of a percentile distribution.
type PercentilePoint struct {
	Percentile float64 `json:"p"`
	Micros     float64 `json:"us"`
}

func (p PercentileValue) String() string { return fmt.Sprintf("p%g=%.0fµs", p.Percentile, p.Micros) }
