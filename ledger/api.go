package ledger

// This file is the ledger's contract with the rest of the switch. The
// rules engine and the sessions call only what is declared here.

import "time"

// Network is the card network a hold came from, as a small number so that
// keys stay fixed-size (1 Visa, 2 Mastercard; the values of spec.Network).
type Network uint8

// RequestKey identifies one request as the network sent it: network, MTI
// class, STAN, transmission time and acquirer, packed by the caller into a
// fixed array (see MakeRequestKey). A retransmission or repeat (0101, 0121,
// 0401, 0421) of an answered request has the same key.
type RequestKey [32]byte

// LifecycleKey identifies a whole authorization life cycle at its network
// (Visa 62.2 transaction id; Mastercard Banknet reference + DE 15), with the
// network in its first byte. The zero value means "none".
type LifecycleKey [24]byte

// OriginalKey identifies an original request the way a reversal's field 90
// names it: original STAN, transmission time and acquirer id, plus the card.
// The zero value means "none".
type OriginalKey [48]byte

// Memo is a small opaque value the caller stores with a request's result
// (the rules engine keeps there what it decided before the ledger: card
// verification results, the check that decided). A repeat gets it back.
type Memo [16]byte

// Scope says whose spending a control counts.
type Scope uint8

const (
	ScopeAccount Scope = iota
	ScopeCardholder
	ScopeCard
)

// Interval is a spending-limit window; calendar windows are UTC.
type Interval uint8

const (
	PerAuthorization Interval = iota
	Daily                     // from 00:00 UTC
	Weekly                    // from Monday 00:00 UTC
	Monthly                   // from the 1st
	Yearly                    // from 1 January
	AllTime
)

// Limit is one spending limit that applies to a request. Categories, when
// not empty, restrict the limit to those merchant category codes (both what
// it counts and whether it applies to this request).
type Limit struct {
	Scope      Scope
	Interval   Interval
	Amount     int64
	Categories []string
}

// Velocity allows at most Count approved authorizations in any Window.
type Velocity struct {
	Scope  Scope
	Count  int
	Window time.Duration
}

// Status is the outcome of a ledger operation.
type Status uint8

const (
	Approved Status = iota + 1
	PartiallyApproved
	Declined
)

// Reason names why the ledger decided as it did. Reasons the ledger itself
// finds are below; ReasonExternal means the caller recorded a decision it
// made itself (its memo says which).
type Reason uint8

const (
	ReasonNone              Reason = iota
	ReasonInsufficientFunds        // available below the amount (51)
	ReasonLimitExceeded            // a per-authorization or interval limit (61)
	ReasonVelocityExceeded         // a velocity control (65)
	ReasonAlreadyReversed          // the reversal came first (05)
	ReasonAccountUnknown           // no such account in the ledger
	ReasonCurrencyMismatch         // amount not in the account's currency
	ReasonExternal                 // decided by the caller, recorded here
)

// Authorize is one authorization (0100/0101) or advice (0120/0121).
type Authorize struct {
	Key        RequestKey
	Lifecycle  LifecycleKey // an existing hold with this key grows (incremental)
	Original   OriginalKey  // how a later reversal by field 90 finds it
	Account    string
	Cardholder string // may be empty
	Card       string
	Amount     int64  // minor units of Currency, as charged to the account
	Currency   string // ISO 4217 alpha; must be the account's
	MCC        string // four digits; decides the hold's expiry and category limits
	At         time.Time

	AllowPartial bool       // the terminal accepts a partial approval
	Limits       []Limit    // every limit that applies, all levels, any interval
	Velocity     []Velocity // every velocity control that applies
	Force        bool       // an advice: the network already approved; place the hold whatever the balance
	NoHold       bool       // approve without a hold (refunds, balance inquiries, account verification)

	Memo       Memo
	Descriptor Descriptor
}

// Reverse is a reversal (0400/0401) or reversal advice (0420/0421). It
// finds its original by Original (field 90 + card) or, when that is zero or
// finds nothing, by Lifecycle (then it applies to the whole life cycle).
// ActualAmount > 0 makes it partial: the hold is released down to it.
type Reverse struct {
	Key          RequestKey
	Lifecycle    LifecycleKey
	Original     OriginalKey
	Account      string
	Card         string
	ActualAmount int64
	At           time.Time
	Memo         Memo
	Descriptor   Descriptor
}

