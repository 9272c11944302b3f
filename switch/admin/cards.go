package admin

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/switch/admin/resource"
)

func (a *API) getCard(c *call) reply {
	id := c.r.PathValue("id")
	card, err := a.engine.GetCard(id)
	if err != nil {
		return a.storeError(c, "card", id, "id", err)
	}
	return jsonReply(http.StatusOK, a.cardOut(card))
}

// createCard creates a card from its number. The number is checked, handed
// to the engine (which keeps only its keyed hash and last four) and never
// echoed: errors about it say what is wrong, not what it was.
func (a *API) createCard(c *call) reply {
	var p resource.CardCreateParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	card := &refdata.Card{ID: p.ID, Expiry: p.Expiry, Account: p.Account, Cardholder: p.Cardholder,
		Status: refdata.CardActive}
	if p.ID != "" {
		if e := checkID("id", p.ID); e != nil {
			return errorReply(e)
		}
	}
	if p.Network == "" {
		return errorReply(missing("network"))
	}
	var ok bool
	if card.Network, ok = parseNetwork(p.Network); !ok {
		return errorReply(invalid("parameter_invalid", "network", "The network is visa or mastercard."))
	}
	if p.PAN == "" {
		return errorReply(missing("pan"))
	}
	if !spec.LuhnValid(p.PAN) {
		return errorReply(invalid("parameter_invalid", "pan", "The card number must be 13 to 19 digits with a valid check digit."))
	}
	if err := refdata.ValidatePAN(p.PAN, card.Network); err != nil {
		return errorReply(invalid("parameter_invalid", "pan", "The card number does not belong to the network (Visa 4, Mastercard 2 or 5)."))
	}
	if p.Expiry == "" {
		return errorReply(missing("expiry"))
	}
	if !refdata.ValidExpiry(p.Expiry) {
		return errorReply(invalid("parameter_invalid", "expiry", "The expiry is YYMM."))
	}
	if e := a.checkAccountRef(c, p.Account); e != nil {
		return errorReply(e)
	}
	if p.Cardholder != "" {
		h, err := a.engine.GetCardholder(p.Cardholder)
		switch {
		case errors.Is(err, refdata.ErrNotFound):
			return errorReply(invalid("resource_missing", "cardholder", "No such cardholder: "+shown(p.Cardholder)+"."))
		case err != nil:
			return a.storeError(c, "cardholder", p.Cardholder, "cardholder", err)
		case h.Account != p.Account:
			return errorReply(invalid("parameter_invalid", "cardholder", "The cardholder belongs to another account."))
		}
	}
	if p.Status != "" {
		if card.Status, ok = parseCardStatus(p.Status); !ok {
			return errorReply(invalid("parameter_invalid", "status", "A card's status is active, inactive or canceled."))
		}
	}
	if card.Cancellation, ok = parseCancellation(p.CancellationReason); !ok {
		return errorReply(invalid("parameter_invalid", "cancellation_reason", "A cancellation reason is lost or stolen."))
	}
	if card.Cancellation != refdata.CancellationNone && card.Status != refdata.CardCanceled {
		return errorReply(invalid("parameter_invalid", "cancellation_reason", "Only a canceled card has a cancellation reason."))
	}
	var e *resource.Error
	if card.Controls, e = controlsIn(p.Controls); e != nil {
		return errorReply(e)
	}
	// The request is identified by the card number's keyed hash, never the
	// number: the kept fingerprint must not be a hash anyone could test
	// guessed numbers against.
	pan := p.PAN
	tok := a.engine.Store().Tokenizer().Token(pan)
	p.PAN = "tok:" + hex.EncodeToString(tok[:])
	canonical, _ := json.Marshal(p)
	return a.idempotent(c, "", false, canonical, func(idem) reply {
		if card.ID == "" {
			card.ID = newID(resource.PrefixCard)
		}
		if err := a.engine.CreateCard(card, pan); err != nil {
			return a.storeError(c, "card", card.ID, "", err)
		}
		a.created(c, "card", card.ID)
		a.audited(c, "card.create", card.ID, 0)
		stored, err := a.engine.GetCard(card.ID)
		if err != nil {
			return a.storeError(c, "card", card.ID, "id", err)
		}
		return jsonReply(http.StatusCreated, a.cardOut(stored))
	})
}

