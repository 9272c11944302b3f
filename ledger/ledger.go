package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure a Ledger. The zero value is an in-memory ledger (a
// Pebble database on an in-memory file system) with the default periods.
type Options struct {
	// Dir holds the Pebble database. Empty means an in-memory file system
	// (tests), unless FS is set.
	Dir string
	// FS overrides the file system (pebble's vfs.NewMem for tests).
	FS vfs.FS
	// Volatile runs without Pebble: entries get their sequence numbers and
	// are dropped as if committed. For benchmarks of callers and tests
	// that do not care about restarts; ReadJournal returns nothing.
	Volatile bool
	// NoSync commits batches without syncing them (benchmarks only: a
	// crash then loses approved answers).
	NoSync bool

	// Now is the clock for requests without a time and for expiry; nil
	// means time.Now.
	Now func() time.Time

	// DefaultExpiry is how long a hold lives unless captured or reversed
	// (7 days); LongExpiry applies to LongExpiryMCCs (31 days; lodging,
	// car rental and cruise lines by default: 3351–3999, 4411, 7011, 7512).
	DefaultExpiry  time.Duration
	LongExpiry     time.Duration
	LongExpiryMCCs []MCCRange

	// RequestRetention is how long a request's answer is remembered for
	// repeats: at least this long, at most twice (DefaultExpiry). The
	// same period bounds how long a reversal that came before its original
	// makes the late original decline. MaxRequests caps the remembered
	// answers (16M, about 140 bytes each): past it the oldest are dropped
	// early and counted.
	RequestRetention time.Duration
	MaxRequests      int
	// ExpectedRequests sizes the remembered-answer table up front (a
	// generation's worth of requests), so that it does not grow on the
	// hot path; the table sizes each new generation like the last anyway.
	ExpectedRequests int

	// CheckpointEvery is how many journal entries may follow the newest
	// checkpoint before a new one is written in the background (4M); a
	// restart replays at most about this many. Negative: only at Close.
	CheckpointEvery int
	// MaxPendingBytes bounds the journal's queue in memory (64 MiB):
	// beyond it appenders wait for the disk.
	MaxPendingBytes int

	// Registerer, when set, gets the ledger's Prometheus metrics.
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// MCCRange is an inclusive range of merchant category codes.
type MCCRange struct{ From, To uint16 }

// DefaultLongExpiryMCCs are the lodging, car rental and cruise categories.
var DefaultLongExpiryMCCs = []MCCRange{{3351, 3999}, {4411, 4411}, {7011, 7011}, {7512, 7512}}

// Ledger is the switch's money state: accounts, holds, spend counters and
// remembered answers, journaled to Pebble. It is safe for concurrent use.
type Ledger struct {
	opts     Options
	now      func() time.Time
	log      *slog.Logger
	accounts registry
	requests *requestTable
	expiry   expiryQueues
	journal  *journal
	store    *store
	metrics  *metrics
	nextHold atomic.Uint64
	closed   atomic.Bool

	volatileAck atomic.Uint64 // the feed's acknowledgement without a store
	networks    nameTable     // holds' networks, interned
	holdDir     holdDirectory // every open hold by id

	expiryByMCC [10000]int64 // nanoseconds
	defaultExp  int64
	tombTTL     int64

	ckptRunning atomic.Bool
	ckptWG      sync.WaitGroup
	ckptMu      sync.Mutex // one checkpoint at a time
	lastCkpt    atomic.Uint64
	closeOnce   sync.Once
	closeErr    error
}

func (o *Options) defaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DefaultExpiry <= 0 {
		o.DefaultExpiry = 7 * 24 * time.Hour
	}
	if o.LongExpiry <= 0 {
		o.LongExpiry = 31 * 24 * time.Hour
	}
	if o.LongExpiryMCCs == nil {
		o.LongExpiryMCCs = DefaultLongExpiryMCCs
	}
	if o.RequestRetention <= 0 {
		o.RequestRetention = o.DefaultExpiry
	}
	if o.MaxRequests <= 0 {
		o.MaxRequests = 16 << 20
	}
	if o.CheckpointEvery == 0 {
		o.CheckpointEvery = 4 << 20
	}
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = defaultPending
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Open opens (creating or rebuilding) the ledger.
func Open(opts Options) (*Ledger, error) {
	opts.defaults()
	l := &Ledger{
		opts: opts, now: opts.Now, log: opts.Logger.With("component", "ledger"),
		requests:   newRequestTable(int64(opts.RequestRetention), opts.MaxRequests, opts.ExpectedRequests),
		metrics:    newMetrics(),
		defaultExp: int64(opts.DefaultExpiry),
		tombTTL:    int64(opts.RequestRetention),
	}
	l.accounts.init()
	for i := range l.expiryByMCC {
		l.expiryByMCC[i] = int64(opts.DefaultExpiry)
	}
	for _, r := range opts.LongExpiryMCCs {
		for m := int(r.From); m <= int(r.To) && m < len(l.expiryByMCC); m++ {
			l.expiryByMCC[m] = int64(opts.LongExpiry)
		}
	}
	next := uint64(1)
	if !opts.Volatile {
		st, last, err := l.restore()
		if err != nil {
			return nil, err
		}
		l.store, next = st, last+1
	}
	l.journal = newJournal(l.store, next, !opts.NoSync, opts.MaxPendingBytes, l.metrics)
	l.journal.afterCommit = l.maybeCheckpoint
	go l.journal.run()
	if opts.Registerer != nil {
		if err := l.register(opts.Registerer); err != nil {
			l.journal.close()
			if l.store != nil {
				l.store.close()
			}
			return nil, fmt.Errorf("ledger: registering metrics: %w", err)
		}
	}
	return l, nil
}

// Close stops taking requests, makes everything durable, writes a
// checkpoint (so the next Open replays nothing) and closes Pebble.
func (l *Ledger) Close() error {
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		l.quiesce()
		err := l.journal.close()
		l.ckptWG.Wait()
		if err == nil && l.store != nil {
			err = l.checkpoint()
		}
		if l.store != nil {
			if cerr := l.store.close(); err == nil && cerr != nil {
				err = fmt.Errorf("ledger: closing pebble: %w", cerr)
			}
		}
		l.closeErr = err
	})
	return l.closeErr
}

