package netswitch

import (
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// Sign-on states of a connection (wire-spec §5).
const (
	signedOff int32 = iota // never signed on, or signed off
	signedOn
)

// readBufSize is the per-connection read buffer. Every frame the switch
// accepts (MaxFrame ≤ 64 KiB) fits in it once the buffer is compacted, and
// one read can bring in many pipelined frames.
const readBufSize = 128 << 10

// maxOutBuffered bounds the answers waiting for a slow peer: past it the
// connection is closed rather than buffering without limit.
const maxOutBuffered = 8 << 20

// conn is one network connection: one reader goroutine that reads, frames,
// decodes and decides in place (nats-server style: the read buffer is
// reused and frames are parsed where they lie), and one writer goroutine
// that coalesces answers and writes them when nothing more is ready.
type conn struct {
	srv     *Server
	l       *listener
	nc      net.Conn
	network spec.Network
	name    string // "visa-7": the connection's number, for logs and the sign-on metric
	log     *slog.Logger

	slots chan struct{} // in-flight semaphore: a slot per request read and not yet answered

	mu       sync.Mutex
	out      []byte  // answers waiting for the writer
	pending  reqList // requests not yet answered, oldest first
	closing  bool    // no more answers are accepted into out
	lastHdr  spec.VisaHeader
	echoSTAN [4]uint32 // the switch's echoes awaiting an 0810
	echoes   int       // unanswered echoes in a row
	echoAt   int64     // unix nanos of the last echo sent

	wake     chan struct{} // a token when out has something for the writer
	drained  chan struct{} // closed by the reader when it has stopped reading
	done     chan struct{} // closed when the connection is finished
	stopOnce sync.Once

	lastRx     atomic.Int64 // unix nanos of the last frame received
	lastTx     atomic.Int64 // unix nanos of the last write
	signOn     atomic.Int32
	draining   atomic.Bool // shutdown: stop reading, answer what is in flight
	signMetric func(float64)
}

func newConn(s *Server, l *listener, nc net.Conn, seq uint64) *conn {
	c := &conn{
		srv:     s,
		l:       l,
		nc:      nc,
		network: l.cfg.Network,
		name:    l.cfg.Network.String() + "-" + strconv.FormatUint(seq, 10),
		slots:   make(chan struct{}, l.cfg.MaxInFlight),
		wake:    make(chan struct{}, 1),
		drained: make(chan struct{}),
		done:    make(chan struct{}),
		out:     make([]byte, 0, 16<<10),
	}
	c.log = s.log.With("network", c.network.String(), "connection", c.name, "remote", nc.RemoteAddr().String())
	g := s.m.signOn.WithLabelValues(c.network.String(), c.name)
	g.Set(0)
	c.signMetric = g.Set
	now := time.Now().UnixNano()
	c.lastRx.Store(now)
	c.lastTx.Store(now)
	if hdr, err := spec.ParseStationID(l.cfg.Station); err == nil {
		c.lastHdr.Destination = hdr
	}
	return c
}

// serve runs the connection until the peer goes, the switch shuts down or
// the connection fails its liveness checks.
func (c *conn) serve() {
	go c.writeLoop()
	c.readLoop()
	close(c.drained)
	c.waitPending()
	c.stop()
	<-c.done
}

// stop makes the writer flush what it has and close the socket.
func (c *conn) stop() {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		c.signal()
	})
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// waitPending waits, after the reader stopped, until every request read is
// answered (by its decision or by the stand-in policy at its deadline), so
// that a shutdown or a peer's half-close loses no answer that can still be
// delivered.
func (c *conn) waitPending() {
	for i := 0; i < cap(c.slots); i++ {
		select {
		case c.slots <- struct{}{}:
		case <-c.done:
			return
		}
	}
}

