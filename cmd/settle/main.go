// Command settle reads the decision feed (segment files or NATS
// JetStream) and writes the settlement report per network, currency and
// settlement day (table on stdout; report.json, report.csv, report.txt
// under -out). Given a clearing file, it reconciles the captures against
// the feed's holds, posts the matched ones to the switch's admin API and
// writes reconciliation.json and reconciliation.csv.
//
//	settle -feed-dir data/feed -out reports/2026-11-24 -day 2026-11-24
//	settle -nats nats://127.0.0.1:4222 -env prod -clearing visa-20261124.csv \
//	    -admin http://127.0.0.1:8081 -token-file /etc/authswitch/admin.token
//
// The admin token comes from -token-file or AUTHSWITCH_ADMIN_TOKEN, never
// from a flag (flags show in process lists).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/authswitch/authswitch/feed/natsfeed"
	"github.com/authswitch/authswitch/feed/segment"
	"github.com/authswitch/authswitch/feed/settle"
	"github.com/nats-io/nats.go"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "settle:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("settle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	feedDir := fs.String("feed-dir", "", "segment directory of the feed (the embedded sink's)")
	natsURL := fs.String("nats", "", "NATS URL(s), comma-separated, to read the feed from JetStream")
	env := fs.String("env", "dev", "feed environment (stream AUTHSWITCH_<ENV>)")
	day := fs.String("day", "", "report only this settlement day (YYYY-MM-DD); default: every day")
	cutoff := fs.Duration("cutoff", 0, "settlement day starts this long after 00:00 UTC")
	out := fs.String("out", "", "directory for report.{json,csv,txt} and reconciliation.{json,csv}")
	clearing := fs.String("clearing", "", "clearing CSV to reconcile (network,lifecycle_key,amount,currency,date)")
	admin := fs.String("admin", "", "admin API base URL to post matched captures to")
	tokenFile := fs.String("token-file", "", "file holding the admin API bearer token (else $AUTHSWITCH_ADMIN_TOKEN)")
	dryRun := fs.Bool("dry-run", false, "reconcile but post nothing")
	onlyMatched := fs.Bool("only-matched", false, "post plain matches only; over-captured, expired and reversed presentments wait for an operator")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*feedDir == "") == (*natsURL == "") {
		return errors.New("give exactly one of -feed-dir and -nats")
	}
	if *day != "" {
		if _, err := time.Parse(time.DateOnly, *day); err != nil {
			return fmt.Errorf("-day %q is not YYYY-MM-DD", *day)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	var src settle.Source
	if *feedDir != "" {
		src = segment.NewReader(*feedDir, segment.ReaderOptions{})
	} else {
		nc, err := nats.Connect(*natsURL, nats.Name("authswitch-settle"))
		if err != nil {
			return fmt.Errorf("connecting to NATS: %w", err)
		}
		defer nc.Close()
		c, err := natsfeed.NewConsumer(natsfeed.ConsumerOptions{Conn: nc, Stream: natsfeed.StreamConfig{Env: *env},
			StopAtEnd: true, Logger: log})
		if err != nil {
			return err
		}
		src = c
	}
	b := settle.NewBuilder(settle.Options{Cutoff: *cutoff, Day: *day})
	if err := b.Load(ctx, src); err != nil {
		return fmt.Errorf("reading the feed: %w", err)
	}
	rep := b.Report(time.Now())
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *out != "" {
		if err := os.MkdirAll(*out, 0o750); err != nil {
			return err
		}
		for name, w := range map[string]func(io.Writer) error{
			"report.json": rep.WriteJSON, "report.csv": rep.WriteCSV, "report.txt": rep.WriteTable,
		} {
			if err := writeFile(filepath.Join(*out, name), w); err != nil {
				return err
			}
		}
	}
	if *clearing == "" {
		return nil
	}

	f, err := os.Open(*clearing)
	if err != nil {
		return err
	}
	lines, err := settle.ReadClearing(f)
	f.Close()
	if err != nil {
		return err
	}
	rec := settle.Reconcile(b.Holds, lines)
	if !*dryRun {
		if *admin == "" {
			return errors.New("-clearing needs -admin to post captures (or -dry-run)")
		}
		token, err := readToken(*tokenFile)
		if err != nil {
			return err
		}
		if err := rec.Post(ctx, &settle.AdminClient{BaseURL: *admin, Token: token}, *onlyMatched); err != nil {
			return fmt.Errorf("posting captures: %w", err)
		}
	}
	fmt.Fprintf(stdout, "\nReconciliation of %s: %d lines: %s\n", filepath.Base(*clearing), len(lines),
		strings.Join(rec.Summary(), " "))
	for _, it := range rec.Exceptions() {
		fmt.Fprintf(stdout, "  line %d %s %s %s %s: %s%s\n", it.Line, it.Network, it.LifecycleKey,
			settle.MoneyIn(it.Amount, it.Currency), it.Currency, it.Outcome, suffix(it.PostError))
	}
	if *out != "" {
		if err := writeFile(filepath.Join(*out, "reconciliation.json"), rec.WriteJSON); err != nil {
			return err
		}
		if err := writeFile(filepath.Join(*out, "reconciliation.csv"), rec.WriteCSV); err != nil {
			return err
		}
	}
	if rec.Failed > 0 {
		return fmt.Errorf("%d captures could not be posted", rec.Failed)
	}
	return nil
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func readToken(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading the token: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if t := os.Getenv("AUTHSWITCH_ADMIN_TOKEN"); t != "" {
		return t, nil
	}
	return "", errors.New("no admin token: give -token-file or set AUTHSWITCH_ADMIN_TOKEN")
}

// writeFile writes through a temporary file and renames, so a reader
// never sees half a report.
func writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
