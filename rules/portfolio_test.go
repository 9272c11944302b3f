package rules_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules"
	"github.com/authswitch/authswitch/rules/refdata"
)

func TestLoadPortfolioErrorsNameTheLine(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name  string
		lines []string
		want  string
	}{
		{"bad JSON", []string{`{"kind":"account"`}, "line 1: "},
		{"bad card on line 3", []string{basePortfolio[2], "", `{"kind":"card","id":"c9","pan":"4111111111111112","expiry":"2812","network":"visa","account":"acct_1","status":"active"}`}, "line 3: "},
		{"card before its account", []string{`{"kind":"card","id":"c9","pan":"4111111111111129","expiry":"2812","network":"visa","account":"acct_9","status":"active"}`}, "line 1: "},
		{"PAN of another card", []string{`{"kind":"card","id":"c9","pan":"4111111111111111","expiry":"2812","network":"visa","account":"acct_1","status":"active"}`}, "line 1: "},
		{"unknown currency", []string{`{"kind":"account","id":"a9","currency":"XYZ","balance":1,"status":"active"}`}, "currency XYZ unknown"},
		{"currency change", []string{`{"kind":"account","id":"acct_1","currency":"EUR","balance":1,"status":"active"}`}, "line 1: "},
		{"line too long", []string{strings.Repeat(" ", rules.MaxPortfolioLine+10)}, "longer than"},
	}
	for _, tc := range tests {
		_, err := w.engine.LoadPortfolio(strings.NewReader(strings.Join(tc.lines, "\n")))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", tc.name, err, tc.want)
			continue
		}
		if !errors.Is(err, rules.ErrPortfolio) {
			t.Errorf("%s: %v does not wrap ErrPortfolio", tc.name, err)
		}
		if strings.Contains(err.Error(), "4111111111111") {
			t.Errorf("%s: error %q carries a PAN", tc.name, err)
		}
	}
	// Nothing above changed the account.
	if got := w.available("acct_1"); got != 100000 {
		t.Fatalf("available %d", got)
	}
}

