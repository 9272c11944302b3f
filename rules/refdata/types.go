package refdata

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// Sentinel errors.
var (
	// ErrInvalid is wrapped by every validation error of a record.
	ErrInvalid = errors.New("invalid reference data")
	// ErrNotFound: no such account, cardholder, card or card keys.
	ErrNotFound = errors.New("not found")
	// ErrExists: a create named an id (or a PAN) that is already taken.
	ErrExists = errors.New("already exists")
	// ErrClosed: the store is closed.
	ErrClosed = errors.New("reference store closed")
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// AccountStatus is an account's state.
type AccountStatus uint8

const (
	AccountActive AccountStatus = iota + 1
	AccountFrozen
	AccountClosed
)

func (s AccountStatus) String() string {
	switch s {
	case AccountActive:
		return "active"
	case AccountFrozen:
		return "frozen"
	case AccountClosed:
		return "closed"
	}
	return "unknown"
}

// CardholderStatus is a cardholder's state.
type CardholderStatus uint8

const (
	CardholderActive CardholderStatus = iota + 1
	CardholderInactive
	CardholderBlocked
)

func (s CardholderStatus) String() string {
	switch s {
	case CardholderActive:
		return "active"
	case CardholderInactive:
		return "inactive"
	case CardholderBlocked:
		return "blocked"
	}
	return "unknown"
}

// CardStatus is a card's state.
type CardStatus uint8

const (
	CardActive CardStatus = iota + 1
	CardInactive
	CardCanceled
)

func (s CardStatus) String() string {
	switch s {
	case CardActive:
		return "active"
	case CardInactive:
		return "inactive"
	case CardCanceled:
		return "canceled"
	}
	return "unknown"
}

// Cancellation says why a canceled card was canceled.
type Cancellation uint8

const (
	CancellationNone Cancellation = iota
	CancellationLost
	CancellationStolen
)

func (c Cancellation) String() string {
	switch c {
	case CancellationLost:
		return "lost"
	case CancellationStolen:
		return "stolen"
	}
	return ""
}

// Account holds the funds. Its live balances are the ledger's; Balance and
// CreditLimit here are what the portfolio (or the admin API) last set.
type Account struct {
	ID          string
	Currency    string // ISO 4217 alpha, e.g. "USD"
	Balance     int64  // posted funds as last loaded, minor units
	CreditLimit int64  // minor units, ≥ 0
	Status      AccountStatus
	Controls    *Controls // nil: none
}

// Cardholder is the person (or team) cards belong to.
type Cardholder struct {
	ID       string
	Account  string
	Status   CardholderStatus
	Controls *Controls
}

// Card is a card as the switch keeps it: by Token, never by PAN.
type Card struct {
	ID           string
	Token        Token  // HMAC of the PAN
	Last4        string // last four digits of the PAN, for display
	Expiry       string // YYMM
	Network      spec.Network
	Account      string
	Cardholder   string // may be empty
	Status       CardStatus
	Cancellation Cancellation // set only on a canceled card
	Controls     *Controls
}

// CardKeys is a card verification key pair for every PAN starting with
// Prefix. CVKA and CVKB are 16 hex digits each; they never leave the store
// through the admin side (which shows the key check value instead).
type CardKeys struct {
	Prefix string
	CVKA   string
	CVKB   string
}

// Controls are spending controls of an account, a cardholder or a card.
// Category and country lists are kept sorted (Normalize) so the hot path
// can search them without allocating.
type Controls struct {
	AllowedCategories []string // merchant category codes, 4 digits
	BlockedCategories []string
	AllowedCountries  []string // ISO 3166 alpha-2
	BlockedCountries  []string
	SpendingLimits    []SpendingLimit
	Velocity          []Velocity
}

// Interval is a spending limit's window. Calendar windows are UTC: a day
// from 00:00, a week from Monday, a month from the 1st, a year from 1
// January.
type Interval uint8

const (
	PerAuthorization Interval = iota
	Daily
	Weekly
	Monthly
	Yearly
	AllTime
)

var intervalNames = [...]string{"per_authorization", "daily", "weekly", "monthly", "yearly", "all_time"}

// String returns the interval's name in the portfolio format.
func (i Interval) String() string {
	if int(i) < len(intervalNames) {
		return intervalNames[i]
	}
	return "unknown"
}

// ParseInterval returns the interval named s in the portfolio format.
func ParseInterval(s string) (Interval, bool) {
	for i, n := range intervalNames {
		if n == s {
			return Interval(i), true
		}
	}
	return 0, false
}

// SpendingLimit caps the approved amount of one authorization or of a
// calendar interval (UTC). Categories, when set, restrict it to those MCCs.
type SpendingLimit struct {
	Amount     int64
	Interval   Interval
	Categories []string
}

// Velocity allows at most Count approved authorizations in any Window.
type Velocity struct {
	Count  int
	Window time.Duration
}

// Limits of the formats, so that every record has a bounded size.
const (
	MaxIDLen        = 64   // ids of accounts, cardholders and cards
	MaxListLen      = 1000 // entries of a category or country list
	MaxLimits       = 32   // spending limits on one object
	MaxVelocity     = 8    // velocity controls on one object
	MaxVelocityWait = 366 * 24 * time.Hour
)

// Empty reports whether c carries no control.
func (c *Controls) Empty() bool {
	return c == nil || len(c.AllowedCategories)+len(c.BlockedCategories)+len(c.AllowedCountries)+
		len(c.BlockedCountries)+len(c.SpendingLimits)+len(c.Velocity) == 0
}

// Normalize sorts and deduplicates the lists, so lookups can search them.
// The store normalizes every record it writes.
func (c *Controls) Normalize() {
	if c == nil {
		return
	}
	for _, l := range []*[]string{&c.AllowedCategories, &c.BlockedCategories, &c.AllowedCountries, &c.BlockedCountries} {
		slices.Sort(*l)
		*l = slices.Compact(*l)
	}
	for i := range c.SpendingLimits {
		slices.Sort(c.SpendingLimits[i].Categories)
		c.SpendingLimits[i].Categories = slices.Compact(c.SpendingLimits[i].Categories)
	}
}

// Validate checks that the controls are well formed: 4-digit categories,
// alpha-2 countries, at most one of allowed/blocked of each kind, positive
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
		if len(list) > MaxListLen {
			return invalid("controls: more than %d categories", MaxListLen)
		}
		for _, mcc := range list {
			if !IsDigits(mcc, 4) {
				return invalid("controls: category %s is not 4 digits", shown(mcc))
			}
		}
	}
	for _, list := range [][]string{c.AllowedCountries, c.BlockedCountries} {
		if len(list) > MaxListLen {
			return invalid("controls: more than %d countries", MaxListLen)
		}
		for _, cc := range list {
			if !isUpper(cc, 2) {
				return invalid("controls: country %s is not ISO 3166 alpha-2", shown(cc))
			}
		}
	}
	if len(c.SpendingLimits) > MaxLimits {
		return invalid("controls: more than %d spending limits", MaxLimits)
	}
	for _, l := range c.SpendingLimits {
		if l.Amount <= 0 {
			return invalid("controls: spending limit amount %d is not positive", l.Amount)
		}
		if l.Interval > AllTime {
			return invalid("controls: spending limit interval %d unknown", l.Interval)
		}
		if len(l.Categories) > MaxListLen {
			return invalid("controls: more than %d categories on a spending limit", MaxListLen)
		}
		for _, mcc := range l.Categories {
			if !IsDigits(mcc, 4) {
				return invalid("controls: spending limit category %s is not 4 digits", shown(mcc))
			}
		}
	}
	if len(c.Velocity) > MaxVelocity {
		return invalid("controls: more than %d velocity controls", MaxVelocity)
	}
	for _, v := range c.Velocity {
		if v.Count <= 0 || v.Window < time.Second || v.Window > MaxVelocityWait || v.Window%time.Second != 0 {
			return invalid("controls: velocity %d per %v is not a positive count in whole seconds up to a year", v.Count, v.Window)
		}
	}
	return nil
}

