package netsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/moov-io/iso8583"
	connection "github.com/moov-io/iso8583-connection"
	moovErrors "github.com/moov-io/iso8583/errors"

	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	Conns         int           // connections in the pool; default 2
	IdleTime      time.Duration // echo test after this long without a request; default 30 s
	SendTimeout   time.Duration // default 10 s, the networks' own stand-in timer
	ReconnectWait time.Duration // default 1 s
	MaxFrame      int           // largest frame accepted; default spec.DefaultMaxFrame
	Logger        *slog.Logger
}

// ClientStats counts what happened on a client's connections.
type ClientStats struct {
	SignOns        int64 // sign-ons answered 00
	EchoesSent     int64 // our echo tests answered
	EchoesAnswered int64 // the switch's echoes we answered
	KeepAlivesSent int64 // Visa keep-alives sent
	KeepAlivesIn   int64 // zero-length frames received
	Unmatched      int64 // answers to nothing in flight (late, or duplicated)
	ReadErrors     int64 // frames that did not decode
	Connects       int64 // connections established (reconnections included)
	Closed         int64 // connections lost
}

// Client is the network's side of the connections to one switch listener.
type Client struct {
	Network spec.Network
	pool    *connection.Pool
	opts    ClientOptions
	log     *slog.Logger
	src     *traffic.Source // numbers the client's own network management

	signOns, echoesSent, echoesAnswered, keepAlivesSent, keepAlivesIn atomic.Int64
	unmatched, readErrors, connects, closed                           atomic.Int64
}

// Dial opens a pool of connections to addr and signs each on.
func Dial(ctx context.Context, n spec.Network, addr string, opts ClientOptions) (*Client, error) {
	if opts.Conns <= 0 {
		opts.Conns = 2
	}
	if opts.IdleTime <= 0 {
		opts.IdleTime = 30 * time.Second
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 10 * time.Second
	}
	if opts.ReconnectWait <= 0 {
		opts.ReconnectWait = time.Second
	}
	if opts.MaxFrame <= 0 {
		opts.MaxFrame = spec.DefaultMaxFrame
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ms, err := spec.Spec(n)
	if err != nil {
		return nil, err
	}
	c := &Client{Network: n, opts: opts, log: opts.Logger.With("network", n.String()),
		src: traffic.NewSource(n, 98, "400098", 0)}
	framing := &framer{client: c}
	factory := func(addr string) (*connection.Connection, error) {
		return connection.New(addr, ms, nil, nil,
			connection.SetMessageReader(framing),
			connection.SetMessageWriter(framing),
			connection.SetRequestIDGenerator(requestIDs{}),
			connection.SendTimeout(opts.SendTimeout),
			connection.IdleTime(opts.IdleTime),
			connection.ReadTimeout(4*opts.IdleTime),
			connection.OnConnectCtx(c.onConnect),
			connection.PingHandler(c.ping),
			connection.InboundMessageHandler(c.inbound),
			connection.ErrorHandler(func(err error) { c.log.Debug("connection error", "err", err) }),
			connection.WithConnectionClosedHandler(func(*connection.Connection) { c.closed.Add(1) }),
		)
	}
	addrs := make([]string, opts.Conns)
	for i := range addrs {
		addrs[i] = addr
	}
	c.pool, err = connection.NewPool(factory, addrs,
		connection.PoolReconnectWait(opts.ReconnectWait),
		connection.PoolMaxReconnectWait(10*opts.ReconnectWait),
		connection.PoolMinConnections(opts.Conns),
		connection.PoolErrorHandler(func(err error) { c.log.Debug("pool", "err", err) }),
	)
	if err != nil {
		return nil, fmt.Errorf("netsim: %s pool: %w", n, err)
	}
	if err := c.pool.ConnectCtx(ctx); err != nil {
		return nil, fmt.Errorf("netsim: connect %s %s: %w", n, addr, err)
	}
	return c, nil
}

// Close signs nothing off: it closes the connections after their pending
// requests.
func (c *Client) Close() error { return c.pool.Close() }

// Connections returns how many connections are up.
func (c *Client) Connections() int { return len(c.pool.Connections()) }

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		SignOns: c.signOns.Load(), EchoesSent: c.echoesSent.Load(), EchoesAnswered: c.echoesAnswered.Load(),
		KeepAlivesSent: c.keepAlivesSent.Load(), KeepAlivesIn: c.keepAlivesIn.Load(),
		Unmatched: c.unmatched.Load(), ReadErrors: c.readErrors.Load(),
		Connects: c.connects.Load(), Closed: c.closed.Load(),
	}
}

