package portfolio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/authswitch/authswitch/bench/portfolio"
)

var fixedNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// generate writes a portfolio through a Checker and returns the file.
func generate(t *testing.T, opts portfolio.Options) ([]byte, *portfolio.Checker) {
	t.Helper()
	var buf bytes.Buffer
	w := portfolio.NewWriter(&buf)
	chk := portfolio.NewChecker()
	st, err := portfolio.Generate(opts, portfolio.Tee{chk, w})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if st.Cards != opts.Cards || chk.Cards != opts.Cards {
		t.Fatalf("generated %d cards (checker saw %d), want %d", st.Cards, chk.Cards, opts.Cards)
	}
	if st != w.Stats || st != chk.Stats {
		t.Fatalf("stats disagree: generate %+v writer %+v checker %+v", st, w.Stats, chk.Stats)
	}
	return buf.Bytes(), chk
}

// collect keeps every record a sink is given.
type collect struct {
	accounts    []portfolio.Account
	cardholders []portfolio.Cardholder
	cards       []portfolio.Card
	keys        []portfolio.CardKeys
}

func (c *collect) Account(a *portfolio.Account) error {
	c.accounts = append(c.accounts, *a)
	return nil
}
func (c *collect) Cardholder(h *portfolio.Cardholder) error {
	c.cardholders = append(c.cardholders, *h)
	return nil
}
func (c *collect) Card(k *portfolio.Card) error { c.cards = append(c.cards, *k); return nil }
func (c *collect) CardKeys(k *portfolio.CardKeys) error {
	c.keys = append(c.keys, *k)
	return nil
}

func TestGeneratedPortfolioFollowsTheRules(t *testing.T) {
	for _, profile := range []portfolio.Profile{portfolio.Realistic, portfolio.Bench} {
		t.Run(string(profile), func(t *testing.T) {
			file, _ := generate(t, portfolio.Options{Seed: 7, Cards: 10_000, Profile: profile, Now: fixedNow})

			// The file reads back through the validating checker, line by line.
			chk := portfolio.NewChecker()
			var got collect
			st, err := portfolio.Read(bytes.NewReader(file), portfolio.Tee{chk, &got})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if st.Cards != 10_000 || st != chk.Stats {
				t.Fatalf("read back %+v, checker %+v", st, chk.Stats)
			}
			if len(got.keys) != len(portfolio.VisaBINs)+len(portfolio.MastercardBINs) {
				t.Fatalf("%d card_keys, want one per BIN", len(got.keys))
			}

			// Every line is a JSON object with a known kind, and nothing unknown.
			for i, raw := range bytes.Split(bytes.TrimSpace(file), []byte("\n")) {
				var m map[string]any
				if err := json.Unmarshal(raw, &m); err != nil {
					t.Fatalf("line %d is not JSON: %v", i+1, err)
				}
				if i < len(got.keys) && m["kind"] != "card_keys" {
					t.Fatalf("line %d: card_keys must come first, got %v", i+1, m["kind"])
				}
			}

			// PANs: network prefix and BIN, 16 digits.
			visa := 0
			for _, c := range got.cards {
				if len(c.PAN) != 16 {
					t.Fatalf("card %s: PAN length %d", c.ID, len(c.PAN))
				}
				bins := portfolio.MastercardBINs
				if c.Network == portfolio.NetworkVisa {
					bins = portfolio.VisaBINs
					visa++
				}
				if !hasPrefix(c.PAN, bins) {
					t.Fatalf("card %s: PAN not under a %s BIN", c.ID, c.Network)
				}
			}
			if share := float64(visa) / float64(len(got.cards)); share < 0.45 || share > 0.55 {
				t.Errorf("Visa share %.3f, want about one half", share)
			}
			checkSpread(t, profile, &got)
		})
	}
}

func hasPrefix(pan string, bins []string) bool {
	for _, b := range bins {
		if strings.HasPrefix(pan, b) {
			return true
		}
	}
	return false
}

