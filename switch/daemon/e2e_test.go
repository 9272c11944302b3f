package daemon_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/spec"
)

func balanceInquiry(n spec.Network, pan string) *spec.Authorization {
	a := purchase(n, pan, 0)
	a.ProcessingCode, a.Type = "300000", spec.TxnBalanceInquiry
	return a
}

// TestMessageKinds takes every message kind through a real switch on
// loopback, in both dialects, and checks the answers and the balances they
// leave behind.
func TestMessageKinds(t *testing.T) {
	d := startSwitch(t, testConfig(t, t.TempDir()))
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		t.Run(n.String(), func(t *testing.T) {
			c := dial(t, d, n)
			pan := visaPAN
			if n == spec.Mastercard {
				pan = mcPAN
			}

			on := c.do(networkMgmt(n, map[spec.Network]string{spec.Visa: "071", spec.Mastercard: "001"}[n]))
			if on.MTI != "0810" || on.ResponseCode != "00" {
				t.Fatalf("sign-on: %s %s", on.MTI, on.ResponseCode)
			}

			before := available(t, c.do(balanceInquiry(n, pan)))

			auth := withCVV2(t, purchase(n, pan, 1234))
			got := c.do(auth)
			if got.MTI != "0110" || got.ResponseCode != "00" || len(got.AuthCode) != 6 || got.CVV2Result != 'M' {
				t.Fatalf("approval: mti %s code %s auth %q cvv2 %q", got.MTI, got.ResponseCode, got.AuthCode, got.CVV2Result)
			}
			if got.Fields[11] != auth.STAN || got.Fields[37] != auth.RRN || got.Fields[41] != auth.TerminalID {
				t.Errorf("echoed fields differ: %v", got.Fields)
			}
			if after := available(t, c.do(balanceInquiry(n, pan))); after != before-1234 {
				t.Fatalf("available %d after a 1234 hold on %d", after, before)
			}

			// A repeat is answered the same and changes nothing.
			rep := *auth
			rep.MTI, rep.Repeat = "0101", true
			again := c.do(&rep)
			if again.ResponseCode != "00" || again.AuthCode != got.AuthCode {
				t.Fatalf("repeat answered %s/%s, first %s/%s", again.ResponseCode, again.AuthCode, got.ResponseCode, got.AuthCode)
			}
			// An exact retransmission too.
			again = c.do(auth)
			if again.ResponseCode != "00" || again.AuthCode != got.AuthCode {
				t.Fatalf("retransmission answered %s/%s", again.ResponseCode, again.AuthCode)
			}
			if after := available(t, c.do(balanceInquiry(n, pan))); after != before-1234 {
				t.Fatalf("available %d after repeats; want %d", after, before-1234)
			}

			// Partial reversal down to 1000, then the rest.
			rev := reversalOf(auth, "0400", 1000)
			ra := c.do(rev)
			if ra.MTI != "0410" || ra.ResponseCode != "00" {
				t.Fatalf("partial reversal: %s %s", ra.MTI, ra.ResponseCode)
			}
			if after := available(t, c.do(balanceInquiry(n, pan))); after != before-1000 {
				t.Fatalf("available %d after partial reversal to 1000; want %d", after, before-1000)
			}
			full := reversalOf(auth, "0420", 0)
			if ra := c.do(full); ra.MTI != "0430" || ra.ResponseCode != "00" {
				t.Fatalf("reversal advice: %s %s", ra.MTI, ra.ResponseCode)
			}
			if after := available(t, c.do(balanceInquiry(n, pan))); after != before {
				t.Fatalf("available %d after full reversal; want %d", after, before)
			}
			// Its repeat changes nothing.
			full.MTI, full.Repeat = "0421", true
			if ra := c.do(full); ra.MTI != "0430" || ra.ResponseCode != "00" {
				t.Fatalf("reversal advice repeat: %s %s", ra.MTI, ra.ResponseCode)
			}

			// An advice of the network's stand-in approval places a hold.
			adv := purchase(n, pan, 700)
			adv.MTI, adv.Kind, adv.ResponseCode, adv.AuthCode = "0120", spec.KindAdvice, "00", "V12345"
			if aa := c.do(adv); aa.MTI != "0130" || aa.ResponseCode != "00" {
				t.Fatalf("advice: %s %s", aa.MTI, aa.ResponseCode)
			}
			if after := available(t, c.do(balanceInquiry(n, pan))); after != before-700 {
				t.Fatalf("available %d after a 700 advice; want %d", after, before-700)
			}

			verify := purchase(n, pan, 0)
			verify.Type = spec.TxnAccountVerification
			if v := c.do(verify); v.ResponseCode != "85" || len(v.AuthCode) != 6 {
				t.Fatalf("account verification: %s %q", v.ResponseCode, v.AuthCode)
			}

			bad := withCVV2(t, purchase(n, pan, 500))
			bad.CVV2 = fmt.Sprintf("%03d", (amountOf(bad.CVV2)+1)%1000)
			b := c.do(bad)
			want := map[spec.Network]string{spec.Visa: "N7", spec.Mastercard: "05"}[n]
			if b.ResponseCode != want || b.CVV2Result != 'N' {
				t.Fatalf("CVV2 mismatch answered %s/%q; want %s/N", b.ResponseCode, b.CVV2Result, want)
			}

			unknownPAN := "4242424242424242"
			if n == spec.Mastercard {
				unknownPAN = "5454545454545454"
			}
			if u := c.do(purchase(n, unknownPAN, 100)); u.ResponseCode != "14" {
				t.Fatalf("unknown card answered %s", u.ResponseCode)
			}

			echo := c.do(networkMgmt(n, map[spec.Network]string{spec.Visa: "301", spec.Mastercard: "270"}[n]))
			if echo.MTI != "0810" || echo.ResponseCode != "00" {
				t.Fatalf("echo: %s %s", echo.MTI, echo.ResponseCode)
			}
			off := c.do(networkMgmt(n, "002"))
			if off.ResponseCode != "00" {
				t.Fatalf("sign-off: %s", off.ResponseCode)
			}
			// A request on a signed-off connection is still answered.
			if r := c.do(balanceInquiry(n, pan)); r.ResponseCode != "00" {
				t.Fatalf("after sign-off: %s", r.ResponseCode)
			}
		})
	}
}

