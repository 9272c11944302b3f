package daemon

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/authswitch/authswitch/spec"
	netswitch "github.com/authswitch/authswitch/switch"
)

// Config is switchd's configuration: one YAML file (--config) plus flags,
// flags winning. Every field has an embedded default, so switchd runs with
// no file at all.
type Config struct {
	DataDir   string `yaml:"data_dir"`
	Portfolio string `yaml:"portfolio"`
	AdminAddr string `yaml:"admin_addr"`
	LogLevel  string `yaml:"log_level"`
	// Demo loads the embedded demo portfolio when the store is empty.
	Demo bool `yaml:"demo"`

	Visa       NetworkConfig `yaml:"visa"`
	Mastercard NetworkConfig `yaml:"mastercard"`

	Security SecurityConfig `yaml:"security"`
	Ledger   LedgerConfig   `yaml:"ledger"`
	Rules    RulesConfig    `yaml:"rules"`
	Feed     FeedConfig     `yaml:"feed"`
	Admin    AdminConfig    `yaml:"admin"`

	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
}

// NetworkConfig is one network's listener (see netswitch.ListenerConfig).
type NetworkConfig struct {
	Addr           string    `yaml:"addr"`
	MaxConns       int       `yaml:"max_conns"`
	MaxInFlight    int       `yaml:"max_in_flight"`
	MaxFrame       int       `yaml:"max_frame"`
	Deadline       Duration  `yaml:"deadline"`
	IdleEcho       Duration  `yaml:"idle_echo"`
	EchoMisses     int       `yaml:"echo_misses"`
	PartialTimeout Duration  `yaml:"partial_timeout"`
	WriteTimeout   Duration  `yaml:"write_timeout"`
	StandIn        string    `yaml:"stand_in"`
	StandInLimit   int64     `yaml:"stand_in_limit"`
	Station        string    `yaml:"station"`
	TLS            TLSConfig `yaml:"tls"`
}

// TLSConfig turns on TLS for a listener; ClientCA turns on mutual TLS.
type TLSConfig struct {
	Cert     string `yaml:"cert"`
	Key      string `yaml:"key"`
	ClientCA string `yaml:"client_ca"`
}

// SecurityConfig holds the key cards are indexed by.
type SecurityConfig struct {
	// PANKey is the HMAC key (hex, ≥ 32 bytes) that turns a PAN into the
	// card's index; AUTHSWITCH_PAN_KEY overrides it. Changing it makes
	// every stored card unreachable: keep it with the data directory.
	PANKey string `yaml:"pan_key"`
}

// LedgerConfig tunes the ledger.
type LedgerConfig struct {
	HoldExpiry     Duration `yaml:"hold_expiry"`
	LongHoldExpiry Duration `yaml:"long_hold_expiry"`
	ExpirySweep    Duration `yaml:"expiry_sweep"`
	NoSync         bool     `yaml:"no_sync"` // benchmarks only: a crash loses approvals
}

// RulesConfig tunes the rules engine.
type RulesConfig struct {
	ProgramRules string   `yaml:"program_rules"` // CEL rules file, reloadable
	Chain        []string `yaml:"chain"`         // check order; empty = the documented default
	// CacheMB bounds the reference cache (approximate MiB of cached cards,
	// cardholders and accounts; a card with its account and cardholder
	// costs about 1 KiB). The default holds some four million cards, so a
	// portfolio that size is decided without reading storage; memory
	// follows what is loaded, not the bound.
	CacheMB int `yaml:"cache_mb"`
}

// FeedConfig configures the decision feed.
type FeedConfig struct {
	Sink        string `yaml:"sink"` // "file" (default) or "nats"
	Dir         string `yaml:"dir"`  // segment files; default <data_dir>/feed
	NATSURL     string `yaml:"nats_url"`
	Environment string `yaml:"environment"`
	// MaxBacklog bounds unshipped entries; past it OverBoundPolicy applies.
	MaxBacklog      int64  `yaml:"max_backlog"`
	OverBoundPolicy string `yaml:"over_bound_policy"` // "approve_and_alert" (default) or "decline_91"
}

// AdminConfig configures the admin API.
type AdminConfig struct {
	// Tokens are the bearer tokens the admin API accepts;
	// AUTHSWITCH_ADMIN_TOKENS (comma-separated) adds to them.
	Tokens       []string `yaml:"tokens"`
	MaxBodyBytes int64    `yaml:"max_body_bytes"`
}

// Duration is a time.Duration written as "1.5s" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// String implements flag.Value.
func (d *Duration) String() string { return time.Duration(*d).String() }