// checkSpread asserts the shape of each profile: what share is healthy, and
// that every status and control kind occurs.
func checkSpread(t *testing.T, profile portfolio.Profile, p *collect) {
	t.Helper()
	count := map[string]int{}
	now := "2603"
	for _, a := range p.accounts {
		count["account "+a.Status]++
		if a.Controls != nil {
			count["account controls"]++
		}
		if a.Balance == 0 {
			count["account empty"]++
		}
	}
	for _, h := range p.cardholders {
		count["cardholder "+h.Status]++
		if h.Controls != nil {
			count["cardholder controls"]++
		}
	}
	for _, c := range p.cards {
		count["card "+c.Status+c.CancellationReason]++
		if c.Expiry < now {
			count["card expired"]++
		}
		if c.Expiry == now {
			t.Errorf("card %s expires this month: the generator must avoid the edge", c.ID)
		}
		if c.Controls == nil {
			continue
		}
		count["card controls"]++
		for _, l := range c.Controls.SpendingLimits {
			count["limit "+l.Interval]++
			if len(l.Categories) > 0 {
				count["limit with categories"]++
			}
		}
		if len(c.Controls.Velocity) > 0 {
			count["card velocity"]++
		}
		if len(c.Controls.AllowedCategories) > 0 {
			count["card allowed categories"]++
		}
	}
	n := float64(len(p.cards))
	share := func(k string) float64 { return float64(count[k]) / n }

	if profile == portfolio.Bench {
		if count["account controls"] != len(p.accounts) || count["cardholder controls"] != len(p.cardholders) ||
			count["card controls"] != len(p.cards) {
			t.Errorf("bench profile must put controls on every level: %v", count)
		}
		if count["card expired"] != 0 || count["account empty"] != 0 {
			t.Errorf("bench profile has expired cards or empty accounts: %v", count)
		}
		if s := share("card active"); s < 0.95 || s > 0.99 {
			t.Errorf("bench active card share %.3f", s)
		}
		for _, k := range []string{"card inactive", "card canceledlost", "card canceledstolen", "account frozen"} {
			if count[k] == 0 {
				t.Errorf("bench profile has no %q for the decline mix", k)
			}
		}
		return
	}
	if s := share("card active"); s < 0.92 || s > 0.98 {
		t.Errorf("active card share %.3f, want about 0.95", s)
	}
	for _, k := range []string{
		"account frozen", "account closed", "account empty", "cardholder inactive", "cardholder blocked",
		"card inactive", "card canceledlost", "card canceledstolen", "card expired",
		"limit daily", "limit per_authorization", "limit weekly", "limit with categories", "card velocity",
		"card allowed categories",
	} {
		if count[k] == 0 {
			t.Errorf("no %q in 10k realistic cards: %v", k, count)
		}
	}
	if s := share("card controls"); s < 0.25 || s > 0.55 {
		t.Errorf("share of cards with controls %.3f, want a minority", s)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, _ := generate(t, portfolio.Options{Seed: 42, Cards: 3000, Now: fixedNow})
	b, _ := generate(t, portfolio.Options{Seed: 42, Cards: 3000, Now: fixedNow})
	c, _ := generate(t, portfolio.Options{Seed: 43, Cards: 3000, Now: fixedNow})
	if !bytes.Equal(a, b) {
		t.Fatal("the same options gave different portfolios")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same portfolio")
	}
}

func TestValidateRejects(t *testing.T) {
	good := func() portfolio.Card {
		return portfolio.Card{ID: "c", PAN: "4111111111111111", Expiry: "2812", Network: "visa", Account: "a", Status: "active"}
	}
	cases := []struct {
		name string
		edit func(*portfolio.Card)
	}{
		{"luhn", func(c *portfolio.Card) { c.PAN = "4111111111111112" }},
		{"short pan", func(c *portfolio.Card) { c.PAN = "411111111111" }},
		{"expiry month", func(c *portfolio.Card) { c.Expiry = "2813" }},
		{"network", func(c *portfolio.Card) { c.Network = "mastercard" }},
		{"status", func(c *portfolio.Card) { c.Status = "lost" }},
		{"reason on active", func(c *portfolio.Card) { c.CancellationReason = "lost" }},
		{"both category lists", func(c *portfolio.Card) {
			c.Controls = &portfolio.Controls{AllowedCategories: []string{"5411"}, BlockedCategories: []string{"7995"}}
		}},
		{"category digits", func(c *portfolio.Card) { c.Controls = &portfolio.Controls{BlockedCategories: []string{"799"}} }},
		{"country case", func(c *portfolio.Card) { c.Controls = &portfolio.Controls{AllowedCountries: []string{"us"}} }},
		{"limit interval", func(c *portfolio.Card) {
			c.Controls = &portfolio.Controls{SpendingLimits: []portfolio.SpendingLimit{{Amount: 5, Interval: "hourly"}}}
		}},
		{"limit amount", func(c *portfolio.Card) {
			c.Controls = &portfolio.Controls{SpendingLimits: []portfolio.SpendingLimit{{Amount: 0, Interval: "daily"}}}
		}},
		{"velocity", func(c *portfolio.Card) {
			c.Controls = &portfolio.Controls{Velocity: []portfolio.Velocity{{Count: 0, WindowSeconds: 60}}}
		}},
	}
	base := good()
	if err := base.Validate(); err != nil {
		t.Fatalf("good card rejected: %v", err)
	}
	for _, c := range cases {
		card := good()
		c.edit(&card)
		err := card.Validate()
		if !errors.Is(err, portfolio.ErrInvalid) {
			t.Errorf("%s: Validate = %v, want ErrInvalid", c.name, err)
		}
		if err != nil && strings.Contains(err.Error(), "41111111") {
			t.Errorf("%s: error carries the PAN: %v", c.name, err)
		}
	}
}

func TestReadErrorsNameTheLineNotThePAN(t *testing.T) {
	file := `{"kind":"card_keys","pan_prefix":"411111","cvk_a":"0123456789ABCDEF","cvk_b":"FEDCBA9876543210"}
{"kind":"account","id":"a1","currency":"USD","balance":100,"status":"active"}

{"kind":"card","id":"c1","pan":"4111111111111112","expiry":"2812","network":"visa","account":"a1","status":"active"}
`
	_, err := portfolio.Read(strings.NewReader(file), portfolio.NewChecker())
	if err == nil || !strings.Contains(err.Error(), "line 4") || strings.Contains(err.Error(), "4111111111111112") {
		t.Fatalf("Read error = %v, want line 4 named and no PAN", err)
	}
	_, err = portfolio.Read(strings.NewReader(`{"kind":"card","pan":"4111111111111111"`+"\n"), portfolio.NewChecker())
	if !errors.Is(err, portfolio.ErrInvalid) || strings.Contains(err.Error(), "4111111111111111") {
		t.Fatalf("broken JSON: %v", err)
	}
	_, err = portfolio.Read(strings.NewReader(`{"kind":"merchant","id":"m"}`), portfolio.NewChecker())
	if !errors.Is(err, portfolio.ErrInvalid) {
		t.Fatalf("unknown kind: %v", err)
	}
	long := `{"kind":"account","id":"` + strings.Repeat("x", portfolio.MaxLineBytes+10) + `"}`
	_, err = portfolio.Read(strings.NewReader(long), portfolio.NewChecker())
	if !errors.Is(err, portfolio.ErrLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
}

func TestWriterEscapes(t *testing.T) {
	var buf bytes.Buffer
	w := portfolio.NewWriter(&buf)
	name := "a\"b\\c\nd\x01é"
	if err := w.Cardholder(&portfolio.Cardholder{ID: name, Account: "x", Status: "active"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var got struct{ ID string }
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || got.ID != name {
		t.Fatalf("round trip of %q gave %q (%v)", name, got.ID, err)
	}
}

func FuzzRead(f *testing.F) {
	file, _ := generateSeed()
	f.Add(file)
	f.Add([]byte(`{"kind":"card","id":"c","pan":"4111111111111111","expiry":"2812","network":"visa","account":"a","status":"active","controls":{"velocity":[{"count":1,"window_seconds":1}]}}`))
	f.Add([]byte("{}\n\n{\"kind\":1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := portfolio.Read(bytes.NewReader(data), portfolio.NewChecker())
		if err != nil && !errors.Is(err, portfolio.ErrInvalid) && !errors.Is(err, portfolio.ErrLineTooLong) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}

func generateSeed() ([]byte, error) {
	var buf bytes.Buffer
	w := portfolio.NewWriter(&buf)
	_, err := portfolio.Generate(portfolio.Options{Seed: 1, Cards: 5, Now: fixedNow}, w)
	if err == nil {
		err = w.Flush()
	}
	return buf.Bytes(), err
}

func BenchmarkGenerate(b *testing.B) {
	var n int
	for b.Loop() {
		w := portfolio.NewWriter(discard{&n})
		if _, err := portfolio.Generate(portfolio.Options{Seed: 1, Cards: 10_000, Now: fixedNow}, w); err != nil {
			b.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/10_000, "ns/card")
}

type discard struct{ n *int }

func (d discard) Write(p []byte) (int, error) { *d.n += len(p); return len(p), nil }
