package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/spec/cvv"
)

// ErrAmbiguous is returned (wrapped, with the reason) by Expect and Peek
// when the wire contract does not fix the answer to a request in the
// model's state. Nothing changes; send something else.
var ErrAmbiguous = errors.New("model: answer not fixed by the contract")

// edge is how close to a calendar or velocity window boundary a request or
// an earlier approval may fall before the model stops predicting: the
// switch stamps requests a little later than the model does.
const edge = 2 * time.Second

// Expected is the answer the switch owes a request.
type Expected struct {
	Code   string // field 39
	Reason string // the model's word for why, for reports

	// Repeat: the request repeats one already answered; AuthCode then
	// holds the first answer's field 38 when RecordAuthCode saw it.
	Repeat   bool
	AuthCode string
	// AuthCodeRequired: an approving answer to 0100/0101 carries a
	// six-character field 38.
	AuthCodeRequired bool

	Partial bool  // response code 10
	Amount  int64 // field 4 of a partial approval (minor units of field 49)

	Balances        bool // field 54 carries ledger (01) and available (02)
	Ledger          int64
	Available       int64
	BalanceCurrency uint16

	CVV2Result byte // 'M', 'N', 'P', or 0 when the request had no CVV2
	CVVResult  byte // the track's CVV: 'M', 'N', 'P', or 0 (Visa 44.5 only)
}

// Approving reports whether the code approves.
func (e Expected) Approving() bool {
	return e.Code == "00" || e.Code == "10" || e.Code == "85"
}

// Model holds the portfolio and everything the switch should have done to
// it. Build it by passing it as the portfolio.Sink of Read or Generate;
// the PANs it keeps are card data, exactly as the simulator's own.
type Model struct {
	mu sync.RWMutex // Peek, Headroom and the lookups only read

	keys     []prefixKeys
	accounts map[string]*Account
	holders  map[string]*Cardholder
	cards    map[string]*Card // by PAN
	byID     map[string]*Card
	list     []*Card

	// Cards, accounts and cardholders are carved from slabs: a million
	// small objects would otherwise cost the collector more than the load.
	cardSlab    []Card
	accountSlab []Account
	holderSlab  []Cardholder

	answered      map[string]*Expected // by request key
	lifecycles    map[string]*lifecycle
	byOriginal    map[string]*part
	reversedFirst map[string]struct{} // original keys and life-cycle keys reversed before they came
}

type prefixKeys struct {
	prefix string
	keys   *cvv.Keys
}

// level is what an account, a cardholder and a card share: controls and
// the approvals counted against them.
type level struct {
	controls portfolio.Controls
	approved []*approval
}

// approval is one approved amount, counted by every level of its card. A
// reversal lowers its amount; velocity counts it whatever its amount.
type approval struct {
	at     time.Time
	mcc    string
	amount int64
}

// Account is the model's account. Fields other than its balances are
// fixed at load.
type Account struct {
	Index    int // position in file order
	ID       string
	Currency string
	Numeric  uint16
	Status   string
	Credit   int64

	posted  int64
	pending int64
	level
}

// Cardholder is the model's cardholder.
type Cardholder struct {
	ID     string
	Status string
	level
}

// Card is the model's card. Its exported fields are fixed at load and safe
// to read without the model's lock. PAN is card data.
type Card struct {
	Index      int // position in file order
	ID         string
	PAN        string
	Expiry     string
	Network    spec.Network
	Status     string
	Reason     string
	Account    *Account
	Cardholder *Cardholder // nil when the card names none
	keys       *cvv.Keys
	lv         []*level // account's, cardholder's, card's: built once at load, in lvBuf
	lvBuf      [3]*level
	level
}

// lifecycle is a hold: one or more approved parts (an authorization and
// its increments) under one network life-cycle key.
type lifecycle struct {
	card     *Card
	parts    []*part
	reversed bool
	billing  bool // charged as a cardholder billing amount (field 6)
}

