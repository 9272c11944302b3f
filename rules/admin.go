package rules

import (
	"errors"
	"fmt"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules/refdata"
)

// The admin side: the same objects as a portfolio, one at a time. Every
// change is durable and visible to the next authorization when the call
// returns (the cached entry is dropped). Errors wrap refdata.ErrInvalid,
// ErrNotFound or ErrExists, and never carry a PAN or a key.
//
// Account balances: Balance is the funding level as last loaded; setting
// it moves the ledger's posted balance by the difference (activity since
// is kept), exactly as reloading a portfolio does.

// CreateAccount creates an account in the store and the ledger.
func (e *Engine) CreateAccount(a *refdata.Account) error { return e.putAccount(a, refdata.Create) }

// ReplaceAccount replaces an existing account.
func (e *Engine) ReplaceAccount(a *refdata.Account) error { return e.putAccount(a, refdata.Replace) }

func (e *Engine) putAccount(a *refdata.Account, mode refdata.Mode) error {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	_, err := e.store.GetAccount(a.ID)
	switch {
	case mode == refdata.Create && err == nil:
		return fmt.Errorf("account %s: %w", a.ID, refdata.ErrExists)
	case mode == refdata.Replace && errors.Is(err, refdata.ErrNotFound):
		return fmt.Errorf("account %s: %w", a.ID, refdata.ErrNotFound)
	case err != nil && !errors.Is(err, refdata.ErrNotFound):
		return err
	}
	if err := e.accountToLedger(a); err != nil {
		return err
	}
	if err := e.accountsDurable(); err != nil {
		return err
	}
	return e.store.PutAccount(a, mode)
}

// UpdateAccount applies fn to a copy of the account and writes it (and its
// balance and credit limit to the ledger).
func (e *Engine) UpdateAccount(id string, fn func(*refdata.Account) error) (*refdata.Account, error) {
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	a, err := e.store.GetAccount(id)
	if err != nil {
		return nil, err
	}
	if err := fn(a); err != nil {
		return nil, err
	}
	if a.ID != id {
		return nil, fmt.Errorf("%w: account %s: id cannot change", refdata.ErrInvalid, id)
	}
	if err := e.accountToLedger(a); err != nil {
		return nil, err
	}
	if err := e.accountsDurable(); err != nil {
		return nil, err
	}
	return a, e.store.PutAccount(a, refdata.Replace)
}

// GetAccount returns the account and its live balances.
func (e *Engine) GetAccount(id string) (*refdata.Account, ledger.Balance, error) {
	a, err := e.store.GetAccount(id)
	if err != nil {
		return nil, ledger.Balance{}, err
	}
	b, _ := e.ledger.Balance(id)
	return a, b, nil
}

// CreateCardholder creates a cardholder of an existing account.
func (e *Engine) CreateCardholder(h *refdata.Cardholder) error {
	return e.store.PutCardholder(h, refdata.Create)
}

// ReplaceCardholder replaces an existing cardholder (its account cannot
// change).
func (e *Engine) ReplaceCardholder(h *refdata.Cardholder) error {
	return e.store.PutCardholder(h, refdata.Replace)
}

// UpdateCardholder applies fn to a copy of the cardholder and writes it.
func (e *Engine) UpdateCardholder(id string, fn func(*refdata.Cardholder) error) (*refdata.Cardholder, error) {
	return e.store.UpdateCardholder(id, fn)
}

// GetCardholder returns a copy of the cardholder.
func (e *Engine) GetCardholder(id string) (*refdata.Cardholder, error) {
	return e.store.GetCardholder(id)
}

// CreateCard creates a card from its PAN; the store keeps only its token
// and last four digits.
func (e *Engine) CreateCard(c *refdata.Card, pan string) error {
	return e.store.PutCard(c, pan, refdata.Create)
}

// ReplaceCard replaces an existing card; it keeps its PAN.
func (e *Engine) ReplaceCard(c *refdata.Card) error { return e.store.PutCard(c, "", refdata.Replace) }

// UpdateCard applies fn to a copy of the card (freeze it, cancel it, change
// its controls) and writes it.
func (e *Engine) UpdateCard(id string, fn func(*refdata.Card) error) (*refdata.Card, error) {
	return e.store.UpdateCard(id, fn)
}

// GetCard returns a copy of the card: its last four digits, never a PAN.
func (e *Engine) GetCard(id string) (*refdata.Card, error) { return e.store.GetCard(id) }

// PutCardKeys creates or replaces the card verification keys of a PAN
// prefix.
func (e *Engine) PutCardKeys(k *refdata.CardKeys) error { return e.store.PutCardKeys(k) }

// GetCardKeys describes the keys of a prefix by their check value.
func (e *Engine) GetCardKeys(prefix string) (refdata.KeyInfo, error) { return e.store.CardKeys(prefix) }

// ListCardKeys describes every key pair.
func (e *Engine) ListCardKeys() []refdata.KeyInfo { return e.store.ListCardKeys() }

// SetControls replaces the controls of an account, cardholder or card (nil
// removes them).
func (e *Engine) SetControls(kind refdata.Kind, id string, c *refdata.Controls) error {
	var err error
	switch kind {
	case refdata.KindAccount:
		_, err = e.UpdateAccount(id, func(a *refdata.Account) error { a.Controls = c; return nil })
	case refdata.KindCardholder:
		_, err = e.UpdateCardholder(id, func(h *refdata.Cardholder) error { h.Controls = c; return nil })
	case refdata.KindCard:
		_, err = e.UpdateCard(id, func(k *refdata.Card) error { k.Controls = c; return nil })
	default:
		err = fmt.Errorf("%w: controls belong to an account, a cardholder or a card", refdata.ErrInvalid)
	}
	return err
}

// GetControls returns a copy of the controls of an account, cardholder or
// card (nil when it has none).
func (e *Engine) GetControls(kind refdata.Kind, id string) (*refdata.Controls, error) {
	switch kind {
	case refdata.KindAccount:
		a, err := e.store.GetAccount(id)
		if err != nil {
			return nil, err
		}
		return a.Controls, nil
	case refdata.KindCardholder:
		h, err := e.store.GetCardholder(id)
		if err != nil {
			return nil, err
		}
		return h.Controls, nil
	case refdata.KindCard:
		c, err := e.store.GetCard(id)
		if err != nil {
			return nil, err
		}
		return c.Controls, nil
	}
	return nil, fmt.Errorf("%w: controls belong to an account, a cardholder or a card", refdata.ErrInvalid)
}

// ApplyLine creates or replaces one object given as a portfolio line.
func (e *Engine) ApplyLine(b []byte) error {
	var line refdata.Line
	if err := refdata.ParseLine(b, &line); err != nil {
		return err
	}
	defer func() { line.PAN = "" }()
	switch line.Kind {
	case refdata.KindAccount:
		return e.putAccount(&line.Account, refdata.Upsert)
	case refdata.KindCardholder:
		return e.store.PutCardholder(&line.Cardholder, refdata.Upsert)
	case refdata.KindCard:
		return e.store.PutCard(&line.Card, line.PAN, refdata.Upsert)
	case refdata.KindCardKeys:
		return e.store.PutCardKeys(&line.CardKeys)
	}
	return nil
}