// Reply is an answer as the simulator reads it.
type Reply struct {
	MTI     string
	STAN    string
	Answer  spec.Answer
	Latency time.Duration
}

// ErrWrongAnswer: the answer's MTI or STAN is not the request's.
var ErrWrongAnswer = errors.New("netsim: answer does not match its request")

// Send sends a and waits for its answer on one of the pool's connections.
func (c *Client) Send(a *spec.Authorization) (Reply, error) {
	m, err := spec.BuildRequest(c.Network, a)
	if err != nil {
		return Reply{}, err
	}
	conn, err := c.pool.Get()
	if err != nil {
		return Reply{}, fmt.Errorf("netsim: %s: %w", c.Network, err)
	}
	start := time.Now()
	resp, err := conn.Send(m)
	if err != nil {
		return Reply{}, fmt.Errorf("netsim: %s %s STAN %s: %w", c.Network, a.MTI, a.STAN, err)
	}
	r := Reply{Latency: time.Since(start)}
	r.MTI, _ = resp.GetMTI()
	r.STAN, _ = resp.GetString(11)
	want := answerMTI(a.MTI)
	if r.MTI != want || r.STAN != a.STAN {
		return r, fmt.Errorf("%w: sent %s STAN %s, got %s STAN %s", ErrWrongAnswer, a.MTI, a.STAN, r.MTI, r.STAN)
	}
	if r.Answer, err = spec.AnswerFromMessage(c.Network, resp); err != nil {
		return r, fmt.Errorf("netsim: read %s answer: %w", c.Network, err)
	}
	return r, nil
}

// answerMTI is the MTI answering a request: the request's function digit
// plus one, the repeat digit dropped (0101 → 0110).
func answerMTI(mti string) string {
	if len(mti) != 4 {
		return ""
	}
	return mti[:2] + string(mti[2]+1) + "0"
}

// Echo sends an echo test on one connection and checks its answer.
func (c *Client) Echo() error {
	conn, err := c.pool.Get()
	if err != nil {
		return fmt.Errorf("netsim: %s: %w", c.Network, err)
	}
	return c.echo(conn)
}

func (c *Client) echo(conn *connection.Connection) error {
	return c.management(conn, traffic.EchoCode(c.Network), &c.echoesSent)
}

// management sends an 0800 with the code and checks the 0810 says 00.
func (c *Client) management(conn *connection.Connection, code string, counter *atomic.Int64) error {
	m, err := spec.BuildRequest(c.Network, c.src.NetworkManagement(code))
	if err != nil {
		return err
	}
	resp, err := conn.Send(m)
	if err != nil {
		return fmt.Errorf("netsim: %s 0800 %s: %w", c.Network, code, err)
	}
	if rc, _ := resp.GetString(39); rc != "00" {
		return fmt.Errorf("netsim: %s 0800 %s answered %q", c.Network, code, rc)
	}
	counter.Add(1)
	return nil
}

func (c *Client) onConnect(_ context.Context, conn *connection.Connection) error {
	c.connects.Add(1)
	return c.management(conn, traffic.SignOnCode(c.Network), &c.signOns)
}

