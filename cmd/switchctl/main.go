// Command switchctl runs the common operator tasks over the switch's admin
// API (see switch/admin and its openapi.yaml):
//
//	switchctl [--addr HOST:PORT] [--token TOKEN] RESOURCE VERB [ARGS] [FLAGS]
//
//	accounts get ID
//	accounts create --currency USD [--id ID] [--balance N] [--credit-limit N]
//	accounts fund ID AMOUNT [--description TEXT]
//	accounts debit ID AMOUNT [--description TEXT]
//	accounts freeze|unfreeze|close ID
//	cards get ID
//	cards create --account ID --expiry YYMM --network visa|mastercard [--id ID] [--cardholder ID]  (the card number on standard input)
//	cards freeze|unfreeze ID
//	cards cancel ID --reason lost|stolen
//	authorizations list --card ID | --account ID [--limit N] [--starting-after ID] [--table]
//	authorizations get ID
//	holds capture ID AMOUNT [--account ID]
//	holds release ID [AMOUNT] [--account ID]
//	rules list
//	rules reload
//
// Amounts are integer minor units (cents). The token comes from --token or
// AUTHSWITCH_TOKEN (prefer the variable: flags show in process lists), the
// address from --addr or AUTHSWITCH_ADDR (default 127.0.0.1:8080). A card
// number is read from standard input, never from the command line, where
// it would land in shell history. Money moves carry an idempotency key
// (--idempotency-key, or a fresh one printed on failure so a retry can
// reuse it). Answers print as JSON; errors go to standard error with exit
// status 1 (2 for usage errors).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authswitch/authswitch/switch/admin/client"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage")

func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}

// run is switchctl without the process: arguments, streams, environment.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	global := flag.NewFlagSet("switchctl", flag.ContinueOnError)
	global.SetOutput(stderr)
	addr := global.String("addr", "", "admin API address, HOST:PORT or URL (AUTHSWITCH_ADDR; default 127.0.0.1:8080)")
	tok := global.String("token", "", "bearer token (AUTHSWITCH_TOKEN)")
	timeout := global.Duration("timeout", 30*time.Second, "deadline of the whole command")
	global.Usage = func() {
		fmt.Fprintln(stderr, "usage: switchctl [--addr HOST:PORT] [--token TOKEN] RESOURCE VERB [ARGS] [FLAGS]")
		fmt.Fprintln(stderr, "resources: accounts, cards, authorizations, holds, rules (see go doc ./cmd/switchctl)")
		global.PrintDefaults()
	}
	if err := global.Parse(args); err != nil {
		return 2
	}
	if *addr == "" {
		*addr = getenv("AUTHSWITCH_ADDR")
	}
	if *addr == "" {
		*addr = "127.0.0.1:8080"
	}
	if *tok == "" {
		*tok = getenv("AUTHSWITCH_TOKEN")
	}
	rest := global.Args()
	if len(rest) < 2 {
		global.Usage()
		return 2
	}
	if *tok == "" {
		fmt.Fprintln(stderr, "switchctl: no token: set AUTHSWITCH_TOKEN or --token")
		return 2
	}
	c, err := client.New(*addr, *tok)
	if err != nil {
		fmt.Fprintln(stderr, "switchctl:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cmd := &command{c: c, ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	err = cmd.dispatch(rest[0], rest[1], rest[2:])
	var apiErr *resource.Error
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "switchctl:", err)
		return 2
	case errors.As(err, &apiErr):
		msg := fmt.Sprintf("switchctl: %d %s: %s", apiErr.Status, apiErr.Code, apiErr.Message)
		if apiErr.Param != "" {
			msg += " (" + apiErr.Param + ")"
		}
		fmt.Fprintln(stderr, msg)
	default:
		fmt.Fprintln(stderr, "switchctl:", err)
	}
	if cmd.key != "" {
		fmt.Fprintf(stderr, "switchctl: idempotency key %s: retry with --idempotency-key %s to avoid moving money twice\n", cmd.key, cmd.key)
	}
	return 1
}

type command struct {
	c      *client.Client
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	key    string // the idempotency key of a money move, printed on failure
}

// flags parses a verb's flags wherever they are among its positional
// arguments, and checks the number of those.
func flags(fs *flag.FlagSet, args []string, minPos, maxPos int, usage string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError("%s: %v", usage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < minPos || len(pos) > maxPos {
		return nil, usageError("%s", usage)
	}
	return pos, nil
}

func amount(s string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, usageError("amount %q: an integer number of minor units (cents)", s)
	}
	return v, nil
}

