package portfolio

import (
	"strings"

	"github.com/authswitch/authswitch/spec"
)

// Checker is a Sink that validates every record and the references between
// them: ids unique per kind, a cardholder's and a card's account loaded
// before them, a card's cardholder on the same account, PANs unique, and a
// card_keys prefix covering every card. It keeps every id and PAN, so it is
// for tests and tools, not for the load path.
type Checker struct {
	Stats
	accounts    map[string]struct{}
	cardholders map[string]string // id → account
	cards       map[string]struct{}
	pans        map[string]struct{}
	prefixes    []string
}

// NewChecker returns an empty Checker.
func NewChecker() *Checker {
	return &Checker{
		accounts:    make(map[string]struct{}),
		cardholders: make(map[string]string),
		cards:       make(map[string]struct{}),
		pans:        make(map[string]struct{}),
	}
}

// Account implements Sink.
func (c *Checker) Account(a *Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if _, dup := c.accounts[a.ID]; dup {
		return invalid("account %s: duplicate id", a.ID)
	}
	c.accounts[a.ID] = struct{}{}
	c.Accounts++
	return nil
}

// Cardholder implements Sink.
func (c *Checker) Cardholder(h *Cardholder) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if _, ok := c.accounts[h.Account]; !ok {
		return invalid("cardholder %s: account %s not loaded before it", h.ID, h.Account)
	}
	if _, dup := c.cardholders[h.ID]; dup {
		return invalid("cardholder %s: duplicate id", h.ID)
	}
	c.cardholders[h.ID] = h.Account
	c.Cardholders++
	return nil
}

// Card implements Sink.
func (c *Checker) Card(k *Card) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if _, ok := c.accounts[k.Account]; !ok {
		return invalid("card %s: account %s not loaded before it", k.ID, k.Account)
	}
	if k.Cardholder != "" {
		acct, ok := c.cardholders[k.Cardholder]
		if !ok {
			return invalid("card %s: cardholder %s not loaded before it", k.ID, k.Cardholder)
		}
		if acct != k.Account {
			return invalid("card %s: cardholder %s belongs to another account", k.ID, k.Cardholder)
		}
	}
	if _, dup := c.cards[k.ID]; dup {
		return invalid("card %s: duplicate id", k.ID)
	}
	if _, dup := c.pans[k.PAN]; dup {
		return invalid("card %s: PAN %s already issued", k.ID, spec.MaskPAN(k.PAN))
	}
	covered := false
	for _, p := range c.prefixes {
		if strings.HasPrefix(k.PAN, p) {
			covered = true
			break
		}
	}
	if !covered {
		return invalid("card %s: no card_keys for PAN %s", k.ID, spec.MaskPAN(k.PAN))
	}
	c.cards[k.ID] = struct{}{}
	c.pans[k.PAN] = struct{}{}
	c.Cards++
	return nil
}

// CardKeys implements Sink.
func (c *Checker) CardKeys(k *CardKeys) error {
	if err := k.Validate(); err != nil {
		return err
	}
	c.prefixes = append(c.prefixes, k.PANPrefix)
	c.Stats.CardKeys++
	return nil
}

// Tee is a Sink that hands every record to each of its sinks in turn and
// stops at the first error.
type Tee []Sink

// Account implements Sink.
func (t Tee) Account(a *Account) error {
	for _, s := range t {
		if err := s.Account(a); err != nil {
			return err
		}
	}
	return nil
}

// Cardholder implements Sink.
func (t Tee) Cardholder(h *Cardholder) error {
	for _, s := range t {
		if err := s.Cardholder(h); err != nil {
			return err
		}
	}
	return nil
}

// Card implements Sink.
func (t Tee) Card(k *Card) error {
	for _, s := range t {
		if err := s.Card(k); err != nil {
			return err
		}
	}
	return nil
}

// CardKeys implements Sink.
func (t Tee) CardKeys(k *CardKeys) error {
	for _, s := range t {
		if err := s.CardKeys(k); err != nil {
			return err
		}
	}
	return nil
}