// ping runs when a connection has sent nothing for IdleTime: an echo test,
// and on Visa a keep-alive frame as well.
func (c *Client) ping(conn *connection.Connection) {
	if c.Network == spec.Visa {
		if _, err := conn.Write(c.Network.AppendKeepAlive(nil)); err == nil {
			c.keepAlivesSent.Add(1)
		}
	}
	if err := c.echo(conn); err != nil {
		c.log.Warn("echo test failed", "err", err)
	}
}

// inbound handles what is not an answer to a pending request: the
// switch's own echo tests, and answers that came too late.
func (c *Client) inbound(conn *connection.Connection, m *iso8583.Message) {
	mti, _ := m.GetMTI()
	if mti != "0800" {
		c.unmatched.Add(1)
		return
	}
	ans, err := spec.BuildAnswer(c.Network, m, &spec.Answer{ResponseCode: "00"})
	if err != nil {
		c.readErrors.Add(1)
		return
	}
	if err := conn.Reply(ans); err != nil {
		c.log.Warn("answering the switch's echo", "err", err)
		return
	}
	c.echoesAnswered.Add(1)
}

// requestIDs matches answers to requests by what an answer echoes: the MTI
// class, STAN, transmission time and RRN. STANs wrap and repeat across
// connections; with the time and the RRN they do not.
type requestIDs struct{}

func (requestIDs) GenerateRequestID(m *iso8583.Message) (string, error) {
	mti, err := m.GetMTI()
	if err != nil || len(mti) != 4 {
		return "", fmt.Errorf("netsim: request id: no MTI")
	}
	stan, _ := m.GetString(11)
	if stan == "" {
		return "", fmt.Errorf("netsim: request id: no STAN")
	}
	at, _ := m.GetString(7)
	rrn, _ := m.GetString(37)
	return mti[1:2] + "|" + stan + "|" + at + "|" + rrn, nil
}

// framer is moov's message reader and writer for the network's framing.
type framer struct{ client *Client }

// ReadMessage reads one frame. A zero-length frame (Visa's keep-alive) is
// counted and gives no message; an undecodable one is reported as an
// UnpackError without its bytes, so that the connection carries on.
func (f *framer) ReadMessage(r io.Reader) (*iso8583.Message, error) {
	n := f.client.Network
	var prefix [4]byte
	p := prefix[:n.PrefixLen()]
	if _, err := io.ReadFull(r, p); err != nil {
		return nil, err
	}
	if n == spec.Visa && (p[2] != 0 || p[3] != 0) {
		return nil, fmt.Errorf("netsim: visa frame prefix lost its framing")
	}
	length := int(p[0])<<8 | int(p[1])
	if length == 0 {
		f.client.keepAlivesIn.Add(1)
		return nil, nil
	}
	if length > f.client.opts.MaxFrame {
		if _, err := io.CopyN(io.Discard, r, int64(length)); err != nil {
			return nil, err
		}
		f.client.readErrors.Add(1)
		return nil, &moovErrors.UnpackError{Err: fmt.Errorf("netsim: frame of %d bytes discarded", length)}
	}
	payload := make([]byte, length)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, err
	}
	m, err := spec.Unpack(n, payload)
	if err != nil {
		f.client.readErrors.Add(1)
		return nil, &moovErrors.UnpackError{Err: err} // spec's errors carry no message bytes
	}
	return m, nil
}

// WriteMessage frames and writes one message: for Visa with the header of
// a message from Visa to the issuer (which is also what answers to the
// switch's own echoes carry).
func (f *framer) WriteMessage(w io.Writer, m *iso8583.Message) error {
	n := f.client.Network
	var hdr *spec.VisaHeader
	if n == spec.Visa {
		h := traffic.RequestHeader()
		hdr = &h
	}
	frame, err := spec.PackFrame(n, m, hdr)
	if err != nil {
		return err
	}
	_, err = w.Write(frame)
	return err
}
