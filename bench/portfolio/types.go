package portfolio

import (
	"errors"
	"fmt"

	"github.com/authswitch/authswitch/spec"
)

// Kinds of portfolio record, the value of each line's "kind".
const (
	KindAccount    = "account"
	KindCardholder = "cardholder"
	KindCard       = "card"
	KindCardKeys   = "card_keys"
)

// Statuses and other enumerations of the portfolio format.
const (
	StatusActive   = "active"
	StatusFrozen   = "frozen"   // account
	StatusClosed   = "closed"   // account
	StatusInactive = "inactive" // cardholder, card
	StatusBlocked  = "blocked"  // cardholder
	StatusCanceled = "canceled" // card

	ReasonLost   = "lost"
	ReasonStolen = "stolen"

	NetworkVisa       = "visa"
	NetworkMastercard = "mastercard"
)

// Spending-limit intervals.
const (
	PerAuthorization = "per_authorization"
	Daily            = "daily"
	Weekly           = "weekly"
	Monthly          = "monthly"
	Yearly           = "yearly"
	AllTime          = "all_time"
)

// ErrInvalid is wrapped by every validation error of a record.
var ErrInvalid = errors.New("invalid portfolio record")

// Controls are the spending controls of an account, a cardholder or a card.
// All controls that apply to a request must pass.
type Controls struct {
	AllowedCategories []string        `json:"allowed_categories,omitempty"`
	BlockedCategories []string        `json:"blocked_categories,omitempty"`
	AllowedCountries  []string        `json:"allowed_countries,omitempty"`
	BlockedCountries  []string        `json:"blocked_countries,omitempty"`
	SpendingLimits    []SpendingLimit `json:"spending_limits,omitempty"`
	Velocity          []Velocity      `json:"velocity,omitempty"`
}

// SpendingLimit caps the approved amount in an interval (or of a single
// authorization). Categories, when set, restrict the limit to those MCCs.
type SpendingLimit struct {
	Amount     int64    `json:"amount"`
	Interval   string   `json:"interval"`
	Categories []string `json:"categories,omitempty"`
}

// Velocity allows at most Count approved authorizations in any
// WindowSeconds.
type Velocity struct {
	Count         int   `json:"count"`
	WindowSeconds int64 `json:"window_seconds"`
}

// Account holds the funds. Balance and CreditLimit are minor units of
// Currency.
type Account struct {
	ID          string    `json:"id"`
	Currency    string    `json:"currency"`
	Balance     int64     `json:"balance"`
	CreditLimit int64     `json:"credit_limit,omitempty"`
	Status      string    `json:"status"`
	Controls    *Controls `json:"controls,omitempty"`
}

// Cardholder is the person (or team) a card belongs to.
type Cardholder struct {
	ID       string    `json:"id"`
	Account  string    `json:"account"`
	Status   string    `json:"status"`
	Controls *Controls `json:"controls,omitempty"`
}

// Card is a PAN issued on an account. PAN is card data: never log it.
type Card struct {
	ID                 string    `json:"id"`
	PAN                string    `json:"pan"`
	Expiry             string    `json:"expiry"` // YYMM
	Network            string    `json:"network"`
	Account            string    `json:"account"`
	Cardholder         string    `json:"cardholder,omitempty"`
	Status             string    `json:"status"`
	CancellationReason string    `json:"cancellation_reason,omitempty"`
	Controls           *Controls `json:"controls,omitempty"`
}

// CardKeys is the CVV key pair of every PAN starting with PANPrefix (the
// longest matching prefix wins).
type CardKeys struct {
	PANPrefix string `json:"pan_prefix"`
	CVKA      string `json:"cvk_a"`
	CVKB      string `json:"cvk_b"`
}

// Sink receives portfolio records in file order: every card_keys line
// first, then each account followed by its cardholders and cards. The
// record pointers are only valid during the call; the slices inside a
// record's Controls may be kept, as producers never write them.
type Sink interface {
	Account(*Account) error
	Cardholder(*Cardholder) error
	Card(*Card) error
	CardKeys(*CardKeys) error
}

// Stats counts what went through a sink.
type Stats struct {
	Accounts    int
	Cardholders int
	Cards       int
	CardKeys    int
}

// Validate checks the account on its own (references are checked by
// Checker).
func (a *Account) Validate() error {
	if a.ID == "" {
		return invalid("account: empty id")
	}
	if !isAlpha3(a.Currency) {
		return invalid("account %s: currency %q is not ISO 4217 alpha", a.ID, a.Currency)
	}
	if a.CreditLimit < 0 {
		return invalid("account %s: negative credit_limit", a.ID)
	}
	switch a.Status {
	case StatusActive, StatusFrozen, StatusClosed:
	default:
		return invalid("account %s: status %q", a.ID, a.Status)
	}
	if err := a.Controls.Validate(); err != nil {
		return fmt.Errorf("account %s: %w", a.ID, err)
	}
	return nil
}