// readLoop reads frames and handles each in place.
func (c *conn) readLoop() {
	cfg := &c.l.cfg
	buf := make([]byte, readBufSize)
	r, w := 0, 0
	discard := 0     // bytes of an oversized frame still to drop
	partial := false // a read deadline for a half frame is set
	for {
		if r == w {
			r, w = 0, 0
		} else if len(buf)-w < cfg.MaxFrame+8 {
			w = copy(buf, buf[r:w])
			r = 0
		}
		n, err := c.nc.Read(buf[w:])
		if n > 0 {
			w += n
			c.lastRx.Store(time.Now().UnixNano())
		}
		frames := 0
		for r < w {
			if discard > 0 {
				d := min(discard, w-r)
				r += d
				discard -= d
				continue
			}
			f, used, ferr := c.network.NextFrame(buf[r:w], cfg.MaxFrame)
			if ferr != nil {
				c.srv.m.malformed.WithLabelValues(c.network.String(), "bad_prefix").Inc()
				c.log.Warn("closing connection: frame prefix lost", "error", ferr)
				return
			}
			if f.Kind == spec.FrameNeedMore {
				break
			}
			r += used
			frames++
			switch f.Kind {
			case spec.FrameKeepAlive:
				if c.network == spec.Visa {
					c.srv.m.keepAlives.WithLabelValues(c.network.String()).Inc()
					c.enqueue(c.network.AppendKeepAlive(nil))
				}
			case spec.FrameOversized:
				discard = f.Discard
				c.srv.m.malformed.WithLabelValues(c.network.String(), "oversized").Inc()
			case spec.FrameMessage:
				if !c.handle(f.Payload) {
					return
				}
			}
		}
		// A frame must arrive whole within PartialTimeout of its first
		// bytes (slow or stalled senders are bounded); an empty buffer may
		// wait for ever, the idle echo checks liveness. A draining
		// connection keeps the deadline it was given: it reads what is
		// already on its way, then stops.
		if half := w > r || discard > 0; !c.draining.Load() {
			switch {
			case half && (!partial || frames > 0):
				_ = c.nc.SetReadDeadline(time.Now().Add(cfg.PartialTimeout))
				partial = true
			case !half && partial:
				_ = c.nc.SetReadDeadline(time.Time{})
				partial = false
			}
		}
		if err != nil {
			var ne net.Error
			switch {
			case c.draining.Load():
			case errors.As(err, &ne) && ne.Timeout():
				c.log.Info("closing connection: half frame stalled", "timeout", cfg.PartialTimeout)
			default:
				c.log.Debug("connection ended", "error", err)
			}
			return
		}
	}
}

// handle routes one frame. It returns false when the connection must end.
func (c *conn) handle(payload []byte) bool {
	mti, err := spec.PeekMTI(c.network, payload)
	if err != nil {
		if errors.Is(err, spec.ErrRejectHeader) {
			c.srv.m.malformed.WithLabelValues(c.network.String(), "reject_header").Inc()
			c.log.Warn("BASE I reject header received")
			return true
		}
		c.malformed(payload)
		return true
	}
	switch mti {
	case 810:
		c.echoAnswered(payload)
		return true
	case 100, 101, 120, 121, 400, 401, 420, 421, 800:
	default:
		// Answers to requests we never sent, or types we do not take.
		c.srv.m.malformed.WithLabelValues(c.network.String(), "unexpected").Inc()
		return true
	}
	select {
	case c.slots <- struct{}{}:
	default:
		// Backpressure: every slot is taken, so stop reading until an
		// answer frees one. Nothing is dropped.
		select {
		case c.slots <- struct{}{}:
		case <-c.done:
			return false
		}
	}
	q := c.srv.getRequest()
	q.c = c
	q.arrived = time.Now()
	if err := spec.DecodeRequest(c.network, payload, &q.req); err != nil {
		<-c.slots
		c.srv.putRequest(q)
		if errors.Is(err, spec.ErrRejectHeader) {
			c.srv.m.malformed.WithLabelValues(c.network.String(), "reject_header").Inc()
			return true
		}
		c.malformed(payload)
		return true
	}
	a := &q.req.Authorization
	c.srv.m.request(c.network, a.MTI)
	if c.network == spec.Visa {
		c.mu.Lock()
		c.lastHdr = q.req.Header
		c.mu.Unlock()
	}
	if a.Kind == spec.KindNetworkManagement {
		c.networkManagement(q)
		return true
	}
	c.srv.decide(q)
	return true
}

// malformed answers 30 when an answer can be built, and counts the frame.
func (c *conn) malformed(payload []byte) {
	if out, ok := spec.AppendFormatError(nil, c.network, payload); ok {
		c.srv.m.malformed.WithLabelValues(c.network.String(), "format_error").Inc()
		c.enqueue(out)
		return
	}
	c.srv.m.malformed.WithLabelValues(c.network.String(), "unparseable").Inc()
}

// networkManagement answers an 0800 at once: sign-on, sign-off, echo.
func (c *conn) networkManagement(q *request) {
	switch code := q.req.NetworkMgmtCode; {
	case c.network == spec.Visa && (code == "071" || code == "001"),
		c.network == spec.Mastercard && (code == "001" || code == "061"):
		c.setSignOn(signedOn)
	case c.network == spec.Visa && (code == "072" || code == "002"),
		c.network == spec.Mastercard && (code == "002" || code == "062"):
		c.setSignOn(signedOff)
	}
	q.dec = Decision{Answer: spec.Answer{ResponseCode: "00"}}
	q.encode()
	c.srv.answer(q)
}

