package natsfeed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ConsumerOptions configure a Consumer.
type ConsumerOptions struct {
	Conn   *nats.Conn
	Stream StreamConfig
	// Durable names a durable JetStream consumer: the server remembers
	// which messages it acknowledged, across restarts of the reader. Empty
	// makes an ephemeral one that reads the stream from its start (a
	// report that replays everything).
	Durable string
	// After is the application's high-water mark: the newest entry it has
	// applied, kept with its own state. Entries up to it are skipped and
	// the next delivered is After+1. 0: start at the floor of the first
	// message (the first entry not yet shipped when it was sent).
	After uint64
	// StopAtEnd makes Run return once every message the stream held when
	// Run started has been delivered (a report); without it Run follows
	// the stream until ctx ends.
	StopAtEnd bool
	// MaxBuffered bounds the entries held while waiting for an earlier
	// one (262144): more than the publisher can have in flight.
	MaxBuffered int
	// FetchBatch is how many messages one pull asks for (256).
	FetchBatch int
	// AckWait is the server's redelivery timer (30s); MaxAckPending the
	// messages it lets the consumer hold (8192; above the buffer's worth).
	AckWait       time.Duration
	MaxAckPending int
	Logger        *slog.Logger
}

func (o *ConsumerOptions) defaults() error {
	if o.Conn == nil {
		return errors.New("natsfeed: consumer without a connection")
	}
	if o.MaxBuffered <= 0 {
		o.MaxBuffered = 1 << 18
	}
	if o.FetchBatch <= 0 {
		o.FetchBatch = 256
	}
	if o.AckWait <= 0 {
		o.AckWait = 30 * time.Second
	}
	if o.MaxAckPending <= 0 {
		o.MaxAckPending = 8192
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o.Stream.defaults()
}

// Consumer reads the feed from JetStream and delivers every entry exactly
// once, in sequence order — and so in order per account. Messages arrive
// grouped by subject (a window's visa authorizations, then its mastercard
// reversals, ...), and after a publisher restart some arrive again or
// late; the consumer puts entries back in sequence order with a bounded
// buffer, drops every entry at or below the newest it delivered (the
// feed's sequence is gapless, so this is exact deduplication by entry id),
// and acknowledges a message to JetStream only after all its entries were
// delivered.
type Consumer struct {
	opts ConsumerOptions
	js   jetstream.JetStream
	log  *slog.Logger

	last     uint64 // newest entry delivered
	started  bool   // the first expected entry is known
	buffered map[uint64]bufEntry
	held     map[uint64]*heldMsg // by stream sequence
}

type bufEntry struct {
	line []byte
	msg  *heldMsg
}

type heldMsg struct {
	msg  jetstream.Msg
	left int // entries of the message not yet delivered or dropped
}

// NewConsumer returns a consumer of the feed.
func NewConsumer(o ConsumerOptions) (*Consumer, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, fmt.Errorf("natsfeed: %w", err)
	}
	return &Consumer{opts: o, js: js, log: o.Logger.With("component", "feed-nats-consumer"),
		last: o.After, started: o.After > 0,
		buffered: map[uint64]bufEntry{}, held: map[uint64]*heldMsg{}}, nil
}

// Last is the newest entry delivered (or After).
func (c *Consumer) Last() uint64 { return c.last }

