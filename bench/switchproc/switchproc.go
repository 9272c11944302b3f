// Package switchproc starts a switchd binary on loopback ports with a
// fresh data directory and a portfolio, waits until it is ready (its
// listeners accept and its admin port serves metrics), and stops it with
// SIGTERM. The bench, the simulator and their end-to-end tests use it to
// talk to a real switch the way a network would.
package switchproc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Options say how to start the switch.
type Options struct {
	Binary    string // path to a switchd binary
	Portfolio string // loaded at start-up (--portfolio)
	Config    string // optional --config file
	DataDir   string // empty: a new temporary directory, removed by Stop
	// Addresses; empty ones get a free loopback port.
	VisaAddr, MastercardAddr, AdminAddr string
	Args                                []string  // further flags
	Log                                 io.Writer // the switch's stdout and stderr; nil discards them
	ReadyTimeout                        time.Duration
}

// Process is a running switch.
type Process struct {
	VisaAddr, MastercardAddr, AdminAddr string
	DataDir                             string

	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
	tempDir bool
}

// ErrExited is returned when the switch exits before it is ready.
var ErrExited = errors.New("switchproc: switch exited")

// Start starts the switch and waits until it is ready.
func Start(ctx context.Context, opts Options) (*Process, error) {
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = 2 * time.Minute
	}
	p := &Process{VisaAddr: opts.VisaAddr, MastercardAddr: opts.MastercardAddr, AdminAddr: opts.AdminAddr, DataDir: opts.DataDir}
	for _, a := range []*string{&p.VisaAddr, &p.MastercardAddr, &p.AdminAddr} {
		if *a == "" {
			free, err := freePort()
			if err != nil {
				return nil, err
			}
			*a = free
		}
	}
	if p.DataDir == "" {
		dir, err := os.MkdirTemp("", "switchd-data-")
		if err != nil {
			return nil, fmt.Errorf("switchproc: data dir: %w", err)
		}
		p.DataDir, p.tempDir = dir, true
	}
	args := []string{"--visa-addr", p.VisaAddr, "--mc-addr", p.MastercardAddr, "--admin-addr", p.AdminAddr,
		"--data-dir", p.DataDir}
	if opts.Portfolio != "" {
		args = append(args, "--portfolio", opts.Portfolio)
	}
	if opts.Config != "" {
		args = append(args, "--config", opts.Config)
	}
	args = append(args, opts.Args...)
	p.cmd = exec.Command(opts.Binary, args...)
	p.cmd.Stdout, p.cmd.Stderr = opts.Log, opts.Log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		p.cleanup()
		return nil, fmt.Errorf("switchproc: start %s: %w", opts.Binary, err)
	}
	p.done = make(chan struct{})
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ctx, opts.ReadyTimeout); err != nil {
		_ = p.Stop(5 * time.Second)
		return nil, err
	}
	return p, nil
}

// waitReady polls until both listeners accept and /metrics answers 200.
func (p *Process) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		if ready(client, p) {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w before it was ready: %v", ErrExited, p.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("switchproc: switch not ready after %v", timeout)
		}
	}
}

func ready(client *http.Client, p *Process) bool {
	for _, a := range []string{p.VisaAddr, p.MastercardAddr} {
		c, err := net.DialTimeout("tcp", a, time.Second)
		if err != nil {
			return false
		}
		c.Close()
	}
	resp, err := client.Get("http://" + p.AdminAddr + "/metrics")
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Exited reports whether the switch has exited (and how).
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Stop sends SIGTERM, waits up to timeout for a graceful exit, then kills
// the switch, and removes a temporary data directory. It returns the exit
// error of a switch that did not exit cleanly on SIGTERM.
func (p *Process) Stop(timeout time.Duration) error {
	defer p.cleanup()
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	select {
	case <-p.done:
		return p.waitErr
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.waitErr
	case <-time.After(timeout):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return fmt.Errorf("switchproc: switch ignored SIGTERM for %v and was killed", timeout)
	}
}

func (p *Process) cleanup() {
	if p.tempDir {
		os.RemoveAll(p.DataDir)
		p.tempDir = false
	}
}

// freePort returns a loopback address with a port free at the time of
// the call.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("switchproc: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
