package refdata_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/rules/refdata"
)

// loadPortfolio loads n accounts, each with a cardholder and a card, in
// one load.
func loadPortfolio(t testing.TB, s *refdata.Store, n int) {
	t.Helper()
	l, err := s.NewLoader()
	mustNil(t, err)
	for i := 0; i < n; i++ {
		mustNil(t, l.PutAccount(account(fmt.Sprint("acct_", i))))
		mustNil(t, l.PutCardholder(holder(fmt.Sprint("ch_", i), fmt.Sprint("acct_", i))))
		mustNil(t, l.PutCard(card(fmt.Sprint("card_", i), fmt.Sprint("acct_", i), fmt.Sprint("ch_", i)), pan("400000", i)))
	}
	mustNil(t, l.Close())
}

// readAll resolves every card of loadPortfolio, as the hot path does.
func readAll(t testing.TB, s *refdata.Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		tok := s.Tokenizer().Token(pan("400000", i))
		r, err := s.Resolve(&tok)
		mustNil(t, err)
		if r.Card.ID != fmt.Sprint("card_", i) || r.Account.ID != fmt.Sprint("acct_", i) || r.Cardholder.ID != fmt.Sprint("ch_", i) {
			t.Fatalf("card %d read back as %+v", i, r)
		}
	}
}

// After a load, the first read of every card is a hit: the load put them
// in the cache with their accounts and cardholders.
func TestLoadWarmsCache(t *testing.T) {
	s := openStore(t, "")
	const n = 10000 // several batches
	loadPortfolio(t, s, n)
	readAll(t, s, n)
	if st := s.CacheStats(); st.Misses != 0 || st.Hits != n {
		t.Fatalf("reads after the load: %+v, want %d hits and no miss", st, n)
	}
}

// A load whose cards come long after their accounts and cardholders (all
// accounts, then all cardholders, then all cards) warms the cache as well.
func TestLoadWarmsCacheAccountsFirst(t *testing.T) {
	s := openStore(t, "")
	const n = 10000
	l, err := s.NewLoader()
	mustNil(t, err)
	for i := 0; i < n; i++ {
		mustNil(t, l.PutAccount(account(fmt.Sprint("acct_", i))))
	}
	for i := 0; i < n; i++ {
		mustNil(t, l.PutCardholder(holder(fmt.Sprint("ch_", i), fmt.Sprint("acct_", i))))
	}
	for i := 0; i < n; i++ {
		mustNil(t, l.PutCard(card(fmt.Sprint("card_", i), fmt.Sprint("acct_", i), fmt.Sprint("ch_", i)), pan("400000", i)))
	}
	mustNil(t, l.Close())
	readAll(t, s, n)
	if st := s.CacheStats(); st.Misses != 0 || st.Hits != n {
		t.Fatalf("reads after the load: %+v, want %d hits and no miss", st, n)
	}
}

