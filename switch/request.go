package netswitch

import (
	"sync/atomic"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// Request states, guarded by the connection's mutex.
const (
	statePending  uint8 = iota // read, not answered
	stateAnswered              // its own answer went to the writer
	stateStoodIn               // the stand-in answer went at the deadline
)

// request is one message in flight on a connection. It is pooled: the
// last of its users (the durability callback, or the deadline path while
// it records a stand-in) returns it.
type request struct {
	c        *conn
	req      spec.Request
	arrived  time.Time
	deadline int64 // unix nanos
	dec      Decision
	wire     []byte // the encoded answer
	state    uint8
	refs     atomic.Int32

	prev, next *request // the connection's pending list
	onDurable  func()   // q.durable, bound once so that registering it does not allocate
}

// reqList is an intrusive list of pending requests, oldest first. Deadlines
// are arrival plus a fixed budget, so the head always expires first.
type reqList struct {
	head, tail *request
	n          int
}

func (l *reqList) push(q *request) {
	q.prev, q.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = q
	} else {
		l.head = q
	}
	l.tail = q
	l.n++
}

func (l *reqList) remove(q *request) {
	if q.prev != nil {
		q.prev.next = q.next
	} else {
		l.head = q.next
	}
	if q.next != nil {
		q.next.prev = q.prev
	} else {
		l.tail = q.prev
	}
	q.prev, q.next = nil, nil
	l.n--
}

func (s *Server) getRequest() *request {
	q := s.pool.Get().(*request)
	q.refs.Store(1)
	q.state = statePending
	return q
}

func (s *Server) putRequest(q *request) {
	if q.refs.Add(-1) != 0 {
		return
	}
	q.c = nil
	q.dec = Decision{}
	if cap(q.wire) > 4<<10 {
		q.wire = nil
	}
	s.pool.Put(q)
}

// encode builds the answer to q from its decision. An answer the codec
// cannot build (it should always can) becomes a 96.
func (q *request) encode() {
	var err error
	q.wire, err = spec.AppendAnswer(q.wire[:0], &q.req, &q.dec.Answer)
	if err != nil {
		q.c.log.Error("answer could not be encoded; answering 96", "error", err, "mti", q.req.MTI)
		q.dec.Answer = spec.Answer{ResponseCode: "96"}
		q.wire, _ = spec.AppendAnswer(q.wire[:0], &q.req, &q.dec.Answer)
	}
}

// decide takes a request through the decider, then waits for its journal
// entry to be durable before the answer is released to the writer.
func (s *Server) decide(q *request) {
	c := q.c
	q.deadline = q.arrived.Add(c.l.cfg.Deadline).UnixNano()
	c.mu.Lock()
	c.pending.push(q)
	c.mu.Unlock()
	nm := &s.m.perNet[c.network]
	nm.inFlight.Inc()

	a := &q.req.Authorization
	switch a.Kind {
	case spec.KindAuthorization:
		if s.refuse != nil && s.refuse() {
			q.dec = Decision{Answer: spec.Answer{ResponseCode: "91"}, Reason: "refused_feed_backlog"}
			break
		}
		q.dec = s.dec.Authorize(a)
	case spec.KindAdvice:
		q.dec = s.dec.Advice(a)
	default: // reversal, reversal advice
		q.dec = s.dec.Reverse(a)
	}
	q.encode()
	if q.dec.Seq == 0 {
		q.durable()
		return
	}
	s.dur.OnDurable(q.dec.Seq, q.onDurable)
}

// durable runs once the decision's journal entry is synced: the answer
// leaves, unless the deadline has passed, in which case the stand-in answer
// leaves instead (or already has) and the decision is compensated.
func (q *request) durable() {
	c := q.c
	s := c.srv
	now := time.Now()
	var standIn spec.Answer
	c.mu.Lock()
	stoodInNow := q.state == statePending && now.UnixNano() > q.deadline
	if stoodInNow {
		standIn = s.standInLocked(q, now)
	}
	late := q.state == stateStoodIn
	if !late {
		q.state = stateAnswered
		c.pending.remove(q)
		if !c.closing {
			c.out = append(c.out, q.wire...)
		}
	}
	c.mu.Unlock()
	c.signal()
	if late {
		s.m.perNet[c.network].late.Inc()
		// An authorization's own decision never reached the network: record
		// the stand-in answer and undo the decision's hold. Advices and
		// reversals were the network's decisions and stand as recorded.
		// This runs on the ledger's committer, which must not call back
		// into the ledger: the records go on their own goroutine.
		if q.req.Kind == spec.KindAuthorization && (stoodInNow || q.dec.Holds) {
			a, d := q.req.Authorization, q.dec
			go func() {
				if stoodInNow {
					s.dec.StandIn(&a, &standIn)
				}
				if d.Holds {
					s.dec.Void(&a, &d)
				}
			}()
		}
		s.putRequest(q)
		return
	}
	s.finish(q, now)
	<-c.slots
	s.putRequest(q)
}

