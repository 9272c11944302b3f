package daemon

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/feedrun"
	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/spec"
	netswitch "github.com/authswitch/authswitch/switch"
	"github.com/authswitch/authswitch/switch/admin"
	"github.com/authswitch/authswitch/switch/admin/authindex"
)

//go:embed demo.jsonl
var demoPortfolio []byte

// largePortfolio is the number of cards from which start-up waits for the
// reference store's compactions before taking traffic.
const largePortfolio = 100_000

// Daemon is a running switch: ledger, rules, sessions, admin HTTP.
type Daemon struct {
	cfg      Config
	log      *slog.Logger
	reg      *prometheus.Registry
	ledger   *ledger.Ledger
	engine   *rules.Engine
	server   *netswitch.Server
	admin    *http.Server
	adminLn  net.Listener
	adminAPI *admin.API       // nil without admin tokens
	authIdx  *authindex.Index // nil without admin tokens
	feed     *feedrun.Feed
	feedDone chan error
	stop     chan struct{}
	bg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// Start opens the data directory, loads the portfolio, binds every
// listener and returns a switch ready for traffic.
func Start(cfg Config, logOut io.Writer) (*Daemon, error) {
	log := newLogger(cfg.LogLevel, logOut)
	d := &Daemon{cfg: cfg, log: log, reg: prometheus.NewRegistry(), stop: make(chan struct{})}
	d.reg.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	ok := false
	defer func() {
		if !ok {
			d.closeStores()
		}
	}()

	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	panKey, err := d.panKey()
	if err != nil {
		return nil, err
	}
	d.ledger, err = ledger.Open(ledger.Options{
		Dir:           filepath.Join(cfg.DataDir, "ledger"),
		NoSync:        cfg.Ledger.NoSync,
		DefaultExpiry: time.Duration(cfg.Ledger.HoldExpiry),
		LongExpiry:    time.Duration(cfg.Ledger.LongHoldExpiry),
		Registerer:    d.reg,
		Logger:        log.With("component", "ledger"),
	})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	d.engine, err = rules.New(rules.Options{
		Ledger:       d.ledger,
		StoreDir:     filepath.Join(cfg.DataDir, "refdata"),
		PANKey:       panKey,
		CacheBytes:   int64(cfg.Rules.CacheMB) << 20,
		ProgramRules: cfg.Rules.ProgramRules,
		Chain:        cfg.Rules.Chain,
		Registerer:   d.reg,
		Logger:       log.With("component", "rules"),
	})
	if err != nil {
		return nil, fmt.Errorf("start rules engine: %w", err)
	}
	if cfg.Demo {
		st, err := d.engine.LoadPortfolio(bytes.NewReader(demoPortfolio))
		if err != nil {
			return nil, fmt.Errorf("demo portfolio: %w", err)
		}
		log.Info("demo portfolio loaded", "cards", st.Cards, "accounts", st.Accounts)
	}
	if cfg.Portfolio != "" {
		f, err := os.Open(cfg.Portfolio)
		if err != nil {
			return nil, fmt.Errorf("portfolio: %w", err)
		}
		st, err := d.engine.LoadPortfolio(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("portfolio %s: %w", cfg.Portfolio, err)
		}
		log.Info("portfolio loaded", "file", cfg.Portfolio, "cards", st.Cards, "accounts", st.Accounts,
			"cardholders", st.Cardholders, "card_keys", st.CardKeys, "duration", st.Duration)
		if st.Cards >= largePortfolio {
			// A large load leaves compactions behind it; traffic taken
			// while they run pays for them in read amplification.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := d.engine.Store().WaitCompactions(ctx)
			cancel()
			log.Info("reference store compacted after the load", "waited_error", err)
		}
	}

	listeners := cfg.Listeners()
	for i := range listeners {
		nc := cfg.Visa
		if listeners[i].Network == spec.Mastercard {
			nc = cfg.Mastercard
		}
		if listeners[i].TLS, err = nc.tlsConfig(); err != nil {
			return nil, fmt.Errorf("%s listener: %w", listeners[i].Network, err)
		}
	}
	d.server, err = netswitch.New(netswitch.Options{
		Listeners:  listeners,
		Decider:    netswitch.RulesDecider(d.engine),
		Durability: d.ledger,
		Refuse:     d.feedOverBound,
		Logger:     log.With("component", "sessions"),
		Registerer: d.reg,
	})
	if err != nil {
		return nil, err
	}
	if cfg.AdminAddr != "" && len(cfg.Admin.Tokens) > 0 {
		d.authIdx, err = authindex.Open(authindex.Options{Dir: filepath.Join(cfg.DataDir, "authindex"),
			Logger: log.With("component", "authindex")})
		if err != nil {
			return nil, fmt.Errorf("authorization index: %w", err)
		}
		d.adminAPI, err = admin.New(admin.Options{Engine: d.engine, Ledger: d.ledger, Index: d.authIdx,
			Tokens: cfg.Admin.Tokens, MaxBodyBytes: cfg.Admin.MaxBodyBytes, StateDir: filepath.Join(cfg.DataDir, "admin"),
			Logger: log.With("component", "admin"), Registerer: d.reg, Audit: d.journalAudit})
		if err != nil {
			return nil, fmt.Errorf("admin API: %w", err)
		}
	}
	if err := d.openFeed(); err != nil {
		return nil, err
	}
	if cfg.AdminAddr != "" {
		if d.adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
			return nil, fmt.Errorf("admin listener: %w", err)
		}
		d.admin = &http.Server{Handler: d.adminHandler(), ReadHeaderTimeout: 5 * time.Second}
		go d.admin.Serve(d.adminLn)
	}
	if err := d.server.Start(); err != nil {
		if d.admin != nil {
			d.admin.Close()
		}
		return nil, err
	}
	d.bg.Add(1)
	go d.sweepExpired()
	ok = true
	log.Info("switch ready", "visa", addrString(d.server.Addr(spec.Visa)),
		"mastercard", addrString(d.server.Addr(spec.Mastercard)), "admin", d.AdminAddr())
	return d, nil
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// Addr returns a network listener's bound address.
func (d *Daemon) Addr(n spec.Network) net.Addr { return d.server.Addr(n) }

// AdminAddr returns the admin listener's bound address ("" when off).
func (d *Daemon) AdminAddr() string {
	if d.adminLn == nil {
		return ""
	}
	return d.adminLn.Addr().String()
}

// Ledger returns the ledger (for tests and the admin API).
func (d *Daemon) Ledger() *ledger.Ledger { return d.ledger }

// Engine returns the rules engine.
func (d *Daemon) Engine() *rules.Engine { return d.engine }

// ReloadProgramRules reads the program rules file again (SIGHUP).
func (d *Daemon) ReloadProgramRules() error {
	if d.cfg.Rules.ProgramRules == "" {
		return nil
	}
	err := d.engine.ReloadProgramRules()
	if err != nil {
		d.log.Error("program rules not reloaded; the previous set stays", "file", d.cfg.Rules.ProgramRules, "error", err)
	} else {
		d.log.Info("program rules reloaded", "file", d.cfg.Rules.ProgramRules, "rules", len(d.engine.ProgramRules()))
	}
	return err
}

// Shutdown stops accepting, answers every request in flight, stops the
// admin API, then syncs and closes the journal and the stores.
func (d *Daemon) Shutdown(ctx context.Context) error {
	d.once.Do(func() {
		d.log.Info("shutting down")
		err := d.server.Shutdown(ctx)
		close(d.stop)
		d.bg.Wait()
		if d.feed != nil {
			// What the feed has not shipped stays in the journal's outbox
			// and goes at the next start.
			err = errors.Join(err, d.feed.Close())
			if ferr := <-d.feedDone; ferr != nil {
				err = errors.Join(err, fmt.Errorf("feed: %w", ferr))
			}
		}
		if d.admin != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = d.admin.Shutdown(sctx)
			cancel()
		}
		d.closeErr = errors.Join(err, d.closeStores())
		d.log.Info("stopped", "error", d.closeErr)
	})
	return d.closeErr
}

