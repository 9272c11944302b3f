package refdata_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

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

// readAll reads every card of loadPortfolio with its account and
// cardholder, as the hot path does.
func readAll(t testing.TB, s *refdata.Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		tok := s.Tokenizer().Token(pan("400000", i))
		c, err := s.Card(&tok)
		mustNil(t, err)
		if c.ID != fmt.Sprint("card_", i) {
			t.Fatalf("card %d read back as %s", i, c.ID)
		}
		a, err := s.Account(c.Account)
		mustNil(t, err)
		h, err := s.Cardholder(c.Cardholder)
		mustNil(t, err)
		if a.ID != fmt.Sprint("acct_", i) || h.ID != fmt.Sprint("ch_", i) {
			t.Fatalf("card %d: account %s, cardholder %s", i, a.ID, h.ID)
		}
	}
}

// After a load, the first read of every record is a hit: the load put them
// in the cache.
func TestLoadWarmsCache(t *testing.T) {
	s := openStore(t, "")
	const n = 10000 // several batches
	loadPortfolio(t, s, n)
	readAll(t, s, n)
	if st := s.CacheStats(); st.Misses != 0 || st.Hits != 3*n {
		t.Fatalf("reads after the load: %+v, want %d hits and no miss", st, 3*n)
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
	if st.Hits == 0 || st.Misses == 0 || st.Hits+st.Misses != 3*n {
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
	if st := s.CacheStats(); st.Misses != before.Misses || st.Hits != before.Hits+3 {
		t.Fatalf("reads after the writes: %+v → %+v, want three hits", before, st)
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
