package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// TestMain doubles as the answering process of the overhead benchmark:
// with LOAD_RESPONDER set, the test binary serves both networks on
// loopback (spec's hot path, approving everything), prints its addresses
// and runs until its standard input closes. In its own process its CPU is
// not the bench's.
func TestMain(m *testing.M) {
	if os.Getenv("LOAD_RESPONDER") == "" {
		os.Exit(m.Run())
	}
	rs := &responder{ln: map[spec.Network]net.Listener{}, decide: approveAll}
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		rs.ln[n] = ln
		rs.wg.Add(1)
		go rs.accept(n, ln)
	}
	fmt.Printf("%s %s\n", rs.ln[spec.Visa].Addr(), rs.ln[spec.Mastercard].Addr())
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// startResponderProcess runs the responder in a child process.
func startResponderProcess(tb testing.TB) map[spec.Network]string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "LOAD_RESPONDER=1", "GOMAXPROCS=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatal(err)
	}
	f := strings.Fields(line)
	return map[spec.Network]string{spec.Visa: f[0], spec.Mastercard: f[1]}
}

// BenchmarkClosedLoop measures the harness's own cost per request at
// saturation against a responder in another process (sharing the
// machine's cores with it): 8 connections × 32 in flight per network, the
// standard mix. bench-µs/req is this process's CPU per answered request.
func BenchmarkClosedLoop(b *testing.B) {
	addrs := startResponderProcess(b)
	plan := testPlanB(b, StandardMix, 100_000, 8)
	b.ResetTimer()
	res, err := Run(context.Background(), plan, Options{
		Name: "bench", Addrs: addrs, InFlight: 32, Count: int64(max(b.N, 10_000)), Warmup: 0, DrainTimeout: 10 * time.Second,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if res.Total.Errors+res.Total.Lost > 0 {
		b.Fatalf("errors %d lost %d: %v", res.Total.Errors, res.Total.Lost, res.Notes)
	}
	b.ReportMetric(res.BenchCPUPerRequest, "bench-µs/req")
	b.ReportMetric(res.Total.Throughput, "answers/s")
	b.ReportMetric(res.Total.Latency.At(99)/1e3, "p99-ms")
}