// Run delivers entries to fn in sequence order until ctx ends (then it
// returns ctx's error), fn fails, a gap is found, or — with StopAtEnd —
// the stream's end at the start of Run is reached (then it returns nil).
// line is valid only during the call.
func (c *Consumer) Run(ctx context.Context, fn func(seq uint64, line []byte) error) error {
	// Whatever an earlier Run held unacknowledged comes again.
	clear(c.buffered)
	clear(c.held)
	stream, err := c.js.Stream(ctx, c.opts.Stream.StreamName())
	if err != nil {
		return fmt.Errorf("natsfeed: stream %s: %w", c.opts.Stream.StreamName(), err)
	}
	var end uint64
	if c.opts.StopAtEnd {
		info, err := stream.Info(ctx)
		if err != nil {
			return fmt.Errorf("natsfeed: stream info: %w", err)
		}
		end = info.State.LastSeq
		if end == 0 || info.State.Msgs == 0 {
			return nil
		}
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       c.opts.Durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		FilterSubject: c.opts.Stream.Subjects(),
		AckWait:       c.opts.AckWait,
		MaxAckPending: c.opts.MaxAckPending,
		MaxDeliver:    -1,
	}
	if c.opts.Durable == "" {
		cfg.InactiveThreshold = time.Minute
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("natsfeed: consumer %q: %w", c.opts.Durable, err)
	}
	if c.opts.Durable == "" {
		defer func() {
			dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = stream.DeleteConsumer(dctx, cons.CachedInfo().Name)
		}()
	}
	var seen uint64 // highest stream sequence received
	idle := 0       // fetches in a row that brought nothing
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.opts.StopAtEnd && seen >= end {
			// At the end, entries still waiting for an earlier one get a
			// few more fetches: a window's messages may straddle the end.
			if len(c.buffered) == 0 {
				return nil
			}
			if idle >= 3 {
				return c.gapError()
			}
		}
		batch, err := cons.Fetch(c.opts.FetchBatch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if errors.Is(err, context.Canceled) || ctx.Err() != nil {
				return ctx.Err()
			}
			c.log.Warn("fetching from the feed", "err", err)
			if err := sleep(ctx, 250*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			meta, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("%w: %v", ErrBadMessage, err)
			}
			seen = max(seen, meta.Sequence.Stream)
			if err := c.take(msg, meta.Sequence.Stream); err != nil {
				return err
			}
			if err := c.flush(fn); err != nil {
				return err
			}
		}
		if got == 0 {
			idle++
		} else {
			idle = 0
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) &&
			!errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil {
			c.log.Warn("fetching from the feed", "err", err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// take splits a message into its entries and buffers those not yet
// delivered.
func (c *Consumer) take(msg jetstream.Msg, streamSeq uint64) error {
	if _, dup := c.held[streamSeq]; dup {
		return nil // redelivered while we still hold it
	}
	first, err1 := strconv.ParseUint(msg.Headers().Get(HeaderFirst), 10, 64)
	last, err2 := strconv.ParseUint(msg.Headers().Get(HeaderLast), 10, 64)
	if err1 != nil || err2 != nil || first == 0 || last < first {
		return fmt.Errorf("%w: stream message %d has no entry range", ErrBadMessage, streamSeq)
	}
	if !c.started {
		floor, err := strconv.ParseUint(msg.Headers().Get(HeaderFloor), 10, 64)
		if err != nil || floor == 0 || floor > first {
			floor = first
		}
		c.last, c.started = floor-1, true
	}
	h := &heldMsg{msg: msg}
	data := msg.Data()
	for len(data) > 0 {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return fmt.Errorf("%w: stream message %d ends inside a record", ErrBadMessage, streamSeq)
		}
		line := data[:nl]
		data = data[nl+1:]
		seq, err := feed.ParseSeq(line)
		if err != nil {
			return fmt.Errorf("%w: stream message %d: %w", ErrBadMessage, streamSeq, err)
		}
		if seq < first || seq > last {
			return fmt.Errorf("%w: stream message %d holds entry %d outside %d-%d", ErrBadMessage, streamSeq, seq, first, last)
		}
		if seq <= c.last {
			continue // delivered before
		}
		if _, ok := c.buffered[seq]; ok {
			continue // the same entry from another message
		}
		c.buffered[seq] = bufEntry{line: line, msg: h}
		h.left++
	}
	if h.left == 0 {
		return c.ack(msg)
	}
	c.held[streamSeq] = h
	if len(c.buffered) > c.opts.MaxBuffered {
		return c.gapError()
	}
	return nil
}

// flush delivers every buffered entry that follows the last delivered.
func (c *Consumer) flush(fn func(uint64, []byte) error) error {
	for {
		e, ok := c.buffered[c.last+1]
		if !ok {
			return nil
		}
		if err := fn(c.last+1, e.line); err != nil {
			return err
		}
		delete(c.buffered, c.last+1)
		c.last++
		e.msg.left--
		if e.msg.left == 0 {
			meta, err := e.msg.msg.Metadata()
			if err == nil {
				delete(c.held, meta.Sequence.Stream)
			}
			if err := c.ack(e.msg.msg); err != nil {
				return err
			}
		}
	}
}

func (c *Consumer) ack(m jetstream.Msg) error {
	if err := m.Ack(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		// A lost acknowledgement only means a redelivery, which is dropped.
		c.log.Debug("acknowledging a feed message", "err", err)
	}
	return nil
}

func (c *Consumer) gapError() error {
	low := uint64(0)
	for s := range c.buffered {
		if low == 0 || s < low {
			low = s
		}
	}
	return fmt.Errorf("%w: waiting for entry %d with %d later entries held (lowest %d)", ErrGap,
		c.last+1, len(c.buffered), low)
}
