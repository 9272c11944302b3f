// Package feedrun wires the feed for a switch process: it opens the
// configured sink (segment files or NATS JetStream, connecting to NATS
// with reconnects for ever) and returns the Publisher over the ledger,
// ready to Run. cmd/switchd calls Open and nothing else of the sinks.
package feedrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/feed/natsfeed"
	"github.com/authswitch/authswitch/feed/segment"
	"github.com/nats-io/nats.go"
)

// Config is the feed's part of the switch's configuration.
type Config struct {
	// Sink is "file" (segment files under Dir; the default) or "nats".
	Sink string
	// Dir holds the segment files (file sink).
	Dir string
	// NATSURL is one URL or several, comma-separated (nats sink).
	NATSURL string
	// Environment names the stream and subjects (AUTHSWITCH_<ENV>,
	// authswitch.<env>.>); "dev" when empty.
	Environment string
	// Replicas of the stream (1; 3 on a three-node cluster).
	Replicas int
	// MaxBacklog bounds the entries not yet shipped; past it
	// OverBoundPolicy applies ("approve_and_alert" or "decline_91").
	MaxBacklog      uint64
	OverBoundPolicy string
}

// Feed is a publisher with the sink (and NATS connection) it owns.
type Feed struct {
	*feed.Publisher
	nc *nats.Conn
}

// Open opens the sink cfg names and returns the publisher of j's journal
// to it (not yet running: call Run). o carries everything else (metrics
// registerer, logger, Observe, windows); cfg's bound and policy override
// o's.
func Open(ctx context.Context, j feed.Journal, cfg Config, o feed.Options) (*Feed, error) {
	if cfg.MaxBacklog > 0 {
		o.MaxBacklogEntries = cfg.MaxBacklog
	}
	if cfg.OverBoundPolicy != "" {
		o.Policy = feed.BoundPolicy(cfg.OverBoundPolicy)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Environment == "" {
		cfg.Environment = "dev"
	}
	f := &Feed{}
	var sink feed.Sink
	switch cfg.Sink {
	case "", "file":
		if cfg.Dir == "" {
			return nil, errors.New("feedrun: the file sink needs a directory")
		}
		s, err := segment.Open(segment.Options{Dir: cfg.Dir, Logger: log})
		if err != nil {
			return nil, err
		}
		sink = s
	case "nats":
		if cfg.NATSURL == "" {
			return nil, errors.New("feedrun: the nats sink needs a URL")
		}
		nc, err := nats.Connect(cfg.NATSURL, nats.Name("authswitch-feed"), nats.MaxReconnects(-1),
			nats.ReconnectWait(250*time.Millisecond), nats.RetryOnFailedConnect(true),
			nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
				log.Warn("feed: NATS disconnected; entries wait in the journal", "err", err)
			}),
			nats.ReconnectHandler(func(c *nats.Conn) { log.Info("feed: NATS reconnected", "url", c.ConnectedUrlRedacted()) }))
		if err != nil {
			return nil, fmt.Errorf("feedrun: connecting to NATS: %w", err)
		}
		s, err := natsfeed.NewSink(ctx, natsfeed.SinkOptions{Conn: nc, Logger: log,
			Stream: natsfeed.StreamConfig{Env: cfg.Environment, Replicas: cfg.Replicas}})
		if err != nil {
			nc.Close()
			return nil, err
		}
		sink, f.nc = s, nc
	default:
		return nil, fmt.Errorf("feedrun: sink %q: want file or nats", cfg.Sink)
	}
	p, err := feed.New(j, sink, o)
	if err != nil {
		sink.Close()
		if f.nc != nil {
			f.nc.Close()
		}
		return nil, err
	}
	f.Publisher = p
	return f, nil
}

// Close stops the publisher (draining what is in flight), closes the sink
// and the NATS connection. Close it before the ledger.
func (f *Feed) Close() error {
	err := f.Publisher.Close()
	if f.nc != nil {
		if derr := f.nc.Drain(); derr != nil && !errors.Is(derr, nats.ErrConnectionClosed) {
			f.nc.Close()
		}
	}
	return err
}
