package load

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

// Class is a kind of request in the load mix.
type Class struct {
	Name     string
	Entry    spec.EntryMode
	Merchant string // traffic merchant key
	Amount   int64
	BadCVV2  bool // the CVV2 is wrong
	Unknown  bool // a card the portfolio does not have
	// Accept decides, from the model's answer to the request on a card
	// (without card verification values: the bench sends good ones), whether
	// the card belongs to the class's pool.
	Accept func(code string) bool
}

// approves reports whether the class's requests are expected to approve
// (and so consume the account's budget).
func (c *Class) approves() bool { return !c.BadCVV2 && !c.Unknown && c.Accept("00") }

// staticDeclines are answers that do not depend on balances or counters,
// so a card keeps getting them however much load runs.
var staticDeclines = map[string]bool{"14": true, "41": true, "43": true, "46": true, "54": true, "57": true, "62": true}

// Classes are the request classes the mix can name.
var Classes = map[string]*Class{
	"ecommerce": {Name: "ecommerce", Entry: spec.EntryEcommerce, Merchant: "online", Amount: 2500,
		Accept: func(c string) bool { return c == "00" }},
	"chip": {Name: "chip", Entry: spec.EntryChip, Merchant: "grocery", Amount: 4250,
		Accept: func(c string) bool { return c == "00" }},
	"bad_cvv2": {Name: "bad_cvv2", Entry: spec.EntryEcommerce, Merchant: "online", Amount: 2500, BadCVV2: true,
		Accept: func(c string) bool { return c == "00" }},
	"blocked_mcc": {Name: "blocked_mcc", Entry: spec.EntryEcommerce, Merchant: "casino", Amount: 2500,
		Accept: func(c string) bool { return c == "57" }},
	"card_status": {Name: "card_status", Entry: spec.EntryEcommerce, Merchant: "online", Amount: 2500,
		Accept: func(c string) bool { return staticDeclines[c] && c != "57" }},
	"unknown_card": {Name: "unknown_card", Entry: spec.EntryEcommerce, Merchant: "online", Amount: 2500, Unknown: true,
		Accept: func(c string) bool { return c == "14" }},
}

// StandardMix is the mix of the standard profile: mostly approvals, card
// present and not, and a few percent of the declines a real program sees.
const StandardMix = "ecommerce=50,chip=46,bad_cvv2=1,blocked_mcc=1,card_status=1,unknown_card=1"

// ParseMix reads "class=weight,..." into weights by class name.
func ParseMix(s string) (map[string]int, error) {
	mix := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, w, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("load: mix %q: want class=weight", part)
		}
		if Classes[name] == nil {
			return nil, fmt.Errorf("load: mix: unknown class %q (known: %s)", name, strings.Join(classNames(), ", "))
		}
		n, err := strconv.Atoi(w)
		if err != nil || n < 0 || n > 1_000_000 {
			return nil, fmt.Errorf("load: mix %q: weight must be 0–1000000", part)
		}
		mix[name] += n
	}
	total := 0
	for _, n := range mix {
		total += n
	}
	if total == 0 {
		return nil, errors.New("load: mix has no weight")
	}
	return mix, nil
}

