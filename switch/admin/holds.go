package admin

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/switch/admin/authindex"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

func holdNotFound(id string) reply {
	return errorReply(&resource.Error{Status: http.StatusNotFound, Type: resource.ErrorTypeInvalidRequest,
		Code: "hold_not_found", Param: "id", Message: "No open hold " + shown(id) + "."})
}

// parseHoldID returns the ledger hold id of "hold_<n>".
func parseHoldID(id string) (uint64, bool) {
	rest, ok := strings.CutPrefix(id, resource.PrefixHold)
	if !ok || rest == "" || len(rest) > 20 || rest[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(rest, 10, 64)
	return n, err == nil && n > 0
}

// holdAccount finds the account of a hold: the one the request names, or
// the ledger's (an open hold), or the authorization index's. A hold the
// account does not hold open is not found.
func (a *API) holdAccount(c *call, id string, hold uint64, named string) (string, reply, bool) {
	account := named
	if account == "" {
		account, _ = a.ledger.HoldAccount(hold)
	}
	if account == "" {
		if a.index == nil {
			return "", errorReply(invalid("parameter_missing", "account",
				"Name the hold's account: this switch keeps no authorization index to find it.")), false
		}
		var err error
		account, err = a.index.HoldAccount(hold)
		if errors.Is(err, authindex.ErrNotFound) {
			return "", holdNotFound(id), false
		}
		if err != nil {
			return "", a.indexError(c, err), false
		}
	}
	for _, h := range a.ledger.Holds(account) {
		if h.ID == hold {
			return account, reply{}, true
		}
	}
	return "", holdNotFound(id), false
}

// listHolds lists an account's open holds, oldest first, a page at a time.
func (a *API) listHolds(c *call) reply {
	id := c.r.PathValue("id")
	q := c.r.URL.Query()
	for k := range q {
		if k != "limit" && k != "starting_after" {
			if plainWord(k) {
				return errorReply(invalid("parameter_unknown", k, "Unknown query parameter "+k+"."))
			}
			return errorReply(invalid("parameter_unknown", "", "Unknown query parameter."))
		}
	}
	limit := DefaultListLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxListLimit {
			return errorReply(invalid("parameter_invalid", "limit", "The limit is 1 to 100."))
		}
		limit = n
	}
	var after uint64
	if s := q.Get("starting_after"); s != "" {
		var ok bool
		if after, ok = parseHoldID(s); !ok {
			return errorReply(invalid("parameter_invalid", "starting_after", "starting_after is a hold id (hold_…)."))
		}
	}
	acct, bal, err := a.engine.GetAccount(id)
	if err != nil {
		return a.storeError(c, "account", id, "id", err)
	}
	if bal.Currency == "" {
		bal.Currency = acct.Currency
	}
	return jsonReply(http.StatusOK, a.holdsPage(id, bal.Currency, after, limit))
}

// captureHold turns an open hold into a posting of the amount given.
func (a *API) captureHold(c *call) reply {
	id := c.r.PathValue("id")
	var p resource.HoldCaptureParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	if p.Amount <= 0 {
		return errorReply(invalid("parameter_invalid", "amount", "The amount is a positive number of minor units."))
	}
	hold, ok := parseHoldID(id)
	if !ok {
		return holdNotFound(id)
	}
	return a.idempotent(c, "", true, c.body, func(op idem) reply {
		key := op.ledgerKey(c.r.URL.Path)
		res, repeat := a.ledger.Lookup(key)
		account := p.Account
		if repeat && account == "" && a.index != nil {
			account, _ = a.index.HoldAccount(hold) // labels the answer only
		}
		if !repeat {
			var rep reply
			var found bool
			if account, rep, found = a.holdAccount(c, id, hold, p.Account); !found {
				return rep
			}
			// The hold may go (expire, be reversed) between the check and
			// the capture: then the capture is refused, not posted.
			res = a.ledger.Capture(&ledger.Capture{Key: key, Account: account, HoldID: hold, Amount: p.Amount,
				At: a.now(), RequireHold: true})
		}
		if rep, failed := a.ledgerOutcome(c, &res, "hold", id); failed {
			return rep
		}
		a.audited(c, "hold.capture", id, res.Seq)
		return jsonReply(http.StatusCreated, a.captureOut(&res, account, "", "", ""))
	})
}

