package ledger_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/cockroachdb/pebble/v2/vfs"
)

func envInt(t *testing.T, name string, def int) int {
	if v := os.Getenv(name); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return n
	}
	return def
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryPerAccount measures the heap an account takes: bare, then
// with one card that authorized once (its counters, velocity ring, hold
// and remembered answer). 100,000 accounts in the normal run;
// LEDGER_MEMORY_ACCOUNTS=10000000 for the 10M figure.
func TestMemoryPerAccount(t *testing.T) {
	n := envInt(t, "LEDGER_MEMORY_ACCOUNTS", 100_000)
	if testing.Short() {
		n = 10_000
	}
	l, err := ledger.Open(ledger.Options{Volatile: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "acct_" + strconv.Itoa(i)
	}
	base := heapInUse()
	for _, id := range ids {
		if err := l.UpsertAccount(id, "USD", 100_000, 0); err != nil {
			t.Fatal(err)
		}
	}
	afterBare := heapInUse()
	bare := float64(afterBare-base) / float64(n)
	// Activity on up to a million of them: enough for a per-account figure
	// without needing the memory of ten million active accounts.
	active := ids[:min(n, 1_000_000)]
	r := ledger.Authorize{Currency: "USD", Amount: 1000, MCC: "5411", At: t0, Cardholder: "",
		Velocity: []ledger.Velocity{{Scope: ledger.ScopeCard, Count: 5, Window: time.Minute}}}
	for i, id := range active {
		r.Account, r.Card = id, "card_"+id
		r.Key = ledger.MakeRequestKey(1, ledger.ClassAuthorization, strconv.Itoa(i%1_000_000), strconv.Itoa(i/1_000_000), "1")
		r.Lifecycle = ledger.MakeLifecycleKey(1, id)
		if res := l.Authorize(&r); res.Status != ledger.Approved {
			t.Fatalf("%+v", res)
		}
	}
	perActive := float64(heapInUse()-afterBare) / float64(len(active))
	t.Logf("%d accounts: %.0f bytes per bare account (id string and registry entry included); "+
		"%.0f bytes more for each of %d whose card authorized once (hold, counters, velocity, remembered answer)",
		n, bare, perActive, len(active))
	if bare > 1024 || perActive > 4096 {
		t.Fatalf("accounts take more memory than budgeted: %.0f / %.0f bytes", bare, perActive)
	}
	runtime.KeepAlive(ids)
}

// TestRestartTime times a restart with n accounts, each with a card that
// authorized: from a checkpoint (after Close) and from the journal alone
// (after a crash, with no checkpoint since the accounts were loaded).
// 20,000 accounts in the normal run; LEDGER_RESTART_ACCOUNTS=1000000 for
// the 1M figure.
func TestRestartTime(t *testing.T) {
	n := envInt(t, "LEDGER_RESTART_ACCOUNTS", 20_000)
	if testing.Short() {
		n = 2_000
	}
	fs := vfs.NewCrashableMem()
	opts := ledger.Options{FS: fs, Dir: "db", Logger: quiet, CheckpointEvery: -1}
	l, err := ledger.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := l.UpsertAccount(fmt.Sprintf("acct_%d", i), "USD", 100_000, 0); err != nil {
			t.Fatal(err)
		}
	}
	var last uint64
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("acct_%d", i)
		r := &ledger.Authorize{Key: ledger.MakeRequestKey(1, 1, strconv.Itoa(i%1_000_000), strconv.Itoa(i/1_000_000), "1"),
			Account: id, Card: "card_" + id, Amount: 100, Currency: "USD", MCC: "5411", At: t0,
			Lifecycle: ledger.MakeLifecycleKey(1, id)}
		last = l.Authorize(r).Seq
	}
	if err := l.WaitDurable(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	crashed := fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 0})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	l, err = ledger.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	fromCheckpoint := time.Since(start)
	b1, _ := l.Balance("acct_7")
	l.Close()

	opts.FS = crashed
	start = time.Now()
	l, err = ledger.Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	fromJournal := time.Since(start)
	defer l.Close()
	b2, _ := l.Balance("acct_7")
	if b1 != b2 || b1.Pending != 100 || l.DurableSeq() != last {
		t.Fatalf("balances %+v / %+v, durable %d of %d", b1, b2, l.DurableSeq(), last)
	}
	t.Logf("%d accounts and %d authorizations: restart from the checkpoint %v, from the journal alone (%d entries) %v",
		n, n, fromCheckpoint.Round(time.Millisecond), last, fromJournal.Round(time.Millisecond))
}
