package ledger_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

// A disk that stops writing or syncing the journal stops the process
// (Pebble treats a failed WAL write as fatal): nothing that was not synced
// is ever reported durable, so no answer leaves for it, and a restart
// rebuilds from what the disk holds. The child prints DURABLE n for each
// entry whose wait returned.
func TestDiskFailureStopsTheProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDiskFailureChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LEDGER_DISK_FAILURE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the child survived a failing disk:\n%s", out)
	}
	s := string(out)
	if !strings.Contains(s, "DURABLE 2\n") {
		t.Fatalf("the entry before the failure was not durable:\n%s", s)
	}
	if strings.Contains(s, "DURABLE 3\n") {
		t.Fatalf("an entry the disk refused was reported durable:\n%s", s)
	}
}

// TestDiskFailureChild is the child of TestDiskFailureStopsTheProcess.
func TestDiskFailureChild(t *testing.T) {
	if os.Getenv("LEDGER_DISK_FAILURE_CHILD") == "" {
		t.Skip("the child of TestDiskFailureStopsTheProcess")
	}
	var failing atomic.Bool
	fs := errorfs.Wrap(vfs.NewMem(), errorfs.InjectorFunc(func(op errorfs.Op) error {
		if failing.Load() && strings.HasSuffix(op.Path, ".log") &&
			(op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData || op.Kind == errorfs.OpFileWrite) {
			return errorfs.ErrInjected
		}
		return nil
	}))
	l, err := ledger.Open(ledger.Options{FS: fs, Dir: "db", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.UpsertAccount("a", "USD", 10_000, 0); err != nil {
		t.Fatal(err)
	}
	auth := func(n byte) {
		res := l.Authorize(&ledger.Authorize{Key: ledger.RequestKey{n}, Account: "a", Card: "c", Amount: 10, Currency: "USD", At: t0})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := l.WaitDurable(ctx, res.Seq); err == nil {
			fmt.Printf("DURABLE %d\n", res.Seq)
		}
	}
	auth(1)
	failing.Store(true)
	auth(2)
	// Unreachable when Pebble stops the process as it must; if it did
	// not, the parent sees this process exit cleanly and fails.
	time.Sleep(time.Second)
}
