package ledger_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
)

// waitFor polls cond until it holds, failing the test after a generous
// bound: it waits for an event the ledger causes on its own goroutine
// (the committer), it does not pass by timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAckedSurvivesRestarts(t *testing.T) {
	f := setup(t, 10000, 0)
	for i := 0; i < 40; i++ {
		f.auth(10, nil)
	}
	if got := f.l.Acked(); got != 0 {
		t.Fatalf("Acked before any ack = %d", got)
	}
	if err := f.l.Ack(30); err != nil {
		t.Fatal(err)
	}
	if err := f.l.Ack(20); err != nil { // an older acknowledgement moves nothing back
		t.Fatal(err)
	}
	if got := f.l.Acked(); got != 30 {
		t.Fatalf("Acked = %d, want 30", got)
	}
	// No request follows: the idle committer writes the acknowledgement on
	// its own, so a crash now keeps it.
	waitFor(t, "the acknowledgement on disk", func() bool { return f.l.Stats().AckedOnDisk == 30 })
	f.restart(true)
	if got := f.l.Acked(); got != 30 {
		t.Fatalf("Acked after a crash = %d, want 30", got)
	}
	if n, _ := f.l.Backlog(); n != 11 {
		t.Fatalf("backlog after a crash = %d, want 11", n)
	}
	if err := f.l.Ack(41); err != nil {
		t.Fatal(err)
	}
	f.restart(false)
	if got := f.l.Acked(); got != 41 {
		t.Fatalf("Acked after a clean restart = %d, want 41", got)
	}
	if n, _ := f.l.Backlog(); n != 0 {
		t.Fatalf("backlog after everything was acknowledged = %d", n)
	}
}

func TestFeedSideAfterClose(t *testing.T) {
	for _, volatile := range []bool{false, true} {
		l, err := ledger.Open(ledger.Options{Volatile: volatile, Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.UpsertAccount("acct", "USD", 100, 0); err != nil {
			t.Fatal(err)
		}
		res := l.Authorize(&ledger.Authorize{Key: ledger.MakeRequestKey(1, ledger.ClassAuthorization, "1", "2", "3"),
			Account: "acct", Amount: 10, Currency: "USD", At: t0})
		waitDurable(t, l, res.Seq)
		if err := l.Ack(1); err != nil {
			t.Fatal(err)
		}
		before, _ := l.Backlog()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := l.ReadJournal(1, 10, nil); !errors.Is(err, ledger.ErrClosed) {
			t.Errorf("volatile %v: ReadJournal after Close: %v", volatile, err)
		}
		if err := l.Ack(2); !errors.Is(err, ledger.ErrClosed) {
			t.Errorf("volatile %v: Ack after Close: %v", volatile, err)
		}
		if after, _ := l.Backlog(); after != before || before != 1 {
			t.Errorf("volatile %v: backlog %d before Close, %d after", volatile, before, after)
		}
		if got := l.Acked(); got != 1 {
			t.Errorf("volatile %v: Acked after Close = %d", volatile, got)
		}
	}
}

// TestFeedSideRacesClose: the feed's calls running while the ledger closes
// get answers or ErrClosed, never a panic inside Pebble (run with -race).
func TestFeedSideRacesClose(t *testing.T) {
	for round := 0; round < 5; round++ {
		l, err := ledger.Open(ledger.Options{Logger: quiet})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.UpsertAccount("acct", "USD", 1<<40, 0); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		stop := make(chan struct{})
		for g := 0; g < 3; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf []ledger.Entry
				for {
					var err error
					buf, err = l.ReadJournal(1, 64, buf)
					if err == nil {
						if len(buf) > 0 {
							err = l.Ack(buf[len(buf)-1].Seq)
						}
						l.Backlog()
						l.Acked()
					}
					if errors.Is(err, ledger.ErrClosed) {
						return
					}
					if err != nil {
						errs <- err
						return
					}
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		for i := 0; i < 200; i++ {
			l.Authorize(&ledger.Authorize{Key: ledger.MakeRequestKey(1, ledger.ClassAuthorization, "1", "2", string(rune('a'+i%26))+string(rune('a'+i/26))),
				Account: "acct", Amount: 1, Currency: "USD", At: t0})
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: %v", round, err)
		}
	}
}

func waitDurable(t *testing.T, l *ledger.Ledger, seq uint64) {
	t.Helper()
	if err := l.WaitDurable(context.Background(), seq); err != nil {
		t.Fatal(err)
	}
}
