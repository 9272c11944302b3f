package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/authswitch/authswitch/ledger"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestRandomSequence drives the ledger with a seeded random mix of every
// operation — authorizations, incrementals, advices, repeats, reversals
// (full, partial, by field 90, by life cycle, early), captures above and
// below the hold, releases, expiries, adjustments, declines, portfolio
// reloads — and checks after every step, through the public API only:
// the available identity; pending equal to the sum of the open holds, none
// of them empty or negative; a reversal releasing at most what was held
// and the hold shrinking by exactly that; posted balances equal to what
// the test itself posted; all-time spend counters of the account and of
// each card equal to open holds plus captured amounts; repeats answered
// with the stored result and changing nothing; Check agreeing with
// Authorize. Every few thousand steps the ledger restarts — cleanly, or
// from what a crash leaves on disk — and must come back with the same
// state and remembered answers.
//
// LEDGER_RANDOM_STEPS sets the number of steps (10^5 by default; the
// long run uses 10^6); LEDGER_RANDOM_SEED the seed.
func TestRandomSequence(t *testing.T) {
	steps := 100_000
	if testing.Short() {
		steps = 20_000
	}
	if v := os.Getenv("LEDGER_RANDOM_STEPS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatal(err)
		}
		steps = n
	}
	seed := uint64(20260304)
	if v := os.Getenv("LEDGER_RANDOM_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = n
	}
	t.Logf("seed %d, %d steps", seed, steps)
	m := newRandomModel(t, seed)
	defer func() { m.l.Close() }()
	for i := 0; i < steps; i++ {
		m.step(i)
		if (i+1)%5000 == 0 {
			m.restart(i/5000%2 == 1)
		}
	}
	m.restart(true)
	t.Logf("ops: %v", m.ops)
}

type randomModel struct {
	t   *testing.T
	rnd *rand.Rand
	fs  vfs.FS
	l   *ledger.Ledger
	now time.Time
	n   uint64

	accounts []string
	posted   map[string]int64          // what the test posted
	loaded   map[string]int64          // the balance the last load set
	captured map[string]int64          // captured spend by account
	capCard  map[string]int64          // captured spend by account/card
	lifes    map[string][]lifecycleRef // open and closed life cycles by account
	sent     []sentRequest             // for repeats
	results  map[ledger.RequestKey]ledger.Result
	resultAt map[ledger.RequestKey]time.Time
	early    map[string][]ledger.OriginalKey // reversed before their original
	ops      map[string]int
}

type lifecycleRef struct {
	lc    ledger.LifecycleKey
	origs []ledger.OriginalKey
	card  string
}

type sentRequest struct {
	at   time.Time
	auth *ledger.Authorize
	rev  *ledger.Reverse
}

func newRandomModel(t *testing.T, seed uint64) *randomModel {
	m := &randomModel{
		t: t, rnd: rand.New(rand.NewPCG(seed, seed^0x9E3779B97F4A7C15)), fs: vfs.NewCrashableMem(), now: t0,
		posted: map[string]int64{}, loaded: map[string]int64{}, captured: map[string]int64{}, capCard: map[string]int64{},
		lifes: map[string][]lifecycleRef{}, results: map[ledger.RequestKey]ledger.Result{},
		resultAt: map[ledger.RequestKey]time.Time{},
		early:    map[string][]ledger.OriginalKey{}, ops: map[string]int{},
	}
	m.open()
	for i := 0; i < 8; i++ {
		id := fmt.Sprintf("acct_%d", i)
		m.accounts = append(m.accounts, id)
		bal := int64(m.rnd.IntN(200_000))
		if err := m.l.UpsertAccount(id, "USD", bal, int64(m.rnd.IntN(3)*10_000)); err != nil {
			t.Fatal(err)
		}
		m.posted[id], m.loaded[id] = bal, bal
	}
	return m
}

func (m *randomModel) open() {
	l, err := ledger.Open(ledger.Options{FS: m.fs, Dir: "db", Now: func() time.Time { return m.now }, Logger: quiet,
		CheckpointEvery: 3000})
	if err != nil {
		m.t.Fatal(err)
	}
	m.l = l
}