func TestDeclinesAndPartialApproval(t *testing.T) {
	d := startSwitch(t, testConfig(t, t.TempDir()))
	v := dial(t, d, spec.Visa)
	mc := dial(t, d, spec.Mastercard)

	if a := v.do(purchase(spec.Visa, frozenPAN, 100)); a.ResponseCode != "62" {
		t.Errorf("frozen account: %s, want 62", a.ResponseCode)
	}
	if a := mc.do(purchase(spec.Mastercard, lostPAN, 100)); a.ResponseCode != "41" {
		t.Errorf("lost card: %s, want 41", a.ResponseCode)
	}
	gamble := purchase(spec.Visa, visaPAN, 100)
	gamble.MCC = "7995"
	if a := v.do(gamble); a.ResponseCode != "57" {
		t.Errorf("blocked category: %s, want 57", a.ResponseCode)
	}
	if a := v.do(purchase(spec.Visa, visaPAN, 100001)); a.ResponseCode != "61" {
		t.Errorf("over the daily limit: %s, want 61", a.ResponseCode)
	}
	expired := purchase(spec.Visa, visaPAN, 100)
	expired.Expiry = "2901"
	if a := v.do(expired); a.ResponseCode != "54" {
		t.Errorf("expiry mismatch: %s, want 54", a.ResponseCode)
	}

	noPartial := purchase(spec.Visa, smallPAN, 8000)
	if a := v.do(noPartial); a.ResponseCode != "51" {
		t.Errorf("insufficient funds without partial support: %s, want 51", a.ResponseCode)
	}
	partial := purchase(spec.Visa, smallPAN, 8000)
	partial.PartialSupported = true
	a := v.do(partial)
	if a.ResponseCode != "10" || a.Fields[4] != "000000005000" || !a.Partial || a.RequestedAmount != 8000 {
		t.Fatalf("partial approval: code %s field 4 %s partial %v requested %d", a.ResponseCode, a.Fields[4], a.Partial, a.RequestedAmount)
	}
	if got := available(t, v.do(balanceInquiry(spec.Visa, smallPAN))); got != 0 {
		t.Fatalf("available after partial approval of everything: %d", got)
	}
	// The reversal of the partial approval's remainder (its actual amount
	// 3000 of the 5000 approved) gives back 2000.
	rev := reversalOf(partial, "0400", 3000)
	if r := v.do(rev); r.ResponseCode != "00" {
		t.Fatalf("partial reversal: %s", r.ResponseCode)
	}
	if got := available(t, v.do(balanceInquiry(spec.Visa, smallPAN))); got != 2000 {
		t.Fatalf("available after reversal to 3000: %d, want 2000", got)
	}
}