func (d *Daemon) closeStores() error {
	var errs []error
	if d.feed != nil && d.feedDone != nil {
		select {
		case <-d.stop:
		default: // Start failed after the feed started: stop it first
			errs = append(errs, d.feed.Close())
			<-d.feedDone
		}
	}
	if d.adminAPI != nil {
		errs = append(errs, d.adminAPI.Close())
	}
	if d.authIdx != nil {
		errs = append(errs, d.authIdx.Close())
	}
	if d.engine != nil {
		errs = append(errs, d.engine.Close())
	}
	if d.ledger != nil {
		errs = append(errs, d.ledger.Close())
	}
	return errors.Join(errs...)
}

// sweepExpired releases expired holds, a bounded number per sweep.
func (d *Daemon) sweepExpired() {
	defer d.bg.Done()
	t := time.NewTicker(time.Duration(d.cfg.Ledger.ExpirySweep))
	defer t.Stop()
	for {
		select {
		case <-d.stop:
			return
		case now := <-t.C:
			for i := 0; i < 100; i++ {
				if d.ledger.ExpireDue(now, 10_000) < 10_000 {
					break
				}
			}
			if d.authIdx != nil {
				if _, err := d.authIdx.Prune(now.Add(-authindex.DefaultRetention), 10_000); err != nil {
					d.log.Warn("pruning the authorization index", "err", err)
				}
			}
		}
	}
}