// Clone returns a deep copy (nil for nil).
func (c *Controls) Clone() *Controls {
	if c == nil {
		return nil
	}
	d := &Controls{
		AllowedCategories: slices.Clone(c.AllowedCategories),
		BlockedCategories: slices.Clone(c.BlockedCategories),
		AllowedCountries:  slices.Clone(c.AllowedCountries),
		BlockedCountries:  slices.Clone(c.BlockedCountries),
		Velocity:          slices.Clone(c.Velocity),
	}
	for _, l := range c.SpendingLimits {
		l.Categories = slices.Clone(l.Categories)
		d.SpendingLimits = append(d.SpendingLimits, l)
	}
	return d
}

// CategoryAllowed reports whether the merchant category passes the
// category controls. A request without a category fails an allow list.
func (c *Controls) CategoryAllowed(mcc string) bool {
	if c == nil {
		return true
	}
	if len(c.AllowedCategories) > 0 {
		_, ok := slices.BinarySearch(c.AllowedCategories, mcc)
		return ok
	}
	if len(c.BlockedCategories) > 0 {
		_, blocked := slices.BinarySearch(c.BlockedCategories, mcc)
		return !blocked
	}
	return true
}

// CountryAllowed reports whether the merchant country (alpha-2) passes the
// country controls. A request without a country fails an allow list.
func (c *Controls) CountryAllowed(country string) bool {
	if c == nil {
		return true
	}
	if len(c.AllowedCountries) > 0 {
		_, ok := slices.BinarySearch(c.AllowedCountries, country)
		return ok
	}
	if len(c.BlockedCountries) > 0 {
		_, blocked := slices.BinarySearch(c.BlockedCountries, country)
		return !blocked
	}
	return true
}