type part struct {
	lc     *lifecycle
	amount int64 // held now
	entry  *approval
}

// New returns an empty model.
func New() *Model { return NewSized(0) }

// NewSized returns an empty model with room for about cards cards (and as
// many accounts and cardholders), so that loading a large portfolio does
// not grow its indexes step by step.
func NewSized(cards int) *Model {
	return &Model{
		accounts:      make(map[string]*Account, cards),
		holders:       make(map[string]*Cardholder, cards),
		cards:         make(map[string]*Card, cards),
		byID:          make(map[string]*Card, cards),
		list:          make([]*Card, 0, cards),
		answered:      make(map[string]*Expected),
		lifecycles:    make(map[string]*lifecycle),
		byOriginal:    make(map[string]*part),
		reversedFirst: make(map[string]struct{}),
	}
}

// Account implements portfolio.Sink.
func (m *Model) Account(a *portfolio.Account) error {
	cur, ok := spec.CurrencyByAlpha(a.Currency)
	if !ok {
		return fmt.Errorf("model: account %s: unknown currency %q", a.ID, a.Currency)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	acct := carve(&m.accountSlab)
	*acct = Account{
		Index: len(m.accounts), ID: a.ID, Currency: a.Currency, Numeric: cur.Numeric, Status: a.Status, Credit: a.CreditLimit,
		posted: a.Balance, level: level{controls: copyControls(a.Controls)},
	}
	m.accounts[a.ID] = acct
	return nil
}

// Cardholder implements portfolio.Sink.
func (m *Model) Cardholder(h *portfolio.Cardholder) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	holder := carve(&m.holderSlab)
	*holder = Cardholder{ID: h.ID, Status: h.Status, level: level{controls: copyControls(h.Controls)}}
	m.holders[h.ID] = holder
	return nil
}

// Card implements portfolio.Sink.
func (m *Model) Card(c *portfolio.Card) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	acct := m.accounts[c.Account]
	if acct == nil {
		return fmt.Errorf("model: card %s: account %s not loaded", c.ID, c.Account)
	}
	var holder *Cardholder
	if c.Cardholder != "" {
		if holder = m.holders[c.Cardholder]; holder == nil {
			return fmt.Errorf("model: card %s: cardholder %s not loaded", c.ID, c.Cardholder)
		}
	}
	network := spec.Visa
	if c.Network == portfolio.NetworkMastercard {
		network = spec.Mastercard
	}
	card := carve(&m.cardSlab)
	*card = Card{
		Index: len(m.list), ID: c.ID, PAN: c.PAN, Expiry: c.Expiry, Network: network,
		Status: c.Status, Reason: c.CancellationReason, Account: acct, Cardholder: holder,
		keys: m.keysFor(c.PAN), level: level{controls: copyControls(c.Controls)},
	}
	card.lvBuf = [3]*level{&acct.level, &card.level}
	card.lv = card.lvBuf[:2]
	if holder != nil {
		card.lvBuf = [3]*level{&acct.level, &holder.level, &card.level}
		card.lv = card.lvBuf[:3]
	}
	m.cards[c.PAN] = card
	m.byID[c.ID] = card
	m.list = append(m.list, card)
	return nil
}