// TestPipelining sends 1,000 requests on one connection without waiting and
// gets exactly one answer to each.
func TestPipelining(t *testing.T) {
	d := startSwitch(t, testConfig(t, t.TempDir()))
	c := dial(t, d, spec.Mastercard)
	const n = 1000
	chans := make([]chan *answer, n)
	var frames []byte
	for i := range chans {
		a := purchase(spec.Mastercard, mcPAN, 10)
		f := c.frame(a)
		c.mu.Lock()
		chans[i] = make(chan *answer, 1)
		c.waiting[a.STAN] = chans[i]
		c.mu.Unlock()
		frames = append(frames, f...)
	}
	c.write(frames) // all 1,000 in one write
	for i, ch := range chans {
		if a := wait(t, ch); a.ResponseCode != "00" {
			t.Fatalf("request %d answered %s", i, a.ResponseCode)
		}
	}
	if got := available(t, c.do(balanceInquiry(spec.Mastercard, mcPAN))); got != mainBalance-n*10 {
		t.Fatalf("available %d after %d holds of 10; want %d", got, n, mainBalance-n*10)
	}
}

// TestManyConnections runs 50 connections at once, 20 requests each.
func TestManyConnections(t *testing.T) {
	d := startSwitch(t, testConfig(t, t.TempDir()))
	const conns, each = 50, 20
	var wg sync.WaitGroup
	errs := make(chan error, conns*each)
	for i := 0; i < conns; i++ {
		n := spec.Network(1 + i%2)
		pan := map[spec.Network]string{spec.Visa: visaPAN, spec.Mastercard: mcPAN}[n]
		c := dial(t, d, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			var pending []chan *answer
			for j := 0; j < each; j++ {
				pending = append(pending, c.send(purchase(n, pan, 5)))
			}
			for _, ch := range pending {
				select {
				case a := <-ch:
					if a.ResponseCode != "00" {
						errs <- fmt.Errorf("answered %s", a.ResponseCode)
					}
				case <-time.After(10 * time.Second):
					errs <- fmt.Errorf("no answer")
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	c := dial(t, d, spec.Visa)
	if got := available(t, c.do(balanceInquiry(spec.Visa, visaPAN))); got != mainBalance-conns*each*5 {
		t.Fatalf("available %d; want %d", got, mainBalance-conns*each*5)
	}
}

// TestMalformedBetweenGood puts bad frames between good ones on one
// connection: the good ones are answered, an answerable bad one gets 30,
// the rest are skipped, and the connection lives on.
func TestMalformedBetweenGood(t *testing.T) {
	d := startSwitch(t, testConfig(t, t.TempDir()))
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		t.Run(n.String(), func(t *testing.T) {
			c := dial(t, d, n)
			pan := map[spec.Network]string{spec.Visa: visaPAN, spec.Mastercard: mcPAN}[n]
			first := c.send(purchase(n, pan, 11))

			// An answerable request with a non-digit in field 4. Its answer
			// echoes what could be read before the bad field: not field 11,
			// which comes after it.
			bad := purchase(n, pan, 12)
			frame := c.frame(bad)
			ch := c.sendRaw("", corruptAmount(t, n, frame))

			// Garbage with a valid length prefix.
			garbage := []byte{0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03}
			prefixed, _ := n.AppendLengthPrefix(nil, len(garbage))
			c.write(append(prefixed, garbage...))

			// An oversized frame (longer than 8 KiB), read and discarded.
			big, _ := n.AppendLengthPrefix(nil, 9000)
			c.write(append(big, make([]byte, 9000)...))

			last := c.send(purchase(n, pan, 13))
			if a := wait(t, first); a.ResponseCode != "00" {
				t.Fatalf("good request before: %s", a.ResponseCode)
			}
			if a := wait(t, ch); a.ResponseCode != "30" {
				t.Fatalf("bad amount answered %s, want 30", a.ResponseCode)
			}
			if a := wait(t, last); a.ResponseCode != "00" {
				t.Fatalf("good request after: %s", a.ResponseCode)
			}
		})
	}
}

// corruptAmount replaces one digit of field 4 with a non-digit, keeping
// the frame's length.
func corruptAmount(t testing.TB, n spec.Network, frame []byte) []byte {
	t.Helper()
	out := append([]byte(nil), frame...)
	if n == spec.Mastercard {
		// EBCDIC: DE 4 follows DE 3; find the amount "000000000012" (F0…F1F2).
		want := []byte{0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF0, 0xF1, 0xF2}
		for i := 0; i+len(want) <= len(out); i++ {
			if string(out[i:i+len(want)]) == string(want) {
				out[i+3] = 0xC1 // 'A'
				return out
			}
		}
	} else {
		// Packed BCD: 00 00 00 00 00 12 → a nibble A.
		want := []byte{0, 0, 0, 0, 0, 0x12}
		for i := 30; i+len(want) <= len(out); i++ {
			if string(out[i:i+len(want)]) == string(want) {
				out[i+2] = 0x0A
				return out
			}
		}
	}
	t.Fatal("amount not found in frame")
	return nil
}

func TestVisaKeepAlive(t *testing.T) {
	d := startSwitch(t, testConfig(t, t.TempDir()))
	c := dial(t, d, spec.Visa)
	c.write([]byte{0, 0, 0, 0})
	select {
	case f := <-c.other:
		if string(f) != "\x00\x00\x00\x00" {
			t.Fatalf("keep-alive answered with % x", f)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("keep-alive not echoed")
	}
}

// TestRestartKeepsState: holds and remembered answers survive a restart.
func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	d := startSwitch(t, cfg)
	c := dial(t, d, spec.Visa)
	auth := purchase(spec.Visa, visaPAN, 4321)
	first := c.do(auth)
	if first.ResponseCode != "00" {
		t.Fatalf("approval: %s", first.ResponseCode)
	}
	if err := d.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}

	d2 := startSwitch(t, cfg) // the same portfolio is loaded again: balances must not move
	c2 := dial(t, d2, spec.Visa)
	if got := available(t, c2.do(balanceInquiry(spec.Visa, visaPAN))); got != mainBalance-4321 {
		t.Fatalf("available after restart %d; want %d", got, mainBalance-4321)
	}
	rep := *auth
	rep.MTI, rep.Repeat = "0101", true
	again := c2.do(&rep)
	if again.ResponseCode != "00" || again.AuthCode != first.AuthCode {
		t.Fatalf("repeat after restart: %s/%s, first %s/%s", again.ResponseCode, again.AuthCode, first.ResponseCode, first.AuthCode)
	}
	if got := available(t, c2.do(balanceInquiry(spec.Visa, visaPAN))); got != mainBalance-4321 {
		t.Fatalf("repeat after restart changed the balance: %d", got)
	}
}

// TestIdleEcho: an idle connection gets the switch's echo; one that never
// answers is closed after the configured misses.
func TestIdleEcho(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Mastercard.IdleEcho = duration(150 * time.Millisecond)
	cfg.Mastercard.EchoMisses = 2
	d := startSwitch(t, cfg)
	c := dial(t, d, spec.Mastercard)
	var echoes int
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f := <-c.other:
			m, err := spec.Unpack(spec.Mastercard, f[2:])
			if err != nil {
				t.Fatal(err)
			}
			if code, _ := m.GetString(70); code != "270" {
				t.Fatalf("echo with 70 = %s", code)
			}
			echoes++
		case <-c.done:
			if echoes != 2 {
				t.Fatalf("closed after %d echoes, want 2", echoes)
			}
			return
		case <-deadline:
			t.Fatalf("connection not closed; %d echoes", echoes)
		}
	}
}

