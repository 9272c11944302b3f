package feed

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/prometheus/client_golang/prometheus"
)

// Journal is the ledger's side of the outbox, as the publisher uses it;
// *ledger.Ledger implements it.
type Journal interface {
	ReadJournal(from uint64, max int, buf []ledger.Entry) ([]ledger.Entry, error)
	Ack(upTo uint64) error
	Backlog() (entries, bytes uint64)
	DurableSeq() uint64
}

// closedReporter is the optional health a journal may offer
// (*ledger.Ledger does): reading a closed ledger is refused up front.
type closedReporter interface {
	Err() error
}

// journalClosed reports whether the journal says it is closed.
func (p *Publisher) journalClosed() bool {
	if c, ok := p.j.(closedReporter); ok {
		return errors.Is(c.Err(), ledger.ErrClosed)
	}
	return false
}

// durableNotifier is the optional notification a journal may offer
// (*ledger.Ledger does): fn runs once entry seq is durable.
type durableNotifier interface {
	OnDurable(seq uint64, fn func())
}

// BoundPolicy is what the switch does while the feed's backlog is over its
// configured bound.
type BoundPolicy string

const (
	// ApproveAndAlert keeps deciding normally and raises the alarm
	// (authswitch_feed_over_bound = 1, Ready fails, a warning in the log). The
	// default: the backlog is durable in the ledger's journal, so nothing
	// is lost by approving, while declining 91 turns a settlement-side
	// outage into a cardholder-facing one — and the network then stands in
	// for the issuer without the ledger knowing, which is worse for money.
	ApproveAndAlert BoundPolicy = "approve_and_alert"
	// Decline91 answers 91 (issuer unavailable) to new authorizations
	// while over the bound: for programs that must never approve what they
	// cannot report promptly, or whose journal disk must stay bounded.
	Decline91 BoundPolicy = "decline_91"
)

// Options configure a Publisher. Zero values take the defaults noted.
type Options struct {
	// WindowEntries is the most entries read and sent as one window (512);
	// WindowBytes caps a window's encoded records (1 MiB, softly: a window
	// always holds at least one record).
	WindowEntries int
	WindowBytes   int
	// MaxInFlight is the most windows sent and not yet acknowledged by the
	// sink (16). Together with WindowEntries it bounds how far back a
	// restart replays into the sink.
	MaxInFlight int
	// Poll is how often the publisher looks for new durable entries when
	// the journal gives no notification (50ms; with *ledger.Ledger it is
	// only a fallback).
	Poll time.Duration
	// AckEvery is the most often the ledger is told what was shipped (10ms).
	AckEvery time.Duration
	// RetryMin and RetryMax bound the back-off between attempts to send a
	// window the sink failed (100ms, 5s).
	RetryMin, RetryMax time.Duration
	// DrainTimeout is how long shutdown waits for windows in flight (5s).
	DrainTimeout time.Duration

	// The backlog bound: durable entries the sink has not acknowledged,
	// the journal bytes holding them, and the age of the oldest. Over any
	// of them, OverBound is true. Defaults: 10M entries, 4 GiB; age 0
	// means no age bound.
	MaxBacklogEntries uint64
	MaxBacklogBytes   uint64
	MaxBacklogAge     time.Duration
	// Policy is what the switch does over the bound (ApproveAndAlert).
	Policy BoundPolicy

	// Observe, when set, is given every window's journal entries, in
	// order, on the publisher's goroutine, before the window goes to the
	// sink — so before the ledger can be told they shipped (the admin
	// API's authorization index is fed this way: index.Add). An error
	// holds the window back: it is read and observed again after
	// RetryMin. After a restart entries may be observed again; Observe
	// must be idempotent by sequence number, and must not keep the slice.
	Observe func(entries []ledger.Entry) error

	// Registerer, when set, gets the feed's Prometheus metrics.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
}

