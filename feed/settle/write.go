package settle

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/authswitch/authswitch/spec"
)

var reportColumns = []string{"network", "currency", "day", "approved_count", "approved_amount", "declined_count",
	"reversed_count", "reversed_amount", "captured_count", "captured_amount", "expired_count", "expired_amount",
	"released_count", "released_amount", "net_owed"}

func (t *Totals) fields() []string {
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{t.Network, t.Currency, t.Day, i(t.ApprovedCount), i(t.ApprovedAmount), i(t.DeclinedCount),
		i(t.ReversedCount), i(t.ReversedAmount), i(t.CapturedCount), i(t.CapturedAmount), i(t.ExpiredCount),
		i(t.ExpiredAmount), i(t.ReleasedCount), i(t.ReleasedAmount), i(t.NetOwed)}
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("settle: writing the JSON report: %w", err)
	}
	return nil
}

// WriteCSV writes the rows (then the per-currency totals, network and day
// "*") with a header; amounts in minor units.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(reportColumns)
	for i := range r.Rows {
		cw.Write(r.Rows[i].fields())
	}
	for i := range r.ByCurrency {
		cw.Write(r.ByCurrency[i].fields())
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("settle: writing the CSV report: %w", err)
	}
	return nil
}

// WriteTable writes the report as an aligned table for people; amounts in
// major units of each row's currency.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Settlement report: entries %d-%d (%d), day cutoff %s; amounts in major units\n",
		r.FirstSeq, r.LastSeq, r.Entries, r.Cutoff)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "network\tcur\tday\tapproved\tamount\tdeclined\treversed\tamount\tcaptured\tamount\texpired\tamount\treleased\tamount\tnet owed\t")
	row := func(t *Totals) {
		m := func(v int64) string { return MoneyIn(v, t.Currency) }
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t\n",
			t.Network, t.Currency, t.Day, t.ApprovedCount, m(t.ApprovedAmount), t.DeclinedCount,
			t.ReversedCount, m(t.ReversedAmount), t.CapturedCount, m(t.CapturedAmount),
			t.ExpiredCount, m(t.ExpiredAmount), t.ReleasedCount, m(t.ReleasedAmount), m(t.NetOwed))
	}
	for i := range r.Rows {
		row(&r.Rows[i])
	}
	for i := range r.ByCurrency {
		row(&r.ByCurrency[i])
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("settle: writing the table: %w", err)
	}
	return nil
}

// Money shows minor units with two decimals (display only; every stored
// and computed amount stays an integer). MoneyIn uses the currency's own
// exponent.
func Money(minor int64) string { return MoneyIn(minor, "") }

// MoneyIn shows minor units of a currency in major units, with as many
// decimals as ISO 4217 gives it (two when unknown).
func MoneyIn(minor int64, currency string) string {
	exp := 2
	if c, ok := spec.CurrencyByAlpha(currency); ok {
		exp = int(c.Exponent)
	}
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-minor)
	}
	if exp == 0 {
		return fmt.Sprintf("%s%d", sign, u)
	}
	div := uint64(1)
	for range exp {
		div *= 10
	}
	return fmt.Sprintf("%s%d.%0*d", sign, u/div, exp, u%div)
}
