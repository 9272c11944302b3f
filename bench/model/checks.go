package model

import (
	"slices"
	"time"

	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/spec"
)

// verdict is the outcome of the checks before funds.
type verdict struct {
	code, reason string
}

func (v verdict) ok() bool { return v.code == "" }

// authorize evaluates an 0100/0101 in the documented order, and with apply
// places the hold of an approval.
func (m *Model) authorize(a *spec.Authorization, now time.Time, apply bool) (Expected, error) {
	e := Expected{}
	// Card verification results default to "not processed" for every value
	// the request carried; the CVV check overwrites them.
	if a.CVV2Present {
		e.CVV2Result = 'P'
	}
	if a.TrackCVV != "" && a.Network == spec.Visa {
		e.CVVResult = 'P'
	}
	decline := func(code, reason string) (Expected, error) {
		e.Code, e.Reason = code, reason
		return e, nil
	}

	// 1. Message sanity.
	switch a.Type {
	case spec.TxnPurchase, spec.TxnCash, spec.TxnPurchaseWithCashback, spec.TxnRefund,
		spec.TxnBalanceInquiry, spec.TxnAccountVerification:
	default:
		return decline("12", "invalid_transaction")
	}
	if _, ok := spec.CurrencyByNumeric(a.Currency); !ok {
		return decline("13", "invalid_currency")
	}
	if a.HasBilling {
		if _, ok := spec.CurrencyByNumeric(a.BillingCurrency); !ok {
			return decline("13", "invalid_currency")
		}
	}
	if a.Amount < 0 || a.HasBilling && a.BillingAmount < 0 {
		return decline("13", "invalid_amount")
	}
	if a.Amount == 0 && (a.Type == spec.TxnCash || a.Type == spec.TxnPurchaseWithCashback || a.Type == spec.TxnRefund) {
		return Expected{}, ambiguous("zero amount on a %v", a.Type)
	}

	// 2. Card known, card status.
	card := m.cards[a.PAN]
	if card == nil {
		return decline("14", "card_unknown")
	}
	if card.Network != a.Network {
		return Expected{}, ambiguous("card of one network on the other")
	}
	// A currency that is not the account's is declined 13 somewhere after
	// the card is known; where exactly is not fixed, so it is predicted
	// only when nothing else declines.
	mismatch := chargedCurrency(a) != card.Account.Numeric
	v := m.cardChecks(card, a, now, &e)
	if v.code == "ambiguous" {
		return Expected{}, ambiguous("%s", v.reason)
	}
	if !v.ok() {
		if mismatch {
			return Expected{}, ambiguous("currency mismatch and %s", v.reason)
		}
		return decline(v.code, v.reason)
	}

	charge := a.Amount
	if a.HasBilling {
		charge = a.BillingAmount
	}
	noHold := a.Type == spec.TxnBalanceInquiry || a.Type == spec.TxnAccountVerification || a.Type == spec.TxnRefund
	acct := card.Account
	avail := acct.available()
	partialPath := a.PartialSupported && !noHold && avail > 0 && avail < charge
	var lb, ob [keyBufLen]byte
	lcKey := appendLifecycleKey(lb[:0], a)
	lc := m.lifecycles[string(lcKey)]
	_, reversedFirst := m.reversedFirst[string(appendOriginalKey(ob[:0], a.PAN, a.STAN, a.TransmissionTime, a.AcquirerID))]
	if len(lcKey) > 0 {
		if _, ok := m.reversedFirst[string(lcKey)]; ok {
			reversedFirst = true
		}
	}

	// 6. Spending controls.
	if noHold {
		if err := noHoldAmbiguity(card, a.Type); err != nil {
			return Expected{}, err
		}
	}
	v = m.controlChecks(card, a, charge, now)
	if v.code == "ambiguous" {
		return Expected{}, ambiguous("%s", v.reason)
	}
	if !v.ok() {
		switch {
		case mismatch:
			return Expected{}, ambiguous("currency mismatch and %s", v.reason)
		case (v.code == "61" || v.code == "65") && reversedFirst:
			return Expected{}, ambiguous("already reversed and %s", v.reason)
		case v.code == "61" && partialPath:
			return Expected{}, ambiguous("partial approval against a spending limit")
		}
		return decline(v.code, v.reason)
	}
	if mismatch {
		// Where the currency check sits relative to card verification is
		// not fixed, so neither is whether the CVVs were processed: leave
		// their results unchecked.
		e.CVV2Result, e.CVVResult = 0, 0
		return decline("13", "currency_mismatch")
	}

	// 8. Funds.
	switch a.Type {
	case spec.TxnBalanceInquiry:
		e.Code, e.Reason = "00", "balance_inquiry"
		e.Balances, e.Ledger, e.Available, e.BalanceCurrency = true, acct.posted, avail, acct.Numeric
		e.AuthCodeRequired = true
		return e, nil
	case spec.TxnAccountVerification:
		e.Code, e.Reason, e.AuthCodeRequired = "85", "account_verification", true
		return e, nil
	case spec.TxnRefund:
		e.Code, e.Reason, e.AuthCodeRequired = "00", "refund", true
		return e, nil
	}
	if reversedFirst {
		return decline("05", "already_reversed")
	}
	if lc != nil && lc.reversed {
		return Expected{}, ambiguous("increment on a reversed life cycle")
	}
	approved := charge
	switch {
	case avail >= charge:
		e.Code, e.Reason = "00", "approved"
	case partialPath:
		if a.HasBilling {
			return Expected{}, ambiguous("partial approval of a request with a billing amount")
		}
		approved = avail
		e.Code, e.Reason, e.Partial, e.Amount = "10", "partial_approval", true, approved
	default:
		return decline("51", "insufficient_funds")
	}
	e.AuthCodeRequired = true
	if apply {
		m.hold(card, a, string(lcKey), approved, now)
	}
	return e, nil
}