func (o *Options) defaults() error {
	if o.WindowEntries <= 0 {
		o.WindowEntries = 512
	}
	if o.WindowBytes <= 0 {
		o.WindowBytes = 1 << 20
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 16
	}
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	if o.AckEvery <= 0 {
		o.AckEvery = 10 * time.Millisecond
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 100 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(5*time.Second, o.RetryMin)
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 5 * time.Second
	}
	if o.MaxBacklogEntries == 0 {
		o.MaxBacklogEntries = 10_000_000
	}
	if o.MaxBacklogBytes == 0 {
		o.MaxBacklogBytes = 4 << 30
	}
	switch o.Policy {
	case "":
		o.Policy = ApproveAndAlert
	case ApproveAndAlert, Decline91:
	default:
		return fmt.Errorf("feed: unknown backlog policy %q (want %q or %q)", o.Policy, ApproveAndAlert, Decline91)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Errors the publisher reports.
var (
	// ErrNotRunning: Run has not started (or has returned).
	ErrNotRunning = errors.New("feed: publisher not running")
	// ErrSinkFailing wraps the sink's last error while windows are failing.
	ErrSinkFailing = errors.New("feed: sink failing")
	// ErrOverBound: the backlog is over its configured bound.
	ErrOverBound = errors.New("feed: backlog over its bound")
	// ErrJournalGap: the journal no longer holds an entry the sink never
	// acknowledged. It should be impossible (the ledger keeps every entry
	// until Ack) and stops the publisher.
	ErrJournalGap = errors.New("feed: journal gap")
	// ErrObserve wraps the error of Options.Observe.
	ErrObserve = errors.New("feed: observer refused entries")
	// ErrAlreadyRunning: Run was called twice.
	ErrAlreadyRunning = errors.New("feed: publisher already running")
)

// Publisher ships the ledger's durable journal entries to a Sink in order,
// and acknowledges them to the ledger only after the sink did: the
// ledger's journal is the outbox. It never blocks the ledger or the
// sessions; it only reads what is already durable. At most MaxInFlight
// windows are in flight; on restart it resumes from the first entry the
// ledger has not been told about, so the sink sees every entry at least
// once and a consumer keyed on the entry id sees each exactly once.
type Publisher struct {
	j    Journal
	sink Sink
	opts Options
	log  *slog.Logger
	m    *pubMetrics

	completions chan completion
	wake        chan struct{}

	// Owned by the Run goroutine.
	next        uint64 // the next sequence number to read
	inflight    []*Window
	free        []*Window
	entries     []ledger.Entry
	failing     bool
	backoff     time.Duration
	retryAt     time.Time
	armedFor    uint64
	lastAck     time.Time
	ledgerAck   uint64 // what the ledger was last told
	shippedTo   uint64 // every entry ≤ this is acknowledged by the sink
	failedRuns  int
	readFailing bool

	// Shared with readers (metrics, readiness, the switch's hot path).
	running     atomic.Bool
	started     atomic.Bool
	overBound   atomic.Bool
	shipped     atomic.Uint64 // = shippedTo
	oldestNanos atomic.Int64  // time of the oldest unacknowledged entry in flight; 0: none
	progressAt  atomic.Int64  // when the sink last acknowledged a window (or Run started)
	backlogE    atomic.Uint64
	backlogB    atomic.Uint64
	lastErr     atomic.Pointer[error]
	fatal       atomic.Pointer[error]

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	closed  bool
	sinkErr error
}

type completion struct {
	w   *Window
	err error
}

// New returns a publisher of j's entries to sink. The publisher owns the
// sink from here on: Close closes it.
func New(j Journal, sink Sink, opts Options) (*Publisher, error) {
	if j == nil || sink == nil {
		return nil, errors.New("feed: a publisher needs a journal and a sink")
	}
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	p := &Publisher{
		j: j, sink: sink, opts: opts,
		log:         opts.Logger.With("component", "feed", "sink", sink.Name()),
		completions: make(chan completion, opts.MaxInFlight),
		wake:        make(chan struct{}, 1),
		entries:     make([]ledger.Entry, 0, opts.WindowEntries),
		done:        make(chan struct{}),
	}
	p.m = newPubMetrics(p, sink.Name())
	if opts.Registerer != nil {
		if err := p.m.register(opts.Registerer); err != nil {
			return nil, fmt.Errorf("feed: registering metrics: %w", err)
		}
	}
	for range opts.MaxInFlight {
		p.free = append(p.free, &Window{
			Data:    make([]byte, 0, min(opts.WindowBytes+4096, 4<<20)),
			Records: make([]RecordRef, 0, opts.WindowEntries),
		})
	}
	return p, nil
}

// Run ships entries until ctx is done or Close is called, then waits up to
// DrainTimeout for the windows in flight and tells the ledger what they
// shipped. It returns nil after such a stop, or the fatal error that
// stopped it (a journal gap or a journal that cannot be read).
func (p *Publisher) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrNotRunning
	}
	if !p.started.CompareAndSwap(false, true) {
		p.mu.Unlock()
		return ErrAlreadyRunning
	}
	ctx, cancel := context.WithCancel(ctx)
	p.cancel = cancel
	p.mu.Unlock()
	defer close(p.done)
	defer cancel()

	p.next = p.resumePoint()
	p.shippedTo, p.ledgerAck = p.next-1, p.next-1
	p.shipped.Store(p.shippedTo)
	p.progressAt.Store(p.opts.Now().UnixNano())
	p.backoff = p.opts.RetryMin
	p.running.Store(true)
	defer p.running.Store(false)
	p.log.Info("feed publisher started", "from", p.next)

	stopGauges := p.watchBacklog()
	defer p.refreshBacklog() // the final state, for Status after Run
	defer stopGauges()

	tick := time.NewTicker(p.opts.Poll)
	defer tick.Stop()
	retryTimer := time.NewTimer(time.Hour)
	retryTimer.Stop()
	defer retryTimer.Stop()
	readBackoff := time.NewTimer(time.Hour)
	readBackoff.Stop()
	defer readBackoff.Stop()
	for {
		p.collect()
		if ctx.Err() != nil {
			p.drain()
			return nil
		}
		if p.failing && !p.retryAt.IsZero() && !p.opts.Now().Before(p.retryAt) {
			p.resend()
		}
		if !p.failing && len(p.free) > 0 {
			w, err := p.readWindow()
			if err != nil {
				if errors.Is(err, ErrJournalGap) || errors.Is(err, ledger.ErrClosed) {
					p.fatal.Store(&err)
					p.log.Error("feed publisher stopped", "err", err)
					p.drain()
					return err
				}
				p.setErr(err)
				p.readFailing = true
				p.log.Warn("reading the journal", "err", err)
				readBackoff.Reset(p.opts.RetryMin)
				select {
				case <-readBackoff.C:
				case <-ctx.Done():
				}
				continue
			} else {
				if p.readFailing {
					p.readFailing = false
					if p.failedRuns == 0 {
						p.lastErr.Store(nil)
					}
				}
				if w != nil {
					p.send(w)
					continue
				}
				p.armWake()
			}
		}
		var retry <-chan time.Time
		if p.failing && !p.retryAt.IsZero() {
			retryTimer.Reset(max(p.retryAt.Sub(p.opts.Now()), 0))
			retry = retryTimer.C
		}
		select {
		case c := <-p.completions:
			p.complete(c)
		case <-p.wake:
		case <-tick.C:
			p.maybeAck(false)
		case <-retry:
		case <-ctx.Done():
		}
	}
}

