package rules

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/rules/refdata"
)

// metrics counts decisions by the check that decided and its result (the
// reason word; program rules all count as "program_rule", with a counter
// of their own by rule name). The hot path adds to plain atomic counters,
// spread over a few cache lines; Prometheus reads them when it scrapes.
type metrics struct {
	shards [decisionShards]struct {
		n [numChecks][numReasons]atomic.Uint64
		_ [64]byte
	}
	repeats      atomic.Uint64
	ruleDeclines *prometheus.CounterVec
	ruleErrors   *prometheus.CounterVec

	decisionsDesc *prometheus.Desc
	repeatsDesc   *prometheus.Desc
}

const decisionShards = 4

func newMetrics() *metrics {
	return &metrics{
		ruleDeclines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authswitch_rules_program_rule_declines_total",
			Help: "Authorizations declined by a program rule, by rule name.",
		}, []string{"rule"}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "authswitch_rules_program_rule_errors_total",
			Help: "Program rule evaluations that failed (the rule did not decline), by rule name.",
		}, []string{"rule"}),
		decisionsDesc: prometheus.NewDesc("authswitch_rules_decisions_total",
			"Decisions by the check that decided and its result (the reason).", []string{"check", "result"}, nil),
		repeatsDesc: prometheus.NewDesc("authswitch_rules_repeats_total",
			"Requests answered from the ledger's remembered answer (repeats and retransmissions).", nil, nil),
	}
}

// count adds one decision; spread picks the shard (any byte that varies
// between requests).
func (m *metrics) count(c checkID, r reason, spread byte) {
	m.shards[spread%decisionShards].n[c][r].Add(1)
}

func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.decisionsDesc
	ch <- m.repeatsDesc
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	for c := checkID(1); c < numChecks; c++ {
		for r := reason(1); r < numReasons; r++ {
			var n uint64
			for s := range m.shards {
				n += m.shards[s].n[c][r].Load()
			}
			if n > 0 {
				ch <- prometheus.MustNewConstMetric(m.decisionsDesc, prometheus.CounterValue, float64(n), c.String(), r.String())
			}
		}
	}
	ch <- prometheus.MustNewConstMetric(m.repeatsDesc, prometheus.CounterValue, float64(m.repeats.Load()))
}

func (m *metrics) register(reg prometheus.Registerer, store *refdata.Store) error {
	hits := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "authswitch_rules_cache_requests_total",
		Help:        "Reads of reference data by whether the cache answered them without the store: one per authorization (its card with the cardholder and account); a card nobody issued is a miss.",
		ConstLabels: prometheus.Labels{"result": "hit"},
	}, func() float64 { return float64(store.CacheStats().Hits) })
	misses := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name:        "authswitch_rules_cache_requests_total",
		Help:        "Reads of reference data by whether the cache answered them without the store: one per authorization (its card with the cardholder and account); a card nobody issued is a miss.",
		ConstLabels: prometheus.Labels{"result": "miss"},
	}, func() float64 { return float64(store.CacheStats().Misses) })
	ratio := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "authswitch_rules_cache_hit_ratio",
		Help: "Share of reference data reads the cache answered, since start.",
	}, func() float64 { return store.CacheStats().HitRatio() })
	for _, c := range []prometheus.Collector{m, m.ruleDeclines, m.ruleErrors, hits, misses, ratio} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