func (c *conn) setSignOn(state int32) {
	if c.signOn.Swap(state) != state {
		c.signMetric(float64(state))
		c.log.Info("sign-on state changed", "signed_on", state == signedOn)
	}
}

// echoAnswered matches an 0810 with one of the switch's own echoes.
func (c *conn) echoAnswered(payload []byte) {
	e, err := spec.ParseEchoAnswer(c.network, payload)
	if err != nil {
		c.srv.m.malformed.WithLabelValues(c.network.String(), "unexpected").Inc()
		return
	}
	c.mu.Lock()
	matched := false
	for i, s := range c.echoSTAN {
		if s != 0 && s == e.STAN {
			c.echoSTAN[i] = 0
			matched = true
		}
	}
	if matched {
		c.echoes = 0
	}
	c.mu.Unlock()
	if matched {
		c.srv.m.echoes.WithLabelValues(c.network.String(), "answered").Inc()
	} else {
		c.srv.m.malformed.WithLabelValues(c.network.String(), "unexpected").Inc()
	}
}

// enqueue hands bytes that need no durability (keep-alives, 0810s, format
// errors) to the writer. It takes ownership of nothing: b is copied.
func (c *conn) enqueue(b []byte) {
	c.mu.Lock()
	if !c.closing {
		c.out = append(c.out, b...)
	}
	c.mu.Unlock()
	c.signal()
}

// writeLoop writes what the others queue, coalescing everything that is
// ready into one write, and runs the connection's timers: deadlines of
// pending requests and the idle echo.
func (c *conn) writeLoop() {
	defer close(c.done)
	defer c.nc.Close()
	cfg := &c.l.cfg
	tick := time.NewTicker(tickInterval(cfg.Deadline))
	defer tick.Stop()
	var spare []byte
	for {
		closing := false
		select {
		case <-c.wake:
		case <-tick.C:
			now := time.Now()
			c.srv.expire(c, now)
			if !c.idleCheck(now) {
				c.fail()
			}
		}
		c.mu.Lock()
		spare, c.out = c.out, spare[:0]
		closing = c.closing
		c.mu.Unlock()
		if len(spare) > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
			if _, err := c.nc.Write(spare); err != nil {
				c.log.Debug("write failed, closing", "error", err)
				c.fail()
				return
			}
			c.lastTx.Store(time.Now().UnixNano())
		}
		if cap(spare) > maxOutBuffered {
			spare = nil
		}
		if closing {
			c.mu.Lock()
			rest := len(c.out)
			c.mu.Unlock()
			if rest == 0 {
				return
			}
		}
	}
}

// fail ends a connection that cannot go on: the reader stops and what is
// pending is dropped (the network will time those requests out and stand
// in; each decision already made stays recorded).
func (c *conn) fail() {
	c.draining.Store(true)
	_ = c.nc.SetReadDeadline(time.Now())
	c.stop()
}

// idleCheck sends an echo on a connection that has carried nothing for the
// idle interval, and reports false when EchoMisses echoes in a row went
// unanswered.
func (c *conn) idleCheck(now time.Time) bool {
	cfg := &c.l.cfg
	last := max(c.lastRx.Load(), c.lastTx.Load())
	if now.UnixNano()-last < int64(cfg.IdleEcho) {
		return true
	}
	c.mu.Lock()
	if c.lastRx.Load() > c.echoAt {
		c.echoes = 0 // the peer has spoken since the last echo
	}
	if c.echoes >= cfg.EchoMisses {
		c.mu.Unlock()
		c.srv.m.echoes.WithLabelValues(c.network.String(), "timeout").Inc()
		c.log.Warn("closing connection: echoes unanswered", "echoes", c.echoes)
		return false
	}
	stan := c.srv.nextSTAN()
	c.echoSTAN[c.echoes%len(c.echoSTAN)] = stan
	c.echoes++
	hdr := c.lastHdr
	var h *spec.VisaHeader
	if c.network == spec.Visa {
		h = &hdr
	}
	c.out = spec.AppendEcho(c.out, c.network, stan, now, h)
	c.echoAt = now.UnixNano()
	c.mu.Unlock()
	c.lastTx.Store(now.UnixNano())
	c.srv.m.echoes.WithLabelValues(c.network.String(), "sent").Inc()
	return true
}

// tickInterval is how often a connection checks deadlines: fine enough that
// a stand-in answer leaves within a few percent of the budget.
func tickInterval(deadline time.Duration) time.Duration {
	return min(max(deadline/32, 5*time.Millisecond), 100*time.Millisecond)
}
