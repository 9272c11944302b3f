package netswitch_test

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"

	"github.com/moov-io/iso8583"
	connection "github.com/moov-io/iso8583-connection"

	"github.com/authswitch/authswitch/spec"
	netswitch "github.com/authswitch/authswitch/switch"
)

// approveAll is the session benchmarks' decider: it approves at once and
// has nothing to make durable, so that the benchmarks measure the session
// layer (framing, codec, pipelining, writes) and nothing else. The request
// path with the real rules and ledger is measured by the bench harness.
type approveAll struct{}

func (approveAll) Authorize(*spec.Authorization) netswitch.Decision {
	return netswitch.Decision{Answer: spec.Answer{ResponseCode: "00", AuthCode: "A1B2C3"}}
}
func (approveAll) Advice(*spec.Authorization) netswitch.Decision {
	return netswitch.Decision{Answer: spec.Answer{ResponseCode: "00"}}
}
func (approveAll) Reverse(*spec.Authorization) netswitch.Decision {
	return netswitch.Decision{Answer: spec.Answer{ResponseCode: "00"}}
}
func (approveAll) StandIn(*spec.Authorization, *spec.Answer) netswitch.Decision {
	return netswitch.Decision{}
}
func (approveAll) Void(*spec.Authorization, *netswitch.Decision) {}

type syncedAlready struct{}

func (syncedAlready) OnDurable(_ uint64, fn func()) { fn() }

func vectorFrame(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile("../spec/testdata/vectors/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	var v struct {
		FrameHex string `json:"frame_hex"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatal(err)
	}
	b, err := hex.DecodeString(v.FrameHex)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// pipeline sends n copies of frame on conn with up to window in flight and
// waits for n answers.
func pipeline(tb testing.TB, conn net.Conn, frame []byte, n, window int, prefix int) {
	tb.Helper()
	credits := make(chan struct{}, window)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 64<<10)
		r, w, got := 0, 0, 0
		for got < n {
			m, err := conn.Read(buf[w:])
			if err != nil {
				tb.Error(err)
				return
			}
			w += m
			for w-r >= prefix {
				l := int(binary.BigEndian.Uint16(buf[r:]))
				if w-r < prefix+l {
					break
				}
				r += prefix + l
				got++
				<-credits
			}
			copy(buf, buf[r:w])
			w -= r
			r = 0
		}
	}()
	batch := make([]byte, 0, 64*len(frame))
	for sent := 0; sent < n; {
		batch = batch[:0]
		for k := 0; k < 64 && sent < n; k++ {
			credits <- struct{}{}
			batch = append(batch, frame...)
			sent++
			if len(credits) == cap(credits) {
				break
			}
		}
		if _, err := conn.Write(batch); err != nil {
			tb.Fatal(err)
		}
	}
	wg.Wait()
}

// BenchmarkSessionLoop: round trips through the switch's own session loop,
// one Mastercard connection, 64 requests in flight.
func BenchmarkSessionLoop(b *testing.B) {
	frame := vectorFrame(b, "mastercard_0100_ecommerce.json")
	cfg := netswitch.DefaultListener(spec.Mastercard, "127.0.0.1:0")
	s, err := netswitch.New(netswitch.Options{
		Listeners: []netswitch.ListenerConfig{cfg}, Decider: approveAll{}, Durability: syncedAlready{},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(b.Context())
	conn, err := net.Dial("tcp", s.Addr(spec.Mastercard).String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	b.ReportAllocs()
	b.ResetTimer()
	pipeline(b, conn, frame, b.N, 64, 2)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}

// BenchmarkMoovConnection: the same round trips through moov-io's
// iso8583-connection wrapping the accepted socket (connection.NewFrom),
// answering from its inbound handler with the moov codec.
func BenchmarkMoovConnection(b *testing.B) {
	frame := vectorFrame(b, "mastercard_0100_ecommerce.json")
	ms, err := spec.Spec(spec.Mastercard)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	readLen := func(r io.Reader) (int, error) {
		var p [2]byte
		if _, err := io.ReadFull(r, p[:]); err != nil {
			return 0, err
		}
		return int(binary.BigEndian.Uint16(p[:])), nil
	}
	writeLen := func(w io.Writer, n int) (int, error) {
		return w.Write([]byte{byte(n >> 8), byte(n)})
	}
	handler := func(c *connection.Connection, m *iso8583.Message) {
		ans, err := spec.BuildAnswer(spec.Mastercard, m, &spec.Answer{ResponseCode: "00", AuthCode: "A1B2C3"})
		if err != nil {
			b.Error(err)
			return
		}
		if err := c.Reply(ans); err != nil {
			b.Error(err)
		}
	}
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		c, err := connection.NewFrom(nc, ms, readLen, writeLen, connection.InboundMessageHandler(handler))
		if err != nil {
			b.Error(err)
			return
		}
		<-c.Done()
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	b.ReportAllocs()
	b.ResetTimer()
	pipeline(b, conn, frame, b.N, 64, 2)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
}
