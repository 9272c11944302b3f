package rules

import (
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/rules/program"
	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

// Errors a Decision may carry (its answer is then 96). They are sentinels:
// the hot path never builds an error.
var (
	// ErrReferenceData: the reference store failed, or holds a card whose
	// cardholder or account it does not have.
	ErrReferenceData = errors.New("rules: reference data unavailable")
	// ErrLedgerUnavailable: the ledger is closed or its journal failed.
	ErrLedgerUnavailable = errors.New("rules: ledger unavailable")
)

// Options configure an Engine.
type Options struct {
	// Ledger holds balances, holds, limits and remembered answers.
	// Required. The engine does not close it.
	Ledger *ledger.Ledger

	// Store is an open reference store; the engine does not close it.
	// When nil the engine opens one from StoreDir, PANKey and CacheBytes
	// and closes it with Close.
	Store *refdata.Store
	// StoreDir is the reference store's Pebble directory; empty keeps it
	// in memory.
	StoreDir string
	// PANKey keys the HMAC that stands for PANs (at least 32 bytes).
	PANKey []byte
	// CacheBytes bounds the reference cache (default 256 MiB).
	CacheBytes int64

	// ProgramRules is the path of the program rule file (YAML, package
	// program); empty starts with none. ReloadProgramRules reads it again.
	ProgramRules string

	// Chain is the order of the checks by name (DefaultChain when empty).
	Chain []string

	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Registerer gets the engine's metrics when set.
	Registerer prometheus.Registerer
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Engine decides authorizations, records advices and applies reversals.
// It is safe for concurrent use.
type Engine struct {
	store    *refdata.Store
	ownStore bool
	ledger   *ledger.Ledger
	// accountSeq is the newest journal entry an account write made
	// (guarded by adminMu): admin writes and loads wait for it.
	accountSeq uint64
	chain      []link
	now        func() time.Time
	log        *slog.Logger
	metrics    *metrics
	txns       sync.Pool
	prog       atomic.Pointer[programSet]
	progMu     sync.Mutex // serializes rule loads
	progPath   string
	progCount  uint16     // generations handed out, under progMu
	adminMu    sync.Mutex // orders account writes, which touch the store and the ledger

	lastFailureLog   atomic.Int64 // unix nanoseconds of the last failure logged
	unloggedFailures atomic.Int64
}

// programSet is the current program rules with a generation number, so a
// memo can name the rule that declined.
type programSet struct {
	set        *program.Set
	generation uint16
	onError    func(rule int, err error)
	declines   []prometheus.Counter // by rule
}

// Decision is the engine's answer to one request.
type Decision struct {
	// Answer is what goes back to the network.
	Answer spec.Answer
	// Seq is the ledger's journal entry for the request: answer only once
	// it is durable (ledger.WaitDurable / OnDurable). 0 when nothing was
	// recorded (the ledger was unavailable).
	Seq uint64
	// Check is the check that decided ("sanity" … "funds", or "advice",
	// "reversal"); Reason says why in words ("insufficient_funds",
	// "program_rule:no_big_gambling", ...).
	Check, Reason string
	// Repeat is set when the request was answered before (a repeat or a
	// retransmission): the answer is the one given then, and nothing
	// changed.
	Repeat bool
	// HoldID is the hold the request placed, grew or released, if any.
	HoldID uint64
	// Err is set, to ErrReferenceData or ErrLedgerUnavailable, when the
	// answer is 96 because a part of the switch failed.
	Err error
}

// New builds an engine.
func New(opts Options) (*Engine, error) {
	if opts.Ledger == nil {
		return nil, errors.New("rules: a ledger is required")
	}
	e := &Engine{ledger: opts.Ledger, now: opts.Now, log: opts.Logger, store: opts.Store, progPath: opts.ProgramRules}
	if e.now == nil {
		e.now = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.txns.New = func() any { return new(txn) }
	chain, err := buildChain(e, opts.Chain)
	if err != nil {
		return nil, err
	}
	e.chain = chain
	e.metrics = newMetrics()
	e.prog.Store(&programSet{onError: e.programError(nil)})
	if e.progPath != "" {
		set, err := program.Load(e.progPath)
		if err != nil {
			return nil, err
		}
		e.installProgram(set)
	}
	if e.store == nil {
		st, err := refdata.Open(refdata.Options{Dir: opts.StoreDir, PANKey: opts.PANKey, CacheBytes: opts.CacheBytes, Logger: e.log})
		if err != nil {
			return nil, err
		}
		e.store, e.ownStore = st, true
	}
	if opts.Registerer != nil {
		if err := e.metrics.register(opts.Registerer, e.store); err != nil {
			e.Close()
			return nil, fmt.Errorf("rules: metrics: %w", err)
		}
	}
	authCodes() // build the authorization codes before the first request needs them
	return e, nil
}

// Close closes the reference store if the engine opened it.
func (e *Engine) Close() error {
	if e.ownStore {
		return e.store.Close()
	}
	return nil
}

// Store is the engine's reference store (for the admin API's reads).
func (e *Engine) Store() *refdata.Store { return e.store }

func (e *Engine) programs() *programSet { return e.prog.Load() }

// requestKey is a request's identity at the ledger: network, MTI class,
// STAN, transmission time and acquirer — the repeat digit of the MTI left
// out, so a repeat has the key of its original.
func requestKey(a *spec.Authorization) ledger.RequestKey {
	class := ledger.ClassOther
	switch a.Kind {
	case spec.KindAuthorization:
		class = ledger.ClassAuthorization
	case spec.KindAdvice:
		class = ledger.ClassAdvice
	case spec.KindReversal:
		class = ledger.ClassReversal
	case spec.KindReversalAdvice:
		class = ledger.ClassReversalAdvice
	}
	return ledger.MakeRequestKey(ledger.Network(a.Network), class, a.STAN, a.TransmissionTime, a.AcquirerID)
}

// Authorize decides an authorization (0100/0101): the checks in the
// configured order, the first that declines deciding, and the ledger. A
// request answered before gets the same answer again, from the ledger,
// and changes nothing.
//
// A repeat (0101) is looked up first. An exact retransmission of an 0100
// goes through the checks again, and the ledger, which knows its key,
// returns the remembered result instead of deciding again: the answer is
// built from that, so it is the same, and nothing changes.
func (e *Engine) Authorize(a *spec.Authorization) Decision {
	key := requestKey(a)
	if a.Repeat {
		if res, ok := e.ledger.Lookup(key); ok {
			return e.repeat(a, &res)
		}
	}
	t := e.txns.Get().(*txn)
	t.reset(e, a)
	t.prepare(&key)
	var v verdict
	at := checkNone
	for i := range e.chain {
		if v = e.chain[i].check.decide(t); v.decided() {
			at = e.chain[i].id
			if t.limitsPending && at != checkFunds {
				if lv := pendingLimits(t); lv.decided() {
					v, at = lv, checkControls
				}
			}
			break
		}
	}
	m := t.memo
	if !t.recorded {
		// Decided before the ledger: record the decline.
		m = newMemo(a, &key, t.cvv2, t.cvv)
		m.setDecision(at, v.reason, v.code)
		d := &t.req.Descriptor
		d.Decision, d.ResponseCode = "declined", v.code
		d.Reason = v.reason.String()
		if v.reason == reasonProgramRule && t.rules != nil {
			m.setRule(t.ruleHit, t.rules.generation)
			d.Reason = t.rules.set.Rule(t.ruleHit).Reason
		}
		t.result = e.ledger.RecordDecline(&ledger.Decline{Key: key, Account: t.req.Account, Card: t.req.Card,
			At: t.now, Memo: ledger.Memo(m), Descriptor: *d})
		if v.reason == reasonProgramRule && t.rules != nil && !t.result.Repeat {
			t.rules.declines[t.ruleHit].Inc()
		}
	}
	dec := e.decisionFrom(a, &t.result, &m)
	if dec.Repeat {
		e.metrics.repeats.Add(1)
	} else {
		e.metrics.count(dec.check, dec.reason, t.tok[0])
	}
	if dec.Err != nil {
		e.logFailure(a, &dec.Decision, t.req.Descriptor.CardToken)
	}
	t.release()
	e.txns.Put(t)
	return dec.Decision
}

// logFailure logs a decision a failing part of the switch shaped (the
// store or the ledger): at most one line a second, with how many went
// unlogged since, because a failure hits every request.
func (e *Engine) logFailure(a *spec.Authorization, d *Decision, card string) {
	now := time.Now().UnixNano()
	last := e.lastFailureLog.Load()
	if now-last < int64(time.Second) || !e.lastFailureLog.CompareAndSwap(last, now) {
		e.unloggedFailures.Add(1)
		return
	}
	e.log.Error("decision shaped by a failure", "code", d.Answer.ResponseCode, "check", d.Check, "reason", d.Reason,
		"err", d.Err, "kind", a.Kind.String(), "network", a.Network.String(), "stan", a.STAN, "card", card,
		"unlogged_before", e.unloggedFailures.Swap(0))
}

// Decide routes a request by its kind: Authorize, Advice or Reverse.
// Network management and unknown kinds are not decisions: they answer 12
// and record nothing.
func (e *Engine) Decide(a *spec.Authorization) Decision {
	switch a.Kind {
	case spec.KindAuthorization:
		return e.Authorize(a)
	case spec.KindAdvice:
		return e.Advice(a)
	case spec.KindReversal, spec.KindReversalAdvice:
		return e.Reverse(a)
	}
	return Decision{Answer: spec.Answer{ResponseCode: codeInvalidTransaction}, Check: checkSanity.String(),
		Reason: reasonTransactionNotSupported.String()}
}

// repeat answers a request the ledger remembers.
func (e *Engine) repeat(a *spec.Authorization, res *ledger.Result) Decision {
	dec := e.decisionFrom(a, res, nil)
	e.metrics.repeats.Add(1)
	return dec.Decision
}

// decision is a Decision with the ids the metrics count it by.
type decision struct {
	Decision
	check  checkID
	reason reason
}

// decisionFrom builds the answer from the ledger's result and the memo
// stored with it: the one function that answers both a new request and
// its repeats, so that they cannot differ. sent is the memo the engine
// sent, for results that carry none (the ledger was unavailable).
func (e *Engine) decisionFrom(a *spec.Authorization, res *ledger.Result, sent *memo) decision {
	m := memo(res.Memo)
	if !m.valid() && sent != nil {
		m = *sent
	}
	d := decision{Decision: Decision{Seq: res.Seq, Repeat: res.Repeat, HoldID: res.HoldID}}
	ans := &d.Answer
	ans.CVV2Result, ans.CVVResult = m[3], m[4]

	code, check, why := outcomeOf(res, &m)
	d.check, d.reason = check, why
	ans.ResponseCode = code
	d.Check = d.check.String()
	d.Reason = d.reason.String()
	switch d.reason {
	case reasonProgramRule:
		if ps := e.programs(); ps.generation == m.ruleGeneration() && int(m.ruleIndex()) < ps.set.Len() {
			d.Reason = ps.set.Rule(int(m.ruleIndex())).Reason
		}
	case reasonReferenceDataUnavailable, reasonVerificationUnavailable:
		d.Err = ErrReferenceData
	case reasonLedgerUnavailable:
		d.Err = ErrLedgerUnavailable
	}
	if res.Status == ledger.Declined && res.Reason == ledger.ReasonUnavailable && d.Err == nil {
		// A decline decided before the ledger still goes out (it moves no
		// money), but it was not recorded: say so.
		d.Err = ErrLedgerUnavailable
	}
	if !approving(code) {
		return d
	}
	if m.flags()&memoAuthorization != 0 {
		ans.AuthCode = authCode(m.authPosition())
	}
	if code == codePartial {
		ans.Partial = true
		ans.RequestedAmount, ans.RequestedCurrency = a.Amount, a.Currency
		if a.HasBilling {
			ans.RequestedBilling = a.BillingAmount
			ans.ApprovedBilling = res.Approved
			ans.ApprovedAmount = scale(a.Amount, res.Approved, a.BillingAmount)
		} else {
			ans.ApprovedAmount = res.Approved
		}
	}
	if m.flags()&memoBalanceInquiry != 0 {
		ans.HasBalances = true
		ans.LedgerBalance, ans.Available = res.Posted, res.Available
		if c, ok := spec.CurrencyByAlpha(res.Currency); ok {
			ans.BalanceCurrency = c.Numeric
		}
	}
	return d
}

// outcomeOf is what a ledger result and its memo say was decided: the
// response code, the check and the reason.
func outcomeOf(res *ledger.Result, m *memo) (string, checkID, reason) {
	if code, pre := m.preDecided(); pre {
		return code, m.check(), m.reason()
	}
	if c := m.check(); c == checkAdvice || c == checkReversal {
		if res.Status == ledger.Declined && res.Reason == ledger.ReasonUnavailable {
			return codeSystemMalfunction, c, reasonLedgerUnavailable
		}
		if c == checkReversal && res.HoldID == 0 {
			return codeApproved, c, reasonReversalRecorded
		}
		return codeApproved, c, m.reason()
	}
	return ledgerVerdict(res, m.flags())
}

// Outcome describes a journaled decision in the words and codes of the
// answer it got.
type Outcome struct {
	Decision     string // "approved", "partially_approved", "declined", "recorded" (advices, reversals)
	Check        string // the check that decided, "advice" or "reversal"
	Reason       string // "insufficient_funds", "program_rule", ...
	ResponseCode string // field 39 as answered
	AuthCode     string // field 38 of an approving answer to an authorization
}

// Describe tells what a ledger result of this engine's making was
// answered: the response code, authorization code and reason of an entry
// the ledger decided (its descriptor carries them for the declines the
// checks made before the ledger). The feed gets it at wiring time to fill
// its records. ok is false for a result without this engine's memo
// (account loads, captures, expiry).
func Describe(res *ledger.Result) (Outcome, bool) {
	m := memo(res.Memo)
	if !m.valid() {
		return Outcome{}, false
	}
	code, check, why := outcomeOf(res, &m)
	o := Outcome{Check: check.String(), Reason: why.String(), ResponseCode: code}
	switch {
	case check == checkAdvice || check == checkReversal:
		o.Decision = "recorded"
	case code == codePartial:
		o.Decision = "partially_approved"
	case approving(code):
		o.Decision = "approved"
	default:
		o.Decision = "declined"
	}
	if approving(code) && m.flags()&memoAuthorization != 0 && check != checkAdvice {
		o.AuthCode = authCode(m.authPosition())
	}
	return o, true
}

// scale returns v × num / den rounded down, without overflow: the
// transaction amount matching an approved billing amount.
func scale(v, num, den int64) int64 {
	if v <= 0 || num <= 0 || den <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(v), uint64(num))
	if hi >= uint64(den) {
		return v // cannot exceed what was asked
	}
	q, _ := bits.Div64(hi, lo, uint64(den))
	return int64(min(q, uint64(v)))
}

// scaleUp is scale rounded up: for releasing no more than was asked.
func scaleUp(v, num, den int64) int64 {
	if v <= 0 || num <= 0 || den <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(v), uint64(num))
	if hi >= uint64(den) {
		return num
	}
	q, r := bits.Div64(hi, lo, uint64(den))
	if r != 0 {
		q++
	}
	return int64(q)
}
