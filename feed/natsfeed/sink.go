package natsfeed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// SinkOptions configure a JetStream sink.
type SinkOptions struct {
	// Conn is a connection the caller made (and closes after the sink);
	// give it nats.MaxReconnects(-1) so that the sink outlives outages.
	Conn   *nats.Conn
	Stream StreamConfig
	// MaxMsgEntries and MaxMsgBytes bound one JetStream message: the
	// records of one subject from one window, cut into messages of at
	// most this many entries (256) and bytes (256 KiB).
	MaxMsgEntries int
	MaxMsgBytes   int
	// AckTimeout is how long a message waits for JetStream's
	// acknowledgement before its window fails and is sent again (10s:
	// longer than a replicated stream's leader election).
	AckTimeout time.Duration
	// MaxPending bounds the messages published and not yet acknowledged
	// (4096); the publisher's own window bound keeps it well below.
	MaxPending int
	// NoCreate leaves the stream alone (it is managed elsewhere).
	NoCreate bool
	Logger   *slog.Logger
}

func (o *SinkOptions) defaults() error {
	if o.Conn == nil {
		return errors.New("natsfeed: sink without a connection")
	}
	if o.MaxMsgEntries <= 0 {
		o.MaxMsgEntries = 256
	}
	if o.MaxMsgBytes <= 0 {
		o.MaxMsgBytes = 256 << 10
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 10 * time.Second
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 4096
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o.Stream.defaults()
}

// ErrClosed: the sink was closed.
var ErrClosed = errors.New("natsfeed: sink closed")

// Sink publishes windows to JetStream asynchronously. A window's records
// are grouped by subject (network and kind), in sequence order within each
// group, and cut into messages of many records each; a message carries its
// first and last sequence numbers in headers and as its id
// (Nats-Msg-Id "<first>-<last>"). The same window sent again makes the
// same messages with the same ids, which JetStream drops as duplicates
// inside its window; a window cut differently after a restart makes other
// ids, and the consumer drops the repeated entries by entry id. (An id of
// the first sequence alone would be unsafe: a message re-cut to start at
// the same entry but to reach further would be dropped whole, losing its
// tail.) A window is done when JetStream acknowledged all its messages.
type Sink struct {
	opts SinkOptions
	js   jetstream.JetStream
	log  *slog.Logger

	pending chan pendingWindow
	stop    chan struct{}
	done    chan struct{}

	mu         sync.Mutex
	closed     bool
	needStream atomic.Bool // the stream must be made (again) before publishing
	lastEnsure time.Time   // under mu
}

type pendingWindow struct {
	futures []jetstream.PubAckFuture
	err     error
	done    func(error)
}

// NewSink opens a JetStream sink, creating or updating the stream unless
// NoCreate.
func NewSink(ctx context.Context, o SinkOptions) (*Sink, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	js, err := jetstream.New(o.Conn, jetstream.WithPublishAsyncMaxPending(o.MaxPending),
		jetstream.WithPublishAsyncTimeout(o.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("natsfeed: %w", err)
	}
	s := &Sink{opts: o, js: js, log: o.Logger.With("component", "feed-nats"),
		pending: make(chan pendingWindow, 1024), stop: make(chan struct{}), done: make(chan struct{})}
	if !o.NoCreate {
		if _, err := EnsureStream(ctx, js, o.Stream); err != nil {
			// NATS being down must not stop the switch from starting: the
			// entries wait in the journal and the stream is made when
			// NATS answers.
			s.log.Warn("feed stream not ready; will retry before publishing", "stream", o.Stream.StreamName(), "err", err)
			s.needStream.Store(true)
		}
	}
	go s.collect()
	return s, nil
}

// ensureStream makes the stream when it could not be made before, at most
// once a second; false when it still cannot.
func (s *Sink) ensureStream() error {
	if !s.needStream.Load() {
		return nil
	}
	if time.Since(s.lastEnsure) < time.Second {
		return errStreamNotReady
	}
	s.lastEnsure = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := EnsureStream(ctx, s.js, s.opts.Stream); err != nil {
		return fmt.Errorf("%w: %w", errStreamNotReady, err)
	}
	s.needStream.Store(false)
	s.log.Info("feed stream ready", "stream", s.opts.Stream.StreamName())
	return nil
}

var errStreamNotReady = errors.New("natsfeed: stream not ready")

// Name implements feed.Sink.
func (s *Sink) Name() string { return "nats" }

// Send implements feed.Sink.
func (s *Sink) Send(w *feed.Window, done func(error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		done(ErrClosed)
		return
	}
	if err := s.ensureStream(); err != nil {
		done(err)
		return
	}
	pw := pendingWindow{done: done}
	floor := strconv.FormatUint(w.Floor, 10)
	s.eachMessage(w, func(subject string, first, last uint64, count int, data []byte) bool {
		msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header{}}
		id := strconv.FormatUint(first, 10) + "-" + strconv.FormatUint(last, 10)
		msg.Header[nats.MsgIdHdr] = []string{id}
		msg.Header[HeaderFirst] = []string{strconv.FormatUint(first, 10)}
		msg.Header[HeaderLast] = []string{strconv.FormatUint(last, 10)}
		msg.Header[HeaderCount] = []string{strconv.Itoa(count)}
		msg.Header[HeaderFloor] = []string{floor}
		msg.Header[HeaderSchema] = []string{"1"}
		f, err := s.js.PublishMsgAsync(msg)
		if err != nil {
			pw.err = fmt.Errorf("natsfeed: publishing entries %d-%d: %w", first, last, err)
			return false
		}
		pw.futures = append(pw.futures, f)
		return true
	})
	// The collector's queue is longer than the publisher's window bound.
	s.pending <- pw
}

// eachMessage cuts a window into messages: per subject, in sequence
// order, at most MaxMsgEntries and MaxMsgBytes each. The cut depends only
// on the window's records, so the same window always makes the same
// messages. emit returns false to stop.
func (s *Sink) eachMessage(w *feed.Window, emit func(subject string, first, last uint64, count int, data []byte) bool) {
	type group struct {
		network, kind string
		refs          []int
	}
	var groups []group
	for i := range w.Records {
		r := &w.Records[i]
		g := -1
		for j := range groups {
			if groups[j].network == r.Network && groups[j].kind == r.Kind {
				g = j
				break
			}
		}
		if g < 0 {
			groups = append(groups, group{network: r.Network, kind: r.Kind})
			g = len(groups) - 1
		}
		groups[g].refs = append(groups[g].refs, i)
	}
	for _, g := range groups {
		subject := s.opts.Stream.Subject(g.network, g.kind)
		for start := 0; start < len(g.refs); {
			size, end := 0, start
			for end < len(g.refs) && end-start < s.opts.MaxMsgEntries {
				n := len(w.Line(g.refs[end]))
				if end > start && size+n > s.opts.MaxMsgBytes {
					break
				}
				size += n
				end++
			}
			data := make([]byte, 0, size)
			for _, i := range g.refs[start:end] {
				data = append(data, w.Line(i)...)
			}
			first, last := w.Records[g.refs[start]].Seq, w.Records[g.refs[end-1]].Seq
			if !emit(subject, first, last, end-start, data) {
				return
			}
			start = end
		}
	}
}

// collect waits for each window's acknowledgements, in order, and answers
// the publisher.
func (s *Sink) collect() {
	defer close(s.done)
	for pw := range s.pending {
		err := pw.err
		for _, f := range pw.futures {
			select {
			case <-f.Ok():
			case e := <-f.Err():
				if err == nil {
					err = fmt.Errorf("natsfeed: JetStream did not acknowledge: %w", e)
				}
				if errors.Is(e, jetstream.ErrNoStreamResponse) && !s.opts.NoCreate {
					s.needStream.Store(true) // deleted, or never made
				}
			case <-s.stop:
				if err == nil {
					err = ErrClosed
				}
			}
		}
		pw.done(err)
	}
}

// Close stops taking windows; windows still waiting for JetStream fail
// with ErrClosed. The connection stays open (it is the caller's).
func (s *Sink) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	close(s.stop)
	close(s.pending)
	s.mu.Unlock()
	<-s.done
	return nil
}
