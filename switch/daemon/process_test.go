package daemon_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/daemon"
)

// switchd returns the switchd binary: AUTHSWITCH_SWITCHD when set (make
// test builds it once), else one built once per test binary.
var switchdBin struct {
	path string
	err  error
}

func switchd(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("AUTHSWITCH_SWITCHD"); bin != "" {
		return bin // built once by make test
	}
	if switchdBin.path == "" && switchdBin.err == nil {
		dir, err := os.MkdirTemp("", "switchd-bin")
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "switchd")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/authswitch/authswitch/cmd/switchd").CombinedOutput()
		if err != nil {
			switchdBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
		switchdBin.path = bin
	}
	if switchdBin.err != nil {
		t.Fatal(switchdBin.err)
	}
	return switchdBin.path
}

var readyLine = regexp.MustCompile(`switchd ready: visa (\S+), mastercard (\S+), admin http://(\S+)`)

// process is switchd running as a child process.
type process struct {
	cmd  *exec.Cmd
	visa string
	mc   string
	done chan error
}

func startProcess(t *testing.T, dir string, extra ...string) *process {
	t.Helper()
	cfg := testConfig(t, dir) // writes the portfolio
	args := append([]string{"--data-dir", dir, "--portfolio", cfg.Portfolio,
		"--visa-addr", "127.0.0.1:0", "--mc-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0",
		"--log-level", "warn"}, extra...)
	cmd := exec.Command(switchd(t), args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	lines := bufio.NewScanner(out)
	ready := make(chan []string, 1)
	go func() {
		for lines.Scan() {
			if m := readyLine.FindStringSubmatch(lines.Text()); m != nil {
				ready <- m
			}
		}
		_, _ = io.Copy(io.Discard, out)
		p.done <- cmd.Wait()
	}()
	select {
	case m := <-ready:
		p.visa, p.mc = m[1], m[2]
	case err := <-p.done:
		t.Fatalf("switchd exited before ready: %v", err)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("switchd not ready in 30 s")
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// processClient is a client dialled to a child process's listener.
func processClient(t *testing.T, n spec.Network, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, n: n, conn: conn, waiting: map[string]chan *answer{}, other: make(chan []byte, 64), done: make(chan struct{})}
	go c.readLoop()
	t.Cleanup(func() { conn.Close(); <-c.done })
	return c
}

// TestSIGTERMAnswersInFlight: SIGTERM while hundreds of requests are in
// flight; every one is answered, the process exits 0, and a restart finds
// every approved hold.
func TestSIGTERMAnswersInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the switchd binary")
	}
	dir := t.TempDir()
	p := startProcess(t, dir)
	c := processClient(t, spec.Mastercard, p.mc)
	const n = 500
	chans := make([]chan *answer, n)
	var frames []byte
	for i := range chans {
		a := purchase(spec.Mastercard, mcPAN, 7)
		chans[i] = make(chan *answer, 1)
		c.mu.Lock()
		c.waiting[a.STAN] = chans[i]
		c.mu.Unlock()
		frames = append(frames, c.frame(a)...)
	}
	c.write(frames)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	approved := 0
	for i, ch := range chans {
		select {
		case a := <-ch:
			if a.ResponseCode == "00" {
				approved++
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d of %d not answered after SIGTERM", i, n)
		}
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("switchd exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("switchd did not exit after SIGTERM")
	}
	if approved != n {
		t.Fatalf("%d of %d approved", approved, n)
	}

	// Every approval is a hold after a restart.
	cfg := testConfig(t, dir)
	d, err := daemon.Start(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Shutdown(t.Context())
	b, ok := d.Ledger().Balance("acct_main")
	if !ok || b.Pending != n*7 {
		t.Fatalf("after restart: pending %d, want %d", b.Pending, n*7)
	}
}