func (a *API) updateCard(c *call) reply {
	id := c.r.PathValue("id")
	var p resource.CardUpdateParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	var status refdata.CardStatus
	var reason refdata.Cancellation
	var ok bool
	if p.Status != nil {
		if status, ok = parseCardStatus(*p.Status); !ok {
			return errorReply(invalid("parameter_invalid", "status", "A card's status is active, inactive or canceled."))
		}
	}
	if p.CancellationReason != nil {
		if reason, ok = parseCancellation(*p.CancellationReason); !ok || reason == refdata.CancellationNone {
			return errorReply(invalid("parameter_invalid", "cancellation_reason", "A cancellation reason is lost or stolen."))
		}
	}
	if p.Expiry != nil && !refdata.ValidExpiry(*p.Expiry) {
		return errorReply(invalid("parameter_invalid", "expiry", "The expiry is YYMM."))
	}
	var controls *refdata.Controls
	if p.Controls.Set {
		var e *resource.Error
		if controls, e = controlsIn(p.Controls.Value); e != nil {
			return errorReply(e)
		}
	}
	return a.idempotent(c, "", false, c.body, func(idem) reply {
		var refused *resource.Error
		card, err := a.engine.UpdateCard(id, func(k *refdata.Card) error {
			if k.Status == refdata.CardCanceled && p.Status != nil && status != refdata.CardCanceled {
				refused = invalid("card_canceled", "status", "A canceled card stays canceled; issue a new card.")
				return errRefused
			}
			if p.Status != nil {
				k.Status = status
				if status != refdata.CardCanceled {
					k.Cancellation = refdata.CancellationNone
				}
			}
			if p.CancellationReason != nil {
				if k.Status != refdata.CardCanceled {
					refused = invalid("parameter_invalid", "cancellation_reason", "Only a canceled card has a cancellation reason.")
					return errRefused
				}
				k.Cancellation = reason
			}
			if p.Expiry != nil {
				k.Expiry = *p.Expiry
			}
			if p.Controls.Set {
				k.Controls = controls
			}
			return nil
		})
		if refused != nil {
			return errorReply(refused)
		}
		if err != nil {
			return a.storeError(c, "card", id, "", err)
		}
		action := "card.update"
		if p.Status != nil && status == refdata.CardCanceled {
			action = "card.cancel"
		}
		a.audited(c, action, id, 0)
		return jsonReply(http.StatusOK, a.cardOut(card))
	})
}

var errRefused = errors.New("admin: refused")

// putCardKeys creates or replaces the card verification keys of a PAN
// prefix. The keys go to the engine and never come back: the answer and
// every later read show their key check value.
func (a *API) putCardKeys(c *call) reply {
	prefix := c.r.PathValue("pan_prefix")
	if !validPrefix(prefix) {
		return errorReply(invalid("parameter_invalid", "pan_prefix",
			"A PAN prefix is 1 to 8 digits: a card range, never more of a card number than its BIN."))
	}
	var p resource.CardKeysParams
	if e := decode(c, &p); e != nil {
		return errorReply(e)
	}
	for _, f := range []struct{ param, v string }{{"cvk_a", p.CVKA}, {"cvk_b", p.CVKB}} {
		if f.v == "" {
			return errorReply(missing(f.param))
		}
		if b, err := hex.DecodeString(f.v); err != nil || len(b) != 8 {
			return errorReply(invalid("parameter_invalid", f.param, "A card verification key is 16 hex digits."))
		}
	}
	if err := a.engine.PutCardKeys(&refdata.CardKeys{Prefix: prefix, CVKA: p.CVKA, CVKB: p.CVKB}); err != nil {
		return a.storeError(c, "card keys", prefix, "cvk_a", err)
	}
	a.audited(c, "card_keys.put", prefix, 0)
	info, err := a.engine.GetCardKeys(prefix)
	if err != nil {
		return a.storeError(c, "card keys", prefix, "pan_prefix", err)
	}
	return jsonReply(http.StatusOK, cardKeysOut(info))
}

func (a *API) listCardKeys(c *call) reply {
	infos := a.engine.ListCardKeys()
	out := make([]resource.CardKeys, 0, len(infos))
	for _, k := range infos {
		out = append(out, cardKeysOut(k))
	}
	return jsonReply(http.StatusOK, resource.NewList("/v1/card_keys", out, false))
}

func cardKeysOut(k refdata.KeyInfo) resource.CardKeys {
	return resource.CardKeys{Object: resource.ObjectCardKeys, PANPrefix: k.Prefix, KeyCheckValue: k.CheckValue}
}

// MaxPANPrefixLen is the longest PAN prefix the API takes: a BIN. Longer
// prefixes would put more of a card number in URLs and answers than may
// be shown.
const MaxPANPrefixLen = 8

func validPrefix(p string) bool {
	return len(p) >= 1 && len(p) <= MaxPANPrefixLen && refdata.IsDigits(p, len(p))
}
