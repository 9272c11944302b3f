package portfolio

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// Profile selects the shape of a generated portfolio.
type Profile string

const (
	// Realistic spreads statuses, balances and controls the way a consumer
	// card program looks: mostly healthy active cards, a few percent
	// frozen, lost, expired or empty, and controls on a minority of
	// accounts, cardholders and cards. The network simulator plays on it.
	Realistic Profile = "realistic"
	// Bench gives every account, cardholder and card controls of every
	// kind (categories, countries, per-authorization and interval limits,
	// velocity) with values that sustained load never trips, balances that
	// cannot run out, and a small share of cards that decline by status,
	// so a load test runs every rule and knows every answer in advance.
	Bench Profile = "bench"
)

// Options configure Generate.
type Options struct {
	Seed    uint64
	Cards   int     // number of cards; accounts and cardholders follow
	Profile Profile // Realistic when empty
	// Now fixes the month expiry dates are drawn around; zero means the
	// current month. With Seed, Cards and Profile it makes the output
	// deterministic.
	Now time.Time
	// VisaShare is the fraction of cards on Visa; 0 means one half.
	VisaShare float64
}

// Visa and Mastercard BINs the generator issues from. Each gets its own CVV
// key pair.
var (
	VisaBINs       = []string{"476173", "455701", "426684", "489537"}
	MastercardBINs = []string{"520082", "531204", "542418", "555501"}
)

// Currencies the generator opens accounts in, with the weight of each, the
// ISO 4217 exponent and the home country of its cardholders.
var currencies = []struct {
	alpha    string
	weight   float64
	exponent int
	country  string
}{
	{"USD", 0.82, 2, "US"},
	{"EUR", 0.08, 2, "DE"},
	{"GBP", 0.05, 2, "GB"},
	{"CAD", 0.03, 2, "CA"},
	{"JPY", 0.02, 0, "JP"},
}

// Control values shared by generated records (read-only).
var (
	highRiskCountries = []string{"KP", "IR", "SY", "CU"}
	gamblingMCCs      = []string{"7995"}
	adultRiskMCCs     = []string{"7995", "5933", "7273", "5993"}
	diningMCCs        = []string{"5812", "5813", "5814"}
	digitalMCCs       = []string{"5734", "5815", "5816", "5817", "5818"}
	fuelMCCs          = []string{"5541", "5542"}
	homeRegions       = map[string][]string{
		"US": {"US", "CA", "MX"},
		"DE": {"DE", "FR", "NL", "AT", "BE", "IT", "ES"},
		"GB": {"GB", "IE", "FR"},
		"CA": {"CA", "US"},
		"JP": {"JP", "KR"},
	}
)

