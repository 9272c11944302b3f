package netswitch

import (
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/spec"
)

// metrics are the sessions' Prometheus series. Labels are bounded: network,
// message type, response code (the §8 table, anything else "other"),
// reason words and connection numbers — never card, account or merchant ids.
type metrics struct {
	requests    *prometheus.CounterVec   // network, mti
	answers     *prometheus.CounterVec   // network, mti, code
	latency     *prometheus.HistogramVec // network, kind
	inFlight    *prometheus.GaugeVec     // network
	conns       *prometheus.GaugeVec     // network
	connsTotal  *prometheus.CounterVec   // network, result (accepted, rejected_limit, tls_failed)
	signOn      *prometheus.GaugeVec     // network, connection
	standIns    *prometheus.CounterVec   // network, code
	late        *prometheus.CounterVec   // network
	malformed   *prometheus.CounterVec   // network, reason
	keepAlives  *prometheus.CounterVec   // network
	echoes      *prometheus.CounterVec   // network, result (sent, answered, timeout)
	acceptErrs  *prometheus.CounterVec   // network
	decisionsBy *prometheus.CounterVec   // network, kind, reason

	// Pre-resolved children for the hot path, indexed by network: a
	// label lookup hashes its values, and this runs for every request.
	perNet [3]netMetrics

	decMu     sync.RWMutex
	decisions map[decisionKey]prometheus.Counter
}

type decisionKey struct {
	network spec.Network
	kind    spec.Kind
	reason  string
}

// mtis are the request types the sessions count, in index order; the
// answer of mtis[i] is answerMTIs[i].
var (
	mtis       = [...]string{"0100", "0101", "0120", "0121", "0400", "0401", "0420", "0421", "0800"}
	answerMTIs = [...]string{"0110", "0110", "0130", "0130", "0410", "0410", "0430", "0430", "0810"}
	codeList   = [...]string{"00", "10", "85", "05", "12", "13", "14", "30", "41", "43", "46", "51", "54",
		"55", "57", "59", "61", "62", "65", "75", "91", "96", "N7", "other"}
)

func mtiIndex(mti string) int {
	for i, m := range mtis {
		if m == mti {
			return i
		}
	}
	return -1
}

func codeIndex(code string) int {
	for i, c := range codeList[:len(codeList)-1] {
		if c == code {
			return i
		}
	}
	return len(codeList) - 1
}

type netMetrics struct {
	inFlight prometheus.Gauge
	late     prometheus.Counter
	latency  [6]prometheus.Observer // by spec.Kind
	requests [len(mtis)]prometheus.Counter
	// answers by request MTI index and code index, made on first use so
	// that only codes that happen get a series.
	answers [len(mtis)][len(codeList)]atomic.Pointer[prometheus.Counter]
}

// codeLabel is a response code as a label value: the codes of wire-spec
// §8, any other "other", so that a peer cannot grow the label set.
func codeLabel(code string) string { return codeList[codeIndex(code)] }