// A portfolio larger than the cache is loaded whole; the cache takes what
// fits and the rest is read from Pebble, correctly, and cached on the way.
func TestLoadLargerThanCache(t *testing.T) {
	var logged bytes.Buffer
	s, err := refdata.Open(refdata.Options{PANKey: testKey, CacheBytes: 1 << 20, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	mustNil(t, err)
	t.Cleanup(func() { s.Close() })
	const n = 5000 // some 4 MB of records
	loadPortfolio(t, s, n)
	readAll(t, s, n)
	st := s.CacheStats()
	if st.Hits == 0 || st.Misses == 0 {
		t.Fatalf("reads after a load larger than the cache: %+v", st)
	}
	if !strings.Contains(logged.String(), "reference cache too small") {
		t.Fatalf("no warning that the cache is too small; log:\n%s", logged.String())
	}
}

// A write replaces the cached record: the next read is a hit and sees the
// change.
func TestWriteReplacesCachedRecord(t *testing.T) {
	s := openStore(t, "")
	loadPortfolio(t, s, 10)
	tok := s.Tokenizer().Token(pan("400000", 3))
	c, err := s.Card(&tok)
	mustNil(t, err)
	if c.Status != refdata.CardActive {
		t.Fatalf("card %+v", c)
	}
	_, err = s.UpdateCard("card_3", func(c *refdata.Card) error { c.Status = refdata.CardInactive; return nil })
	mustNil(t, err)
	_, err = s.UpdateAccount("acct_3", func(a *refdata.Account) error { a.Status = refdata.AccountFrozen; return nil })
	mustNil(t, err)
	_, err = s.UpdateCardholder("ch_3", func(h *refdata.Cardholder) error { h.Status = refdata.CardholderBlocked; return nil })
	mustNil(t, err)
	before := s.CacheStats()
	c, err = s.Card(&tok)
	mustNil(t, err)
	a, err := s.Account("acct_3")
	mustNil(t, err)
	h, err := s.Cardholder("ch_3")
	mustNil(t, err)
	if c.Status != refdata.CardInactive || a.Status != refdata.AccountFrozen || h.Status != refdata.CardholderBlocked {
		t.Fatalf("after the writes: card %v, account %v, cardholder %v", c.Status, a.Status, h.Status)
	}
	if st := s.CacheStats(); st.Misses != before.Misses || st.Hits <= before.Hits {
		t.Fatalf("reads after the writes: %+v → %+v, want hits only", before, st)
	}
}

// A record written twice in one batch is cached as it was written last
// (what Pebble keeps), whichever was cached before.
func TestLoadSameRecordTwiceCachesTheLast(t *testing.T) {
	s := openStore(t, "")
	loadPortfolio(t, s, 10)
	if _, err := s.Account("acct_4"); err != nil {
		t.Fatal(err)
	}
	l, err := s.NewLoader()
	mustNil(t, err)
	for _, st := range []refdata.AccountStatus{refdata.AccountFrozen, refdata.AccountClosed, refdata.AccountFrozen, refdata.AccountClosed} {
		a := account("acct_4")
		a.Status = st
		mustNil(t, l.PutAccount(a))
	}
	a := account("acct_11") // new in this load, twice
	a.Balance = 1
	mustNil(t, l.PutAccount(a))
	a = account("acct_11")
	a.Balance = 2
	mustNil(t, l.PutAccount(a))
	mustNil(t, l.Close())
	if a, err := s.Account("acct_4"); err != nil || a.Status != refdata.AccountClosed {
		t.Fatalf("acct_4: %+v, %v", a, err)
	}
	if a, err := s.Account("acct_11"); err != nil || a.Balance != 2 {
		t.Fatalf("acct_11: %+v, %v", a, err)
	}
	stored, err := s.GetAccount("acct_11")
	if err != nil || stored.Balance != 2 {
		t.Fatalf("stored acct_11: %+v, %v", stored, err)
	}
}

// BenchmarkResolve: what the hot path reads of the store for one
// authorization — the card by token, its account and its cardholder, and
// their statuses — over a warm portfolio of 100k cards in random order, so
// that the reads meet the memory a large cache lives in rather than the
// CPU's caches.
func BenchmarkResolve(b *testing.B) {
	s, err := refdata.Open(refdata.Options{PANKey: testKey, CacheBytes: 256 << 20})
	mustNil(b, err)
	b.Cleanup(func() { s.Close() })
	const n = 100_000
	loadPortfolio(b, s, n)
	toks := make([]refdata.Token, n)
	for i := range toks {
		toks[i] = s.Tokenizer().Token(pan("400000", int(uint64(i)*0x9E3779B97F4A7C15>>40%n)))
	}
	readAll(b, s, n)
	inactive := 0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		r, err := s.Resolve(&toks[i])
		if err != nil {
			b.Fatal(err)
		}
		if r.Card.Status != refdata.CardActive || r.Account.Status != refdata.AccountActive || r.Cardholder.Status != refdata.CardholderActive {
			inactive++
		}
		if i++; i == n {
			i = 0
		}
	}
	if st := s.CacheStats(); st.Misses != 0 {
		b.Fatalf("%d misses", st.Misses)
	}
	if inactive != 0 {
		b.Fatalf("%d reads found an inactive record", inactive)
	}
}

// Resolve reads a card with its account and cardholder; a write to any of
// them is seen by the next Resolve of every card that names it.
func TestResolveSeesEveryWrite(t *testing.T) {
	s := openStore(t, "")
	mustNil(t, s.PutAccount(account("acct_1"), refdata.Create))
	mustNil(t, s.PutAccount(account("acct_2"), refdata.Create))
	mustNil(t, s.PutCardholder(holder("ch_1", "acct_1"), refdata.Create))
	const cards = 10 // sharing the account and the cardholder
	toks := make([]refdata.Token, cards)
	for i := range toks {
		mustNil(t, s.PutCard(card(fmt.Sprint("card_", i), "acct_1", "ch_1"), pan("476173", i), refdata.Create))
		toks[i] = s.Tokenizer().Token(pan("476173", i))
	}
	mustNil(t, s.PutCard(card("card_solo", "acct_1", ""), pan("476173", 99), refdata.Create))
	solo := s.Tokenizer().Token(pan("476173", 99))

	check := func(step string, tok *refdata.Token, want func(r refdata.Resolved) bool) {
		t.Helper()
		r, err := s.Resolve(tok)
		mustNil(t, err)
		if !want(r) {
			t.Fatalf("%s: card %+v, account %+v, cardholder %+v", step, r.Card, r.Account, r.Cardholder)
		}
	}
	for i := range toks {
		check("loaded", &toks[i], func(r refdata.Resolved) bool {
			return r.Card.ID == fmt.Sprint("card_", i) && r.Account.ID == "acct_1" && r.Cardholder.ID == "ch_1"
		})
	}
	check("no cardholder", &solo, func(r refdata.Resolved) bool { return r.Cardholder == nil && r.Account.ID == "acct_1" })

	_, err := s.UpdateAccount("acct_1", func(a *refdata.Account) error { a.Status = refdata.AccountFrozen; return nil })
	mustNil(t, err)
	before := s.CacheStats()
	for i := range toks {
		check("account frozen", &toks[i], func(r refdata.Resolved) bool { return r.Account.Status == refdata.AccountFrozen })
	}
	// Made again from the cache: each read counts once, as a hit.
	if st := s.CacheStats(); st.Hits != before.Hits+cards || st.Misses != before.Misses {
		t.Fatalf("reads after the account's change: %+v → %+v, want %d hits", before, st, cards)
	}
	check("account frozen, no cardholder", &solo, func(r refdata.Resolved) bool { return r.Account.Status == refdata.AccountFrozen })

	_, err = s.UpdateCardholder("ch_1", func(h *refdata.Cardholder) error { h.Status = refdata.CardholderBlocked; return nil })
	mustNil(t, err)
	for i := range toks {
		check("cardholder blocked", &toks[i], func(r refdata.Resolved) bool {
			return r.Cardholder.Status == refdata.CardholderBlocked && r.Account.Status == refdata.AccountFrozen
		})
	}

	_, err = s.UpdateCard("card_3", func(c *refdata.Card) error { c.Account, c.Cardholder = "acct_2", ""; return nil })
	mustNil(t, err)
	check("card moved", &toks[3], func(r refdata.Resolved) bool {
		return r.Account.ID == "acct_2" && r.Account.Status == refdata.AccountActive && r.Cardholder == nil
	})
	check("other card stays", &toks[4], func(r refdata.Resolved) bool { return r.Account.ID == "acct_1" })

	// A reload of the account through a portfolio load, too.
	l, err := s.NewLoader()
	mustNil(t, err)
	a := account("acct_1")
	a.Status = refdata.AccountClosed
	mustNil(t, l.PutAccount(a))
	mustNil(t, l.Close())
	check("account reloaded", &toks[0], func(r refdata.Resolved) bool { return r.Account.Status == refdata.AccountClosed })

	other := s.Tokenizer().Token(pan("476173", 50))
	before = s.CacheStats()
	if _, err := s.Resolve(&other); !errors.Is(err, refdata.ErrNotFound) {
		t.Fatalf("unknown card: %v", err)
	}
	if st := s.CacheStats(); st.Misses != before.Misses+1 || st.Hits != before.Hits {
		t.Fatalf("read of an unknown card: %+v → %+v, want one miss", before, st)
	}
}

// Readers resolve cards while a writer flips their account's and
// cardholder's statuses: after each write returns, the next read must see
// it, and no read may see a status the records never had.
func TestResolveNoStaleReadAfterWrite(t *testing.T) {
	s := openStore(t, "")
	mustNil(t, s.PutAccount(account("acct_1"), refdata.Create))
	mustNil(t, s.PutCardholder(holder("ch_1", "acct_1"), refdata.Create))
	var toks [4]refdata.Token
	for i := range toks {
		mustNil(t, s.PutCard(card(fmt.Sprint("card_", i), "acct_1", "ch_1"), pan("476173", i), refdata.Create))
		toks[i] = s.Tokenizer().Token(pan("476173", i))
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				got, err := s.Resolve(&toks[(r+i)%len(toks)])
				if err != nil || (got.Account.Status != refdata.AccountActive && got.Account.Status != refdata.AccountFrozen) ||
					(got.Cardholder.Status != refdata.CardholderActive && got.Cardholder.Status != refdata.CardholderInactive) {
					t.Errorf("read %+v, %v", got, err)
					return
				}
			}
		}()
	}
	defer func() { // also when a check below fails: readers must not outlive the test
		stop.Store(true)
		wg.Wait()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < 200 && time.Now().Before(deadline); i++ {
		acct, hold := refdata.AccountActive, refdata.CardholderActive
		if i%2 == 0 {
			acct, hold = refdata.AccountFrozen, refdata.CardholderInactive
		}
		if i%4 < 2 {
			_, err := s.UpdateAccount("acct_1", func(a *refdata.Account) error { a.Status = acct; return nil })
			mustNil(t, err)
			for j := range toks {
				if r, err := s.Resolve(&toks[j]); err != nil || r.Account.Status != acct {
					t.Fatalf("write %d: card %d read account %+v, %v after writing %v", i, j, r.Account, err, acct)
				}
			}
		} else {
			_, err := s.UpdateCardholder("ch_1", func(h *refdata.Cardholder) error { h.Status = hold; return nil })
			mustNil(t, err)
			for j := range toks {
				if r, err := s.Resolve(&toks[j]); err != nil || r.Cardholder.Status != hold {
					t.Fatalf("write %d: card %d read cardholder %+v, %v after writing %v", i, j, r.Cardholder, err, hold)
				}
			}
		}
	}
}