// CardKeys implements portfolio.Sink. Keys apply to cards loaded after
// them, as in a portfolio file where they come first.
func (m *Model) CardKeys(k *portfolio.CardKeys) error {
	keys, err := cvv.ParseKeys(k.CVKA, k.CVKB)
	if err != nil {
		return fmt.Errorf("model: card_keys %s: %w", k.PANPrefix, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = slices.DeleteFunc(m.keys, func(p prefixKeys) bool { return p.prefix == k.PANPrefix })
	m.keys = append(m.keys, prefixKeys{k.PANPrefix, keys})
	// Longest prefix first, so the first match wins.
	slices.SortStableFunc(m.keys, func(a, b prefixKeys) int { return len(b.prefix) - len(a.prefix) })
	return nil
}

func (m *Model) keysFor(pan string) *cvv.Keys {
	for _, p := range m.keys {
		if strings.HasPrefix(pan, p.prefix) {
			return p.keys
		}
	}
	return nil
}

// carve returns the next element of a slab, starting a new slab when the
// current one is full (elements never move, so pointers to them stay good).
func carve[T any](slab *[]T) *T {
	if len(*slab) == cap(*slab) {
		*slab = make([]T, 0, 4096)
	}
	*slab = (*slab)[:len(*slab)+1]
	return &(*slab)[len(*slab)-1]
}

func copyControls(c *portfolio.Controls) portfolio.Controls {
	if c == nil {
		return portfolio.Controls{}
	}
	return *c // the slices are never written by the model
}

// Cards returns every card in file order. The slice and the cards' exported
// fields must not be modified.
func (m *Model) Cards() []*Card {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.list
}

// CardByID returns the card with the portfolio id.
func (m *Model) CardByID(id string) (*Card, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.byID[id]
	return c, ok
}

// CardByPAN returns the card with the PAN.
func (m *Model) CardByPAN(pan string) (*Card, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.cards[pan]
	return c, ok
}

// CVV returns the card's verification value for the expiry and service
// code ("000" for CVV2/CVC2), or "" when no card_keys cover the card.
func (c *Card) CVV(expiry, serviceCode string) string {
	if c.keys == nil {
		return ""
	}
	v, err := c.keys.Compute(c.PAN, expiry, serviceCode)
	if err != nil {
		return ""
	}
	return v
}

// HasKeys reports whether card_keys cover the card.
func (c *Card) HasKeys() bool { return c.keys != nil }

// levels returns the account's, the cardholder's and the card's level, in
// the order controls are checked.
func (c *Card) levels() []*level { return c.lv }

// Controlled reports whether any level of the card has controls.
func (c *Card) Controlled() bool {
	for _, l := range c.levels() {
		if !l.controls.Empty() {
			return true
		}
	}
	return false
}

// BlocksCategory reports whether a control on any level of the card
// declines the merchant category.
func (c *Card) BlocksCategory(mcc string) bool {
	for _, l := range c.levels() {
		if slices.Contains(l.controls.BlockedCategories, mcc) ||
			len(l.controls.AllowedCategories) > 0 && !slices.Contains(l.controls.AllowedCategories, mcc) {
			return true
		}
	}
	return false
}

// Balance returns an account's posted and available balance.
func (m *Model) Balance(accountID string) (posted, available int64, ok bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	a := m.accounts[accountID]
	if a == nil {
		return 0, 0, false
	}
	return a.posted, a.available(), true
}

func (a *Account) available() int64 { return a.posted + a.Credit - a.pending }

// Headroom returns how much more the card can be approved at a merchant of
// the category, and how many more approvals, before funds, an interval
// limit or a velocity control could decline it: the lowest headroom over
// its account, cardholder and card. Counts without a velocity control are
// math.MaxInt.
func (m *Model) Headroom(c *Card, mcc string, now time.Time) (amount int64, approvals int) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	amount, approvals = c.Account.available(), math.MaxInt
	for _, l := range c.levels() {
		for _, lim := range l.controls.SpendingLimits {
			if lim.Interval == portfolio.PerAuthorization || !limitApplies(lim, mcc) {
				continue
			}
			total, _ := l.total(lim, now)
			amount = min(amount, lim.Amount-total)
		}
		for _, v := range l.controls.Velocity {
			n, _ := l.count(time.Duration(v.WindowSeconds)*time.Second, now)
			approvals = min(approvals, v.Count-n)
		}
	}
	return max(amount, 0), max(approvals, 0)
}

// RecordAuthCode keeps the field 38 the switch gave an answered request,
// so that a repeat of it is expected to carry the same.
func (m *Model) RecordAuthCode(a *spec.Authorization, code string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var kb [keyBufLen]byte
	if e := m.answered[string(appendRequestKey(kb[:0], a))]; e != nil && e.AuthCode == "" {
		e.AuthCode = code
	}
}

// Expect returns the answer the switch owes a, and updates the model as
// the switch must. It returns an error wrapping ErrAmbiguous, and changes
// nothing, when the contract leaves the answer open.
func (m *Model) Expect(a *spec.Authorization, now time.Time) (Expected, error) {
	return m.evaluate(a, now, true)
}

// Peek is Expect without the update.
func (m *Model) Peek(a *spec.Authorization, now time.Time) (Expected, error) {
	return m.evaluate(a, now, false)
}

func (m *Model) evaluate(a *spec.Authorization, now time.Time, apply bool) (Expected, error) {
	if apply {
		m.mu.Lock()
		defer m.mu.Unlock()
	} else {
		m.mu.RLock()
		defer m.mu.RUnlock()
	}
	now = now.UTC()
	if a.Kind == spec.KindNetworkManagement {
		return Expected{Code: "00", Reason: "network_management"}, nil
	}
	var kb [keyBufLen]byte
	key := appendRequestKey(kb[:0], a)
	if prev := m.answered[string(key)]; prev != nil {
		e := *prev
		e.Repeat = true
		return e, nil
	}
	var (
		e   Expected
		err error
	)
	switch a.Kind {
	case spec.KindAuthorization:
		e, err = m.authorize(a, now, apply)
	case spec.KindAdvice:
		e, err = m.advice(a, now, apply)
	case spec.KindReversal, spec.KindReversalAdvice:
		e, err = m.reverse(a, apply)
	default:
		return Expected{}, fmt.Errorf("%w: message kind %v", ErrAmbiguous, a.Kind)
	}
	if err != nil || !apply {
		return e, err
	}
	stored := e
	m.answered[string(key)] = &stored
	return e, nil
}

// keyBufLen is room for a request, original or life-cycle key built on the
// stack: lookups with them allocate nothing.
const keyBufLen = 96

// appendRequestKey appends the identity of a request as the switch
// recognises repeats: network, message class (the repeat digit excluded),
// STAN, transmission time and acquirer.
func appendRequestKey(dst []byte, a *spec.Authorization) []byte {
	dst = append(dst, byte('0'+a.Network), byte('0'+a.Kind), '|')
	dst = append(dst, a.STAN...)
	dst = append(dst, '|')
	dst = append(dst, a.TransmissionTime...)
	dst = append(dst, '|')
	return append(dst, strings.TrimLeft(a.AcquirerID, "0")...)
}

// appendOriginalKey appends the identity of an authorization as a
// reversal's field 90 names it, with the card.
func appendOriginalKey(dst []byte, pan, stan, transmission, acquirer string) []byte {
	dst = append(dst, pan...)
	dst = append(dst, '|')
	dst = append(dst, stan...)
	dst = append(dst, '|')
	dst = append(dst, transmission...)
	dst = append(dst, '|')
	return append(dst, strings.TrimLeft(acquirer, "0")...)
}

// LifecycleKey returns the network life-cycle key of a request: Visa's
// transaction id (62.2); Mastercard's Banknet reference with DE 15.
func LifecycleKey(a *spec.Authorization) string {
	var b [keyBufLen]byte
	return string(appendLifecycleKey(b[:0], a))
}

func appendLifecycleKey(dst []byte, a *spec.Authorization) []byte {
	if a.TransactionID == "" {
		return dst
	}
	if a.Network == spec.Mastercard {
		dst = append(dst, "mc|"...)
		dst = append(dst, a.TransactionID...)
		dst = append(dst, '|')
		return append(dst, a.SettlementDate...)
	}
	dst = append(dst, "visa|"...)
	return append(dst, a.TransactionID...)
}

func ambiguous(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrAmbiguous}, args...)...)
}
