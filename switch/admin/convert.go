package admin

import (
	"fmt"
	"net/url"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/admin/authindex"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

// This file turns the engine's and the ledger's records into the API's
// objects and the API's parameters into records, naming the field of
// every error.

func controlsOut(c *refdata.Controls) *resource.Controls {
	if c.Empty() {
		return nil
	}
	out := &resource.Controls{
		AllowedCategories: c.AllowedCategories, BlockedCategories: c.BlockedCategories,
		AllowedCountries: c.AllowedCountries, BlockedCountries: c.BlockedCountries,
	}
	for _, l := range c.SpendingLimits {
		out.SpendingLimits = append(out.SpendingLimits,
			resource.SpendingLimit{Amount: l.Amount, Interval: l.Interval.String(), Categories: l.Categories})
	}
	for _, v := range c.Velocity {
		out.Velocity = append(out.Velocity, resource.Velocity{Count: v.Count, WindowSeconds: int64(v.Window / time.Second)})
	}
	return out
}

// controlsIn checks controls and builds the engine's record (nil for
// nil or empty controls).
func controlsIn(c *resource.Controls) (*refdata.Controls, *resource.Error) {
	if c == nil {
		return nil, nil
	}
	out := &refdata.Controls{
		AllowedCategories: c.AllowedCategories, BlockedCategories: c.BlockedCategories,
		AllowedCountries: c.AllowedCountries, BlockedCountries: c.BlockedCountries,
	}
	for i, l := range c.SpendingLimits {
		iv, ok := refdata.ParseInterval(l.Interval)
		if !ok {
			return nil, invalid("parameter_invalid", fmt.Sprintf("controls.spending_limits[%d].interval", i),
				"A spending limit's interval is per_authorization, daily, weekly, monthly, yearly or all_time.")
		}
		if l.Amount <= 0 {
			return nil, invalid("parameter_invalid", fmt.Sprintf("controls.spending_limits[%d].amount", i),
				"A spending limit's amount is a positive number of minor units.")
		}
		out.SpendingLimits = append(out.SpendingLimits, refdata.SpendingLimit{Amount: l.Amount, Interval: iv, Categories: l.Categories})
	}
	for i, v := range c.Velocity {
		if v.WindowSeconds <= 0 || v.WindowSeconds > int64(refdata.MaxVelocityWait/time.Second) || v.Count <= 0 {
			return nil, invalid("parameter_invalid", fmt.Sprintf("controls.velocity[%d]", i),
				"A velocity control is a positive count in a window of 1 second to 366 days.")
		}
		out.Velocity = append(out.Velocity, refdata.Velocity{Count: v.Count, Window: time.Duration(v.WindowSeconds) * time.Second})
	}
	if err := out.Validate(); err != nil {
		return nil, invalid("parameter_invalid", "controls", capitalize(err.Error())+".")
	}
	if out.Empty() {
		return nil, nil
	}
	return out, nil
}

func balancesOut(b ledger.Balance) resource.Balances {
	return resource.Balances{Currency: b.Currency, Posted: b.Posted, CreditLimit: b.CreditLimit, Pending: b.Pending,
		Available: b.Available}
}

func holdID(id uint64) string { return resource.PrefixHold + fmt.Sprint(id) }

func holdOut(account, currency string, h *ledger.HoldInfo) resource.Hold {
	return resource.Hold{
		ID: holdID(h.ID), Object: resource.ObjectHold, Account: account, Card: h.Card, Cardholder: h.Cardholder,
		Amount: h.Amount, Currency: currency, MerchantCat: h.MCC, LifecycleKey: lifecycleString(&h.Lifecycle),
		Created: h.Placed.Unix(), ExpiresAt: h.Expires.Unix(), Authorizations: h.Parts,
	}
}

// lifecycleString is the network's life-cycle id of a key ("" for none).
func lifecycleString(k *ledger.LifecycleKey) string {
	if *k == (ledger.LifecycleKey{}) {
		return ""
	}
	end := len(k)
	for end > 1 && (k[end-1] == ' ' || k[end-1] == 0) {
		end--
	}
	return string(k[1:end])
}

func (a *API) accountOut(acct *refdata.Account, bal ledger.Balance) resource.Account {
	if bal.Currency == "" {
		bal.Currency = acct.Currency
	}
	return resource.Account{
		ID: acct.ID, Object: resource.ObjectAccount, Created: a.state.created("account", acct.ID),
		Currency: acct.Currency, Status: acct.Status.String(), CreditLimit: acct.CreditLimit,
		Balances: balancesOut(bal), Controls: controlsOut(acct.Controls),
		Holds: a.holdsPage(acct.ID, bal.Currency, 0, MaxListLimit),
	}
}

// holdsPage lists up to limit open holds of an account, oldest first,
// after the hold with id after (0: from the oldest).
func (a *API) holdsPage(account, currency string, after uint64, limit int) resource.List[resource.Hold] {
	holds := a.ledger.Holds(account)
	hs := make([]resource.Hold, 0, min(len(holds), limit))
	more := false
	for i := range holds {
		if holds[i].ID <= after {
			continue
		}
		if len(hs) == limit {
			more = true
			break
		}
		hs = append(hs, holdOut(account, currency, &holds[i]))
	}
	return resource.NewList("/v1/accounts/"+url.PathEscape(account)+"/holds", hs, more)
}

func (a *API) cardholderOut(h *refdata.Cardholder) resource.Cardholder {
	return resource.Cardholder{ID: h.ID, Object: resource.ObjectCardholder, Created: a.state.created("cardholder", h.ID),
		Account: h.Account, Status: h.Status.String(), Controls: controlsOut(h.Controls)}
}

func (a *API) cardOut(c *refdata.Card) resource.Card {
	out := resource.Card{
		ID: c.ID, Object: resource.ObjectCard, Created: a.state.created("card", c.ID), Last4: c.Last4,
		Expiry: c.Expiry, Network: c.Network.String(), Account: c.Account, Status: c.Status.String(),
		Controls: controlsOut(c.Controls),
	}
	if c.Cardholder != "" {
		h := c.Cardholder
		out.Cardholder = &h
	}
	if c.Status == refdata.CardCanceled && c.Cancellation != refdata.CancellationNone {
		r := c.Cancellation.String()
		out.CancellationReason = &r
	}
	return out
}

func authorizationOut(x *authindex.Authorization) resource.Authorization {
	out := resource.Authorization{
		ID: authindex.ID(x.Seq), Object: resource.ObjectAuthorization, Created: x.Time.Unix(),
		Kind: x.Kind, Operation: x.Op.String(), Network: x.Network, MTI: x.MTI, STAN: x.STAN, RRN: x.RRN,
		TransactionID: x.TransactionID, LifecycleKey: x.Lifecycle,
		Card: x.Card, CardLast4: x.Last4, Account: x.Account, Cardholder: x.Cardholder,
		Amount: x.Amount, Currency: x.Currency, AccountAmount: x.AccountAmount, AccountCurrency: x.AccountCurrency,
		ApprovedAmount: x.Approved, ReleasedAmount: x.Released,
		Merchant: resource.Merchant{Name: x.MerchantName, City: x.MerchantCity, Country: x.Country, Category: x.MCC,
			TerminalID: x.TerminalID},
		Approved: x.IsApproved(), Decision: x.Decision, Reason: x.Reason, ResponseCode: x.ResponseCode,
		AuthCode: x.AuthCode, HoldAmount: x.HoldAmount, PartialAllowed: x.Partial, Forced: x.Force,
		JournalEntry: journalEntry(x.Seq),
	}
	if x.HoldID != 0 {
		h := holdID(x.HoldID)
		out.Hold = &h
	}
	return out
}

func journalEntry(seq uint64) string { return resource.PrefixJournalEntry + fmt.Sprint(seq) }

func parseAccountStatus(s string) (refdata.AccountStatus, bool) {
	switch s {
	case "active":
		return refdata.AccountActive, true
	case "frozen":
		return refdata.AccountFrozen, true
	case "closed":
		return refdata.AccountClosed, true
	}
	return 0, false
}

func parseCardholderStatus(s string) (refdata.CardholderStatus, bool) {
	switch s {
	case "active":
		return refdata.CardholderActive, true
	case "inactive":
		return refdata.CardholderInactive, true
	case "blocked":
		return refdata.CardholderBlocked, true
	}
	return 0, false
}

func parseCardStatus(s string) (refdata.CardStatus, bool) {
	switch s {
	case "active":
		return refdata.CardActive, true
	case "inactive":
		return refdata.CardInactive, true
	case "canceled":
		return refdata.CardCanceled, true
	}
	return 0, false
}

func parseCancellation(s string) (refdata.Cancellation, bool) {
	switch s {
	case "":
		return refdata.CancellationNone, true
	case "lost":
		return refdata.CancellationLost, true
	case "stolen":
		return refdata.CancellationStolen, true
	}
	return 0, false
}

func parseNetwork(s string) (spec.Network, bool) {
	switch s {
	case "visa":
		return spec.Visa, true
	case "mastercard":
		return spec.Mastercard, true
	}
	return spec.NetworkUnknown, false
}

// checkID checks an id given in a create: the reference store's rules
// (1–64 printable ASCII characters, no spaces, no run of 13 digits),
// with the field named.
func checkID(param, id string) *resource.Error {
	if id == "" {
		return missing(param)
	}
	if len(id) > refdata.MaxIDLen {
		return invalid("parameter_invalid", param, fmt.Sprintf("An id is at most %d characters.", refdata.MaxIDLen))
	}
	run := 0
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' || id[i] == '/' {
			return invalid("parameter_invalid", param, "An id is printable ASCII without spaces or '/'.")
		}
		if id[i] >= '0' && id[i] <= '9' {
			if run++; run >= 13 {
				return invalid("parameter_invalid", param, "An id must not hold 13 or more digits in a row (like a card number).")
			}
		} else {
			run = 0
		}
	}
	return nil
}