// Set implements flag.Value.
func (d *Duration) Set(s string) error {
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Default returns the embedded defaults: loopback listeners, Pebble under
// ./data, the file feed, 1.5 s deadlines and decline-91 stand-in.
func Default() Config {
	listener := func(n spec.Network, addr string) NetworkConfig {
		l := netswitch.DefaultListener(n, addr)
		return NetworkConfig{
			Addr:           addr,
			MaxConns:       l.MaxConns,
			MaxInFlight:    l.MaxInFlight,
			MaxFrame:       l.MaxFrame,
			Deadline:       Duration(l.Deadline),
			IdleEcho:       Duration(l.IdleEcho),
			EchoMisses:     l.EchoMisses,
			PartialTimeout: Duration(l.PartialTimeout),
			WriteTimeout:   Duration(l.WriteTimeout),
			StandIn:        string(l.StandIn),
			Station:        l.Station,
		}
	}
	return Config{
		DataDir:    "data",
		AdminAddr:  "127.0.0.1:8080",
		LogLevel:   "info",
		Visa:       listener(spec.Visa, "127.0.0.1:8583"),
		Mastercard: listener(spec.Mastercard, "127.0.0.1:8584"),
		Ledger: LedgerConfig{
			HoldExpiry:     Duration(7 * 24 * time.Hour),
			LongHoldExpiry: Duration(31 * 24 * time.Hour),
			ExpirySweep:    Duration(time.Minute),
		},
		Rules: RulesConfig{CacheMB: 4096},
		Feed: FeedConfig{
			Sink:            "file",
			Environment:     "dev",
			MaxBacklog:      10_000_000,
			OverBoundPolicy: "approve_and_alert",
		},
		Admin:           AdminConfig{MaxBodyBytes: 1 << 20},
		ShutdownTimeout: Duration(10 * time.Second),
	}
}

// ErrUsage is returned for bad flags or configuration; the message says
// which setting and why.
var ErrUsage = errors.New("usage")

// Load builds the configuration from the defaults, the --config file and
// the flags in args (flags win), then validates it.
func Load(args []string, stderr io.Writer) (Config, error) {
	cfg := Default()
	fs := flag.NewFlagSet("switchd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		configFile = fs.String("config", "", "YAML configuration file")
		visaAddr   = fs.String("visa-addr", "", "Visa listener HOST:PORT (empty in the file disables it)")
		mcAddr     = fs.String("mc-addr", "", "Mastercard listener HOST:PORT")
		adminAddr  = fs.String("admin-addr", "", "admin HTTP (metrics, health, API) HOST:PORT")
		dataDir    = fs.String("data-dir", "", "directory of the ledger, the reference store and the feed")
		portfolio  = fs.String("portfolio", "", "portfolio file (JSON Lines) to load at start-up")
		demo       = fs.Bool("demo", false, "load the embedded demo portfolio")
		feedSink   = fs.String("feed", "", "feed sink: file or nats")
		natsURL    = fs.String("nats-url", "", "NATS server URL for --feed=nats")
		logLevel   = fs.String("log-level", "", "debug, info, warn or error")
		noSync     = fs.Bool("no-sync", false, "commit the journal without fsync (benchmarks only: a crash loses approvals)")
	)
	if err := fs.Parse(args); err != nil {
		return cfg, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	if *configFile != "" {
		raw, err := os.ReadFile(*configFile)
		if err != nil {
			return cfg, fmt.Errorf("%w: config: %v", ErrUsage, err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("%w: config %s: %v", ErrUsage, *configFile, err)
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["visa-addr"] {
		cfg.Visa.Addr = *visaAddr
	}
	if set["mc-addr"] {
		cfg.Mastercard.Addr = *mcAddr
	}
	if set["admin-addr"] {
		cfg.AdminAddr = *adminAddr
	}
	if set["data-dir"] {
		cfg.DataDir = *dataDir
	}
	if set["portfolio"] {
		cfg.Portfolio = *portfolio
	}
	if set["demo"] {
		cfg.Demo = *demo
	}
	if set["feed"] {
		cfg.Feed.Sink = *feedSink
	}
	if set["nats-url"] {
		cfg.Feed.NATSURL = *natsURL
	}
	if set["log-level"] {
		cfg.LogLevel = *logLevel
	}
	if set["no-sync"] {
		cfg.Ledger.NoSync = *noSync
	}
	if v := os.Getenv("AUTHSWITCH_PAN_KEY"); v != "" {
		cfg.Security.PANKey = v
	}
	if v := os.Getenv("AUTHSWITCH_ADMIN_TOKENS"); v != "" {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				cfg.Admin.Tokens = append(cfg.Admin.Tokens, t)
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// Validate checks the whole configuration, naming the setting at fault.
func (c *Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
	}
	if c.DataDir == "" {
		return bad("data_dir must be set")
	}
	if c.AdminAddr != "" {
		if _, _, err := net.SplitHostPort(c.AdminAddr); err != nil {
			return bad("admin_addr %q: %v", c.AdminAddr, err)
		}
	}
	if c.Visa.Addr == "" && c.Mastercard.Addr == "" {
		return bad("no network listener: set visa.addr or mastercard.addr")
	}
	for _, l := range c.Listeners() {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	for name, n := range map[string]NetworkConfig{"visa": c.Visa, "mastercard": c.Mastercard} {
		if (n.TLS.Cert == "") != (n.TLS.Key == "") {
			return bad("%s.tls: cert and key go together", name)
		}
		if n.TLS.ClientCA != "" && n.TLS.Cert == "" {
			return bad("%s.tls.client_ca needs cert and key", name)
		}
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		return bad("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	if c.Security.PANKey != "" {
		k, err := hex.DecodeString(c.Security.PANKey)
		if err != nil || len(k) < 32 {
			return bad("security.pan_key must be at least 32 bytes of hex")
		}
	}
	if time.Duration(c.Ledger.HoldExpiry) < time.Minute || time.Duration(c.Ledger.LongHoldExpiry) < time.Duration(c.Ledger.HoldExpiry) {
		return bad("ledger.hold_expiry must be ≥ 1m and long_hold_expiry ≥ hold_expiry")
	}
	if time.Duration(c.Ledger.ExpirySweep) < time.Second {
		return bad("ledger.expiry_sweep must be at least 1s")
	}
	if c.Rules.CacheMB < 1 {
		return bad("rules.cache_mb must be at least 1")
	}
	switch c.Feed.Sink {
	case "file":
	case "nats":
		if c.Feed.NATSURL == "" {
			return bad("feed.sink nats needs feed.nats_url (or --nats-url)")
		}
	default:
		return bad("feed.sink %q: want file or nats", c.Feed.Sink)
	}
	switch c.Feed.OverBoundPolicy {
	case "approve_and_alert", "decline_91":
	default:
		return bad("feed.over_bound_policy %q: want approve_and_alert or decline_91", c.Feed.OverBoundPolicy)
	}
	if c.Feed.MaxBacklog < 1 {
		return bad("feed.max_backlog must be at least 1")
	}
	if c.Admin.MaxBodyBytes < 1024 {
		return bad("admin.max_body_bytes must be at least 1024")
	}
	return nil
}

// Listeners turns the network sections into listener configurations (TLS
// files are loaded by TLSConfigs).
func (c *Config) Listeners() []netswitch.ListenerConfig {
	var out []netswitch.ListenerConfig
	for _, p := range []struct {
		n spec.Network
		c NetworkConfig
	}{{spec.Visa, c.Visa}, {spec.Mastercard, c.Mastercard}} {
		if p.c.Addr == "" {
			continue
		}
		out = append(out, netswitch.ListenerConfig{
			Network:        p.n,
			Addr:           p.c.Addr,
			MaxConns:       p.c.MaxConns,
			MaxInFlight:    p.c.MaxInFlight,
			MaxFrame:       p.c.MaxFrame,
			Deadline:       time.Duration(p.c.Deadline),
			IdleEcho:       time.Duration(p.c.IdleEcho),
			EchoMisses:     p.c.EchoMisses,
			PartialTimeout: time.Duration(p.c.PartialTimeout),
			WriteTimeout:   time.Duration(p.c.WriteTimeout),
			StandIn:        netswitch.StandInPolicy(p.c.StandIn),
			StandInLimit:   p.c.StandInLimit,
			Station:        p.c.Station,
		})
	}
	return out
}

// tlsConfig loads a listener's certificates; nil when TLS is off.
func (n *NetworkConfig) tlsConfig() (*tls.Config, error) {
	if n.TLS.Cert == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(n.TLS.Cert, n.TLS.Key)
	if err != nil {
		return nil, fmt.Errorf("tls key pair: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if n.TLS.ClientCA != "" {
		pem, err := os.ReadFile(n.TLS.ClientCA)
		if err != nil {
			return nil, fmt.Errorf("tls client_ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("tls client_ca %s: no certificate found", n.TLS.ClientCA)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