// Generate streams a portfolio into sink: the card_keys of every BIN, then
// accounts, each followed by its cardholders and cards. The same options
// give the same records.
func Generate(opts Options, sink Sink) (Stats, error) {
	var st Stats
	if opts.Cards < 0 {
		return st, errors.New("portfolio: negative card count")
	}
	if opts.Profile == "" {
		opts.Profile = Realistic
	}
	if opts.Profile != Realistic && opts.Profile != Bench {
		return st, fmt.Errorf("portfolio: unknown profile %q", opts.Profile)
	}
	if opts.VisaShare <= 0 || opts.VisaShare > 1 {
		opts.VisaShare = 0.5
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	g := &generator{
		opts: opts,
		rng:  rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		now:  opts.Now.UTC(),
	}
	if err := g.emitKeys(sink, &st); err != nil {
		return st, err
	}
	for st.Cards < opts.Cards {
		if err := g.emitAccount(sink, &st, opts.Cards-st.Cards); err != nil {
			return st, err
		}
	}
	return st, nil
}

type generator struct {
	opts    Options
	rng     *rand.Rand
	now     time.Time
	issued  map[string]uint64 // cards issued per BIN so far
	offsets map[string]uint64 // each BIN's serial offset

	acct   Account
	holder Cardholder
	card   Card
	ids    [3]string // cardholder ids of the current account
}

// serialSpace is the count of 9-digit account numbers under a 6-digit BIN
// in a 16-digit PAN. Serial i maps to (i·serialStride + offset) mod
// serialSpace, a bijection because the stride is coprime to 10^9, so PANs
// are unique without remembering them.
const (
	serialSpace  = 1_000_000_000
	serialStride = 387_420_489 // 3^18
)

func (g *generator) emitKeys(sink Sink, st *Stats) error {
	for _, bins := range [][]string{VisaBINs, MastercardBINs} {
		for _, bin := range bins {
			k := CardKeys{PANPrefix: bin, CVKA: g.hexKey(), CVKB: g.hexKey()}
			if err := sink.CardKeys(&k); err != nil {
				return err
			}
			st.CardKeys++
		}
	}
	return nil
}

func (g *generator) hexKey() string {
	const digits = "0123456789ABCDEF"
	var b [16]byte
	v := g.rng.Uint64()
	for i := range b {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return string(b[:])
}

func (g *generator) emitAccount(sink Sink, st *Stats, remaining int) error {
	r := g.rng
	n := st.Accounts + 1
	bench := g.opts.Profile == Bench

	// Cards on this account.
	cards := 1
	if !bench {
		switch x := r.Float64(); {
		case x < 0.06:
			cards = 3
		case x < 0.28:
			cards = 2
		}
	}
	cards = min(cards, remaining)

	cur := currencies[0]
	if !bench {
		x := r.Float64()
		for _, c := range currencies {
			if x < c.weight {
				cur = c
				break
			}
			x -= c.weight
		}
	}
	scale := int64(math.Pow10(cur.exponent))

	a := &g.acct
	*a = Account{ID: "acct_" + strconv.Itoa(n), Currency: cur.alpha, Status: StatusActive}
	if bench {
		a.Balance = 10_000_000_000 * scale // cannot run out under load
		if r.Float64() < 0.01 {
			a.Status = StatusFrozen
		}
		a.Controls = &Controls{
			BlockedCountries: highRiskCountries,
			SpendingLimits:   []SpendingLimit{{Amount: 1_000_000_000_000 * scale, Interval: Monthly}},
		}
	} else {
		a.Balance = g.balance(scale)
		if r.Float64() < 0.15 {
			a.CreditLimit = (500 + r.Int64N(14_500)) * scale
		}
		switch x := r.Float64(); {
		case x < 0.01:
			a.Status = StatusClosed
		case x < 0.035:
			a.Status = StatusFrozen
		}
		var c Controls
		if r.Float64() < 0.08 {
			c.SpendingLimits = append(c.SpendingLimits, SpendingLimit{Amount: (2_000 + r.Int64N(18_000)) * scale, Interval: Monthly})
		}
		if r.Float64() < 0.04 {
			c.BlockedCountries = highRiskCountries
		}
		if r.Float64() < 0.02 {
			c.Velocity = []Velocity{{Count: 50, WindowSeconds: 86_400}}
		}
		if !c.Empty() {
			a.Controls = &c
		}
	}
	if err := sink.Account(a); err != nil {
		return err
	}
	st.Accounts++

	holders := 0
	for i := 0; i < cards; i++ {
		holder := ""
		if i == 0 || bench || r.Float64() < 0.6 {
			holders++
			h := &g.holder
			*h = Cardholder{ID: "ch_" + strconv.Itoa(st.Cardholders+1), Account: a.ID, Status: StatusActive}
			g.cardholderTraits(h, cur.country, scale)
			if err := sink.Cardholder(h); err != nil {
				return err
			}
			st.Cardholders++
			g.ids[holders-1] = h.ID
			holder = h.ID
		} else {
			holder = g.ids[0]
		}
		c := &g.card
		*c = Card{ID: "card_" + strconv.Itoa(st.Cards+1), Account: a.ID, Cardholder: holder, Status: StatusActive}
		g.cardTraits(c, cur.country, scale)
		if err := sink.Card(c); err != nil {
			return err
		}
		st.Cards++
	}
	return nil
}

// balance draws posted funds: a few empty accounts, a few nearly empty, the
// rest log-normal around a few hundred in major units.
func (g *generator) balance(scale int64) int64 {
	r := g.rng
	switch x := r.Float64(); {
	case x < 0.04:
		return 0
	case x < 0.10:
		return r.Int64N(20 * scale)
	}
	major := math.Exp(6 + 1.5*r.NormFloat64())
	major = min(major, 200_000)
	return int64(major * float64(scale))
}

func (g *generator) cardholderTraits(h *Cardholder, home string, scale int64) {
	r := g.rng
	if g.opts.Profile == Bench {
		if r.Float64() < 0.005 {
			h.Status = StatusInactive
		}
		h.Controls = &Controls{
			BlockedCategories: gamblingMCCs,
			Velocity:          []Velocity{{Count: 1_000_000, WindowSeconds: 60}},
		}
		return
	}
	switch x := r.Float64(); {
	case x < 0.01:
		h.Status = StatusBlocked
	case x < 0.025:
		h.Status = StatusInactive
	}
	var c Controls
	if r.Float64() < 0.12 {
		c.BlockedCategories = adultRiskMCCs
	}
	if r.Float64() < 0.04 {
		c.AllowedCountries = homeRegions[home]
	}
	if r.Float64() < 0.06 {
		c.SpendingLimits = []SpendingLimit{{Amount: (300 + r.Int64N(2_700)) * scale, Interval: Daily}}
	}
	if !c.Empty() {
		h.Controls = &c
	}
}

func (g *generator) cardTraits(c *Card, home string, scale int64) {
	r := g.rng
	bins, network := VisaBINs, NetworkVisa
	if r.Float64() >= g.opts.VisaShare {
		bins, network = MastercardBINs, NetworkMastercard
	}
	c.Network = network
	c.PAN = g.pan(bins[r.IntN(len(bins))])

	months := 1 + r.IntN(60) // never the current month: its validity is the edge case
	if g.opts.Profile != Bench && r.Float64() < 0.015 {
		months = -1 - r.IntN(24)
	}
	c.Expiry = yymm(g.now, months)

	if g.opts.Profile == Bench {
		switch x := r.Float64(); {
		case x < 0.01:
			c.Status = StatusInactive
		case x < 0.02:
			c.Status, c.CancellationReason = StatusCanceled, ReasonLost
		case x < 0.03:
			c.Status, c.CancellationReason = StatusCanceled, ReasonStolen
		}
		c.Controls = &Controls{
			SpendingLimits: []SpendingLimit{
				{Amount: 100_000_000 * scale, Interval: PerAuthorization},
				{Amount: 10_000_000_000 * scale, Interval: Daily},
				{Amount: 1_000_000_000 * scale, Interval: Weekly, Categories: diningMCCs},
			},
		}
		return
	}
	switch x := r.Float64(); {
	case x < 0.015:
		c.Status, c.CancellationReason = StatusCanceled, ReasonLost
	case x < 0.03:
		c.Status, c.CancellationReason = StatusCanceled, ReasonStolen
	case x < 0.05:
		c.Status = StatusInactive
	}
	var k Controls
	if r.Float64() < 0.25 {
		k.SpendingLimits = append(k.SpendingLimits, SpendingLimit{Amount: (100 + r.Int64N(2_400)) * scale, Interval: Daily})
	}
	if r.Float64() < 0.08 {
		k.SpendingLimits = append(k.SpendingLimits, SpendingLimit{Amount: (50 + r.Int64N(950)) * scale, Interval: PerAuthorization})
	}
	if r.Float64() < 0.04 {
		k.SpendingLimits = append(k.SpendingLimits, SpendingLimit{Amount: (100 + r.Int64N(400)) * scale, Interval: Weekly, Categories: diningMCCs})
	}
	if r.Float64() < 0.06 {
		k.Velocity = []Velocity{{Count: 3 + r.IntN(18), WindowSeconds: 3_600}}
	}
	switch x := r.Float64(); {
	case x < 0.02:
		k.AllowedCategories = digitalMCCs // a virtual card for subscriptions
	case x < 0.03:
		k.AllowedCategories = fuelMCCs // a fleet fuel card
	}
	if r.Float64() < 0.03 {
		k.BlockedCountries = highRiskCountries
	}
	if !k.Empty() {
		c.Controls = &k
	}
}

// pan issues the next PAN under bin: BIN, nine serial digits, check digit.
func (g *generator) pan(bin string) string {
	if g.issued == nil {
		g.issued, g.offsets = make(map[string]uint64), make(map[string]uint64)
	}
	offset, ok := g.offsets[bin]
	if !ok {
		offset = g.rng.Uint64N(serialSpace)
		g.offsets[bin] = offset
	}
	i := g.issued[bin]
	g.issued[bin] = i + 1
	if i >= serialSpace {
		panic("portfolio: BIN exhausted") // 10^9 cards per BIN: far beyond any test
	}
	serial := (i*serialStride + offset) % serialSpace
	var b [16]byte
	copy(b[:], bin)
	for j := 14; j >= 6; j-- {
		b[j] = byte('0' + serial%10)
		serial /= 10
	}
	b[15] = spec.LuhnCheckDigit(string(b[:15]))
	return string(b[:])
}

// yymm returns the YYMM of the month months after now's.
func yymm(now time.Time, months int) string {
	t := time.Date(now.Year(), now.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	var b [4]byte
	y, m := t.Year()%100, int(t.Month())
	b[0], b[1] = byte('0'+y/10), byte('0'+y%10)
	b[2], b[3] = byte('0'+m/10), byte('0'+m%10)
	return string(b[:])
}