func classNames() []string {
	var out []string
	for k := range Classes {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// entry is one card of a class pool, with everything patched per request.
type entry struct {
	pan      [PANDigits]byte
	expiry   [expiryLen]byte
	cvv2     [cvvLen]byte
	trackCVV [cvvLen]byte
	budget   int32 // index in the partition's budgets; -1 when the class does not approve
	code     uint8 // the expected answer, an index in codes
}

// budget is what an account may still be approved before funds, an
// interval limit or a velocity control could decline it: the least over its
// cards and the classes that approve.
type budget struct {
	amount    int64
	approvals int64
}

// classPool is a class's template and cards on one connection.
type classPool struct {
	class    *Class
	tpl      *Template
	entries  []entry
	approves bool
}

// partition is what one connection draws from: every class's pool, the
// budgets of its accounts, and the mix as a schedule of class indices.
type partition struct {
	pools    []*classPool
	budgets  []budget
	schedule []uint8
}

// codes are the response codes the loop knows, indexed by entry.code.
var codes = [...]string{"00", "10", "85", "05", "N7", "12", "13", "14", "30", "41", "43", "46", "51", "54", "55", "57", "59", "61", "62", "65", "75", "91", "96"}

func codeIndex(c string) (uint8, bool) {
	for i, k := range codes {
		if k == c {
			return uint8(i), true
		}
	}
	return 0, false
}

// maxClasses bounds the classes of one mix.
const maxClasses = 16

// maxDeclinePool bounds the cards a declining class keeps per network:
// such classes are a few percent of the traffic and need no budgets, so a
// sample serves them as well as every card would.
const maxDeclinePool = 100_000

// classPlan is what classification needs of a class on one network.
type classPlan struct {
	class    *Class
	tpl      *Template
	probe    spec.Authorization // the template's request without verification values
	merchant traffic.Merchant
	peekSlot int // classes at the same merchant share one Peek per card
	approves bool
}

// cardVerdict is what classification found for one card.
type cardVerdict struct {
	codes     [maxClasses]int8 // per class: the expected code's index, or -1 when not in the pool
	cvv2      [cvvLen]byte
	badCVV2   [cvvLen]byte
	trackCVV  [cvvLen]byte
	amount    int64 // budget, when an approving class took the card
	approvals int64
}

// buildPartitions classifies the network's cards for each class of the mix
// with the model and splits them, account by account, into parts
// partitions. The model must hold the portfolio exactly as the switch
// loaded it, with nothing run against it yet.
func buildPartitions(m *model.Model, n spec.Network, mix map[string]int, parts int, now time.Time) ([]*partition, []string, error) {
	var notes []string
	names := make([]string, 0, len(mix))
	for name, w := range mix {
		if w > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if len(names) > maxClasses {
		return nil, nil, fmt.Errorf("load: more than %d classes in the mix", maxClasses)
	}

	var cards []*model.Card
	for _, c := range m.Cards() {
		if c.Network == n && len(c.PAN) == PANDigits && c.HasKeys() {
			cards = append(cards, c)
		}
	}

	// Templates, one per class, packed from a request on the first card in
	// the merchant's currency (or, for unknown cards, on none).
	src := traffic.NewSource(n, 99, "400099", 0)
	src.Now = func() time.Time { return now }
	var plans []*classPlan
	slots := map[string]int{}
	serviceCode := ""
	for _, name := range names {
		class := Classes[name]
		merchant, ok := traffic.MerchantByKey(class.Merchant)
		if !ok {
			return nil, nil, fmt.Errorf("load: class %s: no merchant %s", name, class.Merchant)
		}
		var probe *model.Card
		for _, c := range cards {
			if c.Account.Currency == merchant.Currency {
				probe = c
				break
			}
		}
		if probe == nil && !class.Unknown {
			return nil, nil, fmt.Errorf("load: no %s card in %s to build templates on", n, merchant.Currency)
		}
		req := traffic.Request{Type: spec.TxnPurchase, Amount: class.Amount, Merchant: merchant, Entry: class.Entry}
		var base *spec.Authorization
		var err error
		if class.Unknown {
			base, err = src.Authorization(nil, req)
		} else {
			base, err = src.Authorization(probe, req)
		}
		if err != nil {
			return nil, nil, err
		}
		base.AcquirerID = "400099"
		tpl, err := NewTemplate(traffic.Pack, base)
		if err != nil {
			return nil, nil, fmt.Errorf("load: class %s on %s: %w", name, n, err)
		}
		cp := &classPlan{class: class, tpl: tpl, probe: *base, merchant: merchant, approves: class.approves()}
		cp.probe.CVV2, cp.probe.CVV2Present = "", false
		cp.probe.Track2, cp.probe.ServiceCode, cp.probe.TrackCVV = "", "", ""
		key := merchant.Key + "|" + merchant.Currency
		if _, ok := slots[key]; !ok {
			slots[key] = len(slots)
		}
		cp.peekSlot = slots[key]
		if base.ServiceCode != "" {
			if serviceCode != "" && serviceCode != base.ServiceCode {
				return nil, nil, fmt.Errorf("load: classes with different track service codes")
			}
			serviceCode = base.ServiceCode
		}
		plans = append(plans, cp)
	}

	// Classify every card, in parallel: the model's Peek and Headroom only
	// read it, and CVVs are the costly part.
	verdicts := make([]cardVerdict, len(cards))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			peeks := make([]string, len(slots))
			for i := w; i < len(cards); i += workers {
				classify(m, cards[i], plans, peeks, serviceCode, n, now, &verdicts[i])
			}
		}()
	}
	wg.Wait()

	// Split into partitions, account by account, in file order.
	out := make([]*partition, parts)
	for i := range out {
		out[i] = &partition{}
		for _, cp := range plans {
			out[i].pools = append(out[i].pools, &classPool{class: cp.class, tpl: cp.tpl, approves: cp.approves})
		}
	}
	budgets := make(map[*model.Account]int32)
	for i, c := range cards {
		v := &verdicts[i]
		part := out[c.Account.Index%parts]
		bi := int32(-1)
		for ci, cp := range plans {
			code := v.codes[ci]
			if code < 0 {
				continue
			}
			pool := part.pools[ci]
			if !cp.approves && len(pool.entries) >= maxDeclinePool/parts {
				continue
			}
			e := entry{budget: -1, code: uint8(code), cvv2: v.cvv2, trackCVV: v.trackCVV}
			if cp.class.BadCVV2 {
				e.cvv2 = v.badCVV2
			}
			copy(e.pan[:], c.PAN)
			copy(e.expiry[:], c.Expiry)
			if cp.approves {
				if bi < 0 {
					var seen bool
					if bi, seen = budgets[c.Account]; !seen {
						bi = int32(len(part.budgets))
						part.budgets = append(part.budgets, budget{amount: v.amount, approvals: v.approvals})
						budgets[c.Account] = bi
					} else {
						b := &part.budgets[bi]
						b.amount, b.approvals = min(b.amount, v.amount), min(b.approvals, v.approvals)
					}
				}
				e.budget = bi
			}
			pool.entries = append(pool.entries, e)
		}
	}

	// Unknown cards: PANs under a BIN the portfolio never issues.
	for ci, cp := range plans {
		if !cp.class.Unknown {
			continue
		}
		code, _ := codeIndex("14")
		req := traffic.Request{Type: spec.TxnPurchase, Amount: cp.class.Amount, Merchant: cp.merchant, Entry: cp.class.Entry}
		for i := 0; i < 10_000; i++ {
			a, err := src.Authorization(nil, req)
			if err != nil {
				return nil, nil, err
			}
			e := entry{budget: -1, code: code}
			copy(e.pan[:], a.PAN)
			copy(e.expiry[:], "2912")
			copy(e.cvv2[:], "123")
			p := out[i%parts].pools[ci]
			p.entries = append(p.entries, e)
		}
	}

	// The schedule: class indices in proportion to their weights, spread
	// evenly, per partition without the classes it has no cards for.
	for pi, p := range out {
		var weights []int
		for _, pool := range p.pools {
			w := mix[pool.class.Name]
			if len(pool.entries) == 0 {
				if pi == 0 {
					notes = append(notes, fmt.Sprintf("%s: no card for class %s; left out of the mix", n, pool.class.Name))
				}
				w = 0
			}
			weights = append(weights, w)
		}
		p.schedule = spread(weights, 1000)
		if len(p.schedule) == 0 {
			return nil, notes, fmt.Errorf("load: %s partition %d has no card for any class of the mix", n, pi)
		}
	}
	return out, notes, nil
}

// classify decides, for one card, which class pools it joins and with
// what expected answer: the model's answer to the class's request without
// verification values (the bench sends good ones; a bad CVV2 declines at
// the verification step, which only a card that otherwise approves
// reaches).
func classify(m *model.Model, c *model.Card, plans []*classPlan, peeks []string, serviceCode string, n spec.Network, now time.Time, v *cardVerdict) {
	for i := range peeks {
		peeks[i] = ""
	}
	taken, approves := false, false
	for ci, cp := range plans {
		v.codes[ci] = -1
		if cp.class.Unknown || c.Account.Currency != cp.merchant.Currency {
			continue
		}
		code := peeks[cp.peekSlot]
		if code == "" {
			probe := cp.probe
			probe.PAN, probe.Expiry = c.PAN, c.Expiry
			want, err := m.Peek(&probe, now)
			code = "-" // not predictable: in no pool
			if err == nil {
				code = want.Code
			}
			peeks[cp.peekSlot] = code
		}
		if !cp.class.Accept(code) {
			continue
		}
		if cp.class.BadCVV2 {
			code = "05"
			if n == spec.Visa {
				code = "N7"
			}
		}
		idx, ok := codeIndex(code)
		if !ok {
			continue
		}
		v.codes[ci] = int8(idx)
		taken = true
		approves = approves || cp.approves
	}
	if !taken {
		return
	}
	cvv2 := c.CVV(c.Expiry, "000")
	copy(v.cvv2[:], cvv2)
	bad, _ := strconv.Atoi(cvv2)
	putDecimal(v.badCVV2[:], uint64((bad+1)%1000))
	if serviceCode != "" {
		copy(v.trackCVV[:], c.CVV(c.Expiry, serviceCode))
	}
	if approves {
		v.amount, v.approvals = math.MaxInt64, math.MaxInt64
		for ci, cp := range plans {
			if cp.approves && v.codes[ci] >= 0 {
				amount, approvals := m.Headroom(c, cp.merchant.MCC, now)
				v.amount, v.approvals = min(v.amount, amount), min(v.approvals, int64(approvals))
			}
		}
	}
}

// spread returns n class indices in proportion to weights, interleaved so
// that every window of the schedule has about the mix's proportions.
func spread(weights []int, n int) []uint8 {
	total := 0
	for _, w := range weights {
		total += w
	}
	if total == 0 {
		return nil
	}
	out := make([]uint8, 0, n)
	credit := make([]float64, len(weights))
	for len(out) < n {
		best := -1
		for i, w := range weights {
			if w == 0 {
				continue
			}
			credit[i] += float64(w) / float64(total)
			if best < 0 || credit[i] > credit[best] {
				best = i
			}
		}
		credit[best]--
		out = append(out, uint8(best))
	}
	return out
}
