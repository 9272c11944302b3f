package load

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// PlotLatency draws the latency percentile distribution of every run and
// network (HdrHistogram style: the x axis is 1/(1−p) on a log scale, so the
// tail gets the room) and saves it to path; the extension (.png, .svg)
// picks the format.
func PlotLatency(path string, runs []*Result) error {
	p := plot.New()
	p.Title.Text = "Authorization latency by percentile"
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (ms)"
	p.X.Scale = plot.LogScale{}
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	// The curves rise to the right: the legend goes bottom right.
	p.Legend.Top, p.Legend.Left = false, false
	var ticks []plot.Tick
	for _, pct := range []float64{0, 50, 90, 99, 99.9, 99.99, 99.999} {
		ticks = append(ticks, plot.Tick{Value: inverse(pct), Label: fmt.Sprintf("%g%%", pct)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = 1, inverse(99.999)
	i := 0
	for _, r := range runs {
		for _, n := range r.Networks {
			var xy plotter.XYs
			for _, pt := range n.Distribution {
				if pt.Percentile >= 100 || pt.Micros <= 0 {
					continue
				}
				xy = append(xy, plotter.XY{X: inverse(pt.Percentile), Y: pt.Micros / 1e3})
			}
			if len(xy) == 0 {
				continue
			}
			line, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("load: latency plot: %w", err)
			}
			line.Color = plotutil.Color(i)
			line.Width = vg.Points(1.5)
			p.Add(line)
			p.Legend.Add(r.Name+" "+n.Network, line)
			i++
		}
	}
	if i == 0 {
		return fmt.Errorf("load: latency plot: no latencies recorded")
	}
	p.Add(plotter.NewGrid())
	if err := p.Save(9*vg.Inch, 5.5*vg.Inch, path); err != nil {
		return fmt.Errorf("load: save %s: %w", path, err)
	}
	return nil
}

// inverse maps a percentile to 1/(1−p).
func inverse(pct float64) float64 {
	if pct >= 100 {
		return math.Inf(1)
	}
	return 1 / (1 - pct/100)
}

// PlotThroughput draws answers per second over time for every run and
// network and saves it to path.
func PlotThroughput(path string, runs []*Result) error {
	p := plot.New()
	p.Title.Text = "Answers per second"
	p.X.Label.Text = "seconds since the run started (dashed: end of warm-up)"
	p.Y.Label.Text = "answers/s"
	p.Y.Tick.Marker = wholeTicks{}
	p.Legend.Top, p.Legend.Left = false, false
	i := 0
	warmup := 0.0
	for _, r := range runs {
		warmup = max(warmup, r.Warmup)
		for _, n := range r.Networks {
			// The last second is cut short by the end of the run: leave it out.
			timeline := n.Timeline
			if len(timeline) > 1 {
				timeline = timeline[:len(timeline)-1]
			}
			if len(timeline) == 0 {
				continue
			}
			xy := make(plotter.XYs, len(timeline))
			for s, c := range timeline {
				xy[s] = plotter.XY{X: float64(s) + 0.5, Y: float64(c)}
			}
			line, err := plotter.NewLine(xy)
			if err != nil {
				return fmt.Errorf("load: throughput plot: %w", err)
			}
			line.Color = plotutil.Color(i)
			line.Width = vg.Points(1.5)
			p.Add(line)
			p.Legend.Add(r.Name+" "+n.Network, line)
			i++
		}
	}
	if i == 0 {
		return fmt.Errorf("load: throughput plot: no answers recorded")
	}
	p.Y.Min = 0
	if warmup > 0 {
		edge, err := plotter.NewLine(plotter.XYs{{X: warmup, Y: 0}, {X: warmup, Y: p.Y.Max}})
		if err == nil {
			edge.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
			edge.Color = color.Gray{Y: 128}
			p.Add(edge)
		}
	}
	p.Add(plotter.NewGrid())
	if err := p.Save(9*vg.Inch, 4.5*vg.Inch, path); err != nil {
		return fmt.Errorf("load: save %s: %w", path, err)
	}
	return nil
}

// wholeTicks are gonum's default ticks labelled as whole numbers.
type wholeTicks struct{}

func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ticks {
		if ticks[i].Label != "" {
			ticks[i].Label = fmt.Sprintf("%.0f", ticks[i].Value)
		}
	}
	return ticks
}