func (m *randomModel) key(class byte) ledger.RequestKey {
	m.n++
	return ledger.MakeRequestKey(1, class, strconv.FormatUint(m.n%1_000_000, 10), strconv.FormatUint(m.n/1_000_000, 10), "")
}

func (m *randomModel) original() ledger.OriginalKey {
	m.n++
	return ledger.MakeOriginalKey(1, strconv.FormatUint(m.n%1_000_000, 10), strconv.FormatUint(m.n, 10), "42", "tok")
}

func (m *randomModel) pick(s []string) string { return s[m.rnd.IntN(len(s))] }

var (
	cards = []string{"card_a", "card_b", "card_c"}
	mccs  = []string{"5411", "5812", "7011", "4111", "3400"}
)

// state is what the test can see of one account.
type state struct {
	bal   ledger.Balance
	holds string
	spent string
}

func (m *randomModel) state(acct string) state {
	b, _ := m.l.Balance(acct)
	s := state{bal: b, holds: fmt.Sprint(m.l.Holds(acct))}
	for _, c := range append([]string{""}, cards...) {
		sc := ledger.ScopeCard
		if c == "" {
			sc = ledger.ScopeAccount
		}
		for _, iv := range []ledger.Interval{ledger.Daily, ledger.Weekly, ledger.Monthly, ledger.Yearly, ledger.AllTime} {
			s.spent += fmt.Sprintf("%s/%d=%d ", c, iv, m.l.Spent(acct, sc, c, iv, nil, m.now))
		}
		s.spent += fmt.Sprintf("%s/5812=%d ", c, m.l.Spent(acct, sc, c, ledger.Monthly, []string{"5812"}, m.now))
	}
	return s
}

// check asserts the invariants of one account.
func (m *randomModel) check(step int, acct string) {
	t := m.t
	t.Helper()
	b, ok := m.l.Balance(acct)
	if !ok {
		t.Fatalf("step %d: %s gone", step, acct)
	}
	if b.Available != b.Posted+b.CreditLimit-b.Pending {
		t.Fatalf("step %d: %s available identity: %+v", step, acct, b)
	}
	if b.Posted != m.posted[acct] {
		t.Fatalf("step %d: %s posted %d, the test posted %d", step, acct, b.Posted, m.posted[acct])
	}
	var sum int64
	byCard := map[string]int64{}
	for _, h := range m.l.Holds(acct) {
		if h.Amount <= 0 {
			t.Fatalf("step %d: %s hold %d of %d", step, acct, h.ID, h.Amount)
		}
		if owner, ok := m.l.HoldAccount(h.ID); !ok || owner != acct {
			t.Fatalf("step %d: hold %d of %s: HoldAccount says %q, %v", step, h.ID, acct, owner, ok)
		}
		sum += h.Amount
		byCard[h.Card] += h.Amount
	}
	if sum != b.Pending {
		t.Fatalf("step %d: %s pending %d, holds sum %d", step, acct, b.Pending, sum)
	}
	if got, want := m.l.Spent(acct, ledger.ScopeAccount, "", ledger.AllTime, nil, m.now), sum+m.captured[acct]; got != want {
		t.Fatalf("step %d: %s all-time spend %d, holds+captures %d", step, acct, got, want)
	}
	for _, c := range cards {
		if got, want := m.l.Spent(acct, ledger.ScopeCard, c, ledger.AllTime, nil, m.now), byCard[c]+m.capCard[acct+"/"+c]; got != want {
			t.Fatalf("step %d: %s/%s all-time spend %d, holds+captures %d", step, acct, c, got, want)
		}
	}
}

func (m *randomModel) remember(k ledger.RequestKey, r ledger.Result) {
	if r.Repeat {
		m.t.Fatalf("a new request answered as a repeat: %+v", r)
	}
	if r.Seq == 0 {
		m.t.Fatalf("no sequence number: %+v", r)
	}
	m.results[k] = r
	m.resultAt[k] = m.now
}