// TestHalfFrameClosed: a connection that sends half a frame and stalls is
// closed after the partial-frame timeout; other connections carry on.
func TestHalfFrameClosed(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Mastercard.PartialTimeout = duration(200 * time.Millisecond)
	d := startSwitch(t, cfg)
	stalled := dial(t, d, spec.Mastercard)
	frame := stalled.frame(purchase(spec.Mastercard, mcPAN, 1))
	stalled.write(frame[:len(frame)/2])
	other := dial(t, d, spec.Mastercard)
	select {
	case <-stalled.done:
	case <-time.After(5 * time.Second):
		t.Fatal("half-frame connection still open")
	}
	if a := other.do(purchase(spec.Mastercard, mcPAN, 1)); a.ResponseCode != "00" {
		t.Fatalf("other connection: %s", a.ResponseCode)
	}
}

// TestConnectionLimit: connections past max_conns are closed at once.
func TestConnectionLimit(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Visa.MaxConns = 2
	d := startSwitch(t, cfg)
	a, b := dial(t, d, spec.Visa), dial(t, d, spec.Visa)
	for _, c := range []*client{a, b} {
		if r := c.do(balanceInquiry(spec.Visa, visaPAN)); r.ResponseCode != "00" {
			t.Fatalf("within the limit: %s", r.ResponseCode)
		}
	}
	third := dial(t, d, spec.Visa)
	select {
	case <-third.done:
	case <-time.After(5 * time.Second):
		t.Fatal("connection past the limit was not closed")
	}
}

