package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/segment"
	"github.com/authswitch/authswitch/feed/settle"
	"github.com/authswitch/authswitch/ledger"
)

// feedDir makes a ledger with two captured authorizations and one open,
// and publishes its journal to a segment directory.
func feedDir(t *testing.T) string {
	t.Helper()
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	l, err := ledger.Open(ledger.Options{Dir: t.TempDir(), Now: func() time.Time { return at }, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.UpsertAccount("a1", "USD", 100_000, 0); err != nil {
		t.Fatal(err)
	}
	var last uint64
	for i, lc := range []string{"T1", "T2", "T3"} {
		res := l.Authorize(&ledger.Authorize{Key: ledger.MakeRequestKey(1, ledger.ClassAuthorization, "00000"+lc[1:], "1124120000", "1"),
			Lifecycle: ledger.MakeLifecycleKey(1, lc), Account: "a1", Amount: int64(1000 * (i + 1)), Currency: "USD",
			MCC: "5411", At: at, Descriptor: ledger.Descriptor{Network: "visa", Kind: "authorization"}})
		last = res.Seq
		if i < 2 {
			last = l.Capture(&ledger.Capture{Key: ledger.MakeRequestKey(1, ledger.ClassOther, "00000"+lc[1:], "1124120000", "2"),
				Account: "a1", HoldID: res.HoldID, Amount: res.Approved, At: at}).Seq
		}
	}
	if err := l.WaitDurable(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sink, err := segment.Open(segment.Options{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	p, err := feed.New(l, sink, feed.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for p.ShippedThrough() < l.DurableSeq() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	p.Close()
	return dir
}

func TestSettleWritesTheReportAndReconciles(t *testing.T) {
	dir := feedDir(t)
	out := t.TempDir()
	clearing := filepath.Join(t.TempDir(), "clearing.csv")
	os.WriteFile(clearing, []byte("network,lifecycle_key,amount,currency,date\nvisa,T3,3000,USD,2026-11-25\nvisa,T1,1000,USD,2026-11-25\nvisa,ZZ,5,USD,2026-11-25\n"), 0o600)
	var stdout, stderr bytes.Buffer
	err := run([]string{"-feed-dir", dir, "-out", out, "-clearing", clearing, "-dry-run"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "visa") || !strings.Contains(stdout.String(), "unmatched=1") {
		t.Fatalf("stdout:\n%s", stdout.String())
	}
	var rep settle.Report
	b, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 1 || rep.Rows[0].ApprovedCount != 3 || rep.Rows[0].CapturedAmount != 3000 || rep.Rows[0].NetOwed != 3000 {
		t.Fatalf("report rows %+v", rep.Rows)
	}
	for _, f := range []string{"report.csv", "report.txt", "reconciliation.json", "reconciliation.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	var rec settle.Reconciliation
	b, _ = os.ReadFile(filepath.Join(out, "reconciliation.json"))
	json.Unmarshal(b, &rec)
	if rec.Counts[settle.Matched] != 1 || rec.Counts[settle.AlreadyCaptured] != 1 || rec.Counts[settle.Unmatched] != 1 {
		t.Fatalf("reconciliation counts %v", rec.Counts)
	}
}

func TestSettleRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-feed-dir", "x", "-nats", "nats://127.0.0.1:1"},
		{"-feed-dir", "x", "-day", "24/11/2026"},
	} {
		if err := run(args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}