// retention is the default request retention: answers are kept at least
// this long (and at most twice as long).
const retention = 7 * 24 * time.Hour

func (m *randomModel) step(i int) {
	acct := m.pick(m.accounts)
	op := m.rnd.IntN(100)
	switch {
	case op < 35:
		m.authorize(acct, false)
	case op < 42:
		m.incremental(acct)
	case op < 46:
		m.authorize(acct, true)
	case op < 52:
		m.repeat(i, acct)
		return // repeat checks its own account
	case op < 64:
		m.reverse(i, acct)
	case op < 67:
		m.earlyReversal(acct)
	case op < 70:
		m.lateOriginal(acct)
	case op < 80:
		m.capture(acct)
	case op < 83:
		m.release(acct)
	case op < 87:
		m.adjust(acct)
	case op < 90:
		m.decline(acct)
	case op < 91:
		m.reload(acct)
	case op < 98:
		m.now = m.now.Add(time.Duration(m.rnd.IntN(3600)) * time.Second)
		m.ops["clock"]++
	default:
		m.now = m.now.Add(time.Duration(m.rnd.IntN(2*24)) * time.Hour)
		n := m.l.ExpireDue(m.now, 1000)
		m.ops["expired"] += n
		for _, a := range m.accounts {
			m.check(i, a)
		}
		return
	}
	m.check(i, acct)
}

func (m *randomModel) authorize(acct string, force bool) {
	card := m.pick(cards)
	r := &ledger.Authorize{Key: m.key(ledger.ClassAuthorization), Account: acct, Card: card, Cardholder: "ch_" + card[5:],
		Amount: int64(m.rnd.IntN(30_000)), Currency: "USD", MCC: m.pick(mccs), At: m.now, Force: force,
		AllowPartial: m.rnd.IntN(3) == 0, NoHold: m.rnd.IntN(20) == 0, Memo: ledger.Memo{byte(m.n)}}
	if m.rnd.IntN(10) > 0 {
		r.Lifecycle = ledger.MakeLifecycleKey(1, "LC"+strconv.FormatUint(m.n, 10))
	}
	if m.rnd.IntN(10) > 0 {
		r.Original = m.original()
	}
	if m.rnd.IntN(3) == 0 {
		r.Limits = []ledger.Limit{{Scope: ledger.Scope(m.rnd.IntN(3)), Interval: ledger.Interval(m.rnd.IntN(6)),
			Amount: int64(m.rnd.IntN(80_000))}}
		if m.rnd.IntN(3) == 0 {
			r.Limits[0].Categories = []string{"5812", "7011"}
		}
	}
	if m.rnd.IntN(5) == 0 {
		r.Velocity = []ledger.Velocity{{Scope: ledger.Scope(m.rnd.IntN(3)), Count: 1 + m.rnd.IntN(6), Window: time.Hour}}
	}
	if m.rnd.IntN(50) == 0 {
		r.Currency = "EUR"
	}
	m.doAuthorize(r)
	if r.Lifecycle != (ledger.LifecycleKey{}) {
		ref := lifecycleRef{lc: r.Lifecycle, card: card}
		if r.Original != (ledger.OriginalKey{}) {
			ref.origs = append(ref.origs, r.Original)
		}
		m.lifes[acct] = append(m.lifes[acct], ref)
		if len(m.lifes[acct]) > 1000 {
			m.lifes[acct] = append(m.lifes[acct][:0], m.lifes[acct][900:]...)
		}
	} else if r.Original != (ledger.OriginalKey{}) {
		m.lifes[acct] = append(m.lifes[acct], lifecycleRef{origs: []ledger.OriginalKey{r.Original}, card: card})
	}
}