func newMetrics(reg prometheus.Registerer) *metrics {
	const ns = "authswitch"
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "requests_total",
			Help: "Requests received from the networks, by network and message type.",
		}, []string{"network", "mti"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "answers_total",
			Help: "Answers sent to the networks, by network, message type and response code (field 39).",
		}, []string{"network", "mti", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "decision_seconds",
			Help:    "Time from a request's arrival to its answer being queued for the socket (durable decision included).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 1.5, 2.5},
		}, []string{"network", "kind"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "in_flight_requests",
			Help: "Requests read and not yet answered.",
		}, []string{"network"}),
		conns: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "open_connections",
			Help: "Open network connections.",
		}, []string{"network"}),
		connsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "connections_total",
			Help: "Connections accepted or refused, by result.",
		}, []string{"network", "result"}),
		signOn: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "connection_signed_on",
			Help: "Sign-on state of each open connection: 1 signed on, 0 signed off or never signed on.",
		}, []string{"network", "connection"}),
		standIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "stand_ins_total",
			Help: "Requests the switch answered from its stand-in policy because the decision was not ready in time.",
		}, []string{"network", "code"}),
		late: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "late_answers_total",
			Help: "Decisions ready after their deadline, dropped (the stand-in answer had gone).",
		}, []string{"network"}),
		malformed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "malformed_frames_total",
			Help: "Frames that could not be handled normally: format_error (answered 30), unparseable, oversized, reject_header, unexpected, bad_prefix (connection closed).",
		}, []string{"network", "reason"}),
		keepAlives: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "keepalives_total",
			Help: "Visa zero-length keep-alive frames echoed.",
		}, []string{"network"}),
		echoes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "echoes_total",
			Help: "The switch's own echo tests on idle connections, by result (sent, answered, timeout).",
		}, []string{"network", "result"}),
		acceptErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "accept_errors_total",
			Help: "Errors from accept (the loop backs off and carries on).",
		}, []string{"network"}),
		decisionsBy: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "decisions_total",
			Help: "Decisions by network, message kind and reason.",
		}, []string{"network", "kind", "reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.answers, m.latency, m.inFlight, m.conns, m.connsTotal, m.signOn,
			m.standIns, m.late, m.malformed, m.keepAlives, m.echoes, m.acceptErrs, m.decisionsBy)
	}
	m.decisions = map[decisionKey]prometheus.Counter{}
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		name := n.String()
		nm := &m.perNet[n]
		nm.inFlight = m.inFlight.WithLabelValues(name)
		nm.late = m.late.WithLabelValues(name)
		for k := spec.KindUnknown; k <= spec.KindNetworkManagement; k++ {
			nm.latency[k] = m.latency.WithLabelValues(name, k.String())
		}
		m.conns.WithLabelValues(name)
		for _, r := range []string{"format_error", "unparseable", "oversized", "reject_header", "unexpected", "bad_prefix"} {
			m.malformed.WithLabelValues(name, r)
		}
		m.standIns.WithLabelValues(name, "91")
		// Series that exist from the start, at zero, so that rate() and
		// increase() see their first event.
		m.acceptErrs.WithLabelValues(name)
		m.keepAlives.WithLabelValues(name)
		m.late.WithLabelValues(name)
		for _, r := range []string{"sent", "answered", "timeout"} {
			m.echoes.WithLabelValues(name, r)
		}
		for _, r := range []string{"accepted", "rejected_limit", "tls_failed"} {
			m.connsTotal.WithLabelValues(name, r)
		}
		for i, mti := range mtis {
			nm.requests[i] = m.requests.WithLabelValues(name, mti)
		}
	}
	return m
}

// request counts a decoded request.
func (m *metrics) request(n spec.Network, mti string) {
	if i := mtiIndex(mti); i >= 0 {
		m.perNet[n].requests[i].Inc()
	}
}

// answer counts an answer to a request of type mti.
func (m *metrics) answer(n spec.Network, mti, code string) {
	i := mtiIndex(mti)
	if i < 0 {
		return
	}
	j := codeIndex(code)
	slot := &m.perNet[n].answers[i][j]
	c := slot.Load()
	if c == nil {
		v := m.answers.WithLabelValues(n.String(), answerMTIs[i], codeList[j])
		slot.CompareAndSwap(nil, &v)
		c = slot.Load()
	}
	(*c).Inc()
}

// decision counts a decision by its reason.
func (m *metrics) decision(n spec.Network, k spec.Kind, reason string) {
	key := decisionKey{n, k, reason}
	m.decMu.RLock()
	c, ok := m.decisions[key]
	m.decMu.RUnlock()
	if !ok {
		c = m.decisionsBy.WithLabelValues(n.String(), k.String(), reason)
		m.decMu.Lock()
		m.decisions[key] = c
		m.decMu.Unlock()
	}
	c.Inc()
}