// quiesce waits until no operation is between its closed check and its
// journal append: every operation checks closed under the lock it journals
// under, so taking each such lock once after closed is set is enough.
func (l *Ledger) quiesce() {
	barrier(&l.accounts.mu)
	for _, a := range l.accounts.all() {
		barrier(&a.mu)
	}
	for i := range l.requests.shards {
		barrier(&l.requests.shards[i].mu)
	}
}

// barrier waits until whoever holds mu lets go of it.
func barrier(mu sync.Locker) {
	mu.Lock()
	//lint:ignore SA2001 the critical section is the wait itself
	mu.Unlock()
}

// Err reports why the ledger stopped taking requests, if it did.
func (l *Ledger) Err() error {
	if err := l.journal.failure(); err != nil {
		return err
	}
	if l.closed.Load() {
		return ErrClosed
	}
	return nil
}

func (l *Ledger) timeOf(t time.Time) int64 {
	if t.IsZero() {
		return l.now().UnixNano()
	}
	return t.UnixNano()
}

func (l *Ledger) expiryFor(mcc string) int64 {
	if m := parseMCC(mcc); m != noMCC {
		return l.expiryByMCC[m]
	}
	return l.defaultExp
}

var unavailable = Result{Status: Declined, Reason: ReasonUnavailable}

// UpsertAccount creates an account with a posted balance and credit limit,
// or, when it exists, moves its posted balance by the difference between
// balance and what the previous load set (so reloading the same portfolio
// changes nothing, and activity since the last load is kept) and sets its
// credit limit. The currency of an existing account cannot change.
func (l *Ledger) UpsertAccount(id, currency string, balance, creditLimit int64) error {
	_, err := l.UpsertAccountSeq(id, currency, balance, creditLimit)
	return err
}

// UpsertAccountSeq is UpsertAccount that also returns the journal sequence
// number of the entry it wrote — or, when it changed nothing, of the
// account's newest entry — so that the caller can WaitDurable on it before
// saying the account exists.
func (l *Ledger) UpsertAccountSeq(id, currency string, balance, creditLimit int64) (uint64, error) {
	if id == "" || len(currency) != 3 {
		return 0, fmt.Errorf("ledger: account %q: need an id and a three-letter currency", id)
	}
	if creditLimit < 0 {
		return 0, fmt.Errorf("ledger: account %q: negative credit limit", id)
	}
	e := Entry{Op: OpAccount, Account: id, Currency: currency, Amount: balance, Credit: creditLimit}
	if a := l.accounts.get(id); a != nil {
		return l.reloadAccount(a, &e)
	}
	l.accounts.mu.Lock()
	if a := l.accounts.get(id); a != nil {
		l.accounts.mu.Unlock()
		return l.reloadAccount(a, &e)
	}
	defer l.accounts.mu.Unlock()
	if l.closed.Load() {
		return 0, ErrClosed
	}
	if l.accounts.n >= maxAccounts {
		return 0, fmt.Errorf("ledger: account %q: %w", id, errTooManyAccounts)
	}
	e.Time = l.now()
	a := newAccount(id, currency)
	applyAccount(a, &e)
	if !l.journal.append(&e) {
		return 0, l.Err()
	}
	a.lastSeq = e.Seq
	if err := l.accounts.addLocked(a); err != nil {
		panic(err) // checked above, under the same lock
	}
	return e.Seq, nil
}

func (l *Ledger) reloadAccount(a *account, e *Entry) (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if l.closed.Load() {
		return 0, ErrClosed
	}
	if a.currency != e.Currency {
		return 0, fmt.Errorf("ledger: account %q is in %s, not %s", a.id, a.currency, e.Currency)
	}
	if a.loaded == e.Amount && a.credit == e.Credit {
		return a.lastSeq, nil
	}
	e.Time = l.now()
	e.Currency = a.currency
	applyAccount(a, e)
	if !l.journal.append(e) {
		return 0, l.Err()
	}
	a.lastSeq = e.Seq
	return e.Seq, nil
}