// TestFeedRecordsEveryDecision: every decision reaches the segment files
// once, in sequence order, and no PAN appears in them.
func TestFeedRecordsEveryDecision(t *testing.T) {
	dir := t.TempDir()
	d := startSwitch(t, testConfig(t, dir))
	c := dial(t, d, spec.Visa)
	approve := withCVV2(t, purchase(spec.Visa, visaPAN, 300))
	if a := c.do(approve); a.ResponseCode != "00" {
		t.Fatalf("approval: %s", a.ResponseCode)
	}
	if a := c.do(purchase(spec.Visa, frozenPAN, 300)); a.ResponseCode != "62" {
		t.Fatalf("decline: %s", a.ResponseCode)
	}
	if a := c.do(reversalOf(approve, "0400", 0)); a.ResponseCode != "00" {
		t.Fatalf("reversal: %s", a.ResponseCode)
	}
	if err := d.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A restart ships whatever the first run left in the outbox.
	startSwitch(t, testConfig(t, dir))

	var recs []feed.Record
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs = recs[:0]
		raw := readFeedFiles(t, filepath.Join(dir, "feed"))
		for _, pan := range []string{visaPAN, frozenPAN, mcPAN} {
			if bytes.Contains(raw, []byte(pan)) {
				t.Fatal("a PAN is in the feed")
			}
		}
		for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var r feed.Record
			if err := feed.ParseRecord(line, &r); err != nil {
				t.Fatalf("record %q: %v", line, err)
			}
			recs = append(recs, r)
		}
		ops := map[string]int{}
		for _, r := range recs {
			if r.Network == "visa" {
				ops[r.Op+"/"+r.ResponseCode]++
			}
		}
		if ops["authorize/00"] == 1 && ops["decline/62"] == 1 && ops["reverse/00"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			for _, r := range recs {
				t.Logf("%+v", r)
			}
			t.Fatalf("feed has %v", ops)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := 1; i < len(recs); i++ {
		if recs[i].Seq != recs[i-1].Seq+1 {
			t.Fatalf("feed sequence jumps from %d to %d", recs[i-1].Seq, recs[i].Seq)
		}
	}
	for _, r := range recs {
		if r.Network == "visa" && r.Op == "authorize" && (r.Last4 != "1111" || r.CardToken == "" || r.Merchant.MCC != "5999" || len(r.AuthCode) != 6) {
			t.Fatalf("authorization record: %+v", r)
		}
	}
}

