package settle

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/authswitch/authswitch/feed"
)

// Source is a reader of the feed: segment.Reader and natsfeed.Consumer.
type Source interface {
	Run(ctx context.Context, fn func(seq uint64, line []byte) error) error
}

// Options configure a Builder.
type Options struct {
	// Cutoff is when a settlement day starts, after 00:00 UTC (0: days are
	// UTC calendar days). An entry at 21:30 UTC with a cutoff of 21h
	// belongs to the next day.
	Cutoff time.Duration
	// Day, when set (YYYY-MM-DD), keeps only that settlement day in the
	// report; holds are still followed from every entry.
	Day string
}

// Key is what the report groups by.
type Key struct {
	Network  string `json:"network"`
	Currency string `json:"currency"`
	Day      string `json:"day"`
}

// Totals are one row of the report. Amounts are minor units of Currency
// (the account's currency, as the ledger holds them).
type Totals struct {
	Key
	ApprovedCount  int64 `json:"approved_count"`  // authorizations and advices approved (fully or in part)
	ApprovedAmount int64 `json:"approved_amount"` // what they approved
	DeclinedCount  int64 `json:"declined_count"`  // declined, by the ledger or before it
	ReversedCount  int64 `json:"reversed_count"`  // reversals and reversal advices
	ReversedAmount int64 `json:"reversed_amount"` // what they released
	CapturedCount  int64 `json:"captured_count"`  // captures (presentments) posted
	CapturedAmount int64 `json:"captured_amount"` // what they posted (refund credits negative)
	ExpiredCount   int64 `json:"expired_count"`   // holds expired
	ExpiredAmount  int64 `json:"expired_amount"`  // what expiry released
	ReleasedCount  int64 `json:"released_count"`  // operator releases
	ReleasedAmount int64 `json:"released_amount"`
	// NetOwed is what the issuer owes the network for the day: the
	// captured amount. Authorizations, reversals and expiries move holds,
	// not money; refunds are negative captures and reduce it.
	NetOwed int64 `json:"net_owed"`
}

// Report is the settlement report.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	FirstSeq    uint64    `json:"first_seq"`
	LastSeq     uint64    `json:"last_seq"`
	Entries     uint64    `json:"entries"`
	Cutoff      string    `json:"cutoff"`
	Rows        []Totals  `json:"rows"` // by network, currency, day
	// ByCurrency sums the rows per currency (network "*", day "*").
	ByCurrency []Totals `json:"by_currency"`
}

// Builder folds feed records into a report and a hold index.
type Builder struct {
	opts   Options
	totals map[Key]*Totals
	Holds  *Holds

	first, last, n uint64
	rec            feed.Record
}

// NewBuilder returns an empty builder.
func NewBuilder(o Options) *Builder {
	return &Builder{opts: o, totals: map[Key]*Totals{}, Holds: NewHolds()}
}

// Load reads every record of a source into the builder.
func (b *Builder) Load(ctx context.Context, src Source) error {
	return src.Run(ctx, func(seq uint64, line []byte) error {
		if err := feed.ParseRecord(line, &b.rec); err != nil {
			return fmt.Errorf("settle: entry %d: %w", seq, err)
		}
		return b.Add(&b.rec)
	})
}

// Day is the settlement day of an instant.
func (b *Builder) Day(t time.Time) string {
	return t.UTC().Add(-b.opts.Cutoff).Format(time.DateOnly)
}

// Add folds one record in. Records must come in sequence order, each once
// (what the feed's readers deliver).
func (b *Builder) Add(r *feed.Record) error {
	if b.n > 0 && r.Seq <= b.last {
		return fmt.Errorf("settle: entry %d after %d", r.Seq, b.last)
	}
	if b.n == 0 {
		b.first = r.Seq
	}
	b.last = r.Seq
	b.n++
	network := b.Holds.Apply(r)
	day := b.Day(r.Time)
	if b.opts.Day != "" && day != b.opts.Day {
		return nil
	}
	row := func() *Totals {
		k := Key{Network: network, Currency: r.Currency, Day: day}
		if k.Network == "" {
			k.Network = "unknown"
		}
		t := b.totals[k]
		if t == nil {
			t = &Totals{Key: k}
			b.totals[k] = t
		}
		return t
	}
	switch r.Op {
	case "authorize", "advice":
		if r.IsApproved() {
			t := row()
			t.ApprovedCount++
			t.ApprovedAmount += r.Approved
		} else {
			row().DeclinedCount++
		}
	case "decline":
		row().DeclinedCount++
	case "reverse":
		t := row()
		t.ReversedCount++
		t.ReversedAmount += r.Released
	case "capture":
		if r.IsApproved() {
			t := row()
			t.CapturedCount++
			t.CapturedAmount += r.Approved
			t.NetOwed += r.Approved
		}
	case "expire":
		t := row()
		t.ExpiredCount++
		t.ExpiredAmount += r.Released
	case "release":
		if r.IsApproved() {
			t := row()
			t.ReleasedCount++
			t.ReleasedAmount += r.Released
		}
	}
	return nil
}

// Report returns the report so far.
func (b *Builder) Report(now time.Time) *Report {
	rep := &Report{GeneratedAt: now.UTC(), FirstSeq: b.first, LastSeq: b.last, Entries: b.n,
		Cutoff: b.opts.Cutoff.String()}
	byCur := map[string]*Totals{}
	for _, t := range b.totals {
		rep.Rows = append(rep.Rows, *t)
		c := byCur[t.Currency]
		if c == nil {
			c = &Totals{Key: Key{Network: "*", Currency: t.Currency, Day: "*"}}
			byCur[t.Currency] = c
		}
		c.add(t)
	}
	for _, c := range byCur {
		rep.ByCurrency = append(rep.ByCurrency, *c)
	}
	slices.SortFunc(rep.Rows, func(a, b Totals) int {
		return cmp.Or(cmp.Compare(a.Network, b.Network), cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Day, b.Day))
	})
	slices.SortFunc(rep.ByCurrency, func(a, b Totals) int { return cmp.Compare(a.Currency, b.Currency) })
	return rep
}

func (t *Totals) add(o *Totals) {
	t.ApprovedCount += o.ApprovedCount
	t.ApprovedAmount += o.ApprovedAmount
	t.DeclinedCount += o.DeclinedCount
	t.ReversedCount += o.ReversedCount
	t.ReversedAmount += o.ReversedAmount
	t.CapturedCount += o.CapturedCount
	t.CapturedAmount += o.CapturedAmount
	t.ExpiredCount += o.ExpiredCount
	t.ExpiredAmount += o.ExpiredAmount
	t.ReleasedCount += o.ReleasedCount
	t.ReleasedAmount += o.ReleasedAmount
	t.NetOwed += o.NetOwed
}
