package admin

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics of the admin API. Labels are route names and status codes: a
// fixed, small set (never an id).
type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures prometheus.Counter
	replays      prometheus.Counter
	indexLag     prometheus.GaugeFunc // nil without an index
}

func newMetrics(a *API) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authswitch_admin_requests_total",
			Help: "Admin API requests answered, by route and HTTP status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "authswitch_admin_request_duration_seconds",
			Help:    "Time to answer an admin API request, by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authswitch_admin_auth_failures_total",
			Help: "Admin API requests refused for a missing or wrong bearer token.",
		}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "authswitch_admin_idempotent_replays_total",
			Help: "Admin API requests answered with the kept answer of their idempotency key.",
		}),
	}
	for _, r := range routes {
		// Every route shows from the start.
		m.duration.WithLabelValues(r.name)
	}
	if a.index != nil {
		m.indexLag = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "authswitch_admin_authindex_lag_entries",
			Help: "Durable journal entries not yet in the authorization index (the feed's lag).",
		}, func() float64 {
			d, x := a.ledger.DurableSeq(), a.index.Indexed()
			if d <= x {
				return 0
			}
			return float64(d - x)
		})
	}
	return m
}

func (m *metrics) register(r prometheus.Registerer) error {
	cs := []prometheus.Collector{m.requests, m.duration, m.authFailures, m.replays}
	if m.indexLag != nil {
		cs = append(cs, m.indexLag)
	}
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route).Observe(d.Seconds())
}