// resumePoint is the first entry the ledger was not told about. The
// ledger gives the backlog, not its acknowledgement; reading the durable
// sequence before and after keeps the answer safe: at worst a few entries
// already acknowledged are shipped again.
func (p *Publisher) resumePoint() uint64 {
	for range 8 {
		d0 := p.j.DurableSeq()
		e, _ := p.j.Backlog()
		if p.j.DurableSeq() == d0 {
			return d0 - min(e, d0) + 1
		}
	}
	d0 := p.j.DurableSeq()
	e, _ := p.j.Backlog()
	return d0 - min(e, d0) + 1
}

// readWindow reads and encodes the next window, or returns nil when
// nothing new is durable.
func (p *Publisher) readWindow() (*Window, error) {
	if p.journalClosed() {
		return nil, fmt.Errorf("feed: reading the journal: %w", ledger.ErrClosed)
	}
	var err error
	p.entries, err = p.j.ReadJournal(p.next, p.opts.WindowEntries, p.entries)
	if err != nil {
		return nil, err
	}
	if len(p.entries) == 0 {
		return nil, nil
	}
	if first := p.entries[0].Seq; first != p.next {
		return nil, fmt.Errorf("%w: wanted entry %d, the journal starts at %d", ErrJournalGap, p.next, first)
	}
	w := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	w.reset()
	n := 0
	for i := range p.entries {
		e := &p.entries[i]
		if w.Len() > 0 && len(w.Data) >= p.opts.WindowBytes {
			break
		}
		if err := w.Append(e); err != nil {
			p.free = append(p.free, w)
			return nil, fmt.Errorf("%w: %w", ErrJournalGap, err)
		}
		n++
	}
	if p.opts.Observe != nil {
		if err := p.opts.Observe(p.entries[:n]); err != nil {
			p.free = append(p.free, w)
			clear(p.entries)
			return nil, fmt.Errorf("%w: entries %d-%d: %w", ErrObserve, w.First, w.Last, err)
		}
	}
	// Drop references into the journal's decoded entries.
	clear(p.entries)
	p.next = w.Last + 1
	return w, nil
}