// applyAccount applies an account entry (creation or reload).
func applyAccount(a *account, e *Entry) {
	a.posted += e.Amount - a.loaded
	a.loaded = e.Amount
	a.credit = e.Credit
	if a.currency == "" {
		a.currency = e.Currency
	}
	e.Result = Result{Status: Approved, Posted: a.posted, Available: a.available(), Currency: a.currency, Seq: e.Seq}
}

// Authorize decides an authorization or advice and, when approved, places
// or grows its hold — atomically for the account: idempotency, limits,
// velocity, funds, hold. The caller answers after WaitDurable(Result.Seq).
func (l *Ledger) Authorize(r *Authorize) Result {
	if why := checkOperatorFields(&r.Descriptor); why != ReasonNone {
		return Result{Status: Declined, Reason: why, Memo: r.Memo}
	}
	op := OpAuthorize
	if r.Force {
		op = OpAdvice
	}
	e := Entry{Op: op, Key: r.Key, Lifecycle: r.Lifecycle, Original: r.Original, Account: r.Account,
		Cardholder: r.Cardholder, Card: r.Card, MCC: r.MCC, Amount: r.Amount, Currency: r.Currency,
		Force: r.Force, NoHold: r.NoHold, Partial: r.AllowPartial, Descriptor: r.Descriptor,
		Result: Result{Memo: r.Memo}}
	a, h, res, done := l.lockFor(r.Account, &r.Key, &e, r.At)
	if done {
		return res
	}
	at := e.Time.UnixNano()
	l.decide(a, r, at, &e.Result)
	slot := holdUnknown
	if e.Result.Status != Declined && !r.NoHold && e.Result.Approved > 0 {
		e.Expires = time.Unix(0, at+l.expiryFor(r.MCC)).UTC()
		slot = -1
		if s := a.findLifecycle(&r.Lifecycle); s >= 0 {
			slot, e.Result.HoldID = s, a.holds[s].id
		}
		if slot < 0 {
			e.Result.HoldID = l.nextHold.Add(1)
		}
		for i := range r.Velocity {
			v := &r.Velocity[i]
			e.VelDepth = max(e.VelDepth, uint16(min(max(v.Count+1, 0), maxVelocityDepth)))
			e.velKeep = max(e.velKeep, int64(v.Window))
			if v.Scope <= ScopeCard {
				e.VelScopes |= 1 << v.Scope
			}
		}
	}
	l.applyAuthorize(a, &e, slot)
	return l.finish(a, &e, h)
}

// finish journals an applied entry, remembers its answer (h is its key's
// hash, from lockFor) and unlocks the account.
func (l *Ledger) finish(a *account, e *Entry, h uint64) Result {
	if !l.journal.append(e) {
		a.mu.Unlock()
		return unavailable
	}
	a.lastSeq = e.Seq
	if e.Key != (RequestKey{}) {
		l.requests.putHashed(h, &e.Key, &e.Result, e.Time.UnixNano())
	}
	a.mu.Unlock()
	return e.Result
}

// recordUnknown journals and remembers the answer to a request whose
// account the ledger does not know (RecordDecline of a card with no
// account, say). It runs under the request's shard lock.
func (l *Ledger) recordUnknown(e *Entry) Result {
	h := l.requests.hash(&e.Key)
	s := l.requests.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.closed.Load() {
		return unavailable
	}
	if res, ok := l.requests.getLocked(s, h, &e.Key); ok {
		res.Repeat = true
		return res
	}
	e.Time = time.Unix(0, l.timeOf(e.Time)).UTC()
	if !l.journal.append(e) {
		return unavailable
	}
	if e.Key != (RequestKey{}) {
		l.requests.putLocked(s, h, &e.Key, &e.Result, e.Time.UnixNano())
	}
	return e.Result
}