func (m *randomModel) doAuthorize(r *ledger.Authorize) ledger.Result {
	chk := m.l.Check(r)
	res := m.l.Authorize(r)
	if chk.Status != res.Status || chk.Reason != res.Reason || chk.Approved != res.Approved {
		m.t.Fatalf("Check %+v, Authorize %+v", chk, res)
	}
	if res.Status != ledger.Declined && res.Approved > r.Amount {
		m.t.Fatalf("approved %d of %d", res.Approved, r.Amount)
	}
	if res.Status == ledger.PartiallyApproved && (!r.AllowPartial || res.Approved >= r.Amount || res.Approved <= 0) {
		m.t.Fatalf("partial approval %+v of %+v", res, r)
	}
	m.remember(r.Key, res)
	m.sent = append(m.sent, sentRequest{at: m.now, auth: r})
	m.ops[fmt.Sprintf("auth force=%v %v", r.Force, res.Status)]++
	return res
}

func (m *randomModel) incremental(acct string) {
	ls := m.lifes[acct]
	if len(ls) == 0 {
		return
	}
	ref := &ls[len(ls)-1-m.rnd.IntN(min(len(ls), 20))]
	if ref.lc == (ledger.LifecycleKey{}) {
		return
	}
	r := &ledger.Authorize{Key: m.key(ledger.ClassAuthorization), Lifecycle: ref.lc, Original: m.original(), Account: acct,
		Card: ref.card, Cardholder: "ch_" + ref.card[5:], Amount: int64(m.rnd.IntN(5000)), Currency: "USD", MCC: "7011", At: m.now}
	m.doAuthorize(r)
	ref.origs = append(ref.origs, r.Original)
	m.ops["incremental"]++
}

func (m *randomModel) repeat(step int, acct string) {
	if len(m.sent) == 0 {
		return
	}
	s := m.sent[m.rnd.IntN(len(m.sent))]
	if m.now.Sub(s.at) >= retention {
		// Forgotten after the retention: a repeat then would be new.
		m.sent = m.sent[:0]
		return
	}
	var k ledger.RequestKey
	var res ledger.Result
	var who string
	if s.auth != nil {
		who = s.auth.Account
		before := m.state(who)
		k, res = s.auth.Key, m.l.Authorize(s.auth)
		if after := m.state(who); after != before {
			m.t.Fatalf("step %d: a repeat changed %s: %+v → %+v", step, who, before, after)
		}
	} else {
		who = s.rev.Account
		before := m.state(who)
		k, res = s.rev.Key, m.l.Reverse(s.rev)
		if after := m.state(who); after != before {
			m.t.Fatalf("step %d: a repeated reversal changed %s", step, who)
		}
	}
	want := m.results[k]
	want.Repeat = true
	if res != want {
		m.t.Fatalf("step %d: repeat answered %+v, first answer %+v", step, res, want)
	}
	m.ops["repeat"]++
	m.check(step, who)
}

func (m *randomModel) reverse(step int, acct string) {
	ls := m.lifes[acct]
	if len(ls) == 0 {
		return
	}
	ref := ls[len(ls)-1-m.rnd.IntN(min(len(ls), 20))]
	r := &ledger.Reverse{Key: m.key(ledger.ClassReversal), Account: acct, Card: ref.card, At: m.now}
	byOriginal := len(ref.origs) > 0 && (ref.lc == (ledger.LifecycleKey{}) || m.rnd.IntN(2) == 0)
	if byOriginal {
		r.Original = ref.origs[m.rnd.IntN(len(ref.origs))]
		if m.rnd.IntN(2) == 0 {
			r.Lifecycle = ref.lc
		}
	} else {
		r.Lifecycle = ref.lc
	}
	if m.rnd.IntN(3) == 0 {
		r.ActualAmount = int64(m.rnd.IntN(20_000))
	}
	holdsBefore := map[uint64]int64{}
	for _, h := range m.l.Holds(acct) {
		holdsBefore[h.ID] = h.Amount
	}
	res := m.l.Reverse(r)
	m.remember(r.Key, res)
	m.sent = append(m.sent, sentRequest{at: m.now, rev: r})
	if res.Status != ledger.Approved {
		m.t.Fatalf("step %d: reversal %+v", step, res)
	}
	held := holdsBefore[res.HoldID]
	if res.Released < 0 || res.Released > held {
		m.t.Fatalf("step %d: reversal released %d of a hold of %d", step, res.Released, held)
	}
	if res.HoldID != 0 && res.Hold != held-res.Released {
		m.t.Fatalf("step %d: hold %d → %d after releasing %d", step, held, res.Hold, res.Released)
	}
	if res.HoldID == 0 && res.Released != 0 {
		m.t.Fatalf("step %d: released %d from no hold", step, res.Released)
	}
	m.ops[fmt.Sprintf("reverse released=%v", res.Released > 0)]++
}