// Decline records a decision made before the ledger (card unknown, card
// verification failed, a control, a program rule). Nothing changes but the
// journal and the request's remembered answer.
type Decline struct {
	Key        RequestKey
	Account    string // may be empty (card unknown)
	Card       string
	At         time.Time
	Memo       Memo
	Descriptor Descriptor
}

// Descriptor is what the journal carries about a request for the feed and
// for operators. The ledger stores it and never interprets it. It must not
// hold a PAN, track data, CVV or PIN block: cards appear as their token and
// last four.
type Descriptor struct {
	Network       string // "visa", "mastercard"
	Kind          string // "authorization", "advice", "reversal", ...
	MTI           string
	STAN          string
	RRN           string
	TransactionID string // Visa 62.2 / Banknet reference
	CardToken     string
	Last4         string
	Amount        int64  // as requested, minor units of Currency
	Currency      string // ISO 4217 alpha of the request
	MerchantName  string
	MerchantCity  string
	Country       string // alpha-2
	MCC           string
	TerminalID    string
	Decision      string // "approved", "declined", ...
	Reason        string // words: "insufficient_funds", "card_inactive", ...
	ResponseCode  string
	AuthCode      string

	// Operator's writes (fund, debit, capture, release by the admin API)
	// and audit records (OpAudit). None may hold a PAN or a key: an
	// operation whose one of these looks like a card number (12 or more
	// consecutive digits) or is longer than its bound is refused
	// (ReasonSensitiveData, ReasonInvalidRequest) and nothing is journaled.
	Actor     string // who: the admin token's name (≤ 64 bytes)
	Action    string // what: "card.update", "account.fund", ... (≤ 64 bytes)
	Object    string // the object's id (≤ 128 bytes)
	RequestID string // the admin request's id (≤ 64 bytes)
	Note      string // a short free text (≤ 256 bytes)
}

// Result is what an operation did. A repeat of a known request returns the
// stored Result with Repeat set and changes nothing.
type Result struct {
	Status   Status
	Reason   Reason
	Repeat   bool
	Approved int64 // amount approved (partial: less than asked)
	HoldID   uint64
	Hold     int64 // the hold's amount after the operation
	Released int64 // for reversals: amount released

	Posted    int64 // account posted balance after the operation
	Available int64 // posted + credit limit − pending, after the operation
	Currency  string

	Seq  uint64 // journal sequence number of the entry; wait on it before answering
	Memo Memo
}

// Balance is an account's balances.
type Balance struct {
	Currency    string
	Posted      int64
	CreditLimit int64
	Pending     int64
	Available   int64
}

// Reasons added after the first contract.
const (
	ReasonInvalidAmount Reason = iota + ReasonExternal + 1 // a negative amount, or a capture of nothing
	ReasonHoldUnknown                                      // capture or release names no hold of the account
	ReasonUnavailable                                      // the ledger is closed or its journal failed
)

// Reasons added with audit records and required holds.
const (
	ReasonInvalidRequest Reason = iota + ReasonUnavailable + 1 // a required field missing, or one too long
	ReasonSensitiveData                                        // a free-text field looks like a card number: refused, not journaled
)

// String returns the reason in the words the feed and the metrics use.
func (r Reason) String() string {
	switch r {
	case ReasonNone:
		return "none"
	case ReasonInsufficientFunds:
		return "insufficient_funds"
	case ReasonLimitExceeded:
		return "limit_exceeded"
	case ReasonVelocityExceeded:
		return "velocity_exceeded"
	case ReasonAlreadyReversed:
		return "already_reversed"
	case ReasonAccountUnknown:
		return "account_unknown"
	case ReasonCurrencyMismatch:
		return "currency_mismatch"
	case ReasonExternal:
		return "external"
	case ReasonInvalidAmount:
		return "invalid_amount"
	case ReasonHoldUnknown:
		return "hold_unknown"
	case ReasonUnavailable:
		return "unavailable"
	case ReasonInvalidRequest:
		return "invalid_request"
	case ReasonSensitiveData:
		return "sensitive_data"
	}
	return "unknown"
}

// String returns the status in the words the feed and the metrics use.
func (s Status) String() string {
	switch s {
	case Approved:
		return "approved"
	case PartiallyApproved:
		return "partially_approved"
	case Declined:
		return "declined"
	}
	return "unknown"
}

