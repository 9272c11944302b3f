package load

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
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

	out := make([]*partition, parts)
	for i := range out {
		out[i] = &partition{}
	}
	accountBudget := make(map[*model.Account][2]int) // → partition, budget index
	src := traffic.NewSource(n, 99, "400099", 0)
	src.Now = func() time.Time { return now }

	for _, name := range names {
		class := Classes[name]
		merchant, ok := traffic.MerchantByKey(class.Merchant)
		if !ok {
			return nil, nil, fmt.Errorf("load: class %s: no merchant %s", name, class.Merchant)
		}
		// The template is packed from a request on the first card of the
		// network in the merchant's currency (or, for unknown cards, on none).
		var base *spec.Authorization
		var probe *model.Card
		for _, c := range m.Cards() {
			if c.Network == n && len(c.PAN) == PANDigits && c.Account.Currency == merchant.Currency && c.HasKeys() {
				probe = c
				break
			}
		}
		if probe == nil && !class.Unknown {
			return nil, nil, fmt.Errorf("load: no %s card in %s to build templates on", n, merchant.Currency)
		}
		req := traffic.Request{Type: spec.TxnPurchase, Amount: class.Amount, Merchant: merchant, Entry: class.Entry}
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
		pools := make([]*classPool, parts)
		for i := range pools {
			pools[i] = &classPool{class: class, tpl: tpl, approves: class.approves()}
			out[i].pools = append(out[i].pools, pools[i])
		}

		if class.Unknown {
			// Unknown cards: PANs under a BIN the portfolio never issues.
			code, _ := codeIndex("14")
			for i := 0; i < 10_000; i++ {
				a, err := src.Authorization(nil, req)
				if err != nil {
					return nil, nil, err
				}
				var e entry
				copy(e.pan[:], a.PAN)
				copy(e.expiry[:], "2912")
				copy(e.cvv2[:], "123")
				e.budget, e.code = -1, code
				p := pools[i%parts]
				p.entries = append(p.entries, e)
			}
			continue
		}

		// Peek at the request on every card, without verification values:
		// the bench sends good ones (or, for bad_cvv2, a wrong CVV2 on a card
		// that otherwise approves, which declines at the verification step).
		probeReq := *base
		probeReq.CVV2, probeReq.CVV2Present = "", false
		probeReq.Track2, probeReq.ServiceCode, probeReq.TrackCVV = "", "", ""
		serviceCode := base.ServiceCode
		for _, c := range m.Cards() {
			if c.Network != n || len(c.PAN) != PANDigits || c.Account.Currency != merchant.Currency || !c.HasKeys() {
				continue
			}
			probeReq.PAN, probeReq.Expiry = c.PAN, c.Expiry
			want, err := m.Peek(&probeReq, now)
			if err != nil || !class.Accept(want.Code) {
				continue
			}
			code := want.Code
			if class.BadCVV2 {
				code = "05"
				if n == spec.Visa {
					code = "N7"
				}
			}
			var e entry
			var ok bool
			if e.code, ok = codeIndex(code); !ok {
				continue
			}
			copy(e.pan[:], c.PAN)
			copy(e.expiry[:], c.Expiry)
			cvv2 := c.CVV(c.Expiry, "000")
			if class.BadCVV2 {
				v, _ := strconv.Atoi(cvv2)
				cvv2 = fmt.Sprintf("%03d", (v+1)%1000)
			}
			copy(e.cvv2[:], cvv2)
			if serviceCode != "" {
				copy(e.trackCVV[:], c.CVV(c.Expiry, serviceCode))
			}
			e.budget = -1
			part, idx := 0, 0
			if b, seen := accountBudget[c.Account]; seen {
				part, idx = b[0], b[1]
			} else {
				part = len(accountBudget) % parts
				idx = len(out[part].budgets)
				out[part].budgets = append(out[part].budgets, budget{amount: math.MaxInt64, approvals: math.MaxInt64})
				accountBudget[c.Account] = [2]int{part, idx}
			}
			if pools[part].approves {
				amount, approvals := m.Headroom(c, merchant.MCC, now)
				b := &out[part].budgets[idx]
				b.amount = min(b.amount, amount)
				b.approvals = min(b.approvals, int64(approvals))
				e.budget = int32(idx)
			}
			pools[part].entries = append(pools[part].entries, e)
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
