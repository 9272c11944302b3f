package ledger_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
)

const crashAccounts = 20

// TestCrash runs a child process that authorizes from many goroutines and
// prints each authorization once WaitDurable returned for it — the moment
// the switch would answer — then kills it with SIGKILL at a random moment,
// reopens the ledger and checks: every printed authorization is there
// exactly once with the answer printed; the journal is gapless; every hold
// comes from exactly one journaled authorization, with nothing applied
// that the journal does not hold. Ten rounds in the normal run
// (LEDGER_CRASH_ROUNDS for more), each child continuing on what the last
// one left.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rounds := 10
	if v := os.Getenv("LEDGER_CRASH_ROUNDS"); v != "" {
		rounds, _ = strconv.Atoi(v)
	}
	dir := t.TempDir()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := map[string]ackLine{}
	for round := 0; round < rounds; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LEDGER_CRASH_DIR="+dir, fmt.Sprintf("LEDGER_CRASH_ROUND=%d", round))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 1024)
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				lines <- sc.Text()
			}
		}()
		// Kill once the child is under way: after its first acknowledgement
		// and a random while more.
		var killAfter <-chan time.Time
		n := 0
		for line := range lines {
			if strings.HasPrefix(line, "BAD ") {
				cmd.Process.Kill()
				t.Fatalf("round %d: child: %s", round, line)
			}
			if !strings.HasPrefix(line, "ACK ") {
				continue
			}
			a, err := parseAck(line)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			acked[a.key] = a
			n++
			if killAfter == nil {
				killAfter = time.After(time.Duration(50+rnd.IntN(400)) * time.Millisecond)
			}
			select {
			case <-killAfter:
				cmd.Process.Signal(syscall.SIGKILL)
				killAfter = make(chan time.Time) // never again
			default:
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended without being killed: %v", round, err)
		}
		verifyAfterCrash(t, dir, round, acked)
		t.Logf("round %d: %d acknowledged this round, %d in all", round, n, len(acked))
	}
}

type ackLine struct {
	key      string
	account  string
	seq      uint64
	holdID   uint64
	approved int64
}

func parseAck(line string) (ackLine, error) {
	f := strings.Fields(line)
	if len(f) != 6 {
		return ackLine{}, fmt.Errorf("bad line %q", line)
	}
	seq, err1 := strconv.ParseUint(f[3], 10, 64)
	hold, err2 := strconv.ParseUint(f[4], 10, 64)
	amt, err3 := strconv.ParseInt(f[5], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return ackLine{}, fmt.Errorf("bad line %q", line)
	}
	return ackLine{key: f[1], account: f[2], seq: seq, holdID: hold, approved: amt}, nil
}

func keyOf(name string) ledger.RequestKey {
	var k ledger.RequestKey
	copy(k[:], name)
	return k
}

func verifyAfterCrash(t *testing.T, dir string, round int, acked map[string]ackLine) {
	t.Helper()
	l, err := ledger.Open(ledger.Options{Dir: dir, Logger: quiet})
	if err != nil {
		t.Fatalf("round %d: reopening after the crash: %v", round, err)
	}
	defer func() {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	for _, a := range acked {
		res, ok := l.Lookup(keyOf(a.key))
		if !ok || res.Seq != a.seq || res.HoldID != a.holdID || res.Approved != a.approved {
			t.Fatalf("round %d: acknowledged %+v, after the crash %+v (known %v)", round, a, res, ok)
		}
	}
	// The journal: gapless from 1, each request key once, and the holds are
	// exactly what its authorizations placed.
	want := map[uint64]int64{}
	keys := map[ledger.RequestKey]bool{}
	var buf []ledger.Entry
	next := uint64(1)
	for {
		buf, err = l.ReadJournal(next, 4096, buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(buf) == 0 {
			break
		}
		for _, e := range buf {
			if e.Seq != next {
				t.Fatalf("round %d: journal gap: %d where %d belongs", round, e.Seq, next)
			}
			next++
			if e.Op != ledger.OpAuthorize {
				continue
			}
			if keys[e.Key] {
				t.Fatalf("round %d: request %q journaled twice", round, e.Key[:12])
			}
			keys[e.Key] = true
			if res, ok := l.Lookup(e.Key); !ok || res.Seq != e.Seq {
				t.Fatalf("round %d: entry %d not remembered: %+v", round, e.Seq, res)
			}
			if e.Result.Status != ledger.Declined {
				want[e.Result.HoldID] += e.Result.Approved
			}
		}
	}
	if next-1 != l.DurableSeq() {
		t.Fatalf("round %d: journal ends at %d, durable %d", round, next-1, l.DurableSeq())
	}
	got := map[uint64]int64{}
	for i := 0; i < crashAccounts; i++ {
		acct := fmt.Sprintf("acct_%d", i)
		b, _ := l.Balance(acct)
		var sum int64
		for _, h := range l.Holds(acct) {
			got[h.ID] = h.Amount
			sum += h.Amount
		}
		if sum != b.Pending || b.Available != b.Posted+b.CreditLimit-b.Pending {
			t.Fatalf("round %d: %s balance %+v, holds %d", round, acct, b, sum)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("round %d: %d holds, the journal places %d", round, len(got), len(want))
	}
	for _, a := range acked {
		if got[a.holdID] == 0 {
			t.Fatalf("round %d: acknowledged hold %d missing", round, a.holdID)
		}
	}
}

// TestCrashChild is the child process of TestCrash.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("LEDGER_CRASH_DIR")
	if dir == "" {
		t.Skip("the child of TestCrash")
	}
	round, _ := strconv.Atoi(os.Getenv("LEDGER_CRASH_ROUND"))
	l, err := ledger.Open(ledger.Options{Dir: dir, Logger: quiet, CheckpointEvery: 20_000})
	if err != nil {
		fmt.Printf("BAD open: %v\n", err)
		return
	}
	for i := 0; i < crashAccounts; i++ {
		if err := l.UpsertAccount(fmt.Sprintf("acct_%d", i), "USD", 1<<40, 0); err != nil {
			fmt.Printf("BAD upsert: %v\n", err)
			return
		}
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 64; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(round), uint64(g)))
			for i := 0; ; i++ {
				name := fmt.Sprintf("r%d-g%d-%d", round, g, i)
				acct := fmt.Sprintf("acct_%d", rnd.IntN(crashAccounts))
				r := &ledger.Authorize{Key: keyOf(name), Account: acct, Card: fmt.Sprintf("card_%d", g),
					Amount: 1 + rnd.Int64N(10_000), Currency: "USD", MCC: "5411",
					Lifecycle: ledger.MakeLifecycleKey(1, name)}
				res := l.Authorize(r)
				if err := l.WaitDurable(context.Background(), res.Seq); err != nil {
					fmt.Printf("BAD wait: %v\n", err)
					return
				}
				if again := l.Authorize(r); !again.Repeat || again.Seq != res.Seq {
					fmt.Printf("BAD repeat %+v of %+v\n", again, res)
					return
				}
				mu.Lock()
				fmt.Fprintf(w, "ACK %s %s %d %d %d\n", name, acct, res.Seq, res.HoldID, res.Approved)
				w.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}