// panKey returns the configured PAN key, or the data directory's own,
// created on first start (kept beside the data it indexes).
func (d *Daemon) panKey() ([]byte, error) {
	if d.cfg.Security.PANKey != "" {
		return hex.DecodeString(d.cfg.Security.PANKey)
	}
	path := filepath.Join(d.cfg.DataDir, "pan.key")
	raw, err := os.ReadFile(path)
	if err == nil {
		k, err := hex.DecodeString(strings.TrimSpace(string(raw)))
		if err != nil || len(k) < 32 {
			return nil, fmt.Errorf("%s: not a hex key of at least 32 bytes", path)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("pan key: %w", err)
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("pan key: %w", err)
	}
	d.log.Info("created a PAN key for this data directory", "file", path)
	return k, nil
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// adminHandler serves metrics and health; the admin API mounts here too.
func (d *Daemon) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{Registry: d.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := d.ledger.Err(); err != nil {
			http.Error(w, "ledger: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	if d.adminAPI != nil {
		d.adminAPI.Register(mux) // /v1/…
	}
	// Profiles for operators measuring the switch (admin port only).
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if reason := d.notReady(); reason != "" {
			http.Error(w, reason, http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	return mux
}

// notReady says why the switch should not get traffic ("" when ready).
func (d *Daemon) notReady() string {
	if err := d.ledger.Err(); err != nil {
		return "ledger: " + err.Error()
	}
	if err := d.feed.Ready(); err != nil {
		return fmt.Sprintf("feed: %v (%+v)", err, d.feed.Status())
	}
	select {
	case <-d.stop:
		return "shutting down"
	default:
	}
	return ""
}

// openFeed starts the publisher of the journal to the configured sink,
// with each entry's answer described (describedJournal). With the admin
// API on, every entry is indexed (for the authorization routes) before the
// feed may acknowledge it.
func (d *Daemon) openFeed() error {
	opts := feed.Options{Registerer: d.reg, Logger: d.log.With("component", "feed")}
	if d.authIdx != nil {
		// Indexed before the feed may acknowledge: the index never has a gap.
		opts.Observe = d.authIdx.Add
	}
	dir := d.cfg.Feed.Dir
	if dir == "" {
		dir = filepath.Join(d.cfg.DataDir, "feed")
	}
	f, err := feedrun.Open(context.Background(), describedJournal{d.ledger}, feedrun.Config{
		Sink:            d.cfg.Feed.Sink,
		Dir:             dir,
		NATSURL:         d.cfg.Feed.NATSURL,
		Environment:     d.cfg.Feed.Environment,
		Replicas:        1,
		MaxBacklog:      uint64(d.cfg.Feed.MaxBacklog),
		OverBoundPolicy: d.cfg.Feed.OverBoundPolicy,
	}, opts)
	if err != nil {
		return fmt.Errorf("feed: %w", err)
	}
	d.feed = f
	d.feedDone = make(chan error, 1)
	go func() { d.feedDone <- f.Run(context.Background()) }()
	return nil
}

// feedOverBound reports that the feed's backlog is past its bound under
// the decline_91 policy: new authorizations are then refused.
func (d *Daemon) feedOverBound() bool { return d.feed.Decline91() }

// journalAudit records an admin write in the ledger's journal, so that the
// feed publishes who changed what: reference-data writes have no journal
// entry of their own, and a money movement's audit names its entry (Ref).
// The API answers only once the record is durable.
func (d *Daemon) journalAudit(ev admin.AuditEvent) {
	res := d.ledger.RecordAudit(&ledger.Audit{Actor: ev.Actor, Action: ev.Action, Object: ev.Object,
		RequestID: ev.RequestID, Ref: ev.JournalSeq, At: ev.Time})
	if res.Status == ledger.Declined {
		d.log.Error("audit record refused by the ledger", "action", ev.Action, "request_id", ev.RequestID,
			"reason", res.Reason.String())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := d.ledger.WaitDurable(ctx, res.Seq); err != nil {
		d.log.Error("audit record not durable", "action", ev.Action, "request_id", ev.RequestID, "error", err)
	}
}
