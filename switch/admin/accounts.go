package admin

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

// MaxDescriptionLen bounds an adjustment's description.
const MaxDescriptionLen = 500

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// newID returns a fresh id with a prefix: 20 random base-32 characters
// (100 bits), no long digit runs.
func newID(prefix string) string {
	var b [13]byte
	_, _ = rand.Read(b[:])
	return prefix + idEncoding.EncodeToString(b[:])[:20]
}

func (a *API) getAccount(c *call) reply {
	id := c.r.PathValue("id")
	acct, bal, err := a.engine.GetAccount(id)
	if err != nil {
		return a.storeError(c, "account", id, "id", err)
	}
	return jsonReply(http.StatusOK, a.accountOut(acct, bal))
}

func (a *API) createAccount(c *call) reply {
	var p resource.AccountCreateParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	acct := &refdata.Account{ID: p.ID, Currency: p.Currency, Balance: p.Balance, CreditLimit: p.CreditLimit,
		Status: refdata.AccountActive}
	if p.ID != "" {
		if e := checkID("id", p.ID); e != nil {
			return errorReply(e)
		}
	}
	if e := checkCurrency("currency", p.Currency); e != nil {
		return errorReply(e)
	}
	if p.Balance < 0 {
		return errorReply(invalid("parameter_invalid", "balance", "The opening balance cannot be negative."))
	}
	if p.CreditLimit < 0 {
		return errorReply(invalid("parameter_invalid", "credit_limit", "The credit limit cannot be negative."))
	}
	if p.Status != "" {
		st, ok := parseAccountStatus(p.Status)
		if !ok {
			return errorReply(invalid("parameter_invalid", "status", "An account's status is active, frozen or closed."))
		}
		acct.Status = st
	}
	var e *resource.Error
	if acct.Controls, e = controlsIn(p.Controls); e != nil {
		return errorReply(e)
	}
	// An opening balance is money: such a create needs an idempotency key.
	return a.idempotent(c, "", p.Balance != 0, c.body, func(idem) reply {
		if acct.ID == "" {
			acct.ID = newID(resource.PrefixAccount)
		}
		if err := a.engine.CreateAccount(acct); err != nil {
			return a.storeError(c, "account", acct.ID, "", err)
		}
		a.created(c, "account", acct.ID)
		a.audited(c, "account.create", acct.ID, 0)
		return a.accountAnswer(c, http.StatusCreated, acct.ID)
	})
}

func (a *API) accountAnswer(c *call, status int, id string) reply {
	acct, bal, err := a.engine.GetAccount(id)
	if err != nil {
		return a.storeError(c, "account", id, "id", err)
	}
	return jsonReply(status, a.accountOut(acct, bal))
}

func (a *API) updateAccount(c *call) reply {
	id := c.r.PathValue("id")
	var p resource.AccountUpdateParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	var status refdata.AccountStatus
	if p.Status != nil {
		var ok bool
		if status, ok = parseAccountStatus(*p.Status); !ok {
			return errorReply(invalid("parameter_invalid", "status", "An account's status is active, frozen or closed."))
		}
	}
	if p.CreditLimit != nil && *p.CreditLimit < 0 {
		return errorReply(invalid("parameter_invalid", "credit_limit", "The credit limit cannot be negative."))
	}
	var controls *refdata.Controls
	if p.Controls.Set {
		var e *resource.Error
		if controls, e = controlsIn(p.Controls.Value); e != nil {
			return errorReply(e)
		}
	}
	return a.idempotent(c, "", false, c.body, func(idem) reply {
		_, err := a.engine.UpdateAccount(id, func(acct *refdata.Account) error {
			if p.Status != nil {
				acct.Status = status
			}
			if p.CreditLimit != nil {
				acct.CreditLimit = *p.CreditLimit
			}
			if p.Controls.Set {
				acct.Controls = controls
			}
			return nil
		})
		if err != nil {
			return a.storeError(c, "account", id, "", err)
		}
		a.audited(c, "account.update", id, 0)
		return a.accountAnswer(c, http.StatusOK, id)
	})
}

func (a *API) fund(c *call) reply  { return a.adjust(c, +1) }
func (a *API) debit(c *call) reply { return a.adjust(c, -1) }

