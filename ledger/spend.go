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
// as many as the deepest velocity control asked for (bounded by
// maxVelocityDepth).
type velocityRing struct {
	at   []int64 // unix nanoseconds, ring order
	head int     // next write
	n    int
}

const (
	minVelocityDepth = 4
	maxVelocityDepth = 4096
)

// push records an approval at t, growing the ring to depth first. The
// ring stays in time order: requests that raced by a little are put in
// their place (a bounded walk back), so since can search it.
func (r *velocityRing) push(t int64, depth int) {
	r.grow(depth)
	size := len(r.at)
	r.at[r.head] = t
	i := r.head
	r.head = (r.head + 1) % size
	if r.n < size {
		r.n++
	}
	for k := 1; k < r.n; k++ {
		prev := (i - 1 + size) % size
		if r.at[prev] <= r.at[i] {
			break
		}
		r.at[prev], r.at[i] = r.at[i], r.at[prev]
		i = prev
	}
}

func (r *velocityRing) grow(depth int) {
	if depth < minVelocityDepth {
		depth = minVelocityDepth
	}
	if depth > maxVelocityDepth {
		depth = maxVelocityDepth
	}
	if depth <= len(r.at) {
		return
	}
	at := make([]int64, depth)
	for i := 0; i < r.n; i++ {
		at[i] = r.get(i)
	}
	r.at, r.head = at, r.n%depth
}

// get returns the i-th recorded approval, oldest first.
func (r *velocityRing) get(i int) int64 {
	return r.at[(r.head-r.n+i+2*len(r.at))%len(r.at)]
}

// since counts the approvals strictly after t, at most limit.
func (r *velocityRing) since(t int64, limit int) int {
	lo, hi := 0, r.n // first index with at > t
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if r.get(mid) <= t {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return min(r.n-lo, limit)
}

// scopeSpend is everything counted for one scope.
type scopeSpend struct {
	all   totals
	byMCC map[uint16]*totals
	vel   velocityRing
}

// add counts delta in the windows w, in the all-category totals and in
// the merchant category's.
func (s *scopeSpend) add(w windows, mcc uint16, delta int64) {
	s.all.add(w, delta)
	if mcc == noMCC {
		return
	}
	t := s.byMCC[mcc]
	if t == nil {
		if s.byMCC == nil {
			s.byMCC = make(map[uint16]*totals, 2)
		}
		t = new(totals)
		s.byMCC[mcc] = t
	}
	t.add(w, delta)
}

// spent returns what the limit counts in the window of w.
func (s *scopeSpend) spent(l *Limit, w windows) int64 {
	if len(l.Categories) == 0 {
		return s.all.in(l.Interval, w)
	}
	var sum int64
	for _, c := range l.Categories {
		if m := parseMCC(c); m != noMCC {
			if t := s.byMCC[m]; t != nil {
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