func (cmd *command) print(v any) error {
	enc := json.NewEncoder(cmd.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// moneyKey returns the idempotency key of a money move: the given one or a
// fresh one, remembered to print if the move fails.
func (cmd *command) moneyKey(given string) string {
	if given == "" {
		given = client.NewIdempotencyKey()
	}
	cmd.key = given
	return given
}

func (cmd *command) dispatch(resourceName, verb string, args []string) error {
	switch resourceName {
	case "accounts", "account":
		return cmd.accounts(verb, args)
	case "cards", "card":
		return cmd.cards(verb, args)
	case "authorizations", "authorization", "auths":
		return cmd.authorizations(verb, args)
	case "holds", "hold":
		return cmd.holds(verb, args)
	case "rules":
		return cmd.rules(verb, args)
	}
	return usageError("unknown resource %q (accounts, cards, authorizations, holds, rules)", resourceName)
}

func (cmd *command) accounts(verb string, args []string) error {
	fs := flag.NewFlagSet("accounts "+verb, flag.ContinueOnError)
	switch verb {
	case "get":
		pos, err := flags(fs, args, 1, 1, "accounts get ID")
		if err != nil {
			return err
		}
		a, err := cmd.c.GetAccount(cmd.ctx, pos[0])
		if err != nil {
			return err
		}
		return cmd.print(a)
	case "create":
		var p resource.AccountCreateParams
		fs.StringVar(&p.ID, "id", "", "account id (generated when empty)")
		fs.StringVar(&p.Currency, "currency", "", "ISO 4217 alphabetic currency")
		fs.Int64Var(&p.Balance, "balance", 0, "opening balance, minor units")
		fs.Int64Var(&p.CreditLimit, "credit-limit", 0, "credit limit, minor units")
		key := fs.String("idempotency-key", "", "idempotency key")
		if _, err := flags(fs, args, 0, 0, "accounts create --currency USD [--id ID] [--balance N] [--credit-limit N]"); err != nil {
			return err
		}
		if p.Currency == "" {
			return usageError("accounts create: --currency is required")
		}
		a, err := cmd.c.CreateAccount(cmd.ctx, p, cmd.moneyKey(*key))
		if err != nil {
			return err
		}
		return cmd.print(a)
	case "fund", "debit":
		desc := fs.String("description", "", "what the adjustment is for")
		key := fs.String("idempotency-key", "", "idempotency key")
		pos, err := flags(fs, args, 2, 2, "accounts "+verb+" ID AMOUNT [--description TEXT]")
		if err != nil {
			return err
		}
		n, err := amount(pos[1])
		if err != nil {
			return err
		}
		p := resource.AdjustParams{Amount: n, Description: *desc}
		var adj resource.Adjustment
		if verb == "fund" {
			adj, err = cmd.c.Fund(cmd.ctx, pos[0], p, cmd.moneyKey(*key))
		} else {
			adj, err = cmd.c.Debit(cmd.ctx, pos[0], p, cmd.moneyKey(*key))
		}
		if err != nil {
			return err
		}
		return cmd.print(adj)
	case "freeze", "unfreeze", "close":
		pos, err := flags(fs, args, 1, 1, "accounts "+verb+" ID")
		if err != nil {
			return err
		}
		status := map[string]string{"freeze": "frozen", "unfreeze": "active", "close": "closed"}[verb]
		a, err := cmd.c.UpdateAccount(cmd.ctx, pos[0], resource.AccountUpdateParams{Status: &status})
		if err != nil {
			return err
		}
		return cmd.print(a)
	}
	return usageError("accounts: unknown verb %q (get, create, fund, debit, freeze, unfreeze, close)", verb)
}

func (cmd *command) cards(verb string, args []string) error {
	fs := flag.NewFlagSet("cards "+verb, flag.ContinueOnError)
	switch verb {
	case "get":
		pos, err := flags(fs, args, 1, 1, "cards get ID")
		if err != nil {
			return err
		}
		k, err := cmd.c.GetCard(cmd.ctx, pos[0])
		if err != nil {
			return err
		}
		return cmd.print(k)
	case "create":
		var p resource.CardCreateParams
		fs.StringVar(&p.ID, "id", "", "card id (generated when empty)")
		fs.StringVar(&p.Account, "account", "", "account id")
		fs.StringVar(&p.Cardholder, "cardholder", "", "cardholder id")
		fs.StringVar(&p.Expiry, "expiry", "", "expiry, YYMM")
		fs.StringVar(&p.Network, "network", "", "visa or mastercard")
		key := fs.String("idempotency-key", "", "idempotency key")
		usage := "cards create --account ID --expiry YYMM --network visa|mastercard [--id ID] [--cardholder ID] < card-number"
		if _, err := flags(fs, args, 0, 0, usage); err != nil {
			return err
		}
		pan, err := readPAN(cmd.stdin)
		if err != nil {
			return err
		}
		p.PAN = pan
		k, err := cmd.c.CreateCard(cmd.ctx, p, *key)
		if err != nil {
			return err
		}
		return cmd.print(k)
	case "freeze", "unfreeze":
		pos, err := flags(fs, args, 1, 1, "cards "+verb+" ID")
		if err != nil {
			return err
		}
		status := map[string]string{"freeze": "inactive", "unfreeze": "active"}[verb]
		k, err := cmd.c.UpdateCard(cmd.ctx, pos[0], resource.CardUpdateParams{Status: &status})
		if err != nil {
			return err
		}
		return cmd.print(k)
	case "cancel":
		reason := fs.String("reason", "", "lost or stolen")
		pos, err := flags(fs, args, 1, 1, "cards cancel ID --reason lost|stolen")
		if err != nil {
			return err
		}
		if *reason != "lost" && *reason != "stolen" {
			return usageError("cards cancel: --reason is lost or stolen")
		}
		status := "canceled"
		k, err := cmd.c.UpdateCard(cmd.ctx, pos[0], resource.CardUpdateParams{Status: &status, CancellationReason: reason})
		if err != nil {
			return err
		}
		return cmd.print(k)
	}
	return usageError("cards: unknown verb %q (get, create, freeze, unfreeze, cancel)", verb)
}

// readPAN reads a card number from the first line of r. It never echoes
// it: a malformed line is refused without quoting it.
func readPAN(r io.Reader) (string, error) {
	line, err := bufio.NewReaderSize(r, 64).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", usageError("cards create: write the card number on standard input")
	}
	pan := strings.TrimSpace(line)
	if len(pan) < 13 || len(pan) > 19 || strings.Trim(pan, "0123456789") != "" {
		return "", usageError("cards create: standard input's first line is not a card number (13 to 19 digits)")
	}
	return pan, nil
}

func (cmd *command) authorizations(verb string, args []string) error {
	fs := flag.NewFlagSet("authorizations "+verb, flag.ContinueOnError)
	switch verb {
	case "get":
		pos, err := flags(fs, args, 1, 1, "authorizations get ID")
		if err != nil {
			return err
		}
		a, err := cmd.c.GetAuthorization(cmd.ctx, pos[0])
		if err != nil {
			return err
		}
		return cmd.print(a)
	case "list":
		var q client.AuthorizationQuery
		fs.StringVar(&q.Card, "card", "", "card id")
		fs.StringVar(&q.Account, "account", "", "account id")
		fs.IntVar(&q.Limit, "limit", 10, "authorizations per page, 1–100")
		fs.StringVar(&q.StartingAfter, "starting-after", "", "the last id of the previous page")
		table := fs.Bool("table", false, "print a table instead of JSON")
		if _, err := flags(fs, args, 0, 0, "authorizations list --card ID | --account ID [--limit N] [--starting-after ID] [--table]"); err != nil {
			return err
		}
		if (q.Card == "") == (q.Account == "") {
			return usageError("authorizations list: give --card or --account")
		}
		l, err := cmd.c.ListAuthorizations(cmd.ctx, q)
		if err != nil {
			return err
		}
		if !*table {
			return cmd.print(l)
		}
		tw := tabwriter.NewWriter(cmd.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tCREATED\tNETWORK\tKIND\tCARD\tAMOUNT\tDECISION\tCODE\tREASON")
		for _, a := range l.Data {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d %s\t%s\t%s\t%s\n", a.ID,
				time.Unix(a.Created, 0).UTC().Format(time.RFC3339), a.Network, a.Kind, a.Card, a.Amount, a.Currency,
				a.Decision, a.ResponseCode, a.Reason)
		}
		if l.HasMore && len(l.Data) > 0 {
			fmt.Fprintf(tw, "(more: --starting-after %s)\n", l.Data[len(l.Data)-1].ID)
		}
		return tw.Flush()
	}
	return usageError("authorizations: unknown verb %q (get, list)", verb)
}

func (cmd *command) holds(verb string, args []string) error {
	fs := flag.NewFlagSet("holds "+verb, flag.ContinueOnError)
	account := fs.String("account", "", "the hold's account (found from the hold when empty)")
	key := fs.String("idempotency-key", "", "idempotency key")
	switch verb {
	case "capture":
		pos, err := flags(fs, args, 2, 2, "holds capture ID AMOUNT [--account ID]")
		if err != nil {
			return err
		}
		n, err := amount(pos[1])
		if err != nil {
			return err
		}
		k, err := cmd.c.CaptureHold(cmd.ctx, pos[0], resource.HoldCaptureParams{Amount: n, Account: *account}, cmd.moneyKey(*key))
		if err != nil {
			return err
		}
		return cmd.print(k)
	case "release":
		pos, err := flags(fs, args, 1, 2, "holds release ID [AMOUNT] [--account ID]")
		if err != nil {
			return err
		}
		var n int64
		if len(pos) == 2 {
			if n, err = amount(pos[1]); err != nil {
				return err
			}
		}
		r, err := cmd.c.ReleaseHold(cmd.ctx, pos[0], resource.HoldReleaseParams{Amount: n, Account: *account}, cmd.moneyKey(*key))
		if err != nil {
			return err
		}
		return cmd.print(r)
	}
	return usageError("holds: unknown verb %q (capture, release)", verb)
}

func (cmd *command) rules(verb string, args []string) error {
	fs := flag.NewFlagSet("rules "+verb, flag.ContinueOnError)
	if _, err := flags(fs, args, 0, 0, "rules "+verb); err != nil {
		return err
	}
	var l resource.List[resource.ProgramRule]
	var err error
	switch verb {
	case "list":
		l, err = cmd.c.ListProgramRules(cmd.ctx)
	case "reload":
		l, err = cmd.c.ReloadProgramRules(cmd.ctx)
	default:
		return usageError("rules: unknown verb %q (list, reload)", verb)
	}
	if err != nil {
		return err
	}
	return cmd.print(l)
}
