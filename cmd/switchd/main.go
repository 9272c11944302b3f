// Command switchd is the authorization switch: Visa and Mastercard
// listeners, the rules engine, the ledger and the admin API. See
// switch/daemon for what it wires and README.md for its configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/daemon"
)

func main() {
	cfg, err := daemon.Load(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, daemon.ErrUsage) {
			fmt.Fprintln(os.Stderr, "switchd:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "switchd:", err)
		os.Exit(1)
	}
	d, err := daemon.Start(cfg, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "switchd:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stdout, "switchd ready: visa %s, mastercard %s, admin http://%s (metrics /metrics)\n",
		d.Addr(spec.Visa), d.Addr(spec.Mastercard), d.AdminAddr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	for s := range sig {
		if s != syscall.SIGHUP {
			break
		}
		_ = d.ReloadProgramRules() // logged; the previous rules stay on failure
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.ShutdownTimeout))
	defer cancel()
	if err := d.Shutdown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "switchd: shutdown:", err)
		os.Exit(1)
	}
}
