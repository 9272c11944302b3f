package ledger

// Spend counters and velocity rings. Both are kept per scope: the account
// itself, and each card and cardholder of the account (the portfolio ties
// every card and cardholder to one account, so their counters live under
// the account's lock).

// windows are the calendar windows (UTC) a moment falls in: day number,
// week number (weeks start on Monday), month number and year, all counted
// from the Unix epoch.
type windows [4]int32

const nanosPerDay = 86400 * 1e9

// windowsAt returns the calendar windows of a Unix time in nanoseconds.
func windowsAt(unixNano int64) windows {
	day := unixNano / nanosPerDay
	if unixNano < 0 && unixNano%nanosPerDay != 0 {
		day--
	}
	// 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
	week := (day + 3) / 7
	if day+3 < 0 && (day+3)%7 != 0 {
		week--
	}
	y, m := civilFromDays(day)
	return windows{int32(day), int32(week), int32(y*12 + m - 1), int32(y)}
}

// civilFromDays converts days since 1970-01-01 into a proleptic Gregorian
// year and month (H. Hinnant's algorithm), without time.Time's cost.
func civilFromDays(z int64) (year, month int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m
}

// totals are one scope's approved spend in its current windows (day, week,
// month, year) and all time. A window older than the current one no longer
// matters to any limit: amounts added to or released from it are dropped
// for that interval only.
type totals struct {
	win windows
	amt [5]int64
}

// add counts delta (negative for a release) as spent in the windows w.
func (t *totals) add(w windows, delta int64) {
	for i := range w {
		if w[i] > t.win[i] {
			t.win[i] = w[i]
			t.amt[i] = 0
		}
		if w[i] == t.win[i] {
			t.amt[i] += delta
		}
	}
	t.amt[4] += delta
}

// in returns the spend of the interval's window that contains w.
func (t *totals) in(iv Interval, w windows) int64 {
	switch iv {
	case AllTime:
		return t.amt[4]
	case Daily, Weekly, Monthly, Yearly:
		i := int(iv) - int(Daily)
		if t.win[i] == w[i] {
			return t.amt[i]
		}
	}
	return 0
}

// velocityRing keeps the times of the most recent approvals of a scope,
// as many as the deepest velocity control on the scope asked for (at least
// minVelocityDepth, held in the ring itself; at most maxVelocityDepth).
type velocityRing struct {
	head int32 // next write
	n    int32
	inl  [minVelocityDepth]int64 // the ring while it is no deeper
	ext  []int64                 // the ring once a control asked for more
}

const (
	minVelocityDepth = 4
	maxVelocityDepth = 4096
)

func (r *velocityRing) buf() []int64 {
	if r.ext != nil {
		return r.ext
	}
	return r.inl[:]
}

// depth is how many approvals the ring keeps.
func (r *velocityRing) depth() int {
	if r.ext != nil {
		return len(r.ext)
	}
	return minVelocityDepth
}

// push records an approval at t in a ring that keeps up to depth
// approvals. The ring grows only when it is full and its oldest approval
// may still count — it is not older than keep, the longest window of the
// controls on the scope (keep 0: unknown, as on replay, so it may) — so a
// scope with a control of 1,000 a minute holds what a minute brought, not
// room for 1,000. The ring stays in time order: requests that raced by a
// little are put in their place (a bounded walk back), so atLeast can look
// up the k-th newest.
func (r *velocityRing) push(t int64, depth int, keep int64) {
	if size := r.depth(); int(r.n) == size && size < min(depth, maxVelocityDepth) &&
		(keep <= 0 || r.get(0) >= t-keep) {
		r.grow(min(depth, 2*size))
	}
	b := r.buf()
	size := int32(len(b))
	i := r.head
	b[i] = t
	if r.head++; r.head == size {
		r.head = 0
	}
	if r.n < size {
		r.n++
	}
	for k := int32(1); k < r.n; k++ {
		prev := i - 1
		if prev < 0 {
			prev += size
		}
		if b[prev] <= b[i] {
			break
		}
		b[prev], b[i] = b[i], b[prev]
		i = prev
	}
}

// grow makes room for depth approvals (at most maxVelocityDepth), keeping
// the recorded ones in order.
func (r *velocityRing) grow(depth int) {
	depth = min(depth, maxVelocityDepth)
	if depth <= r.depth() {
		return
	}
	at := make([]int64, depth)
	for i := 0; i < int(r.n); i++ {
		at[i] = r.get(i)
	}
	r.ext, r.head = at, r.n%int32(depth)
}

// get returns the i-th recorded approval, oldest first.
func (r *velocityRing) get(i int) int64 {
	b := r.buf()
	j := int(r.head) - int(r.n) + i
	if j < 0 {
		j += len(b)
	}
	return b[j]
}