// Capture is clearing's presentment: it turns a hold into a posting for
// Amount, which may differ from what was held (tips, fuel, currency). It
// finds the hold by HoldID or, when that finds none, by Lifecycle. A
// capture that finds no hold (it expired, or the network never asked)
// still posts — the money was spent — unless RequireHold is set: then it
// is declined ReasonHoldUnknown and nothing moves (an operator capturing a
// hold by its id). Amount may be negative for a refund's credit.
type Capture struct {
	Key         RequestKey // clearing's own idempotency key
	Account     string
	HoldID      uint64
	Lifecycle   LifecycleKey
	RequireHold bool // decline rather than post when no hold is found
	Amount      int64
	MCC         string // counts a capture without a hold in category limits
	At          time.Time
	Memo        Memo
	Descriptor  Descriptor
}

// Release is an operator's release of a hold, whole (Amount 0) or in part.
type Release struct {
	Key        RequestKey
	Account    string
	HoldID     uint64
	Amount     int64 // 0 releases the whole hold
	At         time.Time
	Memo       Memo
	Descriptor Descriptor
}

// Adjust funds (Amount > 0) or debits (Amount < 0) an account's posted
// balance, as an operator or a program decides. A debit larger than the
// available balance is declined unless Force is set.
type Adjust struct {
	Key        RequestKey
	Account    string
	Amount     int64
	Force      bool
	At         time.Time
	Memo       Memo
	Descriptor Descriptor
}

// Audit is an operator's write — a card updated, an account funded, keys
// loaded — recorded in the journal as an OpAudit entry so that the feed
// carries it with the money. Nothing but the journal (and, with a Key, the
// remembered answer) changes. Actor and Action are required; no field may
// look like a card number or exceed its bound (see Descriptor).
type Audit struct {
	Key       RequestKey // optional: a repeat of the same key records nothing more (ClassAdmin keys)
	Actor     string     // the admin token's name
	Action    string     // "card.update", "account.create", ...
	Object    string     // the object's id
	RequestID string     // the admin request's id
	Note      string     // a short free text
	Account   string     // optional: the account the object belongs to
	Ref       uint64     // optional: the journal entry of the money movement the write made
	At        time.Time
}

// HoldInfo describes one open hold.
type HoldInfo struct {
	ID         uint64
	Lifecycle  LifecycleKey
	Amount     int64
	Card       string
	Cardholder string
	MCC        string
	Network    string    // the Descriptor.Network of the hold's first authorization
	Placed     time.Time // the first authorization of the hold
	Expires    time.Time
	Parts      int // authorizations that make it up (1 + incrementals)
}

// Op is the kind of a journal entry.
type Op uint8

const (
	OpAuthorize Op = iota + 1 // an authorization, approved or declined by the ledger
	OpAdvice                  // an advice (Force): the network decided
	OpReverse
	OpDecline // a decision made before the ledger, recorded
	OpCapture
	OpRelease
	OpExpire
	OpAdjust
	OpAccount // an account created or reloaded from the portfolio
	OpAudit   // an operator's write, recorded (RecordAudit); no money moves
)

// String returns the op's name as the feed writes it.
func (o Op) String() string {
	switch o {
	case OpAuthorize:
		return "authorize"
	case OpAdvice:
		return "advice"
	case OpReverse:
		return "reverse"
	case OpDecline:
		return "decline"
	case OpCapture:
		return "capture"
	case OpRelease:
		return "release"
	case OpExpire:
		return "expire"
	case OpAdjust:
		return "adjust"
	case OpAccount:
		return "account"
	case OpAudit:
		return "audit"
	}
	return "unknown"
}

// Entry is one journal entry: what happened, in sequence order, with all
// the feed's record needs and all a restart needs to apply it again.
// Result.Seq equals Seq.
type Entry struct {
	Seq  uint64
	Time time.Time // the request's time (expiry: the sweep's time)
	Op   Op

	Key        RequestKey
	Lifecycle  LifecycleKey
	Original   OriginalKey
	Account    string
	Cardholder string
	Card       string
	MCC        string
	Amount     int64  // requested (authorize), actual amount (reverse), captured, adjusted, balance (account)
	Currency   string // the account's currency
	Force      bool   // advice, forced adjustment
	NoHold     bool
	Partial    bool   // the request allowed a partial approval
	HoldRef    uint64 // the hold a capture or release named
	Expires    time.Time
	Credit     int64  // the credit limit an account entry set
	VelDepth   uint16 // the deepest velocity control the request carried
	VelScopes  uint8  // the scopes (bit 1<<Scope) its velocity controls are on; 0: all (entries before version 3)
	velKeep    int64  // the longest velocity window, ns; not journaled (replay keeps more, never less)
	Ref        uint64 // audit: the journal entry of the money movement the audited write made (0: none)

	Result     Result
	Descriptor Descriptor
}
