package admin

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/switch/admin/authindex"
)

// Options configure the API.
type Options struct {
	// Engine is the rules engine: reference data and program rules.
	// Required.
	Engine *rules.Engine
	// Ledger holds balances and holds; it must be the engine's. Required.
	Ledger *ledger.Ledger
	// Index is the authorization index the feed keeps. Without it the
	// authorization routes and the captures by life-cycle key answer 503,
	// and holds are found only when the request names their account.
	Index *authindex.Index

	// Tokens are the accepted bearer tokens: "secret" or "name:secret",
	// the name (lower-case letters, digits, '.', '_', '-'; up to 32)
	// naming the actor in the audit trail. Secrets must be at least
	// MinTokenLen characters. At least one token is required.
	Tokens []string
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64

	// StateDir is the API's own Pebble directory: kept idempotent answers
	// and creation times. Empty keeps them in memory (tests).
	StateDir string
	// IdempotencyTTL is how long an answer is kept for its idempotency key
	// (default 15 days: longer than the ledger remembers requests, at most
	// twice its retention of 7 days by default, so that within the ledger's
	// memory a reused key is always answered here, with its answer or 409).
	IdempotencyTTL time.Duration

	// Audit, when set, receives every audited write (after it is durable).
	// It must not block.
	Audit func(AuditEvent)

	Logger     *slog.Logger
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// MinTokenLen is the shortest accepted token secret.
const MinTokenLen = 16

// Default limits.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultIdempotencyTTL = 15 * 24 * time.Hour
	// ledgerWait bounds how long an answer waits for the journal.
	ledgerWait = 10 * time.Second
)

// AuditEvent is one audited write.
type AuditEvent struct {
	Time      time.Time
	Actor     string // the token's name
	Action    string // e.g. "account.create", "card.update", "card_keys.put"
	Object    string // the object's id (a card key pair: its PAN prefix)
	RequestID string
	// JournalSeq is the ledger journal entry of a money movement (the
	// feed's "je_<seq>"); 0 for reference-data writes.
	JournalSeq uint64
}

// API is the admin API. Build it with New, mount it with Register, and
// Close it after the HTTP server stopped.
type API struct {
	engine *rules.Engine
	ledger *ledger.Ledger
	index  *authindex.Index
	tokens []token
	max    int64
	state  *state
	audit  func(AuditEvent)
	log    *slog.Logger
	now    func() time.Time
	m      *metrics

	inflightMu sync.Mutex
	inflight   map[[32]byte]bool // idempotency keys being answered
}

type token struct {
	name string
	sum  [32]byte // SHA-256 of the secret
}

var tokenName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,31}$`)

// New builds the API.
func New(opts Options) (*API, error) {
	if opts.Engine == nil || opts.Ledger == nil {
		return nil, errors.New("admin: the rules engine and the ledger are required")
	}
	if len(opts.Tokens) == 0 {
		return nil, errors.New("admin: no bearer token configured")
	}
	a := &API{engine: opts.Engine, ledger: opts.Ledger, index: opts.Index, max: opts.MaxBodyBytes,
		audit: opts.Audit, log: opts.Logger, now: opts.Now, inflight: make(map[[32]byte]bool)}
	if a.max <= 0 {
		a.max = DefaultMaxBodyBytes
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	seen := make(map[string]bool)
	for i, t := range opts.Tokens {
		name, secret := "", t
		if n, s, ok := strings.Cut(t, ":"); ok && tokenName.MatchString(n) {
			name, secret = n, s
		}
		if len(secret) < MinTokenLen {
			// The token itself is never in an error.
			return nil, fmt.Errorf("admin: token %d: shorter than %d characters", i+1, MinTokenLen)
		}
		sum := sha256.Sum256([]byte(secret))
		if name == "" {
			name = "token_" + hex.EncodeToString(sum[:4])
		}
		if seen[name] {
			return nil, fmt.Errorf("admin: token %d: name %s used twice", i+1, name)
		}
		seen[name] = true
		a.tokens = append(a.tokens, token{name: name, sum: sum})
	}
	ttl := opts.IdempotencyTTL
	if ttl <= 0 {
		ttl = DefaultIdempotencyTTL
	}
	var err error
	if a.state, err = openState(opts.StateDir, ttl, a.log); err != nil {
		return nil, err
	}
	a.m = newMetrics(a)
	if opts.Registerer != nil {
		if err := a.m.register(opts.Registerer); err != nil {
			a.state.close()
			return nil, fmt.Errorf("admin: metrics: %w", err)
		}
	}
	return a, nil
}

// Close closes the API's state store. Call it after the HTTP server has
// stopped serving.
func (a *API) Close() error { return a.state.close() }

// Register mounts every /v1 route on mux.
func (a *API) Register(mux *http.ServeMux) {
	for _, r := range routes {
		mux.Handle(r.Method+" "+r.Path, a.wrap(r))
	}
	mux.Handle("/v1/", a.wrap(route{Path: "/v1/", name: "unknown", handler: (*API).unknownRoute}))
}

// Route is one route of the API.
type Route struct {
	Method string // GET, POST, PUT
	Path   string // a net/http pattern path, e.g. /v1/accounts/{id}
}

// Routes lists every route Register mounts (the OpenAPI document's test
// walks it).
func Routes() []Route {
	out := make([]Route, len(routes))
	for i, r := range routes {
		out[i] = Route{Method: r.Method, Path: r.Path}
	}
	return out
}
