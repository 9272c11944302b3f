package load

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

// maxBatch bounds the requests written in one system call.
const maxBatch = 128

// runClock is a run's time base: nanoseconds since its start.
type runClock struct {
	start     time.Time
	warmupEnd int64
}

// slot is the in-flight record of one request, written by the connection's
// writer before the request leaves and read by its reader when the answer
// comes back.
type slot struct {
	intended atomic.Int64  // ns since the run's start
	meta     atomic.Uint64 // seq<<16 | pool<<8 | expected code; 0 when free
}

// conn is one TCP connection of the load: a writer goroutine that owns the
// sequence, the partition and the output buffer, and a reader goroutine
// that owns the recorder.
type conn struct {
	id      int
	network spec.Network
	nc      net.Conn
	part    *partition
	answers *answerReader
	clock   *runClock
	nonce   uint64

	// Writer's.
	seq     uint64
	rng     uint64
	values  Values
	out     []byte
	lastSec int64
	sentIn  atomic.Int64  // requests sent in the measured window
	sent    atomic.Uint64 // requests sent in all

	slots     []slot
	mask      uint64
	completed atomic.Uint64
	wake      chan struct{}
	signedOn  chan struct{}
	writeMu   sync.Mutex

	// Reader's.
	rec        *Recorder
	codeCounts [len(codes) + 1]int64 // by index in codes; the last counts codes not in the table
	readErr    error
	readerDone chan struct{}
}

func newConn(id int, n spec.Network, nc net.Conn, part *partition, answers *answerReader, clock *runClock, nonce uint64, slots int) *conn {
	size := 1
	for size < slots {
		size <<= 1
	}
	c := &conn{
		id: id, network: n, nc: nc, part: part, answers: answers, clock: clock, nonce: nonce,
		rng: uint64(id)*0x9E3779B97F4A7C15 + 1, out: make([]byte, 0, maxBatch*maxFrameSize/4),
		slots: make([]slot, size), mask: uint64(size - 1),
		wake: make(chan struct{}, 1), signedOn: make(chan struct{}, 1),
		rec: NewRecorder(), readerDone: make(chan struct{}),
	}
	putDecimal(c.values.Acquirer[:], uint64(400100+id))
	return c
}

// pending is the number of requests written and not yet answered.
func (c *conn) pending() uint64 { return c.sent.Load() - c.completed.Load() }

// signOn sends the network's sign-on and waits for its 0810.
func (c *conn) signOn(timeout time.Duration) error {
	src := traffic.NewSource(c.network, c.id, fmt.Sprint(400100+c.id), c.nonce)
	frame, err := traffic.Pack(c.network, src.NetworkManagement(traffic.SignOnCode(c.network)))
	if err != nil {
		return err
	}
	if err := c.write(frame); err != nil {
		return err
	}
	select {
	case <-c.signedOn:
		return nil
	case <-c.readerDone:
		return fmt.Errorf("load: %s connection %d closed before sign-on: %v", c.network, c.id, c.readErr)
	case <-time.After(timeout):
		return fmt.Errorf("load: %s connection %d: no answer to sign-on in %v", c.network, c.id, timeout)
	}
}

func (c *conn) write(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("load: %s connection %d: write: %w", c.network, c.id, err)
	}
	return nil
}

// errExhausted: every card drawn for an approving class has used its
// budget; the run would otherwise send requests whose answer it cannot
// know.
var errExhausted = errors.New("load: approval budgets exhausted: use a larger portfolio or the bench profile")

// runClosed keeps inflight requests outstanding until stop is closed or
// quota measured requests (0: no quota) have been sent.
func (c *conn) runClosed(inflight int, quota int64, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if quota > 0 && c.sentIn.Load() >= quota {
			return nil
		}
		room := int64(inflight) - int64(c.pending())
		if room <= 0 {
			select {
			case <-c.wake:
			case <-stop:
				return nil
			case <-c.readerDone:
				return c.readErr
			}
			continue
		}
		now := time.Now()
		at := int64(now.Sub(c.clock.start))
		c.setTransmission(now)
		c.out = c.out[:0]
		n := min(room, maxBatch)
		if quota > 0 && at >= c.clock.warmupEnd {
			n = min(n, quota-c.sentIn.Load())
		}
		for range n {
			if err := c.appendRequest(at); err != nil {
				return err
			}
		}
		if err := c.write(c.out); err != nil {
			return err
		}
	}
}