// Validate checks the account on its own.
func (a *Account) Validate() error {
	if err := validID("account", a.ID); err != nil {
		return err
	}
	if !isUpper(a.Currency, 3) {
		return invalid("account %s: currency %s is not ISO 4217 alpha", a.ID, shown(a.Currency))
	}
	if a.CreditLimit < 0 {
		return invalid("account %s: credit_limit is negative", a.ID)
	}
	if a.Status < AccountActive || a.Status > AccountClosed {
		return invalid("account %s: status unknown", a.ID)
	}
	if err := a.Controls.Validate(); err != nil {
		return fmt.Errorf("account %s: %w", a.ID, err)
	}
	return nil
}

// Validate checks the cardholder on its own (the store checks that its
// account exists).
func (h *Cardholder) Validate() error {
	if err := validID("cardholder", h.ID); err != nil {
		return err
	}
	if err := validID("account", h.Account); err != nil {
		return fmt.Errorf("cardholder %s: %w", h.ID, err)
	}
	if h.Status < CardholderActive || h.Status > CardholderBlocked {
		return invalid("cardholder %s: status unknown", h.ID)
	}
	if err := h.Controls.Validate(); err != nil {
		return fmt.Errorf("cardholder %s: %w", h.ID, err)
	}
	return nil
}

// Validate checks the card on its own (the store checks its references).
func (c *Card) Validate() error {
	if err := validID("card", c.ID); err != nil {
		return err
	}
	if err := validID("account", c.Account); err != nil {
		return fmt.Errorf("card %s: %w", c.ID, err)
	}
	if c.Cardholder != "" {
		if err := validID("cardholder", c.Cardholder); err != nil {
			return fmt.Errorf("card %s: %w", c.ID, err)
		}
	}
	if !ValidExpiry(c.Expiry) {
		return invalid("card %s: expiry is not YYMM", c.ID)
	}
	if c.Network != spec.Visa && c.Network != spec.Mastercard {
		return invalid("card %s: network unknown", c.ID)
	}
	if !IsDigits(c.Last4, 4) {
		return invalid("card %s: last four digits missing", c.ID)
	}
	if c.Token == (Token{}) {
		return invalid("card %s: no token", c.ID)
	}
	switch c.Status {
	case CardActive, CardInactive:
		if c.Cancellation != CancellationNone {
			return invalid("card %s: cancellation_reason on a %s card", c.ID, c.Status)
		}
	case CardCanceled:
		if c.Cancellation > CancellationStolen {
			return invalid("card %s: cancellation_reason unknown", c.ID)
		}
	default:
		return invalid("card %s: status unknown", c.ID)
	}
	if err := c.Controls.Validate(); err != nil {
		return fmt.Errorf("card %s: %w", c.ID, err)
	}
	return nil
}

// Validate checks the key pair's form.
func (k *CardKeys) Validate() error {
	if len(k.Prefix) == 0 || len(k.Prefix) > 19 || !IsDigits(k.Prefix, len(k.Prefix)) {
		return invalid("card_keys: pan_prefix is not 1–19 digits")
	}
	if !isHex(k.CVKA, 16) || !isHex(k.CVKB, 16) {
		return invalid("card_keys %s: cvk_a and cvk_b must be 16 hex digits", k.Prefix)
	}
	return nil
}

// ValidatePAN checks that pan is 13–19 digits with a valid Luhn check digit
// and fits the network (Visa 4, Mastercard 5 or 2). Its errors never carry
// the PAN.
func ValidatePAN(pan string, network spec.Network) error {
	if !spec.LuhnValid(pan) {
		return invalid("pan is not 13–19 Luhn-valid digits")
	}
	switch {
	case network == spec.Visa && pan[0] == '4':
	case network == spec.Mastercard && (pan[0] == '5' || pan[0] == '2'):
	default:
		return invalid("network does not match the PAN's first digit")
	}
	return nil
}

// ValidExpiry reports whether s is YYMM with a month 01–12.
func ValidExpiry(s string) bool {
	return IsDigits(s, 4) && s[2:] >= "01" && s[2:] <= "12"
}

// IsDigits reports whether s is exactly n ASCII digits.
func IsDigits(s string, n int) bool {
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

// shown quotes a value from the input for an error message, unless it is
// long or holds a run of digits that could be card data.
func shown(v string) string {
	if len(v) > 24 {
		return "(value not shown)"
	}
	run := 0
	for i := 0; i < len(v); i++ {
		if v[i] >= '0' && v[i] <= '9' {
			if run++; run > 6 {
				return "(value not shown)"
			}
		} else {
			run = 0
		}
	}
	return strconv.Quote(v)
}

// validID checks an id: 1–64 printable ASCII characters without spaces,
// and no run of digits long enough to be a PAN (ids appear in logs, errors
// and the feed).
func validID(what, id string) error {
	if id == "" {
		return invalid("%s: id missing", what)
	}
	if len(id) > MaxIDLen {
		return invalid("%s: id longer than %d characters", what, MaxIDLen)
	}
	run := 0
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' {
			return invalid("%s: id has a character outside printable ASCII", what)
		}
		if id[i] >= '0' && id[i] <= '9' {
			if run++; run >= 13 {
				// Not echoed: it could be a card number.
				return invalid("%s: id has 13 or more digits in a row, like a card number", what)
			}
		} else {
			run = 0
		}
	}
	return nil
}
