package refdata_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

func TestCardReadsAndChanges(t *testing.T) {
	s := openStore(t, "")
	mustNil(t, s.PutAccount(account("acct_1"), refdata.Create))
	mustNil(t, s.PutCardholder(holder("ch_1", "acct_1"), refdata.Create))
	p := pan("476173", 1)
	c := card("card_1", "acct_1", "ch_1")
	c.Controls = &refdata.Controls{BlockedCategories: []string{"7995", "5933", "7995"}}
	mustNil(t, s.PutCard(c, p, refdata.Create))

	tok := s.Tokenizer().Token(p)
	got, err := s.Card(&tok)
	mustNil(t, err)
	if got.ID != "card_1" || got.Last4 != p[12:] || got.Token != tok || got.Status != refdata.CardActive {
		t.Fatalf("card read back: %+v", got)
	}
	if want := []string{"5933", "7995"}; strings.Join(got.Controls.BlockedCategories, ",") != strings.Join(want, ",") {
		t.Fatalf("controls not normalized: %v", got.Controls.BlockedCategories)
	}
	// Cached now: a second read is a hit and the same record.
	s.SettleCache()
	before := s.CacheStats()
	again, err := s.Card(&tok)
	mustNil(t, err)
	if again != got || s.CacheStats().Hits != before.Hits+1 {
		t.Fatalf("second read: same=%v stats %+v → %+v", again == got, before, s.CacheStats())
	}

	// A change is visible to the very next read.
	_, err = s.UpdateCard("card_1", func(c *refdata.Card) error {
		c.Status = refdata.CardCanceled
		c.Cancellation = refdata.CancellationStolen
		return nil
	})
	mustNil(t, err)
	got, err = s.Card(&tok)
	mustNil(t, err)
	if got.Status != refdata.CardCanceled || got.Cancellation != refdata.CancellationStolen {
		t.Fatalf("stale card after update: %+v", got)
	}

	// Accounts and cardholders likewise.
	a, err := s.Account("acct_1")
	mustNil(t, err)
	if a.Status != refdata.AccountActive {
		t.Fatalf("account %+v", a)
	}
	_, err = s.UpdateAccount("acct_1", func(a *refdata.Account) error { a.Status = refdata.AccountFrozen; return nil })
	mustNil(t, err)
	if a, _ = s.Account("acct_1"); a.Status != refdata.AccountFrozen {
		t.Fatalf("stale account after update: %+v", a)
	}
	if _, err := s.Cardholder("ch_1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateCardholder("ch_1", func(h *refdata.Cardholder) error { h.Status = refdata.CardholderBlocked; return nil })
	mustNil(t, err)
	if h, _ := s.Cardholder("ch_1"); h.Status != refdata.CardholderBlocked {
		t.Fatalf("stale cardholder after update: %+v", h)
	}

	// Unknown things.
	other := s.Tokenizer().Token(pan("476173", 2))
	if _, err := s.Card(&other); !errors.Is(err, refdata.ErrNotFound) {
		t.Fatalf("unknown card: %v", err)
	}
	if _, err := s.Account("nope"); !errors.Is(err, refdata.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
	if _, err := s.GetCard("nope"); !errors.Is(err, refdata.ErrNotFound) {
		t.Fatalf("unknown card id: %v", err)
	}
}

func TestWriteModesAndReferences(t *testing.T) {
	s := openStore(t, "")
	mustNil(t, s.PutAccount(account("acct_1"), refdata.Create))
	mustNil(t, s.PutAccount(account("acct_2"), refdata.Create))
	mustNil(t, s.PutCardholder(holder("ch_1", "acct_1"), refdata.Create))
	mustNil(t, s.PutCard(card("card_1", "acct_1", "ch_1"), pan("476173", 1), refdata.Create))

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"create existing account", s.PutAccount(account("acct_1"), refdata.Create), refdata.ErrExists},
		{"replace missing account", s.PutAccount(account("acct_9"), refdata.Replace), refdata.ErrNotFound},
		{"cardholder of missing account", s.PutCardholder(holder("ch_2", "acct_9"), refdata.Create), refdata.ErrInvalid},
		{"cardholder moving account", s.PutCardholder(holder("ch_1", "acct_2"), refdata.Upsert), refdata.ErrInvalid},
		{"create existing card", s.PutCard(card("card_1", "acct_1", ""), pan("476173", 3), refdata.Create), refdata.ErrExists},
		{"PAN of another card", s.PutCard(card("card_2", "acct_1", ""), pan("476173", 1), refdata.Create), refdata.ErrExists},
		{"card of missing account", s.PutCard(card("card_3", "acct_9", ""), pan("476173", 4), refdata.Create), refdata.ErrInvalid},
		{"card of missing cardholder", s.PutCard(card("card_3", "acct_1", "ch_9"), pan("476173", 4), refdata.Create), refdata.ErrInvalid},
		{"cardholder on another account", s.PutCard(card("card_3", "acct_2", "ch_1"), pan("476173", 4), refdata.Create), refdata.ErrInvalid},
		{"create card without PAN", s.PutCard(card("card_3", "acct_1", ""), "", refdata.Create), refdata.ErrInvalid},
		{"replace missing card", s.PutCard(card("card_9", "acct_1", ""), "", refdata.Replace), refdata.ErrNotFound},
		{"bad PAN", s.PutCard(card("card_3", "acct_1", ""), "4761730000000000", refdata.Create), refdata.ErrInvalid},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, tc.err, tc.want)
		}
		if tc.err != nil && pans.MatchString(tc.err.Error()) {
			t.Errorf("%s: error %q carries a card number", tc.name, tc.err)
		}
	}

	// A replace without PAN keeps the card's number.
	c := card("card_1", "acct_1", "ch_1")
	c.Status = refdata.CardInactive
	mustNil(t, s.PutCard(c, "", refdata.Replace))
	tok := s.Tokenizer().Token(pan("476173", 1))
	if got, err := s.Card(&tok); err != nil || got.Status != refdata.CardInactive || got.Last4 != pan("476173", 1)[12:] {
		t.Fatalf("replaced card: %+v, %v", got, err)
	}

	// A new PAN for the same card id retires the old number.
	mustNil(t, s.PutCard(card("card_1", "acct_1", "ch_1"), pan("476173", 5), refdata.Upsert))
	if _, err := s.Card(&tok); !errors.Is(err, refdata.ErrNotFound) {
		t.Fatalf("old PAN still finds the card: %v", err)
	}
	newTok := s.Tokenizer().Token(pan("476173", 5))
	if got, err := s.Card(&newTok); err != nil || got.ID != "card_1" {
		t.Fatalf("new PAN: %+v, %v", got, err)
	}
	// And the old number is free for another card.
	mustNil(t, s.PutCard(card("card_2", "acct_1", ""), pan("476173", 1), refdata.Create))
}