// releaseHold releases an open hold, whole or in part.
func (a *API) releaseHold(c *call) reply {
	id := c.r.PathValue("id")
	var p resource.HoldReleaseParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	if p.Amount < 0 {
		return errorReply(invalid("parameter_invalid", "amount", "The amount is a positive number of minor units, or 0 for the whole hold."))
	}
	hold, ok := parseHoldID(id)
	if !ok {
		return holdNotFound(id)
	}
	return a.idempotent(c, "", true, c.body, func(op idem) reply {
		key := op.ledgerKey(c.r.URL.Path)
		res, repeat := a.ledger.Lookup(key)
		account := p.Account
		if repeat && account == "" && a.index != nil {
			account, _ = a.index.HoldAccount(hold) // labels the answer only
		}
		if !repeat {
			var rep reply
			var found bool
			if account, rep, found = a.holdAccount(c, id, hold, p.Account); !found {
				return rep
			}
			res = a.ledger.Release(&ledger.Release{Key: key, Account: account, HoldID: hold, Amount: p.Amount, At: a.now()})
		}
		if rep, failed := a.ledgerOutcome(c, &res, "hold", id); failed {
			return rep
		}
		a.audited(c, "hold.release", id, res.Seq)
		return jsonReply(http.StatusCreated, resource.Release{
			ID: resource.PrefixRelease + uitoa(res.Seq), Object: resource.ObjectRelease, Created: a.now().Unix(),
			Account: account, Hold: id, Amount: res.Released, HoldAmount: res.Hold, Currency: res.Currency,
			BalanceAfter: resource.BalanceAfter{Posted: res.Posted, Available: res.Available},
			JournalEntry: journalEntry(res.Seq),
		})
	})
}

func (a *API) captureOut(res *ledger.Result, account, network, lifecycle, date string) resource.Capture {
	out := resource.Capture{
		ID: resource.PrefixCapture + uitoa(res.Seq), Object: resource.ObjectCapture, Created: a.now().Unix(),
		Account: account, Amount: res.Approved, Currency: res.Currency, ReleasedAmount: res.Released,
		Network: network, LifecycleKey: lifecycle, Date: date,
		BalanceAfter: resource.BalanceAfter{Posted: res.Posted, Available: res.Available},
		JournalEntry: journalEntry(res.Seq),
	}
	if res.HoldID != 0 {
		h := holdID(res.HoldID)
		out.Hold = &h
	}
	return out
}

// lifecycleID is what a network's life-cycle id may hold: Visa 62.2 (15
// digits), Mastercard's Banknet reference and settlement date.
var lifecycleID = regexp.MustCompile(`^[0-9A-Za-z]{1,23}$`)

// createCapture posts a settlement file's presentment, matched to its
// hold by the network's life-cycle key. A life cycle the index knows but
// whose hold is gone (expired, reversed) still posts: the money was spent.
func (a *API) createCapture(c *call) reply {
	var p resource.CaptureParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	if p.Network == "" {
		return errorReply(missing("network"))
	}
	network, ok := parseNetwork(p.Network)
	if !ok {
		return errorReply(invalid("parameter_invalid", "network", "The network is visa or mastercard."))
	}
	if p.LifecycleKey == "" {
		return errorReply(missing("lifecycle_key"))
	}
	if !lifecycleID.MatchString(p.LifecycleKey) {
		return errorReply(invalid("parameter_invalid", "lifecycle_key",
			"The life-cycle key is the network's transaction id as the feed writes it: 1 to 23 letters or digits."))
	}
	if p.Amount == 0 {
		return errorReply(invalid("parameter_invalid", "amount", "The amount is a non-zero number of minor units (negative: a refund's credit)."))
	}
	if e := checkCurrency("currency", p.Currency); e != nil {
		return errorReply(e)
	}
	if p.Date == "" {
		return errorReply(missing("date"))
	}
	if _, err := time.Parse(time.DateOnly, p.Date); err != nil {
		return errorReply(invalid("parameter_invalid", "date", "The date is the settlement date, YYYY-MM-DD."))
	}
	if a.index == nil {
		return a.noIndex()
	}
	return a.idempotent(c, p.IdempotencyKey, true, c.body, func(op idem) reply {
		key := op.ledgerKey(c.r.URL.Path)
		lc := ledger.MakeLifecycleKey(ledger.Network(network), p.LifecycleKey)
		res, repeat := a.ledger.Lookup(key)
		account, err := a.index.LifecycleAccount(lc)
		switch {
		case repeat:
			// Answered before: the account only labels the answer.
		case errors.Is(err, authindex.ErrNotFound):
			return errorReply(&resource.Error{Status: http.StatusNotFound, Type: resource.ErrorTypeInvalidRequest,
				Code: "hold_not_found", Param: "lifecycle_key", Message: "No authorization of this life cycle is known."})
		case err != nil:
			return a.indexError(c, err)
		}
		if !repeat {
			bal, known := a.ledger.Balance(account)
			if known && bal.Currency != p.Currency {
				return errorReply(invalid("currency_mismatch", "currency", "The account is in "+bal.Currency+"; capture in its currency."))
			}
			res = a.ledger.Capture(&ledger.Capture{Key: key, Account: account, Lifecycle: lc, Amount: p.Amount, At: a.now(),
				Descriptor: ledger.Descriptor{Network: network.String(), TransactionID: p.LifecycleKey,
					Amount: p.Amount, Currency: p.Currency}})
		}
		if rep, failed := a.ledgerOutcome(c, &res, "account", account); failed {
			return rep
		}
		a.audited(c, "capture.create", p.LifecycleKey, res.Seq)
		return jsonReply(http.StatusCreated, a.captureOut(&res, account, network.String(), p.LifecycleKey, p.Date))
	})
}