func (p *Publisher) send(w *Window) {
	w.Floor = p.shippedTo + 1
	w.state = windowPending
	w.tries++
	w.sent = p.opts.Now()
	if w.doneFn == nil {
		w.doneFn = func(err error) { p.completions <- completion{w, err} }
	}
	if w.tries == 1 {
		p.inflight = append(p.inflight, w)
		p.setOldest()
	}
	p.sink.Send(w, w.doneFn)
}

// collect handles every completion already waiting.
func (p *Publisher) collect() {
	for {
		select {
		case c := <-p.completions:
			p.complete(c)
		default:
			return
		}
	}
}

func (p *Publisher) complete(c completion) {
	w := c.w
	if c.err != nil {
		w.state = windowFailed
		p.m.failures.Inc()
		p.setErr(fmt.Errorf("%w: %w", ErrSinkFailing, c.err))
		if !p.failing {
			p.failing = true
			p.retryAt = p.opts.Now().Add(p.backoff)
			p.failedRuns++
			if p.failedRuns == 1 || p.failedRuns%20 == 0 {
				p.log.Warn("feed sink failed; entries stay in the journal and will be sent again",
					"entries", fmt.Sprintf("%d-%d", w.First, w.Last), "retry_in", p.backoff, "err", c.err)
			}
		}
		return
	}
	w.state = windowAcked
	p.m.shipSeconds.Observe(p.opts.Now().Sub(w.sent).Seconds())
	p.m.entries.Add(float64(w.Len()))
	p.m.bytes.Add(float64(len(w.Data)))
	p.m.windows.Inc()
	n := 0
	for n < len(p.inflight) && p.inflight[n].state == windowAcked {
		p.shippedTo = p.inflight[n].Last
		p.inflight[n].state = windowFree
		p.free = append(p.free, p.inflight[n])
		n++
	}
	if n > 0 {
		copy(p.inflight, p.inflight[n:])
		clear(p.inflight[len(p.inflight)-n:])
		p.inflight = p.inflight[:len(p.inflight)-n]
		p.shipped.Store(p.shippedTo)
		p.progressAt.Store(p.opts.Now().UnixNano())
		p.setOldest()
		p.maybeAck(false)
	}
	if p.failedRuns > 0 && !p.anyFailed() {
		p.failing, p.retryAt, p.backoff = false, time.Time{}, p.opts.RetryMin
		p.lastErr.Store(nil)
		p.log.Info("feed sink recovered", "shipped_through", p.shippedTo)
		p.failedRuns = 0
	}
}

