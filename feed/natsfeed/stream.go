package natsfeed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Headers every feed message carries.
const (
	HeaderFirst  = "Authswitch-Feed-First" // sequence number of the first record in the message
	HeaderLast   = "Authswitch-Feed-Last"  // of the last
	HeaderCount  = "Authswitch-Feed-Count" // records in the message
	HeaderFloor  = "Authswitch-Feed-Floor" // every entry below it was acknowledged before this was sent
	HeaderSchema = "Authswitch-Feed-Schema"
)

// StreamConfig names and shapes the feed's stream: one per environment,
// subjects <prefix>.<env>.<network>.<kind>.
type StreamConfig struct {
	// Env is the environment ("prod", "test", ...; required): a token of
	// letters, digits, '-' or '_'.
	Env string
	// Prefix of every subject ("authswitch").
	Prefix string
	// Replicas of the stream (1; 3 in a cluster).
	Replicas int
	// Duplicates is JetStream's duplicate-detection window (10m). It must
	// cover how far back a restart can replay: the windows in flight when
	// the publisher stopped plus the time until it runs again. A repeat
	// older than the window is stored again; consumers drop it by entry id.
	Duplicates time.Duration
	// MaxAge and MaxBytes bound the stream (0: unbounded; settlement
	// reads it, so keep at least a few settlement days).
	MaxAge   time.Duration
	MaxBytes int64
	// Memory keeps the stream in memory (benchmarks of the client only).
	Memory bool
}

func (c *StreamConfig) defaults() error {
	if c.Prefix == "" {
		c.Prefix = "authswitch"
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.Duplicates <= 0 {
		c.Duplicates = 10 * time.Minute
	}
	if c.Env == "" || token(c.Env) != c.Env {
		return fmt.Errorf("natsfeed: environment %q is not a subject token", c.Env)
	}
	if token(c.Prefix) != c.Prefix {
		return fmt.Errorf("natsfeed: prefix %q is not a subject token", c.Prefix)
	}
	return nil
}

// StreamName is the stream of an environment: AUTHSWITCH_<ENV>.
func (c *StreamConfig) StreamName() string {
	return strings.ToUpper(c.prefix() + "_" + strings.ReplaceAll(c.Env, "-", "_"))
}

// Subjects is the filter of every subject of the feed.
func (c *StreamConfig) Subjects() string { return c.prefix() + "." + c.Env + ".>" }

func (c *StreamConfig) prefix() string {
	if c.Prefix == "" {
		return "authswitch"
	}
	return c.Prefix
}

// Subject is the subject of records of a network and kind ("" network:
// "ledger", for entries of no network).
func (c *StreamConfig) Subject(network, kind string) string {
	if network == "" {
		network = "ledger"
	}
	return c.prefix() + "." + c.Env + "." + token(network) + "." + token(kind)
}

// token makes s a safe subject token: lower-case letters, digits, '-' and
// '_' kept, anything else '_'; "unknown" when empty.
func token(s string) string {
	if s == "" {
		return "unknown"
	}
	ok := true
	for i := 0; i < len(s); i++ {
		if !tokenByte(s[i]) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		} else if !tokenByte(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

func tokenByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'
}

// EnsureStream creates the feed's stream, or updates its limits and
// duplicates window when it exists.
func EnsureStream(ctx context.Context, js jetstream.JetStream, c StreamConfig) (jetstream.Stream, error) {
	if err := c.defaults(); err != nil {
		return nil, err
	}
	cfg := jetstream.StreamConfig{
		Name:        c.StreamName(),
		Description: "authswitch decision feed (" + c.Env + "): ledger journal entries, schema v1, many per message",
		Subjects:    []string{c.Subjects()},
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		Storage:     jetstream.FileStorage,
		Replicas:    c.Replicas,
		Duplicates:  c.Duplicates,
		MaxAge:      c.MaxAge,
		MaxBytes:    c.MaxBytes,
		MaxMsgs:     -1,
	}
	if c.MaxBytes == 0 {
		cfg.MaxBytes = -1
	}
	if c.Memory {
		cfg.Storage = jetstream.MemoryStorage
	}
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("natsfeed: stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// ErrGap is returned by a Consumer that cannot deliver the next entry: it
// is not in the stream (trimmed, or never shipped to it), or the
// reordering buffer filled while waiting for it.
var ErrGap = errors.New("natsfeed: entries missing from the feed")

// ErrBadMessage wraps a message that is not a feed message.
var ErrBadMessage = errors.New("natsfeed: bad feed message")
