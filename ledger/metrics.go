package ledger

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the ledger's instruments. They are always kept; Options.
// Registerer, when set, exposes them to Prometheus.
type metrics struct {
	syncSeconds  prometheus.Histogram
	batchEntries prometheus.Histogram

	batches      atomic.Uint64
	entries      atomic.Uint64
	bytes        atomic.Uint64
	syncNanos    atomic.Uint64
	maxSyncNanos atomic.Uint64
	expired      atomic.Uint64
	checkpoints  atomic.Uint64

	ackWriteFailures atomic.Uint64 // acknowledgements the idle committer could not write
}

func newMetrics() *metrics {
	return &metrics{
		syncSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "authswitch_ledger_journal_commit_seconds",
			Help:    "Time to write and sync one group-commit batch of journal entries.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16),
		}),
		batchEntries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "authswitch_ledger_journal_batch_entries",
			Help:    "Journal entries per group-commit batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
	}
}

func (m *metrics) observeBatch(d time.Duration, entries, bytes int) {
	m.syncSeconds.Observe(d.Seconds())
	m.batchEntries.Observe(float64(entries))
	m.batches.Add(1)
	m.entries.Add(uint64(entries))
	m.bytes.Add(uint64(bytes))
	m.syncNanos.Add(uint64(d))
	for {
		old := m.maxSyncNanos.Load()
		if uint64(d) <= old || m.maxSyncNanos.CompareAndSwap(old, uint64(d)) {
			break
		}
	}
}

// register exposes the instruments and the ledger's gauges.
func (l *Ledger) register(r prometheus.Registerer) error {
	m := l.metrics
	cs := []prometheus.Collector{
		m.syncSeconds, m.batchEntries,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authswitch_ledger_journal_backlog_entries",
			Help: "Durable journal entries the feed has not acknowledged."},
			func() float64 { e, _ := l.Backlog(); return float64(e) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authswitch_ledger_journal_backlog_bytes",
			Help: "Bytes of the journal chunks holding unacknowledged entries."},
			func() float64 { _, b := l.Backlog(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authswitch_ledger_journal_durable_seq",
			Help: "Sequence number of the newest durable journal entry."},
			func() float64 { return float64(l.DurableSeq()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "authswitch_ledger_requests_remembered",
			Help: "Requests whose answers the ledger remembers for repeats."},
			func() float64 { return float64(l.requests.records.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "authswitch_ledger_requests_dropped_early_total",
			Help: "Remembered requests dropped before their retention because the table was full."},
			func() float64 { return float64(l.requests.earlyDrops.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "authswitch_ledger_holds_expired_total",
			Help: "Holds released by expiry."},
			func() float64 { return float64(m.expired.Load()) }),
	}
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Stats is a snapshot of the ledger's counters.
type Stats struct {
	Accounts        int
	Requests        int64  // remembered answers
	RequestsDropped uint64 // dropped before their retention (table full)
	Appended        uint64 // newest sequence number handed out
	Durable         uint64
	Batches         uint64 // group commits
	Entries         uint64 // entries committed (this process)
	Bytes           uint64 // their encoded bytes
	MeanCommit      time.Duration
	MaxCommit       time.Duration
	BacklogEntries  uint64
	BacklogBytes    uint64
	Expired         uint64
	Checkpoints     uint64
	CheckpointSeq   uint64
	// AckedOnDisk is the feed's acknowledgement as last written: what a
	// crash now would restart from (Acked may be ahead of it briefly).
	AckedOnDisk      uint64
	AckWriteFailures uint64 // idle-time acknowledgement writes that failed (retried with the next batch)
}

// Stats returns the ledger's counters.
func (l *Ledger) Stats() Stats {
	m := l.metrics
	s := Stats{
		Accounts: l.accounts.count(), Requests: l.requests.records.Load(),
		RequestsDropped: l.requests.earlyDrops.Load(), Appended: l.journal.lastAssigned(),
		Durable: l.DurableSeq(), Batches: m.batches.Load(), Entries: m.entries.Load(), Bytes: m.bytes.Load(),
		MaxCommit: time.Duration(m.maxSyncNanos.Load()), Expired: m.expired.Load(), Checkpoints: m.checkpoints.Load(),
		AckWriteFailures: m.ackWriteFailures.Load(),
	}
	if s.Batches > 0 {
		s.MeanCommit = time.Duration(m.syncNanos.Load() / s.Batches)
	}
	s.BacklogEntries, s.BacklogBytes = l.Backlog()
	if l.store != nil {
		l.store.mu.Lock()
		s.CheckpointSeq = l.store.ckptSeq
		s.AckedOnDisk = l.store.ackDisk
		l.store.mu.Unlock()
	}
	return s
}