// runOpen sends on a fixed schedule, interval apart from phase on, until
// stop is closed or quota measured requests have been sent. Latency is
// taken from each request's intended time, so a late send is the switch's
// or the system's delay, never hidden.
func (c *conn) runOpen(interval, phase time.Duration, quota int64, stop <-chan struct{}) error {
	next := int64(phase)
	capacity := uint64(len(c.slots)) - 1
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		if quota > 0 && c.sentIn.Load() >= quota {
			return nil
		}
		now := time.Now()
		at := int64(now.Sub(c.clock.start))
		if next > at {
			timer.Reset(time.Duration(next - at))
			select {
			case <-timer.C:
			case <-stop:
				return nil
			case <-c.readerDone:
				return c.readErr
			}
			continue
		}
		due := (at-next)/int64(interval) + 1
		room := int64(capacity - c.pending())
		if room <= 0 {
			select { // the table is full: wait for answers; the delay counts as latency
			case <-c.wake:
			case <-stop:
				return nil
			case <-c.readerDone:
				return c.readErr
			}
			continue
		}
		n := min(due, room, maxBatch)
		if quota > 0 && next >= c.clock.warmupEnd {
			n = min(n, quota-c.sentIn.Load())
		}
		c.setTransmission(now)
		c.out = c.out[:0]
		for range n {
			if err := c.appendRequest(next); err != nil {
				return err
			}
			next += int64(interval)
		}
		if err := c.write(c.out); err != nil {
			return err
		}
	}
}

func (c *conn) setTransmission(now time.Time) {
	sec := now.Unix()
	if sec == c.lastSec {
		return
	}
	c.lastSec = sec
	copy(c.values.Transmission[:], now.UTC().Format("0102150405"))
}

// appendRequest appends the next request, intended to leave at the given
// time, and records it in its slot.
func (c *conn) appendRequest(intended int64) error {
	c.seq++
	seq := c.seq
	p := c.part
	ci := p.schedule[seq%uint64(len(p.schedule))]
	pool := p.pools[ci]
	e := c.pick(pool)
	if e == nil {
		return errExhausted
	}
	v := &c.values
	putDecimal(v.STAN[:], (seq-1)%999_999+1)
	putDecimal(v.RRN[:2], uint64(c.id))
	putDecimal(v.RRN[2:], seq)
	if c.network == spec.Mastercard {
		putBase36(v.Transaction[:1], c.nonce)
		putBase36(v.Transaction[1:3], uint64(c.id))
		putBase36(v.Transaction[3:banknetLen], seq)
	} else {
		v.Transaction[0] = '3'
		putDecimal(v.Transaction[1:2], c.nonce)
		putDecimal(v.Transaction[2:4], uint64(c.id))
		putDecimal(v.Transaction[4:], seq)
	}
	v.PAN, v.Expiry, v.CVV2, v.TrackCVV = e.pan, e.expiry, e.cvv2, e.trackCVV
	c.out = pool.tpl.Append(c.out, v)

	s := &c.slots[seq&c.mask]
	s.intended.Store(intended)
	s.meta.Store(seq<<16 | uint64(ci)<<8 | uint64(e.code))
	if intended >= c.clock.warmupEnd {
		c.sentIn.Add(1)
	}
	c.sent.Add(1)
	return nil
}

// pick draws a card of the pool; for a class that approves, one whose
// account still has budget for it, which it then spends.
func (c *conn) pick(pool *classPool) *entry {
	for range 32 {
		// xorshift64*
		c.rng ^= c.rng >> 12
		c.rng ^= c.rng << 25
		c.rng ^= c.rng >> 27
		r := c.rng * 0x2545F4914F6CDD1D
		e := &pool.entries[r%uint64(len(pool.entries))]
		if !pool.approves {
			return e
		}
		b := &c.part.budgets[e.budget]
		if b.amount >= pool.class.Amount && b.approvals >= 1 {
			b.amount -= pool.class.Amount
			b.approvals--
			return e
		}
	}
	return nil
}