// adjust funds (sign +1) or debits (−1) an account through the ledger.
func (a *API) adjust(c *call, sign int64) reply {
	id := c.r.PathValue("id")
	var p resource.AdjustParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	if p.Amount <= 0 {
		return errorReply(invalid("parameter_invalid", "amount", "The amount is a positive number of minor units."))
	}
	if e := checkDescription(p.Description); e != nil {
		return errorReply(e)
	}
	return a.idempotent(c, "", true, c.body, func(op idem) reply {
		if _, err := a.engine.Store().GetAccount(id); err != nil {
			return a.storeError(c, "account", id, "id", err)
		}
		res := a.ledger.Adjust(&ledger.Adjust{Key: op.ledgerKey(c.r.URL.Path), Account: id, Amount: sign * p.Amount,
			At: a.now()})
		if rep, failed := a.ledgerOutcome(c, &res, "account", id); failed {
			return rep
		}
		action := "account.fund"
		if sign < 0 {
			action = "account.debit"
		}
		a.audited(c, action, id, res.Seq)
		return jsonReply(http.StatusCreated, resource.Adjustment{
			ID: resource.PrefixAdjustment + uitoa(res.Seq), Object: resource.ObjectAdjustment, Created: a.now().Unix(),
			Account: id, Amount: res.Approved, Currency: res.Currency, Description: p.Description,
			BalanceAfter: resource.BalanceAfter{Posted: res.Posted, Available: res.Available},
			JournalEntry: journalEntry(res.Seq),
		})
	})
}

// ledgerOutcome waits for a ledger operation's journal entry to be durable
// and turns a decline or a failure into its answer (failed = true).
func (a *API) ledgerOutcome(c *call, res *ledger.Result, what, id string) (reply, bool) {
	if res.Seq != 0 {
		ctx, cancel := context.WithTimeout(c.r.Context(), ledgerWait)
		err := a.ledger.WaitDurable(ctx, res.Seq)
		cancel()
		if err != nil {
			a.log.Error("admin: ledger entry not durable", "request_id", c.id, "route", c.route.name, "seq", res.Seq, "err", err)
			return errorReply(unavailable("ledger_unavailable", "The ledger did not confirm the write; retry with the same idempotency key.")), true
		}
	}
	if res.Status != ledger.Declined {
		return reply{}, false
	}
	switch res.Reason {
	case ledger.ReasonInsufficientFunds:
		return errorReply(&resource.Error{Status: http.StatusPaymentRequired, Type: resource.ErrorTypeInvalidRequest,
			Code: "insufficient_funds", Param: "amount", Message: "The account's available balance does not cover the amount."}), true
	case ledger.ReasonAccountUnknown:
		return errorReply(notFound(what, id)), true
	case ledger.ReasonHoldUnknown:
		return errorReply(&resource.Error{Status: http.StatusNotFound, Type: resource.ErrorTypeInvalidRequest,
			Code: "hold_not_found", Param: "id", Message: "No open hold " + shown(id) + " on the account."}), true
	case ledger.ReasonInvalidAmount:
		return errorReply(invalid("invalid_amount", "amount", "The amount is not valid for this hold.")), true
	case ledger.ReasonUnavailable:
		return errorReply(unavailable("ledger_unavailable", "The ledger is unavailable; retry with the same idempotency key.")), true
	}
	a.log.Error("admin: unexpected ledger decline", "request_id", c.id, "route", c.route.name, "reason", res.Reason.String())
	return errorReply(internalError("ledger_declined", "The ledger declined the operation ("+res.Reason.String()+").")), true
}

func checkCurrency(param, cur string) *resource.Error {
	if cur == "" {
		return missing(param)
	}
	if _, ok := spec.CurrencyByAlpha(cur); !ok {
		return invalid("parameter_invalid", param, "The currency is an ISO 4217 alphabetic code the switch knows, like USD.")
	}
	return nil
}

func checkDescription(d string) *resource.Error {
	if len(d) > MaxDescriptionLen || !utf8.ValidString(d) || strings.ContainsFunc(d, func(r rune) bool { return r < ' ' }) {
		return invalid("parameter_invalid", "description", "A description is up to 500 characters of text on one line.")
	}
	if redactDigits(d) != d {
		return invalid("parameter_invalid", "description", "A description must not hold a card number.")
	}
	return nil
}

// created records the creation time of an object the API made; a failure
// only loses the time, so it is logged, not answered.
func (a *API) created(c *call, kind, id string) {
	if err := a.state.setCreated(kind, id, a.now()); err != nil && !errors.Is(err, errStateClosed) {
		a.log.Warn("admin: creation time not kept", "request_id", c.id, "object", id, "err", err)
	}
}
