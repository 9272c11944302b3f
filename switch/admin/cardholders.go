package admin

import (
	"errors"
	"net/http"

	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

func (a *API) getCardholder(c *call) reply {
	id := c.r.PathValue("id")
	h, err := a.engine.GetCardholder(id)
	if err != nil {
		return a.storeError(c, "cardholder", id, "id", err)
	}
	return jsonReply(http.StatusOK, a.cardholderOut(h))
}

func (a *API) createCardholder(c *call) reply {
	var p resource.CardholderCreateParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	h := &refdata.Cardholder{ID: p.ID, Account: p.Account, Status: refdata.CardholderActive}
	if p.ID != "" {
		if e := checkID("id", p.ID); e != nil {
			return errorReply(e)
		}
	}
	if e := a.checkAccountRef(c, p.Account); e != nil {
		return errorReply(e)
	}
	if p.Status != "" {
		st, ok := parseCardholderStatus(p.Status)
		if !ok {
			return errorReply(invalid("parameter_invalid", "status", "A cardholder's status is active, inactive or blocked."))
		}
		h.Status = st
	}
	var e *resource.Error
	if h.Controls, e = controlsIn(p.Controls); e != nil {
		return errorReply(e)
	}
	return a.idempotent(c, "", false, c.body, func(idem) reply {
		if h.ID == "" {
			h.ID = newID(resource.PrefixCardholder)
		}
		if err := a.engine.CreateCardholder(h); err != nil {
			return a.storeError(c, "cardholder", h.ID, "", err)
		}
		a.created(c, "cardholder", h.ID)
		a.audited(c, "cardholder.create", h.ID, 0)
		return jsonReply(http.StatusCreated, a.cardholderOut(h))
	})
}

func (a *API) updateCardholder(c *call) reply {
	id := c.r.PathValue("id")
	var p resource.CardholderUpdateParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	var status refdata.CardholderStatus
	if p.Status != nil {
		var ok bool
		if status, ok = parseCardholderStatus(*p.Status); !ok {
			return errorReply(invalid("parameter_invalid", "status", "A cardholder's status is active, inactive or blocked."))
		}
	}
	var controls *refdata.Controls
	if p.Controls.Set {
		var e *resource.Error
		if controls, e = controlsIn(p.Controls.Value); e != nil {
			return errorReply(e)
		}
	}
	return a.idempotent(c, "", false, c.body, func(idem) reply {
		h, err := a.engine.UpdateCardholder(id, func(h *refdata.Cardholder) error {
			if p.Status != nil {
				h.Status = status
			}
			if p.Controls.Set {
				h.Controls = controls
			}
			return nil
		})
		if err != nil {
			return a.storeError(c, "cardholder", id, "", err)
		}
		a.audited(c, "cardholder.update", id, 0)
		return jsonReply(http.StatusOK, a.cardholderOut(h))
	})
}

// checkAccountRef checks that a create's account exists (400 naming the
// field, where the store would only say the reference is wrong).
func (a *API) checkAccountRef(c *call, id string) *resource.Error {
	if id == "" {
		return missing("account")
	}
	if _, err := a.engine.Store().GetAccount(id); err != nil {
		if errors.Is(err, refdata.ErrNotFound) {
			return invalid("resource_missing", "account", "No such account: "+shown(id)+".")
		}
		a.log.Error("admin: account lookup failed", "request_id", c.id, "err", redactDigits(err.Error()))
		return internalError("store_failed", "The account could not be read; try again.")
	}
	return nil
}
