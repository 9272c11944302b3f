package resource

// Request bodies. Fields left out take the defaults noted; update bodies
// change only the fields they carry.

// AccountCreateParams creates an account. ID is generated (acct_…) when
// empty; Status defaults to active. Balance is the opening posted balance.
type AccountCreateParams struct {
	ID          string    `json:"id,omitempty"`
	Currency    string    `json:"currency"`
	Balance     int64     `json:"balance,omitempty"`
	CreditLimit int64     `json:"credit_limit,omitempty"`
	Status      string    `json:"status,omitempty"`
	Controls    *Controls `json:"controls,omitempty"`
}

// AccountUpdateParams changes an account's status, credit limit or
// controls (null removes them).
type AccountUpdateParams struct {
	Status      *string         `json:"status,omitempty"`
	CreditLimit *int64          `json:"credit_limit,omitempty"`
	Controls    Patch[Controls] `json:"controls,omitzero"`
}

// AdjustParams funds or debits an account by Amount (> 0; a debit takes it
// away).
type AdjustParams struct {
	Amount      int64  `json:"amount"`
	Description string `json:"description,omitempty"`
}

// CardholderCreateParams creates a cardholder of an existing account.
type CardholderCreateParams struct {
	ID       string    `json:"id,omitempty"`
	Account  string    `json:"account"`
	Status   string    `json:"status,omitempty"`
	Controls *Controls `json:"controls,omitempty"`
}

// CardholderUpdateParams changes a cardholder's status or controls.
type CardholderUpdateParams struct {
	Status   *string         `json:"status,omitempty"`
	Controls Patch[Controls] `json:"controls,omitzero"`
}

// CardCreateParams creates a card. PAN is its number: the only time it
// crosses the API; every answer shows last4 instead.
type CardCreateParams struct {
	ID                 string    `json:"id,omitempty"`
	PAN                string    `json:"pan"`
	Expiry             string    `json:"expiry"`
	Network            string    `json:"network"`
	Account            string    `json:"account"`
	Cardholder         string    `json:"cardholder,omitempty"`
	Status             string    `json:"status,omitempty"`
	CancellationReason string    `json:"cancellation_reason,omitempty"`
	Controls           *Controls `json:"controls,omitempty"`
}

// CardUpdateParams changes a card: its status (canceled is final, with an
// optional cancellation_reason lost or stolen), expiry or controls.
type CardUpdateParams struct {
	Status             *string         `json:"status,omitempty"`
	CancellationReason *string         `json:"cancellation_reason,omitempty"`
	Expiry             *string         `json:"expiry,omitempty"`
	Controls           Patch[Controls] `json:"controls,omitzero"`
}

// CardKeysParams is a card verification key pair, 16 hex digits each.
type CardKeysParams struct {
	CVKA string `json:"cvk_a"`
	CVKB string `json:"cvk_b"`
}

// ProgramRuleParams is one program rule as written.
type ProgramRuleParams struct {
	Name         string `json:"name"`
	Expression   string `json:"expression"`
	ResponseCode string `json:"response_code,omitempty"`
	Description  string `json:"description,omitempty"`
}

// ProgramRulesParams replaces the whole set of program rules.
type ProgramRulesParams struct {
	Rules []ProgramRuleParams `json:"rules"`
}

// HoldCaptureParams captures a hold for Amount (> 0), which may differ
// from what was held (tips, fuel). Account, when given, names the hold's
// account; otherwise the authorization index finds it.
type HoldCaptureParams struct {
	Amount  int64  `json:"amount"`
	Account string `json:"account,omitempty"`
}

// HoldReleaseParams releases Amount of a hold; 0 or absent releases it
// all. Account is as for a capture.
type HoldReleaseParams struct {
	Amount  int64  `json:"amount,omitempty"`
	Account string `json:"account,omitempty"`
}

// CaptureParams is a settlement file's presentment, matched to its hold by
// the network's life-cycle key. Amount is in Currency, the account's; a
// negative amount is a refund's credit. IdempotencyKey may be given here
// or as the Idempotency-Key header.
type CaptureParams struct {
	Network        string `json:"network"`
	LifecycleKey   string `json:"lifecycle_key"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	Date           string `json:"date"` // YYYY-MM-DD
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}
