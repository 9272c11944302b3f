package settle

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ClearingLine is one line of a clearing file: a presentment the network
// cleared against a life cycle.
//
// A clearing file is CSV (RFC 4180) with a header line naming at least
// these columns, in any order (other columns are ignored):
//
//	network        visa or mastercard
//	lifecycle_key  the life-cycle id the authorization carried: Visa
//	               transaction id (62.2); Mastercard Banknet reference
//	               followed by DE 15 (MMDD) — the feed's lifecycle_key
//	amount         the amount cleared, integer minor units of currency
//	               (negative: a refund credit)
//	currency       ISO 4217 alpha code, upper case
//	date           the clearing (settlement) date, YYYY-MM-DD
//
// For example:
//
//	network,lifecycle_key,amount,currency,date
//	visa,381234567890123,1250,USD,2026-11-25
type ClearingLine struct {
	Line         int    `json:"line"` // 1-based line number in the file (the header is line 1)
	Network      string `json:"network"`
	LifecycleKey string `json:"lifecycle_key"`
	Amount       int64  `json:"amount"`
	Currency     string `json:"currency"`
	Date         string `json:"date"`
}

// ErrClearing wraps every problem with a clearing file; it names the line
// and column, never the value.
var ErrClearing = errors.New("settle: bad clearing file")

var clearingColumns = []string{"network", "lifecycle_key", "amount", "currency", "date"}

// MaxClearingLines bounds one clearing file (10M lines).
const MaxClearingLines = 10_000_000

// ReadClearing reads a whole clearing file.
func ReadClearing(r io.Reader) ([]ClearingLine, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrClearing, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	idx := make([]int, len(clearingColumns))
	for i, c := range clearingColumns {
		j, ok := col[c]
		if !ok {
			return nil, fmt.Errorf("%w: no %q column", ErrClearing, c)
		}
		idx[i] = j
	}
	var out []ClearingLine
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("%w: line %d: %v", ErrClearing, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%w: line %d: %v", ErrClearing, line, err)
		}
		if len(out) >= MaxClearingLines {
			return nil, fmt.Errorf("%w: more than %d lines", ErrClearing, MaxClearingLines)
		}
		get := func(i int) string {
			if idx[i] < len(rec) {
				return strings.TrimSpace(rec[idx[i]])
			}
			return ""
		}
		cl := ClearingLine{Line: line, Network: strings.ToLower(get(0)), LifecycleKey: get(1),
			Currency: strings.ToUpper(get(3)), Date: get(4)}
		bad := func(what string) error { return fmt.Errorf("%w: line %d: %s", ErrClearing, line, what) }
		if cl.Network != "visa" && cl.Network != "mastercard" {
			return nil, bad("network is not visa or mastercard")
		}
		if cl.LifecycleKey == "" || len(cl.LifecycleKey) > 23 {
			return nil, bad("lifecycle_key is empty or longer than 23 characters")
		}
		if cl.Amount, err = strconv.ParseInt(get(2), 10, 64); err != nil {
			return nil, bad("amount is not an integer of minor units")
		}
		if len(cl.Currency) != 3 || strings.Trim(cl.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, bad("currency is not an ISO 4217 alpha code")
		}
		if _, err := time.Parse(time.DateOnly, cl.Date); err != nil {
			return nil, bad("date is not YYYY-MM-DD")
		}
		out = append(out, cl)
	}
}