// chargedCurrency is the currency the account is charged in: the billing
// currency when the request has one, the transaction's otherwise.
func chargedCurrency(a *spec.Authorization) uint16 {
	if a.HasBilling {
		return a.BillingCurrency
	}
	return a.Currency
}

// cardChecks runs steps 2 (status) to 5 on a known card.
func (m *Model) cardChecks(card *Card, a *spec.Authorization, now time.Time, e *Expected) verdict {
	switch card.Status {
	case portfolio.StatusInactive:
		return verdict{"62", "card_inactive"}
	case portfolio.StatusCanceled:
		switch card.Reason {
		case portfolio.ReasonLost:
			return verdict{"41", "card_lost"}
		case portfolio.ReasonStolen:
			return verdict{"43", "card_stolen"}
		}
		return verdict{"ambiguous", "canceled card without a reason"}
	}

	// 3. Expiry.
	month := now.Format("0601")
	switch {
	case card.Expiry == month:
		return verdict{"ambiguous", "card expires this month"}
	case card.Expiry < month:
		return verdict{"54", "card_expired"}
	}
	if a.Expiry != "" && a.Expiry != card.Expiry {
		return verdict{"54", "expiry_mismatch"}
	}
	if exp := trackExpiry(a.Track2); exp != "" && exp != card.Expiry {
		return verdict{"54", "expiry_mismatch"}
	}

	// 4. Card verification.
	trackCVV := a.TrackCVV != ""
	if (a.CVV2Present || trackCVV) && card.keys == nil {
		return verdict{"ambiguous", "no card_keys for the card"}
	}
	if a.CVV2Present && trackCVV {
		return verdict{"ambiguous", "both CVV2 and a track CVV"}
	}
	if a.CVV2Present {
		expiry := card.Expiry
		if a.Expiry != "" {
			expiry = a.Expiry
		}
		if card.keys.Verify(card.PAN, expiry, "000", a.CVV2) {
			e.CVV2Result = 'M'
		} else {
			e.CVV2Result = 'N'
			if a.Network == spec.Visa {
				return verdict{"N7", "verification_failed"}
			}
			return verdict{"05", "verification_failed"}
		}
	}
	if trackCVV {
		ok := card.keys.Verify(card.PAN, trackExpiry(a.Track2), a.ServiceCode, a.TrackCVV)
		if a.Network == spec.Visa {
			e.CVVResult = 'N'
			if ok {
				e.CVVResult = 'M'
			}
		}
		if !ok {
			return verdict{"05", "verification_failed"}
		}
	}

	// 5. Cardholder and account status.
	if h := card.Cardholder; h != nil && h.Status != portfolio.StatusActive {
		return verdict{"62", "cardholder_inactive"}
	}
	switch card.Account.Status {
	case portfolio.StatusFrozen:
		return verdict{"62", "account_frozen"}
	case portfolio.StatusClosed:
		return verdict{"46", "account_closed"}
	}
	return verdict{}
}

// noHoldAmbiguity refuses balance inquiries, account verifications and
// refunds where the contract does not say how they meet the card's
// controls: whether they count towards velocity, and whether a refund is
// held to spending limits.
func noHoldAmbiguity(card *Card, t spec.TxnType) error {
	for _, l := range card.levels() {
		if len(l.controls.Velocity) > 0 {
			return ambiguous("%v on a card under a velocity control", t)
		}
		if t == spec.TxnRefund && len(l.controls.SpendingLimits) > 0 {
			return ambiguous("refund on a card under a spending limit")
		}
	}
	return nil
}

