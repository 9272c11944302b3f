package settle

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
)

// Outcome is what reconciliation made of one clearing line.
type Outcome string

const (
	// Matched: the line's life cycle has an open hold in its currency and
	// the amount is within what was authorized. Posted.
	Matched Outcome = "matched"
	// OverCaptured: matched, but clearing asks for more than the hold's
	// authorizations approved. Posted — clearing is binding and the
	// network has settled it — and reported for review or dispute.
	OverCaptured Outcome = "over_captured"
	// ExpiredThenCaptured: the hold expired before clearing came. Posted
	// (the ledger posts a capture without a hold: the money was spent,
	// and the cardholder's available balance must show it), and reported.
	ExpiredThenCaptured Outcome = "expired_then_captured"
	// Closed: the hold was reversed or released to nothing before
	// clearing came. Posted as above, and reported (a chargeback
	// candidate).
	Closed Outcome = "closed"
	// AlreadyCaptured: the feed shows the hold captured (an earlier run
	// or another file), or an earlier line of this file captured it: a
	// duplicate presentment. Not posted.
	AlreadyCaptured Outcome = "already_captured"
	// CurrencyMismatch: the hold is in another currency. Not posted (the
	// admin API refuses it).
	CurrencyMismatch Outcome = "currency_mismatch"
	// Unmatched: the feed knows no authorization of the life cycle. Not
	// posted (the admin API answers 404 hold_not_found).
	Unmatched Outcome = "unmatched"
)

// Posts reports whether lines of this outcome are posted as captures:
// every presentment of a known life cycle in its currency, once.
func (o Outcome) Posts() bool {
	return o == Matched || o == OverCaptured || o == ExpiredThenCaptured || o == Closed
}

// Item is one clearing line's reconciliation.
type Item struct {
	ClearingLine
	Outcome        Outcome `json:"outcome"`
	HoldID         uint64  `json:"hold_id,omitempty"`
	Account        string  `json:"account,omitempty"`
	Authorized     int64   `json:"authorized"`
	HoldStatus     string  `json:"hold_status,omitempty"`
	IdempotencyKey string  `json:"idempotency_key"`
	// Posted: the admin API answered 201; Entry is the capture's journal
	// entry id. PostError says why posting failed.
	Posted    bool   `json:"posted"`
	Entry     string `json:"entry,omitempty"`
	PostError string `json:"post_error,omitempty"`
}

// Reconciliation is the result for a clearing file.
type Reconciliation struct {
	Items  []Item          `json:"items"`
	Counts map[Outcome]int `json:"counts"`
	Posted int             `json:"posted"`
	Failed int             `json:"failed"` // lines to post whose posting failed
}

// Exceptions are the items someone must look at: everything not simply
// matched and posted.
func (r *Reconciliation) Exceptions() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Outcome != Matched || !it.Posted {
			out = append(out, it)
		}
	}
	return out
}

// Reconcile matches each clearing line to its hold (by network and life
// cycle, from the feed) and classifies it. It posts nothing.
func Reconcile(holds *Holds, lines []ClearingLine) *Reconciliation {
	rec := &Reconciliation{Counts: map[Outcome]int{}}
	captured := map[*Hold]bool{}
	seen := map[string]int{}
	for _, cl := range lines {
		it := Item{ClearingLine: cl}
		base := fmt.Sprintf("%s|%s|%d|%s|%s", cl.Network, cl.LifecycleKey, cl.Amount, cl.Currency, cl.Date)
		seen[base]++
		it.IdempotencyKey = IdempotencyKey(cl, seen[base])
		h, ok := holds.Find(cl.Network, cl.LifecycleKey)
		switch {
		case !ok:
			it.Outcome = Unmatched
		default:
			it.HoldID, it.Account, it.Authorized, it.HoldStatus = h.ID, h.Account, h.Authorized, string(h.Status)
			switch {
			case h.Currency != cl.Currency:
				it.Outcome = CurrencyMismatch
			case h.Status == HoldCaptured || captured[h]:
				it.Outcome = AlreadyCaptured
			case h.Status == HoldExpired:
				it.Outcome = ExpiredThenCaptured
			case h.Status == HoldReversed || h.Status == HoldReleased:
				it.Outcome = Closed
			case cl.Amount > h.Authorized:
				it.Outcome = OverCaptured
			default:
				it.Outcome = Matched
			}
			if it.Outcome.Posts() {
				captured[h] = true
			}
		}
		rec.Counts[it.Outcome]++
		rec.Items = append(rec.Items, it)
	}
	return rec
}

// IdempotencyKey is a clearing line's key at the admin API: the same line
// (the n-th identical one in its file) gets the same key in every run, so
// running settle again over a file posts nothing twice.
func IdempotencyKey(cl ClearingLine, occurrence int) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%d|%s|%s|%d", cl.Network, cl.LifecycleKey, cl.Amount,
		cl.Currency, cl.Date, occurrence))
	return "clr_" + hex.EncodeToString(sum[:16])
}

// Capturer posts captures: *AdminClient.
type Capturer interface {
	Capture(ctx context.Context, req CaptureRequest) (CaptureResult, error)
}

// Post posts every item whose outcome posts, in file order; with
// onlyMatched, only plain matches (exceptions wait for an operator). A
// hold the admin API does not find is reported on its item; an
// authorization failure stops (every other post would fail the same way).
func (r *Reconciliation) Post(ctx context.Context, c Capturer, onlyMatched bool) error {
	for i := range r.Items {
		it := &r.Items[i]
		if !it.Outcome.Posts() || it.Posted || (onlyMatched && it.Outcome != Matched) {
			continue
		}
		res, err := c.Capture(ctx, CaptureRequest{Network: it.Network, LifecycleKey: it.LifecycleKey,
			Amount: it.Amount, Currency: it.Currency, Date: it.Date, IdempotencyKey: it.IdempotencyKey})
		if err != nil {
			it.PostError = err.Error()
			r.Failed++
			if errors.Is(err, ErrUnauthorized) || ctx.Err() != nil {
				return err
			}
			continue
		}
		it.Posted, it.Entry = true, res.Entry()
		r.Posted++
	}
	return nil
}

// WriteJSON writes the reconciliation as an indented JSON document.
func (r *Reconciliation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("settle: writing the reconciliation: %w", err)
	}
	return nil
}

// WriteCSV writes one row per clearing line.
func (r *Reconciliation) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"line", "network", "lifecycle_key", "amount", "currency", "date", "outcome", "hold_id",
		"account", "authorized", "hold_status", "posted", "entry", "post_error", "idempotency_key"})
	for _, it := range r.Items {
		cw.Write([]string{strconv.Itoa(it.Line), it.Network, it.LifecycleKey, strconv.FormatInt(it.Amount, 10),
			it.Currency, it.Date, string(it.Outcome), strconv.FormatUint(it.HoldID, 10), it.Account,
			strconv.FormatInt(it.Authorized, 10), it.HoldStatus, strconv.FormatBool(it.Posted), it.Entry,
			it.PostError, it.IdempotencyKey})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("settle: writing the reconciliation CSV: %w", err)
	}
	return nil
}

// Summary lists the counts by outcome, for a table.
func (r *Reconciliation) Summary() []string {
	var out []string
	for o, n := range r.Counts {
		out = append(out, fmt.Sprintf("%s=%d", o, n))
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(a, b) })
	return append(out, fmt.Sprintf("posted=%d", r.Posted), fmt.Sprintf("post_failed=%d", r.Failed))
}