// Validate checks the cardholder on its own.
func (c *Cardholder) Validate() error {
	if c.ID == "" || c.Account == "" {
		return invalid("cardholder %q: id and account are required", c.ID)
	}
	switch c.Status {
	case StatusActive, StatusInactive, StatusBlocked:
	default:
		return invalid("cardholder %s: status %q", c.ID, c.Status)
	}
	if err := c.Controls.Validate(); err != nil {
		return fmt.Errorf("cardholder %s: %w", c.ID, err)
	}
	return nil
}

// Validate checks the card on its own. Its errors name the card by id and
// never carry the PAN.
func (c *Card) Validate() error {
	if c.ID == "" || c.Account == "" {
		return invalid("card %q: id and account are required", c.ID)
	}
	if !spec.LuhnValid(c.PAN) {
		return invalid("card %s: pan is not 13–19 Luhn-valid digits", c.ID)
	}
	if !isDigits(c.Expiry, 4) || c.Expiry[2:] < "01" || c.Expiry[2:] > "12" {
		return invalid("card %s: expiry %q is not YYMM", c.ID, c.Expiry)
	}
	switch {
	case c.Network == NetworkVisa && c.PAN[0] == '4':
	case c.Network == NetworkMastercard && (c.PAN[0] == '5' || c.PAN[0] == '2'):
	default:
		return invalid("card %s: network %q does not match the PAN's first digit", c.ID, c.Network)
	}
	switch c.Status {
	case StatusActive, StatusInactive:
		if c.CancellationReason != "" {
			return invalid("card %s: cancellation_reason on a %s card", c.ID, c.Status)
		}
	case StatusCanceled:
		switch c.CancellationReason {
		case "", ReasonLost, ReasonStolen:
		default:
			return invalid("card %s: cancellation_reason %q", c.ID, c.CancellationReason)
		}
	default:
		return invalid("card %s: status %q", c.ID, c.Status)
	}
	if err := c.Controls.Validate(); err != nil {
		return fmt.Errorf("card %s: %w", c.ID, err)
	}
	return nil
}

// Validate checks the key pair.
func (k *CardKeys) Validate() error {
	if k.PANPrefix == "" || len(k.PANPrefix) > 19 || !isDigits(k.PANPrefix, len(k.PANPrefix)) {
		return invalid("card_keys: pan_prefix %q is not 1–19 digits", k.PANPrefix)
	}
	if !isHex(k.CVKA, 16) || !isHex(k.CVKB, 16) {
		return invalid("card_keys %s: cvk_a and cvk_b must be 16 hex digits", k.PANPrefix)
	}
	return nil
}

// Validate checks that controls are well formed: 4-digit categories,
// alpha-2 countries, at most one of allowed/blocked per kind, positive
// limits with a known interval, positive velocity counts and windows. A nil
// Controls is valid.
func (c *Controls) Validate() error {
	if c == nil {
		return nil
	}
	if len(c.AllowedCategories) > 0 && len(c.BlockedCategories) > 0 {
		return invalid("controls: both allowed_categories and blocked_categories")
	}
	if len(c.AllowedCountries) > 0 && len(c.BlockedCountries) > 0 {
		return invalid("controls: both allowed_countries and blocked_countries")
	}
	for _, list := range [][]string{c.AllowedCategories, c.BlockedCategories} {
		for _, mcc := range list {
			if !isDigits(mcc, 4) {
				return invalid("controls: category %q is not 4 digits", mcc)
			}
		}
	}
	for _, list := range [][]string{c.AllowedCountries, c.BlockedCountries} {
		for _, cc := range list {
			if !isAlpha2(cc) {
				return invalid("controls: country %q is not ISO 3166 alpha-2", cc)
			}
		}
	}
	for _, l := range c.SpendingLimits {
		if l.Amount <= 0 {
			return invalid("controls: spending limit amount %d is not positive", l.Amount)
		}
		if !ValidInterval(l.Interval) {
			return invalid("controls: spending limit interval %q", l.Interval)
		}
		for _, mcc := range l.Categories {
			if !isDigits(mcc, 4) {
				return invalid("controls: spending limit category %q is not 4 digits", mcc)
			}
		}
	}
	for _, v := range c.Velocity {
		if v.Count <= 0 || v.WindowSeconds <= 0 {
			return invalid("controls: velocity %d per %ds is not positive", v.Count, v.WindowSeconds)
		}
	}
	return nil
}

// Empty reports whether c carries no control at all.
func (c *Controls) Empty() bool {
	return c == nil || len(c.AllowedCategories)+len(c.BlockedCategories)+len(c.AllowedCountries)+
		len(c.BlockedCountries)+len(c.SpendingLimits)+len(c.Velocity) == 0
}

// ValidInterval reports whether s names a spending-limit interval.
func ValidInterval(s string) bool {
	switch s {
	case PerAuthorization, Daily, Weekly, Monthly, Yearly, AllTime:
		return true
	}
	return false
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'F' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isUpper(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isAlpha2(s string) bool { return isUpper(s, 2) }
func isAlpha3(s string) bool { return isUpper(s, 3) }