func TestReloadKeepsActivity(t *testing.T) {
	w := newWorld(t)
	w.authorize(w.purchase(2500))
	st, err := w.engine.LoadPortfolio(strings.NewReader(strings.Join(basePortfolio, "\n") + "\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Accounts != 1 || st.Cardholders != 1 || st.Cards != 2 || st.CardKeys != 2 || st.Lines != 7 {
		t.Fatalf("stats %+v", st)
	}
	if got := w.available("acct_1"); got != 100000-2500 {
		t.Fatalf("reload moved available to %d", got)
	}
	// A reload that raises the funding moves the balance by the difference.
	w.load(`{"kind":"account","id":"acct_1","currency":"USD","balance":150000,"credit_limit":1000,"status":"active"}`)
	if got := w.available("acct_1"); got != 150000+1000-2500 {
		t.Fatalf("available after funding %d", got)
	}
}

// The load's statistics count what it read: lines and bytes, over many
// parse batches.
func TestLoadPortfolioCountsLinesAndBytes(t *testing.T) {
	w := newWorld(t)
	var sb strings.Builder
	const accounts = 5000
	for i := 0; i < accounts; i++ {
		fmt.Fprintf(&sb, `{"kind":"account","id":"acct_s%d","currency":"USD","balance":%d,"status":"active"}`+"\n", i, i)
	}
	st, err := w.engine.LoadPortfolio(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	if st.Accounts != accounts || st.Lines != accounts || st.Bytes != int64(sb.Len()) {
		t.Fatalf("stats %+v, want %d lines and accounts, %d bytes", st, accounts, sb.Len())
	}
}

func TestAdminObjects(t *testing.T) {
	w := newWorld(t)
	e := w.engine
	if err := e.CreateAccount(&refdata.Account{ID: "acct_1", Currency: "USD", Balance: 5, Status: refdata.AccountActive}); !errors.Is(err, refdata.ErrExists) {
		t.Fatalf("create over an existing account: %v", err)
	}
	if got := w.available("acct_1"); got != 100000 {
		t.Fatalf("a refused create moved the balance to %d", got)
	}
	if err := e.ReplaceAccount(&refdata.Account{ID: "acct_9", Currency: "USD", Status: refdata.AccountActive}); !errors.Is(err, refdata.ErrNotFound) {
		t.Fatalf("replace of a missing account: %v", err)
	}
	if err := e.CreateAccount(&refdata.Account{ID: "acct_2", Currency: "EUR", Balance: 7000, Status: refdata.AccountActive}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateAccount("acct_2", func(a *refdata.Account) error { a.Balance = 9000; return nil }); err != nil {
		t.Fatal(err)
	}
	a, bal, err := e.GetAccount("acct_2")
	if err != nil || a.Balance != 9000 || bal.Available != 9000 || bal.Currency != "EUR" {
		t.Fatalf("account %+v %+v %v", a, bal, err)
	}
	if _, err := e.UpdateAccount("acct_2", func(a *refdata.Account) error { a.Currency = "USD"; return nil }); err == nil {
		t.Fatal("currency change accepted")
	}

	if err := e.CreateCardholder(&refdata.Cardholder{ID: "ch_2", Account: "acct_2", Status: refdata.CardholderActive}); err != nil {
		t.Fatal(err)
	}
	c := &refdata.Card{ID: "card_2", Expiry: "2901", Network: 1, Account: "acct_2", Cardholder: "ch_2", Status: refdata.CardActive}
	if err := e.CreateCard(c, "4000000000000002"); err != nil {
		t.Fatal(err)
	}
	got, err := e.GetCard("card_2")
	if err != nil || got.Last4 != "0002" || got.Expiry != "2901" {
		t.Fatalf("card %+v %v", got, err)
	}
	if fmt.Sprintf("%+v", got) == "" || strings.Contains(fmt.Sprintf("%+v", got), "4000000000000002") {
		t.Fatal("a card record shows its PAN")
	}
	if err := e.SetControls(refdata.KindCard, "card_2", &refdata.Controls{BlockedCategories: []string{"7995"}}); err != nil {
		t.Fatal(err)
	}
	ctl, err := e.GetControls(refdata.KindCard, "card_2")
	if err != nil || len(ctl.BlockedCategories) != 1 {
		t.Fatalf("controls %+v %v", ctl, err)
	}
	if err := e.ApplyLine([]byte(`{"kind":"cardholder","id":"ch_2","account":"acct_2","status":"blocked"}`)); err != nil {
		t.Fatal(err)
	}
	if h, _ := e.GetCardholder("ch_2"); h.Status != refdata.CardholderBlocked {
		t.Fatalf("cardholder %+v", h)
	}
	if err := e.PutCardKeys(&refdata.CardKeys{Prefix: "400000", CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"}); err != nil {
		t.Fatal(err)
	}
	if k, err := e.GetCardKeys("400000"); err != nil || len(k.CheckValue) != 6 || len(e.ListCardKeys()) != 3 {
		t.Fatalf("keys %+v %v", k, err)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writePortfolio writes a portfolio of n cards, each with its own account
// and cardholder; a quarter of the cards carry limits, a tenth of the
// cardholders blocked categories, card keys per BIN.
func writePortfolio(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	for b := 0; b < 10; b++ {
		fmt.Fprintf(bw, `{"kind":"card_keys","pan_prefix":"4%05d","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}`+"\n", b)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(bw, `{"kind":"account","id":"acct_%d","currency":"USD","balance":%d,"status":"active"}`+"\n", i, 100000+i%1000)
		ctl := ""
		if i%10 == 0 {
			ctl = `,"controls":{"blocked_categories":["7995","5933"]}`
		}
		fmt.Fprintf(bw, `{"kind":"cardholder","id":"ch_%d","account":"acct_%d","status":"active"%s}`+"\n", i, i, ctl)
		ctl = ""
		if i%4 == 0 {
			ctl = `,"controls":{"spending_limits":[{"amount":50000,"interval":"daily"},{"amount":20000,"interval":"per_authorization"}]}`
		}
		fmt.Fprintf(bw, `{"kind":"card","id":"card_%d","pan":%q,"expiry":"2812","network":"visa","account":"acct_%d","cardholder":"ch_%d","status":"active"%s}`+"\n",
			i, benchPAN(i), i, i, ctl)
	}
	return bw.Flush()
}

// benchPAN is card i's PAN: 4, a BIN of 10, the number, a check digit.
func benchPAN(i int) string { return luhn(fmt.Sprintf("4%05d%09d", i%10, i)) }

// TestLoadMillionCards loads a portfolio of a million cards (a million
// accounts and cardholders too) from a file and reports time and memory.
// It takes about half a minute under the race detector, so it runs when
// RULES_PORTFOLIO_1M is set (make test-portfolio-1m).
func TestLoadMillionCards(t *testing.T) {
	if os.Getenv("RULES_PORTFOLIO_1M") == "" {
		t.Skip("set RULES_PORTFOLIO_1M=1 to load a million cards")
	}
	n := 1_000_000
	if s := os.Getenv("RULES_PORTFOLIO_N"); s != "" {
		if _, err := fmt.Sscan(s, &n); err != nil {
			t.Fatalf("RULES_PORTFOLIO_N: %v", err)
		}
	}
	path := filepath.Join(t.TempDir(), "portfolio.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := writePortfolio(f, n); err != nil {
		t.Fatal(err)
	}
	f.Close()
	info, _ := os.Stat(path)

	l, err := ledger.Open(ledger.Options{Dir: filepath.Join(t.TempDir(), "ledger"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// A cache that holds the whole portfolio, as a switch serving it should
	// have (about 1 KB a card with its own account and cardholder): the
	// load fills it.
	e, err := rules.New(rules.Options{Ledger: l, PANKey: panKey, StoreDir: filepath.Join(t.TempDir(), "refdata"), Logger: quiet,
		CacheBytes: int64(n)*1200 + 64<<20})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f, err = os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cpu0 := cpuTime()
	start := time.Now()
	st, err := e.LoadPortfolio(f)
	took := time.Since(start)
	cpu := cpuTime() - cpu0
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	runtime.GC()
	var settled runtime.MemStats
	runtime.ReadMemStats(&settled)
	t.Logf("loaded %d cards, %d accounts, %d cardholders (%d lines, %.0f MB) in %v (%v of CPU, all goroutines): %.0f cards/s; allocated %.0f MB during the load, heap %.0f MB after it (%.0f MB after GC), process %.0f MB",
		st.Cards, st.Accounts, st.Cardholders, st.Lines, float64(info.Size())/1e6, took.Round(time.Millisecond), cpu.Round(time.Millisecond), float64(st.Cards)/took.Seconds(),
		float64(after.TotalAlloc-before.TotalAlloc)/1e6, float64(after.HeapInuse)/1e6, float64(settled.HeapInuse)/1e6, float64(settled.Sys)/1e6)
	if st.Cards != n || st.Accounts != n || st.Cardholders != n {
		t.Fatalf("stats %+v", st)
	}
	// Spot-check: the first and the last card decide, from the cache.
	w := &world{t: t, ledger: l, engine: e}
	for _, c := range []int{0, n - 1} {
		a := w.purchase(100)
		a.PAN, a.CVV2Present = benchPAN(c), false
		if d := e.Authorize(a); d.Answer.ResponseCode != "00" {
			t.Fatalf("card %d: %+v", c, d)
		}
	}
	if st := e.Store().CacheStats(); st.Misses != 0 {
		t.Fatalf("reads after the load went to the store: %+v", st)
	}
}