// answer sends an answer that needs no durability (0810).
func (s *Server) answer(q *request) {
	c := q.c
	c.enqueue(q.wire)
	s.finish(q, time.Now())
	<-c.slots
	s.putRequest(q)
}

// finish counts an answer that left.
func (s *Server) finish(q *request, now time.Time) {
	c := q.c
	a := &q.req.Authorization
	s.m.answer(c.network, a.MTI, q.dec.Answer.ResponseCode)
	nm := &s.m.perNet[c.network]
	nm.latency[a.Kind].Observe(now.Sub(q.arrived).Seconds())
	if a.Kind != spec.KindNetworkManagement {
		nm.inFlight.Dec()
		if q.dec.Reason != "" {
			s.m.decision(c.network, a.Kind, q.dec.Reason)
		}
	}
}

// expire answers, from the stand-in policy, every pending request of c
// whose deadline has passed.
func (s *Server) expire(c *conn, now time.Time) {
	for {
		c.mu.Lock()
		q := c.pending.head
		if q == nil || q.deadline > now.UnixNano() {
			c.mu.Unlock()
			return
		}
		q.refs.Add(1)
		ans := s.standInLocked(q, now)
		c.mu.Unlock()
		c.signal()
		s.recordStandIn(q, ans)
		s.putRequest(q)
	}
}

// standInLocked answers q from the stand-in policy (c.mu held) and returns
// the answer given, which the caller records with recordStandIn.
func (s *Server) standInLocked(q *request, now time.Time) spec.Answer {
	c := q.c
	cfg := &c.l.cfg
	a := &q.req.Authorization
	ans := spec.Answer{ResponseCode: "91"}
	switch a.Kind {
	case spec.KindAuthorization:
		if cfg.StandIn == StandInApprove && a.Amount <= cfg.StandInLimit &&
			(a.Type == spec.TxnPurchase || a.Type == spec.TxnCash || a.Type == spec.TxnPurchaseWithCashback) {
			ans = spec.Answer{ResponseCode: "00", AuthCode: standInAuthCode(a.STAN)}
		}
	default:
		// Advices and reversals: the network already decided; they are
		// acknowledged and recorded when the ledger catches up.
		ans = spec.Answer{ResponseCode: "00"}
	}
	q.state = stateStoodIn
	c.pending.remove(q)
	wire, err := spec.AppendAnswer(nil, &q.req, &ans)
	if err == nil && !c.closing {
		c.out = append(c.out, wire...)
	}
	s.m.standIns.WithLabelValues(c.network.String(), codeLabel(ans.ResponseCode)).Inc()
	s.m.answer(c.network, a.MTI, ans.ResponseCode)
	nm := &s.m.perNet[c.network]
	nm.latency[a.Kind].Observe(now.Sub(q.arrived).Seconds())
	nm.inFlight.Dec()
	<-c.slots
	return ans
}

// recordStandIn records a stand-in answer of an authorization. Advices and
// reversals need nothing: their own decision is late, not lost, and is
// applied when it completes.
func (s *Server) recordStandIn(q *request, ans spec.Answer) {
	if q.req.Kind != spec.KindAuthorization {
		return
	}
	s.dec.StandIn(&q.req.Authorization, &ans)
}

// standInAuthCode is the approval code of a stand-in approval: "S" and the
// request's STAN, so that operators can tell it from the issuer's own.
func standInAuthCode(stan string) string {
	if len(stan) != 6 {
		return "S00000"
	}
	return "S" + stan[1:]
}