// controlChecks runs step 6 kind by kind over every level.
func (m *Model) controlChecks(card *Card, a *spec.Authorization, charge int64, now time.Time) verdict {
	levels := card.levels()
	for _, l := range levels {
		c := &l.controls
		if len(c.AllowedCategories) > 0 && !slices.Contains(c.AllowedCategories, a.MCC) ||
			slices.Contains(c.BlockedCategories, a.MCC) {
			return verdict{"57", "spending_controls"}
		}
	}
	for _, l := range levels {
		c := &l.controls
		if len(c.AllowedCountries)+len(c.BlockedCountries) == 0 {
			continue
		}
		if a.MerchantCountry == "" {
			return verdict{"ambiguous", "country control and no merchant country"}
		}
		if len(c.AllowedCountries) > 0 && !slices.Contains(c.AllowedCountries, a.MerchantCountry) ||
			slices.Contains(c.BlockedCountries, a.MerchantCountry) {
			return verdict{"57", "spending_controls"}
		}
	}
	for _, l := range levels {
		for _, lim := range l.controls.SpendingLimits {
			if lim.Interval == portfolio.PerAuthorization && limitApplies(lim, a.MCC) && charge > lim.Amount {
				return verdict{"61", "spending_controls"}
			}
		}
	}
	for _, l := range levels {
		for _, lim := range l.controls.SpendingLimits {
			if lim.Interval == portfolio.PerAuthorization || !limitApplies(lim, a.MCC) {
				continue
			}
			total, edgy := l.total(lim, now)
			if edgy {
				return verdict{"ambiguous", "at the edge of a " + lim.Interval + " window"}
			}
			if total+charge > lim.Amount {
				return verdict{"61", "spending_controls"}
			}
		}
	}
	for _, l := range levels {
		for _, v := range l.controls.Velocity {
			n, edgy := l.count(time.Duration(v.WindowSeconds)*time.Second, now)
			if edgy {
				return verdict{"ambiguous", "at the edge of a velocity window"}
			}
			if n+1 > v.Count {
				return verdict{"65", "spending_controls"}
			}
		}
	}
	return verdict{}
}

func limitApplies(l portfolio.SpendingLimit, mcc string) bool {
	return len(l.Categories) == 0 || slices.Contains(l.Categories, mcc)
}

// total sums the level's approved amounts the limit counts in its current
// window, and reports whether the request or an approval sits within edge
// of a window boundary.
func (l *level) total(lim portfolio.SpendingLimit, now time.Time) (int64, bool) {
	start, next := window(lim.Interval, now)
	edgy := !start.IsZero() && (now.Sub(start) < edge || next.Sub(now) < edge)
	var sum int64
	for _, ap := range l.approved {
		if !limitApplies(lim, ap.mcc) {
			continue
		}
		if !start.IsZero() && absDuration(ap.at.Sub(start)) < edge {
			edgy = true
		}
		if !ap.at.Before(start) {
			sum += ap.amount
		}
	}
	return sum, edgy
}