// readLoop reads answers until the connection closes.
func (c *conn) readLoop() {
	defer close(c.readerDone)
	buf := make([]byte, 256<<10)
	r, w := 0, 0
	discard := 0
	for {
		if w == len(buf) {
			copy(buf, buf[r:w])
			w -= r
			r = 0
		}
		n, err := c.nc.Read(buf[w:])
		w += n
		if n > 0 {
			now := time.Since(c.clock.start)
			done := uint64(0)
			for {
				if discard > 0 {
					d := min(discard, w-r)
					r += d
					discard -= d
					if discard > 0 {
						break
					}
				}
				f, used, ferr := c.network.NextFrame(buf[r:w], 0)
				if ferr != nil {
					c.readErr = fmt.Errorf("load: %s connection %d lost its framing: %w", c.network, c.id, ferr)
					c.rec.Errors++
					c.nc.Close()
					c.flushCodes()
					return
				}
				if f.Kind == spec.FrameNeedMore {
					break
				}
				r += used
				switch f.Kind {
				case spec.FrameKeepAlive:
					if c.network == spec.Visa {
						_ = c.write(c.network.AppendKeepAlive(nil))
					}
				case spec.FrameOversized:
					c.rec.Errors++
					discard = f.Discard
				case spec.FrameMessage:
					if c.handle(f.Payload, now) {
						done++
					}
				}
			}
			if r == w {
				r, w = 0, 0
			}
			if done > 0 {
				c.completed.Add(done)
				select {
				case c.wake <- struct{}{}:
				default:
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.readErr = fmt.Errorf("load: %s connection %d: read: %w", c.network, c.id, err)
			}
			c.flushCodes()
			return
		}
	}
}

// handle processes one answer and reports whether it completed a request.
func (c *conn) handle(payload []byte, now time.Duration) bool {
	var info answerInfo
	if err := c.answers.read(payload, &info); err != nil {
		c.rec.Errors++
		return false
	}
	switch info.mti {
	case 110:
	case 810: // our sign-on's answer
		select {
		case c.signedOn <- struct{}{}:
		default:
		}
		return false
	case 800: // the switch's echo: answer it as the network does
		c.answerEcho(payload)
		return false
	default:
		c.rec.Errors++
		return false
	}
	if info.has&(hasRRN|hasSTAN|hasCode) != hasRRN|hasSTAN|hasCode {
		c.rec.Errors++
		return false
	}
	if digitsValue(info.rrn[:2], 2, false) != uint64(c.id) {
		c.rec.Errors++
		return false
	}
	seq := digitsValue(info.rrn[2:], 10, false)
	s := &c.slots[seq&c.mask]
	meta := s.meta.Load()
	if meta == 0 || meta>>16 != seq || info.stan != uint32((seq-1)%999_999+1) {
		c.rec.Errors++ // an answer to nothing in flight, or a duplicate
		return false
	}
	intended := s.intended.Load()
	s.meta.Store(0)

	want := codes[meta&0xFF]
	if ci, ok := codeIndex(string(info.code[:])); ok {
		c.codeCounts[ci]++
	} else {
		c.codeCounts[len(codes)]++
	}
	if info.code[0] != want[0] || info.code[1] != want[1] {
		c.rec.Unexpected++
		class := c.part.pools[(meta>>8)&0xFF].class.Name
		got := string(info.code[:]) // a copy: info stays on the stack
		c.rec.Mismatches[c.network.String()+" "+class+": want "+want+", got "+got]++
	}
	if intended >= c.clock.warmupEnd {
		c.rec.Answered++
		c.rec.Latency(now - time.Duration(intended))
	}
	c.rec.Tick(now)
	return true
}

// answerEcho answers an 0800 from the switch with its 0810, 39 = 00.
func (c *conn) answerEcho(payload []byte) {
	var req spec.Request
	if err := spec.DecodeRequest(c.network, payload, &req); err != nil {
		c.rec.Errors++
		return
	}
	out, err := spec.AppendAnswer(nil, &req, &spec.Answer{ResponseCode: "00"})
	if err != nil {
		c.rec.Errors++
		return
	}
	_ = c.write(out)
}

func (c *conn) flushCodes() {
	for i, n := range c.codeCounts {
		if n == 0 {
			continue
		}
		if i < len(codes) {
			c.rec.Codes[codes[i]] += n
		} else {
			c.rec.Codes["other"] += n
		}
	}
	c.codeCounts = [len(codes) + 1]int64{}
}
