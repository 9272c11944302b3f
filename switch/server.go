package netswitch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/spec"
)

// Options wires a Server.
type Options struct {
	Listeners  []ListenerConfig
	Decider    Decider
	Durability Durability
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Refuse, when set and true, makes the switch answer new
	// authorizations 91 without deciding them (the feed's backlog is past
	// its bound under the decline_91 policy). Advices and reversals are
	// still applied: the network has already decided them.
	Refuse func() bool
}

// Server runs one listener per network and the connections they accept.
type Server struct {
	dec    Decider
	refuse func() bool
	dur    Durability
	log    *slog.Logger
	m      *metrics
	pool   sync.Pool

	listeners []*listener
	stan      atomic.Uint32
	connSeq   atomic.Uint64
	conns     sync.WaitGroup
	shutdown  atomic.Bool
}

type listener struct {
	cfg   ListenerConfig
	ln    net.Listener
	live  atomic.Int64
	mu    sync.Mutex
	open  map[*conn]struct{}
	gauge prometheus.Gauge
	done  chan struct{}
}

// drainGrace is how long a shutting-down connection goes on reading what
// the network had already sent when the shutdown began.
const drainGrace = 100 * time.Millisecond

// ErrClosed is returned by Start on a server that was shut down.
var ErrClosed = errors.New("switch is shut down")

// New validates the configuration and builds a Server; Start binds it.
func New(opts Options) (*Server, error) {
	if opts.Decider == nil || opts.Durability == nil {
		return nil, fmt.Errorf("%w: a decider and a durability source are required", ErrInvalidConfig)
	}
	if len(opts.Listeners) == 0 {
		return nil, fmt.Errorf("%w: no listener configured", ErrInvalidConfig)
	}
	seen := map[spec.Network]bool{}
	for i := range opts.Listeners {
		if err := opts.Listeners[i].Validate(); err != nil {
			return nil, err
		}
		if seen[opts.Listeners[i].Network] {
			return nil, fmt.Errorf("%w: two listeners for %s", ErrInvalidConfig, opts.Listeners[i].Network)
		}
		seen[opts.Listeners[i].Network] = true
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		dec:    opts.Decider,
		refuse: opts.Refuse,
		dur:    opts.Durability,
		log:    log,
		m:      newMetrics(opts.Registerer),
	}
	s.pool.New = func() any {
		q := &request{}
		q.onDurable = q.durable
		return q
	}
	for _, cfg := range opts.Listeners {
		if cfg.Addr == "" {
			continue
		}
		s.listeners = append(s.listeners, &listener{
			cfg:   cfg,
			open:  map[*conn]struct{}{},
			gauge: s.m.conns.WithLabelValues(cfg.Network.String()),
			done:  make(chan struct{}),
		})
	}
	return s, nil
}

// Start binds every listener and starts accepting. When it returns without
// error the switch is ready: its listeners accept connections.
func (s *Server) Start() error {
	if s.shutdown.Load() {
		return ErrClosed
	}
	for i, l := range s.listeners {
		ln, err := net.Listen("tcp", l.cfg.Addr)
		if err != nil {
			for _, prev := range s.listeners[:i] {
				prev.ln.Close()
			}
			return fmt.Errorf("listen for %s on %s: %w", l.cfg.Network, l.cfg.Addr, err)
		}
		if l.cfg.TLS != nil {
			ln = tls.NewListener(ln, l.cfg.TLS)
		}
		l.ln = ln
		s.log.Info("listening", "network", l.cfg.Network.String(), "addr", ln.Addr().String(), "tls", l.cfg.TLS != nil)
	}
	for _, l := range s.listeners {
		go s.acceptLoop(l)
	}
	return nil
}

// Addr returns where a network's listener is bound (nil when none).
func (s *Server) Addr(n spec.Network) net.Addr {
	for _, l := range s.listeners {
		if l.cfg.Network == n && l.ln != nil {
			return l.ln.Addr()
		}
	}
	return nil
}

// acceptLoop accepts until the listener closes. On an error it backs off
// (5 ms doubling to 1 s) and carries on: a burst of EMFILE must not kill
// the listener. Connections past MaxConns are closed at once.
func (s *Server) acceptLoop(l *listener) {
	defer close(l.done)
	var delay time.Duration
	name := l.cfg.Network.String()
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if s.shutdown.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			s.m.acceptErrs.WithLabelValues(name).Inc()
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed; backing off", "network", name, "error", err, "delay", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		if l.live.Load() >= int64(l.cfg.MaxConns) {
			s.m.connsTotal.WithLabelValues(name, "rejected_limit").Inc()
			nc.Close()
			continue
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
			_ = tc.SetKeepAlive(true)
		}
		l.live.Add(1)
		l.gauge.Inc()
		s.m.connsTotal.WithLabelValues(name, "accepted").Inc()
		c := newConn(s, l, nc, s.connSeq.Add(1))
		l.mu.Lock()
		l.open[c] = struct{}{}
		l.mu.Unlock()
		s.conns.Add(1)
		go func() {
			defer s.conns.Done()
			if tc, ok := nc.(*tls.Conn); ok {
				_ = tc.SetDeadline(time.Now().Add(l.cfg.PartialTimeout))
				if err := tc.Handshake(); err != nil {
					s.m.connsTotal.WithLabelValues(name, "tls_failed").Inc()
					c.log.Warn("TLS handshake failed", "error", err)
					nc.Close()
					s.dropConn(l, c)
					return
				}
				_ = tc.SetDeadline(time.Time{})
			}
			c.serve()
			s.dropConn(l, c)
		}()
	}
}

func (s *Server) dropConn(l *listener, c *conn) {
	l.mu.Lock()
	delete(l.open, c)
	l.mu.Unlock()
	l.live.Add(-1)
	l.gauge.Dec()
	s.m.signOn.DeleteLabelValues(c.network.String(), c.name)
}

// Shutdown stops accepting, stops reading from every connection, waits for
// every request already read to be answered (by its decision, or by the
// stand-in policy at its deadline), flushes and closes the connections.
// The caller then closes the ledger, which syncs the journal.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.shutdown.Swap(true) {
		return nil
	}
	for _, l := range s.listeners {
		if l.ln != nil {
			l.ln.Close()
			<-l.done
		}
	}
	for _, l := range s.listeners {
		l.mu.Lock()
		for c := range l.open {
			// Requests already sent (in the socket's buffers) are read
			// and answered; nothing new is awaited past the grace.
			c.draining.Store(true)
			_ = c.nc.SetReadDeadline(time.Now().Add(drainGrace))
		}
		l.mu.Unlock()
	}
	finished := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		for _, l := range s.listeners {
			l.mu.Lock()
			for c := range l.open {
				c.nc.Close()
			}
			l.mu.Unlock()
		}
		return fmt.Errorf("shutdown: connections still open: %w", ctx.Err())
	}
}

// nextSTAN numbers the switch's own messages (its echoes), 1…999999.
func (s *Server) nextSTAN() uint32 {
	for {
		v := s.stan.Add(1) % 1_000_000
		if v != 0 {
			return v
		}
	}
}
