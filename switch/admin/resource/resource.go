package resource

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Object names, the value of every object's "object" field.
const (
	ObjectList          = "list"
	ObjectAccount       = "account"
	ObjectCardholder    = "cardholder"
	ObjectCard          = "card"
	ObjectCardKeys      = "card_keys"
	ObjectProgramRule   = "program_rule"
	ObjectAuthorization = "authorization"
	ObjectHold          = "hold"
	ObjectAdjustment    = "adjustment"
	ObjectCapture       = "capture"
	ObjectRelease       = "release"
)

// Id prefixes of the objects the switch names itself (accounts,
// cardholders and cards keep the ids their portfolio gave them; these are
// the prefixes of the ids the API generates when a create names none).
const (
	PrefixAccount       = "acct_"
	PrefixCardholder    = "ch_"
	PrefixCard          = "card_"
	PrefixAuthorization = "auth_"
	PrefixHold          = "hold_"
	PrefixAdjustment    = "adj_"
	PrefixCapture       = "cap_"
	PrefixRelease       = "rel_"
	// PrefixJournalEntry is the feed's record id prefix ("je_<seq>"): an
	// object made by a ledger operation names its journal entry with it.
	PrefixJournalEntry = "je_"
)

// List is a page of objects, newest first where the list is ordered by
// time. HasMore says another page follows: ask again with starting_after
// set to the last object's id.
type List[T any] struct {
	Object  string `json:"object"` // "list"
	Data    []T    `json:"data"`
	HasMore bool   `json:"has_more"`
	URL     string `json:"url"`
}

// NewList returns a list object of data (never a null "data").
func NewList[T any](url string, data []T, hasMore bool) List[T] {
	if data == nil {
		data = []T{}
	}
	return List[T]{Object: ObjectList, Data: data, HasMore: hasMore, URL: url}
}

// Controls are spending controls, as in a portfolio file: categories,
// countries, spending limits and velocity. On an account, a cardholder or
// a card; every control that applies must pass.
type Controls struct {
	AllowedCategories []string        `json:"allowed_categories,omitempty"`
	BlockedCategories []string        `json:"blocked_categories,omitempty"`
	AllowedCountries  []string        `json:"allowed_countries,omitempty"`
	BlockedCountries  []string        `json:"blocked_countries,omitempty"`
	SpendingLimits    []SpendingLimit `json:"spending_limits,omitempty"`
	Velocity          []Velocity      `json:"velocity,omitempty"`
}

// SpendingLimit caps the approved amount of one authorization or of a
// calendar interval (UTC): per_authorization, daily, weekly, monthly,
// yearly, all_time. Categories, when set, restrict it to those MCCs.
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

// Balances are an account's live balances in the ledger. Available is
// posted + credit_limit − pending.
type Balances struct {
	Currency    string `json:"currency"`
	Posted      int64  `json:"posted"`
	CreditLimit int64  `json:"credit_limit"`
	Pending     int64  `json:"pending"`
	Available   int64  `json:"available"`
}

// Account holds the funds cards spend.
type Account struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	// Created is when the API created the account; null for an account
	// that came from a portfolio file.
	Created     *int64     `json:"created"`
	Currency    string     `json:"currency"`
	Status      string     `json:"status"` // active, frozen, closed
	CreditLimit int64      `json:"credit_limit"`
	Balances    Balances   `json:"balances"`
	Controls    *Controls  `json:"controls"`
	Holds       List[Hold] `json:"holds"` // the open holds, oldest first
}