func readFeedFiles(t *testing.T, dir string) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// TestLifecycleEdges: a reversal before its original, refunds, and the
// currency rules of wire-spec §7.
func TestLifecycleEdges(t *testing.T) {
	d := startSwitch(t, testConfig(t, t.TempDir()))
	c := dial(t, d, spec.Visa)
	before := available(t, c.do(balanceInquiry(spec.Visa, visaPAN)))

	// The reversal arrives first: answered 00 and recorded; the late
	// original is declined 05 without a hold.
	orig := purchase(spec.Visa, visaPAN, 900)
	if r := c.do(reversalOf(orig, "0400", 0)); r.ResponseCode != "00" {
		t.Fatalf("early reversal: %s", r.ResponseCode)
	}
	if a := c.do(orig); a.ResponseCode != "05" {
		t.Fatalf("original after its reversal: %s, want 05", a.ResponseCode)
	}
	if got := available(t, c.do(balanceInquiry(spec.Visa, visaPAN))); got != before {
		t.Fatalf("available %d after an early reversal and its original; want %d", got, before)
	}

	// A refund is approved without a hold.
	refund := purchase(spec.Visa, visaPAN, 5000)
	refund.ProcessingCode, refund.Type = "200000", spec.TxnRefund
	if a := c.do(refund); a.ResponseCode != "00" {
		t.Fatalf("refund: %s", a.ResponseCode)
	}
	if got := available(t, c.do(balanceInquiry(spec.Visa, visaPAN))); got != before {
		t.Fatalf("a refund moved available to %d; want %d", got, before)
	}

	// Another currency without a billing amount: 13. An unknown currency: 13.
	eur := purchase(spec.Visa, visaPAN, 100)
	eur.Currency = 978
	if a := c.do(eur); a.ResponseCode != "13" {
		t.Fatalf("EUR on a USD account without billing: %s, want 13", a.ResponseCode)
	}
	unknown := purchase(spec.Visa, visaPAN, 100)
	unknown.Currency = 123
	if a := c.do(unknown); a.ResponseCode != "13" {
		t.Fatalf("unknown currency 123: %s, want 13", a.ResponseCode)
	}
	// With a billing amount in the account's currency, that is what is charged.
	eur = purchase(spec.Visa, visaPAN, 100)
	eur.Currency, eur.HasBilling, eur.BillingAmount, eur.BillingCurrency = 978, true, 110, 840
	if a := c.do(eur); a.ResponseCode != "00" {
		t.Fatalf("EUR with USD billing: %s, want 00", a.ResponseCode)
	}
	if got := available(t, c.do(balanceInquiry(spec.Visa, visaPAN))); got != before-110 {
		t.Fatalf("available %d after a billing amount of 110; want %d", got, before-110)
	}
	// A processing code the switch does not support: 12.
	transfer := purchase(spec.Visa, visaPAN, 100)
	transfer.ProcessingCode, transfer.Type = "400000", spec.TxnUnsupported
	if a := c.do(transfer); a.ResponseCode != "12" {
		t.Fatalf("transfer: %s, want 12", a.ResponseCode)
	}
}

// TestAdminWritesAudited: an operator's write through the admin API is
// in force at once for the networks and reaches the feed as an audit
// record naming the actor.
func TestAdminWritesAudited(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Admin.Tokens = []string{"ops:" + strings.Repeat("s", 24)}
	d := startSwitch(t, cfg)
	c := dial(t, d, spec.Visa)
	if a := c.do(purchase(spec.Visa, visaPAN, 100)); a.ResponseCode != "00" {
		t.Fatalf("before the freeze: %s", a.ResponseCode)
	}
	req, _ := http.NewRequest("POST", "http://"+d.AdminAddr()+"/v1/accounts/acct_main",
		strings.NewReader(`{"status":"frozen"}`))
	req.Header.Set("Authorization", "Bearer "+strings.Repeat("s", 24))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("freeze: HTTP %d", resp.StatusCode)
	}
	if a := c.do(purchase(spec.Visa, visaPAN, 100)); a.ResponseCode != "62" {
		t.Fatalf("after the freeze: %s, want 62", a.ResponseCode)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		raw := readFeedFiles(t, filepath.Join(dir, "feed"))
		found := false
		for _, line := range bytes.Split(bytes.TrimSpace(raw), []byte("\n")) {
			var r feed.Record
			if len(line) > 0 && feed.ParseRecord(line, &r) == nil && r.Op == "audit" &&
				r.Operator.Actor == "ops" && r.Operator.Object == "acct_main" && r.Operator.RequestID != "" {
				found = true
			}
		}
		if found {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("no audit record of the freeze in the feed")
		}
	}
}
