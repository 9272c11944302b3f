package netsim

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/spec"
)

// modelSwitch answers on loopback from a model of its own, through spec's
// hot path: it stands in for the switch so that the simulator's side
// (framing, request ids, sign-on, echoes both ways, keep-alives,
// reconnection, flows, scenarios, comparisons) can be tested before and
// apart from the real one. lie, when set, may change the code it answers.
type modelSwitch struct {
	m     *model.Model
	ln    map[spec.Network]net.Listener
	lie   func(want string) string
	auth  atomic.Uint64
	echos atomic.Int64 // 0810s received for its own echoes

	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func startModelSwitch(t *testing.T, opts portfolio.Options, lie func(string) string) *modelSwitch {
	t.Helper()
	s := &modelSwitch{m: model.New(), ln: map[spec.Network]net.Listener{}, lie: lie, conns: map[net.Conn]bool{}}
	if _, err := portfolio.Generate(opts, s.m); err != nil {
		t.Fatal(err)
	}
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		s.ln[n] = ln
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				s.mu.Lock()
				s.conns[c] = true
				s.mu.Unlock()
				s.wg.Add(1)
				go s.serve(n, c)
			}
		}()
	}
	t.Cleanup(func() {
		for _, ln := range s.ln {
			ln.Close()
		}
		s.dropAll()
		s.wg.Wait()
	})
	return s
}

func (s *modelSwitch) addr(n spec.Network) string { return s.ln[n].Addr().String() }

// dropAll closes every connection, as a restarting switch would.
func (s *modelSwitch) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
	}
}

func (s *modelSwitch) serve(n spec.Network, c net.Conn) {
	defer s.wg.Done()
	defer c.Close()
	var wmu sync.Mutex
	write := func(b []byte) {
		wmu.Lock()
		defer wmu.Unlock()
		_, _ = c.Write(b)
	}
	// The switch's own echo test, once per connection.
	go func() {
		time.Sleep(20 * time.Millisecond)
		write(spec.AppendEcho(nil, n, 777, time.Now(), nil))
	}()
	buf := make([]byte, 64<<10)
	r, w := 0, 0
	var req spec.Request
	for {
		k, err := c.Read(buf[w:])
		if err != nil {
			return
		}
		w += k
		for {
			f, used, err := n.NextFrame(buf[r:w], 0)
			if err != nil {
				return
			}
			if f.Kind == spec.FrameNeedMore {
				break
			}
			r += used
			if f.Kind == spec.FrameKeepAlive {
				write(n.AppendKeepAlive(nil))
				continue
			}
			if mti, err := spec.PeekMTI(n, f.Payload); err == nil && mti == 810 {
				s.echos.Add(1)
				continue
			}
			if err := spec.DecodeRequest(n, f.Payload, &req); err != nil {
				out, ok := spec.AppendFormatError(nil, n, f.Payload)
				if ok {
					write(out)
				}
				continue
			}
			out, _ := spec.AppendAnswer(nil, &req, s.answer(&req.Authorization))
			write(out)
		}
		copy(buf, buf[r:w])
		w -= r
		r = 0
	}
}

func (s *modelSwitch) answer(a *spec.Authorization) *spec.Answer {
	if a.Kind == spec.KindNetworkManagement {
		return &spec.Answer{ResponseCode: "00"}
	}
	e, err := s.m.Expect(a, time.Now())
	if err != nil {
		return &spec.Answer{ResponseCode: "96"}
	}
	ans := &spec.Answer{ResponseCode: e.Code, CVV2Result: e.CVV2Result, CVVResult: e.CVVResult}
	if s.lie != nil {
		if ans.ResponseCode = s.lie(e.Code); ans.ResponseCode != e.Code {
			e.AuthCodeRequired = ans.ResponseCode == "00"
		}
	}
	if e.AuthCodeRequired && a.Kind == spec.KindAuthorization {
		ans.AuthCode = e.AuthCode
		if ans.AuthCode == "" {
			ans.AuthCode = fmt.Sprintf("A%05d", s.auth.Add(1)%100_000)
			s.m.RecordAuthCode(a, ans.AuthCode)
		}
	}
	if e.Partial {
		ans.Partial, ans.ApprovedAmount = true, e.Amount
		ans.RequestedAmount, ans.RequestedCurrency = a.Amount, a.Currency
	}
	if e.Balances {
		ans.HasBalances, ans.LedgerBalance, ans.Available, ans.BalanceCurrency = true, e.Ledger, e.Available, e.BalanceCurrency
	}
	return ans
}