// Check evaluates an authorization exactly as Authorize would — limits,
// velocity, funds — and records nothing. A known request returns its
// remembered answer (Repeat set).
func (l *Ledger) Check(r *Authorize) Result {
	a := l.accounts.get(r.Account)
	if a == nil {
		return Result{Status: Declined, Reason: ReasonAccountUnknown, Memo: r.Memo}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if res, ok := l.requests.get(&r.Key); ok {
		res.Repeat = true
		return res
	}
	var res Result
	l.decide(a, r, l.timeOf(r.At), &res)
	res.Memo = r.Memo
	res.Currency = a.currency
	res.Posted = a.posted
	res.Available = a.available() - res.Approved
	if r.NoHold || res.Status == Declined {
		res.Available = a.available()
	}
	return res
}

// decide evaluates an authorization against the account: currency, an
// early reversal, per-authorization and interval limits, velocity, funds,
// in that order; the first failure decides. It changes nothing.
func (l *Ledger) decide(a *account, r *Authorize, at int64, res *Result) {
	decline := func(why Reason) { res.Status, res.Reason, res.Approved = Declined, why, 0 }
	res.Status, res.Reason, res.Approved = Approved, ReasonNone, r.Amount
	switch {
	case r.Currency != a.currency:
		decline(ReasonCurrencyMismatch)
		return
	case r.Amount < 0:
		decline(ReasonInvalidAmount)
		return
	case l.reversedEarly(a, r, at):
		decline(ReasonAlreadyReversed)
		return
	case r.NoHold || r.Amount == 0 || r.Force:
		return
	}
	avail := a.available()
	partialOK := r.AllowPartial && avail > 0 && avail < r.Amount
	amount := r.Amount

	// Per-authorization and interval limits: both decline 61, so one pass
	// finds whether any fails and the headroom they leave together.
	var w windows
	haveW := false
	var scopes requestScopes
	room := int64(math.MaxInt64)
	for i := range r.Limits {
		lim := &r.Limits[i]
		if !limitApplies(lim, r.MCC) {
			continue
		}
		left := lim.Amount
		if lim.Interval != PerAuthorization {
			if !haveW {
				w, haveW = windowsAt(at), true
			}
			if s := scopes.get(a, lim.Scope, r); s != nil {
				left -= s.spent(lim, w)
			}
		}
		room = min(room, left)
	}
	if amount > room {
		if !partialOK || min(avail, room) <= 0 {
			decline(ReasonLimitExceeded)
			return
		}
		amount = min(avail, room)
	}

	for i := range r.Velocity {
		v := &r.Velocity[i]
		met := v.Count <= 0
		if s := scopes.get(a, v.Scope, r); s != nil {
			met = s.vel.atLeast(at-int64(v.Window), v.Count)
		}
		if met {
			decline(ReasonVelocityExceeded)
			return
		}
	}

	if amount > avail {
		if !partialOK {
			decline(ReasonInsufficientFunds)
			return
		}
		amount = avail
	}
	res.Approved = amount
	if amount < r.Amount {
		res.Status = PartiallyApproved
	}
}

// reversedEarly reports whether a reversal that found nothing named this
// authorization (by its original data, or by its life cycle when the
// reversal had no original data), within the retention period.
func (l *Ledger) reversedEarly(a *account, r *Authorize, at int64) bool {
	if r.Original != (OriginalKey{}) {
		if t, ok := a.revOriginal[r.Original]; ok && at-t < l.tombTTL {
			return true
		}
	}
	if r.Lifecycle != (LifecycleKey{}) {
		if t, ok := a.revLifecycle[r.Lifecycle]; ok && at-t < l.tombTTL {
			return true
		}
	}
	return false
}

// holdUnknown asks applyAuthorize to find the hold by its id.
const holdUnknown int32 = -2

// applyAuthorize applies a decided authorization: the hold, the spend and
// the velocity counts, and fills the balances after it. slot is the hold
// that grows, -1 for a new hold, or holdUnknown (replay: find it by id).
func (l *Ledger) applyAuthorize(a *account, e *Entry, slot int32) {
	res := &e.Result
	res.Currency = a.currency
	if res.Status != Declined && !e.NoHold && res.Approved > 0 {
		at := e.Time.UnixNano()
		w := windowsAt(at)
		mcc := parseMCC(e.MCC)
		part := holdPart{original: e.Original, amount: res.Approved, win: w}
		exp := e.Expires.UnixNano()
		if slot == holdUnknown {
			slot = l.holdSlot(a, res.HoldID)
		}
		if slot >= 0 {
			h := &a.holds[slot]
			h.more = append(h.more, part)
			h.amount += res.Approved
			a.indexOriginal(e.Original, slot)
			if exp > h.expires {
				h.expires = exp
				l.expiry.pushHold(exp-at, holdDue{exp, h.id, a.idx})
			}
		} else {
			slot = l.newHold(a, hold{id: res.HoldID, lifecycle: e.Lifecycle, amount: res.Approved, placed: at,
				expires: exp, card: a.scopeFor(ScopeCard, e.Card), holder: a.scopeFor(ScopeCardholder, e.Cardholder),
				mcc: mcc, network: l.networks.id(e.Descriptor.Network), first: part})
			l.expiry.pushHold(exp-at, holdDue{exp, res.HoldID, a.idx})
		}
		a.pending += res.Approved
		h := &a.holds[slot]
		res.Hold = h.amount
		// The counters and velocity ring of each scope. A scope's ring grows
		// to the request's deepest control only when a control is on that
		// scope; the others keep the least depth, inline.
		for _, s := range [...]struct {
			c    *counters
			kind Scope
		}{{&a.spend, ScopeAccount}, {a.scope(h.card), ScopeCard}, {a.scope(h.holder), ScopeCardholder}} {
			if s.c != nil {
				s.c.add(w, mcc, res.Approved)
				depth := 0
				if e.VelScopes == 0 || e.VelScopes&(1<<s.kind) != 0 {
					depth = int(e.VelDepth)
				}
				s.c.vel.push(at, depth, e.velKeep)
			}
		}
	}
	res.Posted, res.Available = a.posted, a.available()
}

// Reverse releases what a reversal names: one authorization (by Original)
// or a whole life cycle (by Lifecycle), fully or down to ActualAmount. A
// reversal that finds nothing is answered approved and remembered, so the
// original, should it come later, is declined as already reversed.
func (l *Ledger) Reverse(r *Reverse) Result {
	if why := checkOperatorFields(&r.Descriptor); why != ReasonNone {
		return Result{Status: Declined, Reason: why, Memo: r.Memo}
	}
	e := Entry{Op: OpReverse, Key: r.Key, Lifecycle: r.Lifecycle, Original: r.Original, Account: r.Account,
		Card: r.Card, Amount: r.ActualAmount, Descriptor: r.Descriptor, Result: Result{Status: Approved, Memo: r.Memo}}
	a, h, res, done := l.lockFor(r.Account, &r.Key, &e, r.At)
	if done {
		return res
	}
	l.applyReverse(a, &e)
	return l.finish(a, &e, h)
}

// applyReverse finds and releases what a reversal names.
func (l *Ledger) applyReverse(a *account, e *Entry) {
	res := &e.Result
	res.Status, res.Currency = Approved, a.currency
	slot, part := int32(-1), -1
	if e.Original != (OriginalKey{}) {
		slot, part = a.findOriginal(e.Original, e.Lifecycle)
	}
	if slot < 0 {
		slot = a.findLifecycle(&e.Lifecycle)
	}
	at := e.Time.UnixNano()
	switch {
	case slot >= 0:
		h := &a.holds[slot]
		res.HoldID = h.id
		l.describeHold(e, a, h)
		if part >= 0 {
			want := h.part(part).amount
			if e.Amount > 0 {
				want -= e.Amount
			}
			res.Released = a.releasePart(h, part, want)
			res.Hold = h.amount
			if h.amount == 0 {
				l.dropHold(a, slot)
			}
		} else {
			want := h.amount
			if e.Amount > 0 {
				want -= e.Amount
			}
			res.Released = l.release(a, slot, want)
			if a.holds[slot].id == res.HoldID {
				res.Hold = a.holds[slot].amount
			}
		}
	case e.Original != (OriginalKey{}):
		if a.revOriginal == nil {
			a.revOriginal = make(map[OriginalKey]int64)
		}
		a.revOriginal[e.Original] = at
		l.expiry.pushTomb(tombDue{due: at + l.tombTTL, acct: a, original: e.Original})
	case e.Lifecycle != (LifecycleKey{}):
		if a.revLifecycle == nil {
			a.revLifecycle = make(map[LifecycleKey]int64)
		}
		a.revLifecycle[e.Lifecycle] = at
		l.expiry.pushTomb(tombDue{due: at + l.tombTTL, acct: a, lifecycle: e.Lifecycle})
	}
	res.Approved = res.Released
	res.Posted, res.Available = a.posted, a.available()
}

// RecordDecline records a decision made before the ledger. Nothing changes
// but the journal and the request's remembered answer.
func (l *Ledger) RecordDecline(r *Decline) Result {
	if why := checkOperatorFields(&r.Descriptor); why != ReasonNone {
		return Result{Status: Declined, Reason: why, Memo: r.Memo}
	}
	e := Entry{Op: OpDecline, Key: r.Key, Account: r.Account, Card: r.Card, Descriptor: r.Descriptor,
		Result: Result{Status: Declined, Reason: ReasonExternal, Memo: r.Memo}}
	a, h, res, done := l.lockFor(r.Account, &r.Key, &e, r.At)
	if done {
		return res
	}
	e.Result.Currency, e.Result.Posted, e.Result.Available = a.currency, a.posted, a.available()
	return l.finish(a, &e, h)
}

// lockFor locks the account a request names and fills the entry's time and
// currency, or answers the request itself (done = true): a closed ledger, a
// repeat, or an account the ledger does not know — recorded with the
// entry's preset result, or declined ReasonAccountUnknown when it has none.
func (l *Ledger) lockFor(id string, key *RequestKey, e *Entry, at time.Time) (a *account, h uint64, res Result, done bool) {
	if l.closed.Load() {
		return nil, 0, unavailable, true
	}
	a = l.accounts.get(id)
	if a == nil {
		e.Time = at
		if e.Result.Status == 0 {
			e.Result.Status, e.Result.Reason = Declined, ReasonAccountUnknown
		}
		return nil, 0, l.recordUnknown(e), true
	}
	h = l.requests.hash(key)
	a.mu.Lock()
	if l.closed.Load() {
		a.mu.Unlock()
		return nil, 0, unavailable, true
	}
	if res, ok := l.requests.getHashed(h, key); ok {
		a.mu.Unlock()
		res.Repeat = true
		return nil, 0, res, true
	}
	e.Time, e.Currency = time.Unix(0, l.timeOf(at)).UTC(), a.currency
	return a, h, Result{}, false
}

// Capture posts a presentment: the hold it names becomes a posting of the
// captured amount, and the spend counters follow the captured amount.
func (l *Ledger) Capture(c *Capture) Result {
	if why := checkOperatorFields(&c.Descriptor); why != ReasonNone {
		return Result{Status: Declined, Reason: why, Memo: c.Memo}
	}
	e := Entry{Op: OpCapture, Key: c.Key, Lifecycle: c.Lifecycle, Account: c.Account, MCC: c.MCC,
		Amount: c.Amount, HoldRef: c.HoldID, Descriptor: c.Descriptor, Result: Result{Memo: c.Memo}}
	a, h, res, done := l.lockFor(c.Account, &c.Key, &e, c.At)
	if done {
		return res
	}
	slot := l.holdSlot(a, c.HoldID)
	if slot < 0 {
		slot = a.findLifecycle(&c.Lifecycle)
	}
	if slot >= 0 {
		e.Result.HoldID = a.holds[slot].id
	}
	switch {
	case slot >= 0 && c.Amount < 0:
		e.Result.Status, e.Result.Reason = Declined, ReasonInvalidAmount
	case slot < 0 && c.RequireHold:
		e.Result.Status, e.Result.Reason = Declined, ReasonHoldUnknown
	}
	if e.Result.Status == Declined {
		e.Result.Currency, e.Result.Posted, e.Result.Available = a.currency, a.posted, a.available()
		return l.finish(a, &e, h)
	}
	l.applyCapture(a, &e)
	return l.finish(a, &e, h)
}

// applyCapture posts a capture of the hold e.Result.HoldID (0: none). A
// negative amount (a credit) never names a hold.
func (l *Ledger) applyCapture(a *account, e *Entry) {
	res := &e.Result
	if res.Status == Declined {
		res.Currency, res.Posted, res.Available = a.currency, a.posted, a.available()
		return
	}
	res.Status, res.Approved, res.Currency = Approved, e.Amount, a.currency
	if slot := l.holdSlot(a, res.HoldID); slot >= 0 {
		h := &a.holds[slot]
		l.describeHold(e, a, h)
		if d := e.Amount - h.amount; d > 0 {
			last := h.part(h.parts() - 1)
			a.count(h.card, h.holder, last.win, h.mcc, d)
		} else {
			for i := h.parts() - 1; i >= 0 && d < 0; i-- {
				p := h.part(i)
				take := min(p.amount, -d)
				a.count(h.card, h.holder, p.win, h.mcc, -take)
				d += take
			}
		}
		res.Released = h.amount
		a.pending -= h.amount
		for i := 0; i < h.parts(); i++ {
			h.part(i).amount = 0
		}
		h.amount = 0
		l.dropHold(a, slot)
	} else {
		res.HoldID = 0
		if e.Amount > 0 {
			a.count(-1, -1, windowsAt(e.Time.UnixNano()), parseMCC(e.MCC), e.Amount)
		}
	}
	a.posted -= e.Amount
	res.Posted, res.Available = a.posted, a.available()
}

// Release is an operator's release of a hold, whole or in part.
func (l *Ledger) Release(r *Release) Result {
	if why := checkOperatorFields(&r.Descriptor); why != ReasonNone {
		return Result{Status: Declined, Reason: why, Memo: r.Memo}
	}
	e := Entry{Op: OpRelease, Key: r.Key, Account: r.Account, Amount: r.Amount, HoldRef: r.HoldID,
		Descriptor: r.Descriptor, Result: Result{Memo: r.Memo}}
	a, h, res, done := l.lockFor(r.Account, &r.Key, &e, r.At)
	if done {
		return res
	}
	l.applyRelease(a, &e)
	return l.finish(a, &e, h)
}

func (l *Ledger) applyRelease(a *account, e *Entry) {
	res := &e.Result
	res.Currency = a.currency
	slot := l.holdSlot(a, e.HoldRef)
	switch {
	case slot < 0:
		res.Status, res.Reason = Declined, ReasonHoldUnknown
	case e.Amount < 0:
		res.Status, res.Reason = Declined, ReasonInvalidAmount
	default:
		want := a.holds[slot].amount
		if e.Amount > 0 {
			want = min(want, e.Amount)
		}
		l.describeHold(e, a, &a.holds[slot])
		res.Status, res.HoldID = Approved, e.HoldRef
		res.Released = l.release(a, slot, want)
		res.Approved = res.Released
		if a.holds[slot].id == e.HoldRef {
			res.Hold = a.holds[slot].amount
		}
	}
	res.Posted, res.Available = a.posted, a.available()
}

// Adjust funds or debits an account (operator or program), idempotently.
func (l *Ledger) Adjust(r *Adjust) Result {
	if why := checkOperatorFields(&r.Descriptor); why != ReasonNone {
		return Result{Status: Declined, Reason: why, Memo: r.Memo}
	}
	e := Entry{Op: OpAdjust, Key: r.Key, Account: r.Account, Amount: r.Amount, Force: r.Force,
		Descriptor: r.Descriptor, Result: Result{Memo: r.Memo}}
	a, h, res, done := l.lockFor(r.Account, &r.Key, &e, r.At)
	if done {
		return res
	}
	applyAdjust(a, &e)
	return l.finish(a, &e, h)
}

func applyAdjust(a *account, e *Entry) {
	res := &e.Result
	res.Currency = a.currency
	if e.Amount < 0 && -e.Amount > a.available() && !e.Force {
		res.Status, res.Reason = Declined, ReasonInsufficientFunds
	} else {
		res.Status, res.Approved = Approved, e.Amount
		a.posted += e.Amount
	}
	res.Posted, res.Available = a.posted, a.available()
}

// ExpireDue releases up to max holds whose expiry is at or before now,
// journaling each, and forgets early reversals older than the retention.
// It returns how many holds it released. Call it from a ticker.
func (l *Ledger) ExpireDue(now time.Time, max int) int {
	if max <= 0 || l.closed.Load() {
		return 0
	}
	at := now.UnixNano()
	released := 0
	for _, d := range l.expiry.due(at, max, nil) {
		a := l.accounts.byIndex(d.acct)
		a.mu.Lock()
		slot := l.holdSlot(a, d.holdID)
		if slot >= 0 && a.holds[slot].expires == d.due && !l.closed.Load() {
			e := Entry{Op: OpExpire, Account: a.id, Currency: a.currency, HoldRef: d.holdID,
				Time: time.Unix(0, at).UTC()}
			l.applyExpire(a, &e)
			l.finish(a, &e, 0) // unlocks
			l.metrics.expired.Add(1)
			released++
			continue
		}
		a.mu.Unlock()
	}
	for _, d := range l.expiry.dueTombs(at, max, nil) {
		a := d.acct
		a.mu.Lock()
		if t, ok := a.revOriginal[d.original]; ok && d.original != (OriginalKey{}) && t+l.tombTTL <= at {
			delete(a.revOriginal, d.original)
		}
		if t, ok := a.revLifecycle[d.lifecycle]; ok && d.lifecycle != (LifecycleKey{}) && t+l.tombTTL <= at {
			delete(a.revLifecycle, d.lifecycle)
		}
		a.mu.Unlock()
	}
	return released
}

func (l *Ledger) applyExpire(a *account, e *Entry) {
	res := &e.Result
	res.Status, res.Currency, res.HoldID = Approved, a.currency, e.HoldRef
	if slot := l.holdSlot(a, e.HoldRef); slot >= 0 {
		l.describeHold(e, a, &a.holds[slot])
		res.Released = l.release(a, slot, a.holds[slot].amount)
	}
	res.Posted, res.Available = a.posted, a.available()
}

// RecordAudit journals an operator's write (OpAudit): who did what to
// which object, under which request, with a short note. It moves no money.
// With a Key, a repeat returns the first answer and records nothing more.
// A record without an actor or action, with a field over its bound, or
// with a field that looks like a card number is refused and not journaled
// (ReasonInvalidRequest, ReasonSensitiveData; Seq 0).
func (l *Ledger) RecordAudit(a *Audit) Result {
	e := Entry{Op: OpAudit, Key: a.Key, Account: a.Account, Ref: a.Ref, Time: a.At,
		Descriptor: Descriptor{Actor: a.Actor, Action: a.Action, Object: a.Object, RequestID: a.RequestID, Note: a.Note},
		Result:     Result{Status: Approved}}
	if a.Actor == "" || a.Action == "" {
		return Result{Status: Declined, Reason: ReasonInvalidRequest}
	}
	if why := checkOperatorFields(&e.Descriptor); why != ReasonNone {
		return Result{Status: Declined, Reason: why}
	}
	if l.closed.Load() {
		return unavailable
	}
	return l.recordUnknown(&e)
}

// Bounds of the operator's descriptor fields.
const (
	maxActor     = 64
	maxAction    = 64
	maxObject    = 128
	maxRequestID = 64
	maxNote      = 256
	panDigits    = 12 // this many consecutive digits look like a card number
)

// checkOperatorFields refuses operator's fields that are too long or that
// look like a card number: the journal, and the feed after it, must never
// carry one. Free when they are empty, as on the networks' requests.
func checkOperatorFields(d *Descriptor) Reason {
	if len(d.Actor)|len(d.Action)|len(d.Object)|len(d.RequestID)|len(d.Note) == 0 {
		return ReasonNone
	}
	if len(d.Actor) > maxActor || len(d.Action) > maxAction || len(d.Object) > maxObject ||
		len(d.RequestID) > maxRequestID || len(d.Note) > maxNote {
		return ReasonInvalidRequest
	}
	for _, s := range [...]string{d.Actor, d.Action, d.Object, d.RequestID, d.Note} {
		if looksLikePAN(s) {
			return ReasonSensitiveData
		}
	}
	return ReasonNone
}

// looksLikePAN reports whether s holds panDigits or more consecutive ASCII
// digits — a card number, or enough of one to matter.
func looksLikePAN(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= panDigits {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// HoldAccount returns the account of an open hold, found by its id alone
// (an operator's or clearing's capture or release that names no account).
// false: no such hold is open.
func (l *Ledger) HoldAccount(holdID uint64) (string, bool) {
	if idx, slot := l.holdDir.find(holdID); slot >= 0 {
		return l.accounts.byIndex(idx).id, true
	}
	return "", false
}

// Lookup returns the remembered answer of a request (Repeat set).
func (l *Ledger) Lookup(k RequestKey) (Result, bool) {
	res, ok := l.requests.get(&k)
	res.Repeat = ok
	return res, ok
}

// Balance returns an account's balances.
func (l *Ledger) Balance(id string) (Balance, bool) {
	a := l.accounts.get(id)
	if a == nil {
		return Balance{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return Balance{Currency: a.currency, Posted: a.posted, CreditLimit: a.credit, Pending: a.pending,
		Available: a.available()}, true
}

// Holds returns an account's open holds, oldest first.
func (l *Ledger) Holds(id string) []HoldInfo {
	a := l.accounts.get(id)
	if a == nil {
		return nil
	}
	a.mu.Lock()
	var out []HoldInfo
	for i := range a.holds {
		if a.holds[i].id != 0 {
			out = append(out, l.holdInfo(a, &a.holds[i]))
		}
	}
	a.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// WaitDurable blocks until the entry seq (a Result.Seq) is durable.
func (l *Ledger) WaitDurable(ctx context.Context, seq uint64) error {
	return l.journal.waitDurable(ctx, seq)
}

// OnDurable runs fn once seq is durable: on the committer goroutine after
// the batch that holds it, or at once on the caller when it already is.
// fn must be quick and must not block, nor call the ledger's operations
// (they may wait for the committer that runs fn). If the journal fails, fn
// never runs (see Err).
func (l *Ledger) OnDurable(seq uint64, fn func()) { l.journal.onDurable(seq, fn) }

// DurableSeq is the newest durable sequence number: every entry up to it
// is on disk.
func (l *Ledger) DurableSeq() uint64 { return l.journal.durable.Load() }

// ReadJournal appends to buf[:0] up to max durable entries with sequence
// numbers ≥ from, in order, and returns them. Entries the feed already
// acknowledged may be gone. After Close it returns ErrClosed.
func (l *Ledger) ReadJournal(from uint64, max int, buf []Entry) ([]Entry, error) {
	buf = buf[:0]
	if l.store == nil {
		if l.closed.Load() {
			return buf, ErrClosed
		}
		return buf, nil
	}
	if max <= 0 {
		return buf, nil
	}
	durable := l.DurableSeq()
	if from == 0 {
		from = 1
	}
	if from > durable {
		if l.store.isClosed() {
			return buf, ErrClosed
		}
		return buf, nil
	}
	err := l.store.scanJournal(from, func(seq uint64, b []byte) error {
		if seq > durable || len(buf) >= max {
			return errStop
		}
		if len(buf) < cap(buf) {
			buf = buf[:len(buf)+1]
		} else {
			buf = append(buf, Entry{})
		}
		e := &buf[len(buf)-1]
		if err := decodeEntry(b, e); err != nil {
			return err
		}
		if e.Seq != seq {
			return fmt.Errorf("%w: entry %d found where %d belongs", errCorrupt, e.Seq, seq)
		}
		return nil
	})
	if errors.Is(err, ErrClosed) {
		return buf[:0], ErrClosed
	}
	if err != nil {
		return buf, fmt.Errorf("ledger: reading the journal from %d: %w", from, err)
	}
	return buf, nil
}

// Ack tells the ledger that the feed shipped every entry ≤ upTo; the
// journal may drop them once a checkpoint covers them too. The
// acknowledgement is written with the next batch, or on its own once the
// journal is idle: after a crash the feed may be handed a few entries
// again (at least once), never fewer. After Close it returns ErrClosed.
func (l *Ledger) Ack(upTo uint64) error {
	if l.store == nil {
		if l.closed.Load() {
			return ErrClosed
		}
		if upTo > l.DurableSeq() {
			return fmt.Errorf("ledger: ack of %d beyond the durable %d", upTo, l.DurableSeq())
		}
		for {
			old := l.volatileAck.Load()
			if upTo <= old || l.volatileAck.CompareAndSwap(old, upTo) {
				return nil
			}
		}
	}
	if l.store.isClosed() {
		return ErrClosed
	}
	if upTo > l.DurableSeq() {
		return fmt.Errorf("ledger: ack of %d beyond the durable %d", upTo, l.DurableSeq())
	}
	if l.store.ack(upTo) {
		l.journal.wake()
	}
	if err := l.store.trim(); err != nil {
		if errors.Is(err, ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("ledger: trimming the journal: %w", err)
	}
	return nil
}

// Acked is the highest sequence number the feed acknowledged (Ack). It
// survives restarts: after a clean Close exactly; after a crash it may be
// a little lower (the acknowledgement is written with the next batch, or
// on its own soon after when the journal is idle), so the feed sends those
// entries again — at least once, never fewer.
func (l *Ledger) Acked() uint64 {
	if l.store == nil {
		return l.volatileAck.Load()
	}
	return l.store.acknowledged()
}

// Backlog is what the feed has not acknowledged: durable entries, and the
// bytes of the journal that hold them. After Close it keeps reporting
// what was left at Close (it reads no storage).
func (l *Ledger) Backlog() (entries, bytes uint64) {
	if l.store == nil {
		d, a := l.DurableSeq(), l.volatileAck.Load()
		if d > a {
			return d - a, 0
		}
		return 0, 0
	}
	return l.store.backlog(l.DurableSeq())
}

// Spent returns what a scope (the account, one of its cards or one of its
// cardholders: id) has spent in the window of interval that contains at,
// counting only categories when given — exactly what a limit with those
// settings counts.
func (l *Ledger) Spent(account string, scope Scope, id string, interval Interval, categories []string, at time.Time) int64 {
	a := l.accounts.get(account)
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var s *counters
	switch scope {
	case ScopeAccount:
		s = &a.spend
	case ScopeCard, ScopeCardholder:
		s = a.scope(a.findScope(scope, id))
	}
	if s == nil {
		return 0
	}
	return s.spent(&Limit{Interval: interval, Categories: categories}, windowsAt(at.UnixNano()))
}