// Hold is money reserved by approved authorizations, until it is
// captured, reversed, released or expires.
type Hold struct {
	ID             string `json:"id"`
	Object         string `json:"object"`
	Account        string `json:"account"`
	Card           string `json:"card"`
	Cardholder     string `json:"cardholder,omitempty"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	MerchantCat    string `json:"merchant_category,omitempty"`
	LifecycleKey   string `json:"lifecycle_key,omitempty"`
	Created        int64  `json:"created"`    // the first authorization
	ExpiresAt      int64  `json:"expires_at"` // released then unless captured
	Authorizations int    `json:"authorizations"`
}

// Cardholder is the person (or team) cards belong to.
type Cardholder struct {
	ID       string    `json:"id"`
	Object   string    `json:"object"`
	Created  *int64    `json:"created"`
	Account  string    `json:"account"`
	Status   string    `json:"status"` // active, inactive, blocked
	Controls *Controls `json:"controls"`
}

// Card is a card as the switch keeps it: its last four digits, never its
// number.
type Card struct {
	ID                 string    `json:"id"`
	Object             string    `json:"object"`
	Created            *int64    `json:"created"`
	Last4              string    `json:"last4"`
	Expiry             string    `json:"expiry"` // YYMM
	Network            string    `json:"network"`
	Account            string    `json:"account"`
	Cardholder         *string   `json:"cardholder"`
	Status             string    `json:"status"`              // active, inactive, canceled
	CancellationReason *string   `json:"cancellation_reason"` // lost, stolen (canceled cards)
	Controls           *Controls `json:"controls"`
}

// CardKeys describes a card verification key pair by its key check value;
// the keys themselves never leave the switch.
type CardKeys struct {
	Object        string `json:"object"`
	PANPrefix     string `json:"pan_prefix"`
	KeyCheckValue string `json:"key_check_value"`
}

// ProgramRule is one of the program's own rules: a CEL expression that
// declines an authorization when true.
type ProgramRule struct {
	Object       string `json:"object"`
	Name         string `json:"name"`
	Expression   string `json:"expression"`
	ResponseCode string `json:"response_code"`
	Description  string `json:"description,omitempty"`
}

// Merchant is where an authorization came from.
type Merchant struct {
	Name       string `json:"name"`
	City       string `json:"city"`
	Country    string `json:"country"`  // ISO 3166 alpha-2
	Category   string `json:"category"` // MCC
	TerminalID string `json:"terminal_id"`
}

// Authorization is one network request the switch decided or recorded:
// an authorization, an advice, a reversal or a reversal advice, approved
// or declined, as its journal entry has it.
type Authorization struct {
	ID            string `json:"id"` // auth_<journal sequence>
	Object        string `json:"object"`
	Created       int64  `json:"created"`
	Kind          string `json:"kind"` // authorization, advice, reversal, reversal_advice
	Operation     string `json:"operation"`
	Network       string `json:"network"`
	MTI           string `json:"mti"`
	STAN          string `json:"stan"`
	RRN           string `json:"rrn"`
	TransactionID string `json:"transaction_id"`
	LifecycleKey  string `json:"lifecycle_key"`
	Card          string `json:"card"`
	CardLast4     string `json:"card_last4"`
	Account       string `json:"account"`
	Cardholder    string `json:"cardholder"`
	Amount        int64  `json:"amount"`   // as the network asked, minor units of Currency
	Currency      string `json:"currency"` // of the request
	// AccountAmount is the amount in the account's currency (the billing
	// amount when the network sent one).
	AccountAmount   int64    `json:"account_amount"`
	AccountCurrency string   `json:"account_currency"`
	ApprovedAmount  int64    `json:"approved_amount"`
	ReleasedAmount  int64    `json:"released_amount"`
	Merchant        Merchant `json:"merchant"`
	Approved        bool     `json:"approved"`
	Decision        string   `json:"decision"` // approved, declined, ...
	Reason          string   `json:"reason"`
	ResponseCode    string   `json:"response_code"`
	AuthCode        string   `json:"auth_code"`
	Hold            *string  `json:"hold"`
	HoldAmount      int64    `json:"hold_amount"` // the hold after this request
	PartialAllowed  bool     `json:"partial_allowed"`
	Forced          bool     `json:"forced"` // an advice: the network had decided
	JournalEntry    string   `json:"journal_entry"`
}

// BalanceAfter is an account's balances right after a ledger operation.
type BalanceAfter struct {
	Posted    int64 `json:"posted"`
	Available int64 `json:"available"`
}

// Adjustment is an operator's funding (positive amount) or debit
// (negative) of an account's posted balance.
type Adjustment struct {
	ID           string       `json:"id"` // adj_<journal sequence>
	Object       string       `json:"object"`
	Created      int64        `json:"created"`
	Account      string       `json:"account"`
	Amount       int64        `json:"amount"`
	Currency     string       `json:"currency"`
	Description  string       `json:"description"`
	BalanceAfter BalanceAfter `json:"balance_after"`
	JournalEntry string       `json:"journal_entry"`
}

// Capture turns a hold into a posting (clearing's presentment). Hold is
// null when no hold matched: the amount was posted anyway, the money
// having been spent.
type Capture struct {
	ID             string       `json:"id"` // cap_<journal sequence>
	Object         string       `json:"object"`
	Created        int64        `json:"created"`
	Account        string       `json:"account"`
	Hold           *string      `json:"hold"`
	Amount         int64        `json:"amount"`
	Currency       string       `json:"currency"`
	ReleasedAmount int64        `json:"released_amount"` // the hold's amount it replaced
	Network        string       `json:"network,omitempty"`
	LifecycleKey   string       `json:"lifecycle_key,omitempty"`
	Date           string       `json:"date,omitempty"` // settlement date, YYYY-MM-DD
	BalanceAfter   BalanceAfter `json:"balance_after"`
	JournalEntry   string       `json:"journal_entry"`
}

// Release is an operator's release of a hold, whole or in part.
type Release struct {
	ID           string       `json:"id"` // rel_<journal sequence>
	Object       string       `json:"object"`
	Created      int64        `json:"created"`
	Account      string       `json:"account"`
	Hold         string       `json:"hold"`
	Amount       int64        `json:"amount"`      // released
	HoldAmount   int64        `json:"hold_amount"` // what is left of the hold
	Currency     string       `json:"currency"`
	BalanceAfter BalanceAfter `json:"balance_after"`
	JournalEntry string       `json:"journal_entry"`
}

// Error types.
const (
	ErrorTypeInvalidRequest = "invalid_request_error"
	ErrorTypeAPI            = "api_error"
	ErrorTypeAuthentication = "authentication_error"
)

// Error is the body of every error answer: {"error":{...}}.
type Error struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Param   string `json:"param,omitempty"`
	// Status is the HTTP status the error came with (not on the wire).
	Status int `json:"-"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s (%s, %d): %s [param %s]", e.Code, e.Type, e.Status, e.Message, e.Param)
	}
	return fmt.Sprintf("%s (%s, %d): %s", e.Code, e.Type, e.Status, e.Message)
}

// ErrorBody wraps an Error as it goes on the wire.
type ErrorBody struct {
	Error *Error `json:"error"`
}

// Patch is a field of an update that can be left alone (absent), removed
// (null) or set (a value): absent fields are not in the JSON at all.
type Patch[T any] struct {
	Set   bool // the field was present
	Value *T   // nil: null, remove it
}

// SetTo returns a patch that sets the field to v.
func SetTo[T any](v T) Patch[T] { return Patch[T]{Set: true, Value: &v} }

// Remove returns a patch that removes the field (JSON null).
func Remove[T any]() Patch[T] { return Patch[T]{Set: true} }

// IsZero reports an absent field, for the omitzero option.
func (p Patch[T]) IsZero() bool { return !p.Set }

// MarshalJSON writes the value or null.
func (p Patch[T]) MarshalJSON() ([]byte, error) {
	if p.Value == nil {
		return []byte("null"), nil
	}
	return json.Marshal(p.Value)
}

// UnmarshalJSON reads a value or null, refusing unknown fields inside it.
func (p *Patch[T]) UnmarshalJSON(b []byte) error {
	p.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		p.Value = nil
		return nil
	}
	v := new(T)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	p.Value = v
	return nil
}
