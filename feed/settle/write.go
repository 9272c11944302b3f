package settle

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
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
// major units with the currency's usual two decimals shown as minor/100.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "Settlement report: entries %d-%d (%d), day cutoff %s; amounts in major units\n",
		r.FirstSeq, r.LastSeq, r.Entries, r.Cutoff)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "network\tcur\tday\tapproved\tamount\tdeclined\treversed\tamount\tcaptured\tamount\texpired\tamount\treleased\tamount\tnet owed\t")
	row := func(t *Totals) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%d\t%s\t%d\t%s\t%d\t%s\t%s\t\n",
			t.Network, t.Currency, t.Day, t.ApprovedCount, Money(t.ApprovedAmount), t.DeclinedCount,
			t.ReversedCount, Money(t.ReversedAmount), t.CapturedCount, Money(t.CapturedAmount),
			t.ExpiredCount, Money(t.ExpiredAmount), t.ReleasedCount, Money(t.ReleasedAmount), Money(t.NetOwed))
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
// and computed amount stays an integer).
func Money(minor int64) string {
	sign := ""
	u := uint64(minor)
	if minor < 0 {
		sign, u = "-", uint64(-minor)
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}