// atLeast reports whether k or more recorded approvals are strictly after
// t — a velocity control of k approvals is met. The ring is in time order,
// so that is one look at the k-th newest, not a search.
func (r *velocityRing) atLeast(t int64, k int) bool {
	switch {
	case k <= 0:
		return true
	case k > int(r.n):
		return false
	}
	return r.get(int(r.n)-k) > t
}

// counters are everything counted for one scope: its totals, by merchant
// category too, and its velocity ring. The account's own are in the
// account; its cards' and cardholders' are scopeSpends.
type counters struct {
	all  totals
	vel  velocityRing
	mccs []mccTotals // by merchant category, sorted by code
}

// scopeSpend is a card's or a cardholder's counters and identity.
type scopeSpend struct {
	hash uint64 // of kind and id: the account's scope index (account.scopeIdx)
	kind Scope
	key  inlineID // id again, inline, so that finding a scope reads no other memory
	counters
	id string
}

// inlineID holds a copy of a short id (a card token, an account id) in the
// structure it names, so that comparing ids on a lookup touches no other
// cache line; longer ids are compared through their string.
type inlineID struct {
	n   uint8 // length; inlineIDLong when the id does not fit
	buf [inlineIDBytes]byte
}

const (
	inlineIDBytes = 30
	inlineIDLong  = 0xFF
)

func makeInlineID(id string) inlineID {
	if len(id) > inlineIDBytes {
		return inlineID{n: inlineIDLong}
	}
	k := inlineID{n: uint8(len(id))}
	copy(k.buf[:], id)
	return k
}

// is reports whether the id is s; long is the id itself, read only when
// it did not fit.
func (k *inlineID) is(s, long string) bool {
	if k.n == inlineIDLong {
		return long == s
	}
	return int(k.n) == len(s) && string(k.buf[:k.n]) == s
}

// mccTotals are a scope's totals in one merchant category.
type mccTotals struct {
	mcc uint16
	t   totals
}

// add counts delta in the windows w, in the all-category totals and in
// the merchant category's.
func (s *counters) add(w windows, mcc uint16, delta int64) {
	s.all.add(w, delta)
	if mcc == noMCC {
		return
	}
	i := s.mccIndex(mcc)
	if i == len(s.mccs) || s.mccs[i].mcc != mcc {
		s.mccs = append(s.mccs, mccTotals{})
		copy(s.mccs[i+1:], s.mccs[i:])
		s.mccs[i] = mccTotals{mcc: mcc}
	}
	s.mccs[i].t.add(w, delta)
}

// mccIndex is where mcc is, or would go, in s.mccs.
func (s *counters) mccIndex(mcc uint16) int {
	lo, hi := 0, len(s.mccs)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if s.mccs[mid].mcc < mcc {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// category returns the totals of one merchant category, or nil.
func (s *counters) category(mcc uint16) *totals {
	if i := s.mccIndex(mcc); i < len(s.mccs) && s.mccs[i].mcc == mcc {
		return &s.mccs[i].t
	}
	return nil
}

// spent returns what the limit counts in the window of w.
func (s *counters) spent(l *Limit, w windows) int64 {
	if len(l.Categories) == 0 {
		return s.all.in(l.Interval, w)
	}
	var sum int64
	for _, c := range l.Categories {
		if m := parseMCC(c); m != noMCC {
			if t := s.category(m); t != nil {
				sum += t.in(l.Interval, w)
			}
		}
	}
	return sum
}

// noMCC marks a missing or malformed merchant category code.
const noMCC = 0xFFFF

// parseMCC reads a four-digit merchant category code.
func parseMCC(s string) uint16 {
	if len(s) != 4 {
		return noMCC
	}
	var v uint16
	for i := 0; i < 4; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return noMCC
		}
		v = v*10 + uint16(c-'0')
	}
	return v
}

// mccDigits holds every four-digit code in order, so that a code's string
// is a slice of it: no formatting and no allocation per entry.
var mccDigits = func() string {
	b := make([]byte, 0, 4*10000)
	for m := 0; m < 10000; m++ {
		b = append(b, byte('0'+m/1000), byte('0'+m/100%10), byte('0'+m/10%10), byte('0'+m%10))
	}
	return string(b)
}()

// mccString is the four digits of a parsed code; "" for noMCC.
func mccString(m uint16) string {
	if m >= 10000 {
		return ""
	}
	return mccDigits[4*int(m) : 4*int(m)+4]
}

// limitApplies reports whether a category-restricted limit covers mcc.
func limitApplies(l *Limit, mcc string) bool {
	if len(l.Categories) == 0 {
		return true
	}
	for _, c := range l.Categories {
		if c == mcc {
			return true
		}
	}
	return false
}