func (p *Publisher) anyFailed() bool {
	for _, w := range p.inflight {
		if w.state == windowFailed {
			return true
		}
	}
	return false
}

// resend sends every failed window again, oldest first, and backs off
// further in case they fail again.
func (p *Publisher) resend() {
	p.retryAt = time.Time{}
	p.backoff = min(2*p.backoff, p.opts.RetryMax)
	resent := 0
	for _, w := range p.inflight {
		if w.state == windowFailed {
			p.m.retries.Inc()
			p.send(w)
			resent++
		}
	}
	if resent == 0 {
		p.failing = false
		return
	}
	// Whatever fails now schedules the next attempt.
	p.failing = false
}

// maybeAck tells the ledger what the sink acknowledged, at most every
// AckEvery unless forced.
func (p *Publisher) maybeAck(force bool) {
	if p.shippedTo <= p.ledgerAck {
		return
	}
	now := p.opts.Now()
	if !force && now.Sub(p.lastAck) < p.opts.AckEvery {
		return
	}
	if p.journalClosed() {
		// Closed under us (close the publisher first): the entries stay
		// unacknowledged and are shipped again after the restart.
		return
	}
	if err := p.j.Ack(p.shippedTo); err != nil {
		p.log.Warn("acknowledging shipped entries to the ledger", "through", p.shippedTo, "err", err)
		return
	}
	p.ledgerAck, p.lastAck = p.shippedTo, now
}

// armWake asks the journal to say when entry next is durable.
func (p *Publisher) armWake() {
	n, ok := p.j.(durableNotifier)
	if !ok || p.armedFor == p.next {
		return
	}
	p.armedFor = p.next
	n.OnDurable(p.next, func() {
		select {
		case p.wake <- struct{}{}:
		default:
		}
	})
}

// drain waits up to DrainTimeout for the windows in flight, then tells the
// ledger what shipped.
func (p *Publisher) drain() {
	deadline := time.NewTimer(p.opts.DrainTimeout)
	defer deadline.Stop()
	for p.pendingCount() > 0 {
		select {
		case c := <-p.completions:
			p.complete(c)
		case <-deadline.C:
			p.log.Warn("feed publisher stopped with windows in flight; they will be sent again on restart",
				"pending", p.pendingCount())
			p.maybeAck(true)
			return
		}
	}
	p.maybeAck(true)
}

func (p *Publisher) pendingCount() int {
	n := 0
	for _, w := range p.inflight {
		if w.state == windowPending {
			n++
		}
	}
	return n
}

func (p *Publisher) setOldest() {
	if len(p.inflight) == 0 {
		p.oldestNanos.Store(0)
		return
	}
	t := p.inflight[0].Oldest
	if t.IsZero() {
		t = p.inflight[0].sent
	}
	p.oldestNanos.Store(t.UnixNano())
}

func (p *Publisher) setErr(err error) { p.lastErr.Store(&err) }

// watchBacklog refreshes the backlog gauges and the over-bound flag every
// 100ms on its own goroutine, so that they stay current even while the
// publisher waits on a slow sink.
func (p *Publisher) watchBacklog() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	p.refreshBacklog()
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.refreshBacklog()
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func (p *Publisher) refreshBacklog() {
	e, b := p.j.Backlog()
	p.backlogE.Store(e)
	p.backlogB.Store(b)
	age := p.OldestAge()
	over := e > p.opts.MaxBacklogEntries || b > p.opts.MaxBacklogBytes ||
		(p.opts.MaxBacklogAge > 0 && age > p.opts.MaxBacklogAge)
	if over && !p.overBound.Load() {
		p.log.Warn("feed backlog over its bound", "entries", e, "bytes", b, "oldest_age", age,
			"policy", p.opts.Policy)
	} else if !over && p.overBound.Load() {
		p.log.Info("feed backlog back within its bound", "entries", e, "bytes", b)
	}
	p.overBound.Store(over)
}

// OverBound reports whether the backlog is over its configured bound; the
// switch consults it (with Policy) before approving. It is one atomic
// load, refreshed every 100ms.
func (p *Publisher) OverBound() bool { return p.overBound.Load() }