func (m *randomModel) earlyReversal(acct string) {
	o := m.original()
	r := &ledger.Reverse{Key: m.key(ledger.ClassReversal), Account: acct, Original: o, At: m.now}
	res := m.l.Reverse(r)
	m.remember(r.Key, res)
	if res.Status != ledger.Approved || res.Released != 0 || res.HoldID != 0 {
		m.t.Fatalf("early reversal %+v", res)
	}
	m.early[acct] = append(m.early[acct], o)
	m.ops["early reversal"]++
}

func (m *randomModel) lateOriginal(acct string) {
	os := m.early[acct]
	if len(os) == 0 {
		return
	}
	o := os[0]
	m.early[acct] = os[1:]
	r := &ledger.Authorize{Key: m.key(ledger.ClassAuthorization), Original: o, Account: acct, Card: "card_a",
		Amount: 100, Currency: "USD", MCC: "5411", At: m.now}
	res := m.doAuthorize(r)
	// Unless the reversal is older than the retention, the original is declined.
	if res.Reason != ledger.ReasonAlreadyReversed && res.Status == ledger.Declined {
		return
	}
	if res.Status != ledger.Declined && m.now.Sub(t0) < 7*24*time.Hour {
		m.t.Fatalf("late original approved: %+v", res)
	}
	if res.Status != ledger.Declined {
		m.lifes[acct] = append(m.lifes[acct], lifecycleRef{origs: []ledger.OriginalKey{o}, card: "card_a"})
	}
}

func (m *randomModel) capture(acct string) {
	holds := m.l.Holds(acct)
	c := &ledger.Capture{Key: m.key(ledger.ClassOther), Account: acct, At: m.now, MCC: "5411"}
	var h ledger.HoldInfo
	if len(holds) > 0 && m.rnd.IntN(8) > 0 {
		h = holds[m.rnd.IntN(len(holds))]
		if h.Lifecycle != (ledger.LifecycleKey{}) && m.rnd.IntN(2) == 0 {
			c.Lifecycle = h.Lifecycle
		} else {
			c.HoldID = h.ID
		}
		c.Amount = h.Amount + int64(m.rnd.IntN(2000)) - 1000
		if c.Amount < 0 {
			c.Amount = 0
		}
	} else {
		c.Amount = int64(m.rnd.IntN(3000)) - 1000
		// Another account's hold is no hold of this one; RequireHold then
		// refuses instead of posting.
		other := m.l.Holds(m.pick(m.accounts))
		if len(other) > 0 && m.rnd.IntN(2) == 0 && other[0].ID != 0 {
			if owner, _ := m.l.HoldAccount(other[0].ID); owner != acct {
				c.HoldID = other[0].ID
			}
		}
		c.RequireHold = m.rnd.IntN(3) == 0
	}
	res := m.l.Capture(c)
	m.remember(c.Key, res)
	if c.RequireHold && h.ID == 0 {
		if res.Status != ledger.Declined || res.Reason != ledger.ReasonHoldUnknown || res.HoldID != 0 {
			m.t.Fatalf("capture without a hold, hold required: %+v of %+v", res, c)
		}
		m.ops["capture_refused"]++
		return
	}
	if res.Status != ledger.Approved {
		m.t.Fatalf("capture %+v of %+v", res, c)
	}
	if res.HoldID != h.ID || res.Released != h.Amount {
		m.t.Fatalf("capture of %+v answered %+v", h, res)
	}
	m.posted[acct] -= c.Amount
	switch {
	case h.ID != 0:
		m.captured[acct] += c.Amount
		m.capCard[acct+"/"+h.Card] += c.Amount
	case c.Amount > 0:
		m.captured[acct] += c.Amount
	}
	m.ops["capture"]++
}

