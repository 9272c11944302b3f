package daemon_test

import (
	"bytes"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/daemon"
)

// lockedBuffer is a log sink the switch's goroutines can share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.b.Bytes()...)
}

// TestNoCardDataInLogsMetricsOrFeed drives every path that handles card
// data — approvals and declines with CVV2, a swipe with track 2 and a wrong
// magnetic-stripe CVV, an unknown card, a format error, a repeat, an admin
// card creation with a PAN and a rejected one — with debug logging, then
// looks for the PANs and the track data in everything the switch wrote:
// its log, its metrics, its admin answers and the feed.
func TestNoCardDataInLogsMetricsOrFeed(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.LogLevel = "debug"
	token := strings.Repeat("s", 24)
	cfg.Admin.Tokens = []string{"ops:" + token}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	d, err := daemon.Start(cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Shutdown(t.Context()) })

	const (
		unknownPAN = "4242424242424242"
		adminPAN   = "4000056655665556"
		badPAN     = "4000056655665557" // fails the Luhn check
	)
	secrets := []string{visaPAN, mcPAN, smallPAN, frozenPAN, lostPAN, unknownPAN, adminPAN, badPAN}

	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		c := dial(t, d, n)
		pan := map[spec.Network]string{spec.Visa: visaPAN, spec.Mastercard: mcPAN}[n]

		// Three-digit CVVs cannot be searched for in text full of times
		// and amounts; the track data, which holds the stripe's CVV, can.
		ok := withCVV2(t, purchase(n, pan, 120))
		if a := c.do(ok); a.ResponseCode != "00" {
			t.Fatalf("%v approval: %s", n, a.ResponseCode)
		}
		if a := c.do(ok); a.ResponseCode != "00" { // a repeat
			t.Fatalf("%v repeat: %s", n, a.ResponseCode)
		}
		bad := purchase(n, pan, 130)
		bad.CVV2, bad.CVV2Present = "999", true
		if ok.CVV2 == "999" {
			bad.CVV2 = "998"
		}
		if a := c.do(bad); a.ResponseCode == "00" {
			t.Fatalf("%v wrong CVV2 approved", n)
		}

		swipe := purchase(n, pan, 140)
		swipe.Entry, swipe.Ecommerce = spec.EntrySwipe, ""
		swipe.Track2 = pan + "=" + testExpiry + "101" + "00000" + "123" + "00000"
		secrets = append(secrets, swipe.Track2, pan+"="+testExpiry)
		if a := c.do(swipe); a.ResponseCode != "05" {
			t.Fatalf("%v swipe with a wrong stripe CVV: %s, want 05", n, a.ResponseCode)
		}

		if a := c.do(purchase(n, unknownPAN, 150)); a.ResponseCode != "14" {
			t.Fatalf("%v unknown card: %s", n, a.ResponseCode)
		}
		if n == spec.Visa {
			if a := wait(t, c.sendRaw("", corruptAmount(t, n, c.frame(purchase(n, smallPAN, 12))))); a.ResponseCode != "30" {
				t.Fatalf("format error: %s", a.ResponseCode)
			}
		}
	}

	admin := func(body string) int {
		req, _ := http.NewRequest("POST", "http://"+d.AdminAddr()+"/v1/cards", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, s := range []string{adminPAN, badPAN} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("admin answer carries a PAN: %s", b)
			}
		}
		return resp.StatusCode
	}
	card := `{"pan":"%s","expiry":"2812","network":"visa","account":"acct_main","status":"active"}`
	if code := admin(strings.Replace(card, "%s", adminPAN, 1)); code != 200 && code != 201 {
		t.Fatalf("create card: HTTP %d", code)
	}
	if code := admin(strings.Replace(card, "%s", badPAN, 1)); code < 400 {
		t.Fatalf("a PAN failing the Luhn check was accepted: HTTP %d", code)
	}

	resp, err := http.Get("http://" + d.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	var feedData []byte
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		feedData = readFeedFiles(t, filepath.Join(dir, "feed"))
		// Four decisions a network and the card creation's audit record.
		if bytes.Count(feedData, []byte("\n")) >= 9 || time.Now().After(end) {
			break
		}
	}
	if bytes.Count(feedData, []byte("\n")) < 9 {
		t.Fatalf("the feed holds %d records, want the test's decisions", bytes.Count(feedData, []byte("\n")))
	}
	log := logs.Bytes()
	if !bytes.Contains(log, []byte(`"level":"DEBUG"`)) && !bytes.Contains(log, []byte(`"level":"INFO"`)) {
		t.Fatalf("the log captured nothing: %q", log)
	}
	for what, data := range map[string][]byte{"log": log, "metrics": metrics, "feed": feedData} {
		for _, s := range secrets {
			if s != "" && bytes.Contains(data, []byte(s)) {
				i := bytes.Index(data, []byte(s))
				t.Errorf("%s carries card data %q near %q", what, s, data[max(0, i-80):min(len(data), i+len(s)+20)])
			}
		}
	}
}