// count returns the approvals in the last window before now, and whether
// one of them sits within edge of the window's start.
func (l *level) count(window time.Duration, now time.Time) (int, bool) {
	from := now.Add(-window)
	n, edgy := 0, false
	for _, ap := range l.approved {
		if absDuration(ap.at.Sub(from)) < edge {
			edgy = true
		}
		if ap.at.After(from) {
			n++
		}
	}
	return n, edgy
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// window returns the UTC calendar window of an interval containing now and
// the start of the next one; all-time has a zero start.
func window(interval string, now time.Time) (start, next time.Time) {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch interval {
	case portfolio.Daily:
		return day, day.AddDate(0, 0, 1)
	case portfolio.Weekly:
		back := (int(day.Weekday()) + 6) % 7 // days since Monday
		start = day.AddDate(0, 0, -back)
		return start, start.AddDate(0, 0, 7)
	case portfolio.Monthly:
		start = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(0, 1, 0)
	case portfolio.Yearly:
		start = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		return start, start.AddDate(1, 0, 0)
	}
	return time.Time{}, time.Time{}
}

// trackExpiry returns the YYMM after the separator of track 2 data.
func trackExpiry(track2 string) string {
	for i := 0; i < len(track2); i++ {
		if track2[i] == '=' || track2[i] == 'D' {
			if len(track2) >= i+5 {
				return track2[i+1 : i+5]
			}
			return ""
		}
	}
	return ""
}

// hold places (or grows) the hold of an approved authorization.
func (m *Model) hold(card *Card, a *spec.Authorization, lcKey string, amount int64, now time.Time) {
	ap := &approval{at: now, mcc: a.MCC, amount: amount}
	for _, l := range card.levels() {
		l.approved = append(l.approved, ap)
	}
	card.Account.pending += amount
	lc := m.lifecycles[lcKey]
	if lc == nil {
		lc = &lifecycle{card: card, billing: a.HasBilling}
		if lcKey != "" {
			m.lifecycles[lcKey] = lc
		}
	}
	p := &part{lc: lc, amount: amount, entry: ap}
	lc.parts = append(lc.parts, p)
	var ob [keyBufLen]byte
	m.byOriginal[string(appendOriginalKey(ob[:0], a.PAN, a.STAN, a.TransmissionTime, a.AcquirerID))] = p
}

// advice evaluates an 0120/0121: always answered 00; an approving network
// decision places the hold whatever the balance.
func (m *Model) advice(a *spec.Authorization, now time.Time, apply bool) (Expected, error) {
	e := Expected{Code: "00", Reason: "advice_recorded"}
	card := m.cards[a.PAN]
	if card == nil {
		return Expected{}, ambiguous("advice for an unknown card")
	}
	if a.ResponseCode != "00" {
		return e, nil
	}
	if chargedCurrency(a) != card.Account.Numeric {
		return Expected{}, ambiguous("advice in a currency not the account's")
	}
	for _, l := range card.levels() {
		for _, lim := range l.controls.SpendingLimits {
			if lim.Interval != portfolio.PerAuthorization {
				return Expected{}, ambiguous("advice on a card under an interval limit")
			}
		}
		if len(l.controls.Velocity) > 0 {
			return Expected{}, ambiguous("advice on a card under a velocity control")
		}
	}
	lcKey := LifecycleKey(a)
	if lcKey != "" {
		if m.lifecycles[lcKey] != nil {
			return Expected{}, ambiguous("advice on an existing life cycle")
		}
		if _, ok := m.reversedFirst[lcKey]; ok {
			return Expected{}, ambiguous("advice on a reversed life cycle")
		}
	}
	charge := a.Amount
	if a.HasBilling {
		charge = a.BillingAmount
	}
	if apply {
		m.hold(card, a, lcKey, charge, now)
	}
	return e, nil
}

// reverse evaluates an 0400/0401/0420/0421: always answered 00; it releases
// what it finds, by field 90 and the card or by the life-cycle key, and is
// remembered when it finds nothing.
func (m *Model) reverse(a *spec.Authorization, apply bool) (Expected, error) {
	e := Expected{Code: "00", Reason: "reversal"}
	if m.cards[a.PAN] == nil {
		return e, nil
	}
	var targets []*part
	origKey := ""
	if a.HasOriginal {
		var ob [keyBufLen]byte
		origKey = string(appendOriginalKey(ob[:0], a.PAN, a.Original.STAN, a.Original.TransmissionTime, a.Original.AcquirerID))
		if p := m.byOriginal[origKey]; p != nil {
			if len(p.lc.parts) > 1 {
				return Expected{}, ambiguous("reversal by field 90 of one part of an incremental life cycle")
			}
			targets = []*part{p}
		}
	}
	lcKey := LifecycleKey(a)
	if targets == nil && lcKey != "" {
		if lc := m.lifecycles[lcKey]; lc != nil {
			targets = lc.parts
		}
	}
	if targets != nil && a.HasReplacement && a.ActualAmount > 0 && targets[0].lc.billing {
		// Field 95 is in the transaction's currency, the hold in the
		// account's: how the two meet is not fixed.
		return Expected{}, ambiguous("partial reversal of a request charged in another currency")
	}
	if targets == nil {
		e.Reason = "reversal_unmatched"
		if apply {
			if origKey != "" {
				m.reversedFirst[origKey] = struct{}{}
			}
			if lcKey != "" {
				m.reversedFirst[lcKey] = struct{}{}
			}
		}
		return e, nil
	}
	if apply {
		var held int64
		for _, p := range targets {
			held += p.amount
		}
		release := held // a full reversal
		if a.HasReplacement && a.ActualAmount > 0 {
			release = max(held-a.ActualAmount, 0)
		}
		// Release from the latest part backwards.
		for i := len(targets) - 1; i >= 0 && release > 0; i-- {
			p := targets[i]
			r := min(p.amount, release)
			p.amount -= r
			p.entry.amount -= r
			p.lc.card.Account.pending -= r
			release -= r
		}
		targets[0].lc.reversed = true
	}
	return e, nil
}