func TestCardKeysLongestPrefix(t *testing.T) {
	s := openStore(t, "")
	mustNil(t, s.PutCardKeys(&refdata.CardKeys{Prefix: "4", CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"}))
	mustNil(t, s.PutCardKeys(&refdata.CardKeys{Prefix: "476173", CVKA: "89ABCDEF01234567", CVKB: "76543210FEDCBA98"}))
	tests := []struct{ pan, prefix string }{
		{"4761739001010010", "476173"},
		{"4111111111111111", "4"},
		{"5555555555554444", ""},
	}
	for _, tc := range tests {
		e, ok := s.Keys(tc.pan)
		switch {
		case tc.prefix == "" && ok:
			t.Errorf("%s: keys %s, want none", tc.pan[:6], e.Prefix)
		case tc.prefix != "" && (!ok || e.Prefix != tc.prefix):
			t.Errorf("%s: keys %v, want %s", tc.pan[:6], e, tc.prefix)
		}
	}
	// Replacing a prefix's keys changes its check value, and the list never
	// shows the keys themselves.
	before, _ := s.CardKeys("4")
	mustNil(t, s.PutCardKeys(&refdata.CardKeys{Prefix: "4", CVKA: "89ABCDEF01234567", CVKB: "76543210FEDCBA98"}))
	after, _ := s.CardKeys("4")
	if before.CheckValue == after.CheckValue {
		t.Fatal("check value unchanged after replacing keys")
	}
	list := s.ListCardKeys()
	if len(list) != 2 || list[0].Prefix != "4" || list[1].Prefix != "476173" {
		t.Fatalf("list %+v", list)
	}
	if err := s.PutCardKeys(&refdata.CardKeys{Prefix: "4x", CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"}); !errors.Is(err, refdata.ErrInvalid) {
		t.Fatalf("bad prefix: %v", err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := refdata.Open(refdata.Options{Dir: dir, PANKey: testKey})
	mustNil(t, err)
	mustNil(t, s.PutAccount(account("acct_1"), refdata.Create))
	mustNil(t, s.PutCard(card("card_1", "acct_1", ""), pan("476173", 1), refdata.Create))
	mustNil(t, s.PutCardKeys(&refdata.CardKeys{Prefix: "476173", CVKA: "0123456789ABCDEF", CVKB: "FEDCBA9876543210"}))
	l, err := s.NewLoader()
	mustNil(t, err)
	mustNil(t, l.PutAccount(account("acct_2")))
	mustNil(t, l.PutCard(card("card_2", "acct_2", ""), pan("476173", 2)))
	mustNil(t, l.Close())
	mustNil(t, s.Close())

	s = openStore(t, dir)
	for _, n := range []int{1, 2} {
		tok := s.Tokenizer().Token(pan("476173", n))
		c, err := s.Card(&tok)
		if err != nil || c.ID != fmt.Sprintf("card_%d", n) {
			t.Fatalf("card %d after reopen: %+v, %v", n, c, err)
		}
	}
	if _, ok := s.Keys(pan("476173", 1)); !ok {
		t.Fatal("card keys lost on reopen")
	}
	// Another PAN key finds nothing: tokens depend on it.
	other, err := refdata.Open(refdata.Options{Dir: t.TempDir(), PANKey: []byte(strings.Repeat("k", 32))})
	mustNil(t, err)
	defer other.Close()
	if a, b := other.Tokenizer().Token(pan("476173", 1)), s.Tokenizer().Token(pan("476173", 1)); a == b {
		t.Fatal("tokens do not depend on the key")
	}
	if _, err := refdata.Open(refdata.Options{PANKey: []byte("short")}); !errors.Is(err, refdata.ErrPANKey) {
		t.Fatalf("short key: %v", err)
	}
}

func TestLoaderChecksAndReloads(t *testing.T) {
	s := openStore(t, "")
	load := func(fn func(l *refdata.Loader) error) error {
		l, err := s.NewLoader()
		mustNil(t, err)
		err = fn(l)
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		return err
	}
	const n = 10000 // several batches
	mustNil(t, load(func(l *refdata.Loader) error {
		for i := 0; i < n; i++ {
			if err := l.PutAccount(account(fmt.Sprint("acct_", i))); err != nil {
				return err
			}
			if err := l.PutCardholder(holder(fmt.Sprint("ch_", i), fmt.Sprint("acct_", i))); err != nil {
				return err
			}
			if err := l.PutCard(card(fmt.Sprint("card_", i), fmt.Sprint("acct_", i), fmt.Sprint("ch_", i)), pan("400000", i)); err != nil {
				return err
			}
		}
		// The same card twice in one load: the later line wins, with its PAN.
		c := card("card_7", "acct_7", "ch_7")
		c.Status = refdata.CardInactive
		return l.PutCard(c, pan("400000", n+7))
	}))
	tok := s.Tokenizer().Token(pan("400000", 9999))
	if c, err := s.Card(&tok); err != nil || c.ID != "card_9999" {
		t.Fatalf("loaded card: %+v, %v", c, err)
	}
	old := s.Tokenizer().Token(pan("400000", 7))
	if _, err := s.Card(&old); !errors.Is(err, refdata.ErrNotFound) {
		t.Fatalf("card_7's first PAN: %v", err)
	}
	tok = s.Tokenizer().Token(pan("400000", n+7))
	if c, err := s.Card(&tok); err != nil || c.Status != refdata.CardInactive {
		t.Fatalf("card_7's second line: %+v, %v", c, err)
	}

	// Errors a load reports.
	tests := []struct {
		name string
		fn   func(l *refdata.Loader) error
		want error
	}{
		{"card before its account", func(l *refdata.Loader) error {
			return l.PutCard(card("card_x", "acct_x", ""), pan("400000", 50000))
		}, refdata.ErrInvalid},
		{"PAN of another card in this load", func(l *refdata.Loader) error {
			if err := l.PutCard(card("card_y", "acct_1", ""), pan("400000", 60000)); err != nil {
				return err
			}
			return l.PutCard(card("card_z", "acct_1", ""), pan("400000", 60000))
		}, refdata.ErrExists},
		{"PAN of a card loaded before", func(l *refdata.Loader) error {
			return l.PutCard(card("card_w", "acct_1", ""), pan("400000", 1))
		}, refdata.ErrExists},
		{"cardholder of another account", func(l *refdata.Loader) error {
			return l.PutCard(card("card_v", "acct_1", "ch_2"), pan("400000", 70000))
		}, refdata.ErrInvalid},
	}
	for _, tc := range tests {
		if err := load(tc.fn); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}

	// A reload over the cached, non-empty store replaces what changed.
	tok = s.Tokenizer().Token(pan("400000", 3))
	if _, err := s.Card(&tok); err != nil { // cache it
		t.Fatal(err)
	}
	mustNil(t, load(func(l *refdata.Loader) error {
		c := card("card_3", "acct_3", "ch_3")
		c.Status = refdata.CardCanceled
		c.Cancellation = refdata.CancellationLost
		return l.PutCard(c, pan("400000", 3))
	}))
	if c, err := s.Card(&tok); err != nil || c.Status != refdata.CardCanceled {
		t.Fatalf("reloaded card: %+v, %v", c, err)
	}
}

// Readers hammer a card while a writer flips its status: after each write
// returns, the next read must see it, and no read may ever see a status the
// card never had.
func TestNoStaleReadAfterWrite(t *testing.T) {
	s := openStore(t, "")
	mustNil(t, s.PutAccount(account("acct_1"), refdata.Create))
	p := pan("476173", 1)
	mustNil(t, s.PutCard(card("card_1", "acct_1", ""), p, refdata.Create))
	tok := s.Tokenizer().Token(p)

	var stop atomic.Bool
	var wg sync.WaitGroup
	var reads atomic.Int64
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				c, err := s.Card(&tok)
				if err != nil || (c.Status != refdata.CardActive && c.Status != refdata.CardInactive) {
					t.Errorf("read %+v, %v", c, err)
					return
				}
				reads.Add(1)
			}
		}()
	}
	// The writes race the readers only once they run.
	for reads.Load() == 0 && !t.Failed() {
		runtime.Gosched()
	}
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < 300 && time.Now().Before(deadline); i++ {
		want := refdata.CardActive
		if i%2 == 0 {
			want = refdata.CardInactive
		}
		_, err := s.UpdateCard("card_1", func(c *refdata.Card) error { c.Status = want; return nil })
		mustNil(t, err)
		c, err := s.Card(&tok)
		mustNil(t, err)
		if c.Status != want {
			t.Fatalf("write %d: read %v after writing %v", i, c.Status, want)
		}
	}
	stop.Store(true)
	wg.Wait()
	if reads.Load() == 0 {
		t.Fatal("readers never read")
	}
}

func TestClosedStore(t *testing.T) {
	s := openStore(t, "")
	mustNil(t, s.PutAccount(account("acct_1"), refdata.Create))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mustNil(t, s.WaitCompactions(ctx))
	mustNil(t, s.Close())
	if err := s.WaitCompactions(ctx); !errors.Is(err, refdata.ErrClosed) {
		t.Fatalf("WaitCompactions after close: %v", err)
	}
	if _, err := s.Account("acct_1"); !errors.Is(err, refdata.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
	if err := s.PutAccount(account("acct_2"), refdata.Create); !errors.Is(err, refdata.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if _, err := s.NewLoader(); !errors.Is(err, refdata.ErrClosed) {
		t.Fatalf("load after close: %v", err)
	}
}

func TestValidateNetworkOfPAN(t *testing.T) {
	if err := refdata.ValidatePAN(pan("555555", 1), spec.Mastercard); err != nil {
		t.Fatal(err)
	}
	if err := refdata.ValidatePAN(pan("222100", 1), spec.Mastercard); err != nil {
		t.Fatal(err)
	}
	if err := refdata.ValidatePAN(pan("555555", 1), spec.Visa); !errors.Is(err, refdata.ErrInvalid) {
		t.Fatalf("Mastercard PAN as Visa: %v", err)
	}
}

func BenchmarkCardHit(b *testing.B) {
	s := openStore(b, "")
	mustNil(b, s.PutAccount(account("acct_1"), refdata.Create))
	p := pan("476173", 1)
	mustNil(b, s.PutCard(card("card_1", "acct_1", ""), p, refdata.Create))
	tok := s.Tokenizer().Token(p)
	if _, err := s.Card(&tok); err != nil {
		b.Fatal(err)
	}
	s.SettleCache()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Card(&tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToken(b *testing.B) {
	s := openStore(b, "")
	p := pan("476173", 1)
	b.ReportAllocs()
	for b.Loop() {
		s.Tokenizer().Token(p)
	}
}