// Policy is the configured behaviour over the bound.
func (p *Publisher) Policy() BoundPolicy { return p.opts.Policy }

// Decline91 reports whether the switch should answer 91 now: over the
// bound with the Decline91 policy.
func (p *Publisher) Decline91() bool {
	return p.opts.Policy == Decline91 && p.overBound.Load()
}

// OldestAge is how long the oldest entry not yet acknowledged by the sink
// has waited; 0 when the sink is caught up.
func (p *Publisher) OldestAge() time.Duration {
	if p.backlogE.Load() == 0 && p.oldestNanos.Load() == 0 {
		return 0
	}
	now := p.opts.Now().UnixNano()
	if o := p.oldestNanos.Load(); o != 0 {
		return time.Duration(max(now-o, 0))
	}
	// Durable entries not yet read (the publisher is behind or stopped):
	// they have waited at least since the sink last made progress.
	if at := p.progressAt.Load(); at != 0 && p.backlogE.Load() > 0 {
		return time.Duration(max(now-at, 0))
	}
	return 0
}

// Healthy reports whether the feed is shipping: nil, or ErrSinkFailing
// with the sink's last error, or the journal read or Observe error that
// holds it back, or the fatal error that stopped the publisher.
func (p *Publisher) Healthy() error {
	if f := p.fatal.Load(); f != nil {
		return *f
	}
	if !p.running.Load() {
		return ErrNotRunning
	}
	if e := p.lastErr.Load(); e != nil {
		return *e
	}
	return nil
}

// Ready is what /readyz asks: nil while the publisher runs and its
// backlog is within the bound. A failing sink alone does not make the
// switch unready (the backlog is durable and bounded); Healthy says so.
func (p *Publisher) Ready() error {
	if f := p.fatal.Load(); f != nil {
		return *f
	}
	if !p.running.Load() {
		return ErrNotRunning
	}
	if p.overBound.Load() {
		return fmt.Errorf("%w (%d entries, %d bytes, oldest %s; policy %s)", ErrOverBound,
			p.backlogE.Load(), p.backlogB.Load(), p.OldestAge().Round(time.Millisecond), p.opts.Policy)
	}
	return nil
}

// Status is a snapshot for /readyz bodies and operators.
type Status struct {
	Sink           string        `json:"sink"`
	Running        bool          `json:"running"`
	ShippedThrough uint64        `json:"shipped_through"`
	BacklogEntries uint64        `json:"backlog_entries"`
	BacklogBytes   uint64        `json:"backlog_bytes"`
	OldestAge      time.Duration `json:"oldest_age_ns"`
	OverBound      bool          `json:"over_bound"`
	Policy         BoundPolicy   `json:"policy"`
	Error          string        `json:"error,omitempty"`
}

// Status returns the publisher's state.
func (p *Publisher) Status() Status {
	s := Status{Sink: p.sink.Name(), Running: p.running.Load(), ShippedThrough: p.shipped.Load(),
		BacklogEntries: p.backlogE.Load(), BacklogBytes: p.backlogB.Load(), OldestAge: p.OldestAge(),
		OverBound: p.overBound.Load(), Policy: p.opts.Policy}
	if err := p.Healthy(); err != nil {
		s.Error = err.Error()
	}
	return s
}

// ShippedThrough is the newest sequence number such that the sink
// acknowledged it and every entry before it.
func (p *Publisher) ShippedThrough() uint64 { return p.shipped.Load() }

// Close stops Run (draining as Run does), then closes the sink. It is safe
// to call more than once and without Run.
func (p *Publisher) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return p.sinkErr
	}
	p.closed = true
	cancel, started := p.cancel, p.started.Load()
	p.mu.Unlock()
	if started {
		cancel()
		<-p.done
	}
	err := p.sink.Close()
	if err != nil {
		err = fmt.Errorf("feed: closing sink %s: %w", p.sink.Name(), err)
	}
	p.mu.Lock()
	p.sinkErr = err
	p.mu.Unlock()
	return err
}
