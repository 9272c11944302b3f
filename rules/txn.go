package rules

import (
	"errors"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules/program"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
	"github.com/authswitch/authswitch/spec/cvv"
)

// txn is one request on its way through the checks: the request, the
// reference data it resolved, what the checks found, and the ledger
// request they build. Engines pool them: nothing on the hot path
// allocates one.
type txn struct {
	txnState
	// Room for the limits and velocity controls of a request, reused.
	limitBuf [24]ledger.Limit
	velBuf   [8]ledger.Velocity
}

type txnState struct {
	e   *Engine
	a   *spec.Authorization
	now time.Time

	tok         refdata.Token
	card        *refdata.Card
	holder      *refdata.Cardholder
	account     *refdata.Account
	refErr      error // the store failed (not "not found") on one of the above
	holderGone  bool  // the card names a cardholder the store does not have
	accountGone bool  // the card names an account the store does not have

	// What the account is charged: the billing amount (field 6, currency
	// 51) when present, else the transaction amount (4, 49).
	charge         int64
	chargeCurrency spec.Currency
	chargeKnown    bool // the charged currency is a known ISO 4217 code
	txnCurrency    spec.Currency
	txnKnown       bool

	cvv2, cvv byte // card verification results so far

	// limitsPending: the controls check gathered limits or velocity that
	// only the ledger can evaluate, and nothing has yet.
	limitsPending bool

	req      ledger.Authorize // built up by the checks; the funds check sends it
	result   ledger.Result    // the ledger's answer, once the funds check ran
	memo     memo             // what was sent with it
	recorded bool             // the ledger has recorded the request (result and memo are set)

	rules   *programSet // the program rules this request was decided with
	ruleHit int         // index of the program rule that declined
	progIn  program.Input
}

// reset starts a request on a clean txn (release leaves it clean).
func (t *txn) reset(e *Engine, a *spec.Authorization) {
	t.e, t.a, t.ruleHit = e, a, -1
	t.req.Limits = t.limitBuf[:0]
	t.req.Velocity = t.velBuf[:0]
}

// release returns t to its clean state, dropping every reference a pooled
// txn would otherwise keep alive.
func (t *txn) release() {
	clear(t.limitBuf[:min(len(t.req.Limits), len(t.limitBuf))])
	clear(t.velBuf[:min(len(t.req.Velocity), len(t.velBuf))])
	t.txnState = txnState{}
}

// prepare resolves the reference data and derives what the checks read.
// Missing data is not an error here: the checks decide what it means.
func (t *txn) prepare(key *ledger.RequestKey) {
	e, a := t.e, t.a
	t.now = e.now()
	t.tok = e.store.Tokenizer().Token(a.PAN)
	ref, err := e.store.Resolve(&t.tok)
	if err != nil && !errors.Is(err, refdata.ErrNotFound) {
		t.refErr = err
	}
	if c := ref.Card; c != nil {
		t.card, t.account, t.holder = c, ref.Account, ref.Cardholder
		t.accountGone = ref.Account == nil && err == nil
		t.holderGone = c.Cardholder != "" && ref.Cardholder == nil && err == nil
	}

	t.txnCurrency, t.txnKnown = spec.CurrencyByNumeric(a.Currency)
	if a.HasBilling {
		t.charge = a.BillingAmount
		t.chargeCurrency, t.chargeKnown = spec.CurrencyByNumeric(a.BillingCurrency)
	} else {
		t.charge = a.Amount
		t.chargeCurrency, t.chargeKnown = t.txnCurrency, t.txnKnown
	}
	if a.Type == spec.TxnBalanceInquiry && a.Currency == 0 && t.account != nil {
		// An inquiry need not name a currency: it asks in the account's.
		t.chargeCurrency, t.chargeKnown = spec.CurrencyByAlpha(t.account.Currency)
		t.txnCurrency, t.txnKnown = t.chargeCurrency, t.chargeKnown
	}

	if a.CVV2Present {
		t.cvv2 = 'P'
	}
	if a.TrackCVV != "" {
		t.cvv = 'P'
	}

	r := &t.req
	r.Key = *key
	r.Lifecycle = ledger.MakeLifecycleKey(ledger.Network(a.Network), a.LifecycleKey)
	r.Amount = t.charge
	r.Currency = t.chargeCurrency.Alpha
	r.MCC = a.MCC
	r.At = t.now
	r.AllowPartial = a.PartialSupported
	switch a.Type {
	case spec.TxnRefund, spec.TxnBalanceInquiry, spec.TxnAccountVerification:
		r.NoHold = true
		if a.Type != spec.TxnRefund {
			r.Amount = 0
		}
	}
	if c := t.card; c != nil {
		r.Account, r.Cardholder, r.Card = c.Account, c.Cardholder, c.ID
		r.Original = ledger.MakeOriginalKey(ledger.Network(a.Network), a.STAN, a.TransmissionTime, a.AcquirerID, c.ID)
	}
	t.describe()
}

// describe fills the journal's descriptor of the request: no card data,
// the card by its id and last four digits.
func (t *txn) describe() {
	a, d := t.a, &t.req.Descriptor
	d.Network = a.Network.String()
	d.Kind = a.Kind.String()
	d.MTI, d.STAN, d.RRN, d.TransactionID = a.MTI, a.STAN, a.RRN, a.TransactionID
	if t.card != nil {
		d.CardToken, d.Last4 = t.card.ID, t.card.Last4
	} else if len(a.PAN) >= 4 {
		d.Last4 = a.PAN[len(a.PAN)-4:]
	}
	d.Amount = a.Amount
	d.Currency = t.txnCurrency.Alpha
	d.MerchantName, d.MerchantCity, d.Country = a.MerchantName, a.MerchantCity, a.MerchantCountry
	d.MCC, d.TerminalID = a.MCC, a.TerminalID
}

// keys returns the card verification keys for the request's PAN.
func (t *txn) keys() (*cvv.Keys, bool) {
	k, ok := t.e.store.Keys(t.a.PAN)
	if !ok {
		return nil, false
	}
	return k.Keys, true
}

// programInput fills the program rules' view of the request.
func (t *txn) programInput() *program.Input {
	a, in := t.a, &t.progIn
	in.Amount = a.Amount
	in.Currency = t.txnCurrency.Alpha
	in.BillingAmount = t.charge
	in.BillingCurrency = t.chargeCurrency.Alpha
	in.MCC = a.MCC
	in.Country = a.MerchantCountry
	in.Network = a.Network.String()
	in.Type = a.Type.String()
	in.EntryMode = a.Entry.String()
	in.AcquirerCountry = a.AcquirerCountry
	in.AcquirerID = a.AcquirerID
	in.TerminalID = a.TerminalID
	in.MerchantName = a.MerchantName
	in.MerchantCity = a.MerchantCity
	in.PartialSupported = a.PartialSupported
	if c := t.card; c != nil {
		in.CardID, in.CardholderID, in.AccountID = c.ID, c.Cardholder, c.Account
	}
	in.At = t.now
	return in
}