func (m *randomModel) release(acct string) {
	holds := m.l.Holds(acct)
	if len(holds) == 0 {
		return
	}
	h := holds[m.rnd.IntN(len(holds))]
	r := &ledger.Release{Key: m.key(ledger.ClassOther), Account: acct, HoldID: h.ID, At: m.now}
	if m.rnd.IntN(2) == 0 {
		r.Amount = 1 + int64(m.rnd.IntN(int(h.Amount)+1000))
	}
	res := m.l.Release(r)
	m.remember(r.Key, res)
	want := h.Amount
	if r.Amount > 0 {
		want = min(want, r.Amount)
	}
	if res.Released != want || res.Hold != h.Amount-want {
		m.t.Fatalf("release %+v of %+v: %+v", r, h, res)
	}
	m.ops["release"]++
}

func (m *randomModel) adjust(acct string) {
	r := &ledger.Adjust{Key: m.key(ledger.ClassOther), Account: acct, Amount: int64(m.rnd.IntN(100_000)) - 30_000,
		Force: m.rnd.IntN(4) == 0, At: m.now}
	res := m.l.Adjust(r)
	m.remember(r.Key, res)
	if res.Status == ledger.Approved {
		m.posted[acct] += r.Amount
	}
	m.ops["adjust "+res.Status.String()]++
}

func (m *randomModel) decline(acct string) {
	r := &ledger.Decline{Key: m.key(ledger.ClassAuthorization), Account: acct, Card: "card_b", At: m.now}
	if m.rnd.IntN(4) == 0 {
		r.Account = "" // card unknown
	}
	res := m.l.RecordDecline(r)
	m.remember(r.Key, res)
	if res.Status != ledger.Declined {
		m.t.Fatalf("decline %+v", res)
	}
	m.ops["decline"]++
}

func (m *randomModel) reload(acct string) {
	bal := m.loaded[acct]
	if m.rnd.IntN(2) == 0 {
		bal = int64(m.rnd.IntN(200_000))
	}
	if err := m.l.UpsertAccount(acct, "USD", bal, int64(m.rnd.IntN(3)*10_000)); err != nil {
		m.t.Fatal(err)
	}
	m.posted[acct] += bal - m.loaded[acct]
	m.loaded[acct] = bal
	m.ops["reload"]++
}

// restart reopens the ledger, after a clean close or from what a crash
// leaves on disk once the last answer was durable, and compares.
func (m *randomModel) restart(crash bool) {
	t := m.t
	before := map[string]state{}
	for _, a := range m.accounts {
		before[a] = m.state(a)
	}
	if err := m.l.WaitDurable(context.Background(), m.l.Stats().Appended); err != nil {
		t.Fatal(err)
	}
	if crash {
		m.fs = m.fs.(*vfs.MemFS).CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: 50, RNG: rand.New(rand.NewPCG(m.n, 1))})
		m.l.Close()
	} else if err := m.l.Close(); err != nil {
		t.Fatal(err)
	}
	m.open()
	for _, a := range m.accounts {
		if got := m.state(a); got != before[a] {
			t.Fatalf("after restart (crash=%v) %s is\n%+v\nwas\n%+v", crash, a, got, before[a])
		}
		m.check(-1, a)
	}
	for k, want := range m.results {
		got, ok := m.l.Lookup(k)
		want.Repeat = true
		if !ok && m.now.Sub(m.resultAt[k]) >= retention {
			delete(m.results, k)
			continue
		}
		if !ok || got != want {
			t.Fatalf("after restart (crash=%v) request %x remembered as %+v, want %+v", crash, k[:12], got, want)
		}
	}
	m.ops[fmt.Sprintf("restart crash=%v", crash)]++
}
