package feed

import "github.com/prometheus/client_golang/prometheus"

// pubMetrics are the publisher's instruments. The counters and the
// histogram are updated once per window, never per entry.
type pubMetrics struct {
	entries     prometheus.Counter
	bytes       prometheus.Counter
	windows     prometheus.Counter
	failures    prometheus.Counter
	retries     prometheus.Counter
	shipSeconds prometheus.Histogram
	gauges      []prometheus.Collector
}

func newPubMetrics(p *Publisher, sink string) *pubMetrics {
	labels := prometheus.Labels{"sink": sink}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels})
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: labels}, f)
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	return &pubMetrics{
		entries:  counter("authswitch_feed_shipped_entries_total", "Journal entries the sink acknowledged."),
		bytes:    counter("authswitch_feed_shipped_bytes_total", "Bytes of records the sink acknowledged."),
		windows:  counter("authswitch_feed_shipped_windows_total", "Windows of records the sink acknowledged."),
		failures: counter("authswitch_feed_sink_failures_total", "Windows the sink failed to ship."),
		retries:  counter("authswitch_feed_sink_retries_total", "Windows sent again after a failure."),
		shipSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "authswitch_feed_ship_seconds", Help: "Time from sending a window to the sink's acknowledgement.",
			ConstLabels: labels, Buckets: prometheus.ExponentialBuckets(100e-6, 2, 18),
		}),
		gauges: []prometheus.Collector{
			gauge("authswitch_feed_backlog_entries", "Durable journal entries the sink has not acknowledged.",
				func() float64 { return float64(p.backlogE.Load()) }),
			gauge("authswitch_feed_backlog_bytes", "Journal bytes holding entries the sink has not acknowledged.",
				func() float64 { return float64(p.backlogB.Load()) }),
			gauge("authswitch_feed_backlog_oldest_age_seconds", "Age of the oldest entry the sink has not acknowledged.",
				func() float64 { return p.OldestAge().Seconds() }),
			gauge("authswitch_feed_shipped_seq", "Every journal entry up to this sequence number is shipped.",
				func() float64 { return float64(p.shipped.Load()) }),
			gauge("authswitch_feed_sink_healthy", "1 while the sink acknowledges what it is sent.",
				func() float64 { return b2f(p.Healthy() == nil) }),
			gauge("authswitch_feed_over_bound", "1 while the backlog is over its configured bound (alert on it).",
				func() float64 { return b2f(p.overBound.Load()) }),
		},
	}
}

func (m *pubMetrics) register(r prometheus.Registerer) error {
	cs := append([]prometheus.Collector{m.entries, m.bytes, m.windows, m.failures, m.retries, m.shipSeconds},
		m.gauges...)
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
