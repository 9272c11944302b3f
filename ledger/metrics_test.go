package ledger_test

import (
	"context"
	"testing"

	"github.com/authswitch/authswitch/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

func TestMetricsAndStats(t *testing.T) {
	reg := prometheus.NewRegistry()
	l, err := ledger.Open(ledger.Options{Registerer: reg, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.UpsertAccount("a", "USD", 1000, 0); err != nil {
		t.Fatal(err)
	}
	var last ledger.Result
	for i := 0; i < 10; i++ {
		last = l.Authorize(&ledger.Authorize{Key: ledger.MakeRequestKey(1, 1, string(rune('0'+i)), "", ""),
			Account: "a", Card: "c", Amount: 10, Currency: "USD", At: t0})
	}
	if err := l.WaitDurable(context.Background(), last.Seq); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range mfs {
		m := mf.GetMetric()[0]
		switch {
		case m.Gauge != nil:
			values[mf.GetName()] = m.Gauge.GetValue()
		case m.Counter != nil:
			values[mf.GetName()] = m.Counter.GetValue()
		case m.Histogram != nil:
			values[mf.GetName()] = float64(m.Histogram.GetSampleCount())
		}
	}
	if values["authswitch_ledger_journal_durable_seq"] != 11 || values["authswitch_ledger_journal_backlog_entries"] != 11 ||
		values["authswitch_ledger_requests_remembered"] != 10 || values["authswitch_ledger_journal_commit_seconds"] < 1 {
		t.Fatalf("metrics %v", values)
	}
	st := l.Stats()
	if st.Accounts != 1 || st.Durable != 11 || st.Appended != 11 || st.Entries != 11 || st.Batches == 0 || st.Requests != 10 {
		t.Fatalf("stats %+v", st)
	}
	// A second ledger cannot register the same metrics.
	if _, err := ledger.Open(ledger.Options{Registerer: reg, Logger: quiet}); err == nil {
		t.Fatal("duplicate registration accepted")
	}
}
