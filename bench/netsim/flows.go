package netsim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

type outcome uint8

const (
	outcomeDone    outcome = iota
	outcomeRetry           // the first step was not predictable: try another card
	outcomeStopped         // stopped after the first step
)

// flow is one play of a flow: its card (its account locked while it
// plays), its numbering sources and the steps it has sent.
type flow struct {
	r     *Runner
	name  string
	rng   *rand.Rand
	srcs  map[spec.Network]*traffic.Source
	card  *model.Card
	steps int
}

func (f *flow) release() {
	if f.card != nil {
		f.r.unlock(f.card.Account)
		f.card = nil
	}
}

// pickCard takes a random card whose account is free, on a network the
// runner has a client for.
func (f *flow) pickCard() bool {
	cards := f.r.Model.Cards()
	if len(cards) == 0 {
		return false
	}
	for range 64 {
		c := cards[f.rng.IntN(len(cards))]
		if f.r.Clients[c.Network] == nil || len(c.PAN) > 19 {
			continue
		}
		if f.r.lock(c) {
			f.card = c
			return true
		}
	}
	return false
}

// network is the card's network, or a random one for unknown cards.
func (f *flow) network() spec.Network {
	if f.card != nil {
		return f.card.Network
	}
	var up []spec.Network
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		if f.r.Clients[n] != nil {
			up = append(up, n)
		}
	}
	if len(up) == 0 {
		return spec.Visa
	}
	return up[f.rng.IntN(len(up))]
}

// merchant draws a merchant in the card's home currency (8% abroad), of
// the given MCC when mcc is set.
func (f *flow) merchant(keys ...string) traffic.Merchant {
	if len(keys) > 0 {
		m, _ := traffic.MerchantByKey(keys[f.rng.IntN(len(keys))])
		return m
	}
	home := "US"
	if f.card != nil {
		home = homeCountry[f.card.Account.Currency]
	}
	var pool []traffic.Merchant
	if f.rng.Float64() < 0.08 {
		for _, m := range traffic.Merchants {
			if m.Country != home && m.MCC != "6011" && m.MCC != "7995" {
				pool = append(pool, m)
			}
		}
	} else {
		for _, m := range traffic.Domestic(home) {
			if m.MCC != "6011" && m.MCC != "7011" {
				pool = append(pool, m)
			}
		}
	}
	if len(pool) == 0 {
		m, _ := traffic.MerchantByKey("grocery")
		return m
	}
	return pool[f.rng.IntN(len(pool))]
}

var homeCountry = map[string]string{"USD": "US", "EUR": "DE", "GBP": "GB", "CAD": "CA", "JPY": "JP"}

// amount draws a purchase amount in the merchant's currency: log-normal
// around 30 major units.
func (f *flow) amount(m traffic.Merchant, median float64) int64 {
	cur, _ := spec.CurrencyByAlpha(m.Currency)
	major := median * math.Exp(0.9*f.rng.NormFloat64())
	return max(1, int64(major*math.Pow10(int(cur.Exponent))))
}

// step is a sent request and its answer.
type step struct {
	req  *spec.Authorization
	want model.Expected
	got  Reply
}

var errStop = errors.New("stop")

// send sends one step: the model predicts the answer to what goes on the
// wire, the switch answers, the two are compared. errAmbiguous (wrapping
// model.ErrAmbiguous) when the model cannot predict it; errStop when the
// flow cannot go on.
func (f *flow) send(name string, a *spec.Authorization) (step, error) {
	n := a.Network
	client := f.r.Clients[n]
	onWire, _, err := traffic.Decoded(n, a)
	if err != nil {
		f.r.recordError(fmt.Errorf("%s %s: %w", f.name, name, err))
		return step{}, errStop
	}
	want, err := f.r.Model.Expect(&onWire, time.Now())
	if err != nil {
		return step{}, err
	}
	f.steps++
	rep, err := client.Send(a)
	f.r.mu.Lock()
	f.r.report.Requests++
	if err == nil {
		f.r.report.Codes[rep.Answer.ResponseCode]++
		f.r.report.latency.Latency(rep.Latency)
	}
	f.r.mu.Unlock()
	if err != nil {
		f.r.recordError(fmt.Errorf("%s %s: %w", f.name, name, err))
		f.taint()
		return step{}, errStop
	}
	s := step{req: a, want: want, got: rep}
	if diff := compare(n, want, rep.Answer); diff != "" {
		f.r.mu.Lock()
		f.r.report.Mismatched++
		if len(f.r.report.Mismatches) < maxMismatches {
			f.r.report.Mismatches = append(f.r.report.Mismatches, Mismatch{
				Flow: f.name, Step: name, Network: n.String(), MTI: a.MTI, STAN: a.STAN,
				Card: spec.MaskPAN(a.PAN), Want: describe(n, want), Got: diff,
			})
		}
		f.r.mu.Unlock()
		f.taint()
		return s, errStop
	}
	f.r.mu.Lock()
	f.r.report.Matched++
	f.r.mu.Unlock()
	if want.AuthCodeRequired && !want.Repeat {
		f.r.Model.RecordAuthCode(&onWire, rep.Answer.AuthCode)
	}
	return s, nil
}

// taint marks the card's account as no longer predictable: the switch did
// something other than the model expected, or may not have seen a request.
func (f *flow) taint() {
	if f.card != nil {
		f.r.taint(f.card.Account)
	}
}

// result turns a step's error into the flow's outcome.
func (f *flow) result(err error) outcome {
	switch {
	case err == nil:
		return outcomeDone
	case errors.Is(err, model.ErrAmbiguous) && f.steps == 0:
		return outcomeRetry
	case errors.Is(err, model.ErrAmbiguous):
		f.r.mu.Lock()
		f.r.report.Ambiguous++
		f.r.mu.Unlock()
	}
	return outcomeStopped
}

// compare returns what differs between the model's answer and the
// switch's, or "".
func compare(n spec.Network, want model.Expected, got spec.Answer) string {
	var diffs []string
	add := func(format string, args ...any) { diffs = append(diffs, fmt.Sprintf(format, args...)) }
	if got.ResponseCode != want.Code {
		add("39=%s", got.ResponseCode)
	}
	if want.AuthCodeRequired {
		switch {
		case len(got.AuthCode) != 6:
			add("38=%q", got.AuthCode)
		case want.AuthCode != "" && got.AuthCode != want.AuthCode:
			add("38=%s (first answer %s)", got.AuthCode, want.AuthCode)
		}
	}
	if want.Partial && (!got.Partial || got.ApprovedAmount != want.Amount) {
		add("partial=%v approved=%d", got.Partial, got.ApprovedAmount)
	}
	if !want.Partial && got.Partial {
		add("unexpected partial approval of %d", got.ApprovedAmount)
	}
	if want.Balances {
		if !got.HasBalances || got.LedgerBalance != want.Ledger || got.Available != want.Available ||
			got.BalanceCurrency != want.BalanceCurrency {
			add("54 ledger=%d available=%d currency=%d", got.LedgerBalance, got.Available, got.BalanceCurrency)
		}
	}
	if want.CVV2Result != 0 && got.CVV2Result != want.CVV2Result {
		add("CVV2 result %q", got.CVV2Result)
	}
	if n == spec.Visa && want.CVVResult != 0 && got.CVVResult != want.CVVResult {
		add("CVV result %q", got.CVVResult)
	}
	return strings.Join(diffs, " ")
}

// describe writes the expected answer the way compare reports differences.
func describe(n spec.Network, e model.Expected) string {
	s := "39=" + e.Code + " (" + e.Reason + ")"
	if e.Partial {
		s += fmt.Sprintf(" partial approved=%d", e.Amount)
	}
	if e.Balances {
		s += fmt.Sprintf(" 54 ledger=%d available=%d", e.Ledger, e.Available)
	}
	if e.CVV2Result != 0 {
		s += fmt.Sprintf(" CVV2 %c", e.CVV2Result)
	}
	if n == spec.Visa && e.CVVResult != 0 {
		s += fmt.Sprintf(" CVV %c", e.CVVResult)
	}
	return s
}

// flows are the runner's flows by name.
var flows = map[string]func(*flow) outcome{
	"chip":             purchase(spec.EntryChip),
	"contactless":      purchase(spec.EntryContactless),
	"swipe":            purchase(spec.EntrySwipe),
	"ecommerce":        purchase(spec.EntryEcommerce),
	"atm":              atm,
	"cashback":         cashback,
	"fuel":             fuel,
	"hotel":            hotel,
	"reversal":         reversal(0),
	"partial_reversal": reversal(2),
	"timeout_reversal": timeoutReversal,
	"late_original":    lateOriginal,
	"advice":           advice,
	"balance":          balance,
	"verification":     verification,
	"repeat":           repeat,
	"refund":           refund,
	"echo":             echo,
	"unknown_card":     unknownCard,
}

// build picks a card and builds the flow's first request on it.
func (f *flow) build(r traffic.Request) (*spec.Authorization, bool) {
	if !f.pickCard() {
		return nil, false
	}
	if r.Merchant.Key == "" {
		r.Merchant = f.merchant()
	}
	if r.Amount == 0 && r.Type != spec.TxnBalanceInquiry && r.Type != spec.TxnAccountVerification {
		r.Amount = f.amount(r.Merchant, 30)
	}
	a, err := f.srcs[f.card.Network].Authorization(f.card, r)
	if err != nil {
		f.r.recordError(err)
		return nil, false
	}
	return a, true
}

func purchase(entry spec.EntryMode) func(*flow) outcome {
	return func(f *flow) outcome {
		r := traffic.Request{Type: spec.TxnPurchase, Entry: entry}
		switch x := f.rng.Float64(); {
		case entry == spec.EntryEcommerce && x < 0.03:
			r.CVV2 = traffic.Bad
		case entry == spec.EntryEcommerce && x < 0.04:
			r.Expiry = traffic.WrongExpiry
		case entry != spec.EntryEcommerce && x < 0.01:
			r.TrackCVV = traffic.Bad
		}
		r.Partial = f.rng.Float64() < 0.3
		a, ok := f.build(r)
		if !ok {
			return outcomeStopped
		}
		_, err := f.send("purchase", a)
		return f.result(err)
	}
}

func atm(f *flow) outcome {
	m := f.merchant("atm")
	a, ok := f.build(traffic.Request{Type: spec.TxnCash, Merchant: m, Amount: int64(1+f.rng.IntN(10)) * 2000,
		Entry: spec.EntryChip, PIN: true})
	if !ok {
		return outcomeStopped
	}
	_, err := f.send("withdrawal", a)
	return f.result(err)
}

func cashback(f *flow) outcome {
	m := f.merchant("grocery")
	a, ok := f.build(traffic.Request{Type: spec.TxnPurchaseWithCashback, Merchant: m, Entry: spec.EntryChip, PIN: true})
	if !ok {
		return outcomeStopped
	}
	_, err := f.send("purchase with cashback", a)
	return f.result(err)
}

// fuel: the pump authorizes 100.00 accepting a partial approval, then the
// acquirer's reversal advice brings the hold down to what was pumped.
func fuel(f *flow) outcome {
	m := f.merchant("fuel")
	a, ok := f.build(traffic.Request{Type: spec.TxnPurchase, Merchant: m, Amount: 10_000, Entry: spec.EntryChip, Partial: true})
	if !ok {
		return outcomeStopped
	}
	s, err := f.send("pump authorization", a)
	if err != nil {
		return f.result(err)
	}
	approved := a.Amount
	switch s.want.Code {
	case "00":
	case "10":
		approved = s.want.Amount
	default:
		return outcomeDone
	}
	pumped := 1 + f.rng.Int64N(approved)
	_, err = f.send("completion advice", f.srcs[a.Network].Reversal(a, pumped, true, false))
	return f.result(err)
}

// hotel: check-in authorization, an incremental one for the extra nights,
// and at check-out a reversal advice of the whole life cycle down to the
// final bill.
func hotel(f *flow) outcome {
	m := f.merchant("hotel")
	a, ok := f.build(traffic.Request{Type: spec.TxnPurchase, Merchant: m, Amount: 30_000, Entry: spec.EntryChip})
	if !ok {
		return outcomeStopped
	}
	s, err := f.send("check-in", a)
	if err != nil || s.want.Code != "00" {
		return f.result(err)
	}
	src := f.srcs[a.Network]
	inc := src.Increment(a, 15_000)
	s2, err := f.send("incremental", inc)
	if err != nil {
		return f.result(err)
	}
	held := a.Amount
	if s2.want.Code == "00" {
		held += inc.Amount
	}
	bill := held/2 + f.rng.Int64N(held/2)
	_, err = f.send("check-out", src.Reversal(a, bill, true, true))
	return f.result(err)
}

// reversal: a purchase, then its reversal (divisor 0: full; else partial
// down to amount/divisor).
func reversal(divisor int64) func(*flow) outcome {
	return func(f *flow) outcome {
		a, ok := f.build(traffic.Request{Type: spec.TxnPurchase, Entry: spec.EntryChip})
		if !ok {
			return outcomeStopped
		}
		s, err := f.send("purchase", a)
		if err != nil || !s.want.Approving() {
			return f.result(err)
		}
		actual := int64(0)
		if divisor > 0 {
			actual = a.Amount / divisor
			if a.HasBilling {
				actual = 0 // partial reversals are in the transaction currency; keep to full ones
			}
		}
		_, err = f.send("reversal", f.srcs[a.Network].Reversal(a, actual, false, false))
		return f.result(err)
	}
}

// timeoutReversal: the acquirer never saw the answer, so it reverses, and
// repeats the reversal (0401) as acquirers do until one is acknowledged.
func timeoutReversal(f *flow) outcome {
	a, ok := f.build(traffic.Request{Type: spec.TxnPurchase, Entry: spec.EntryContactless})
	if !ok {
		return outcomeStopped
	}
	if _, err := f.send("purchase", a); err != nil {
		return f.result(err)
	}
	rev := f.srcs[a.Network].Reversal(a, 0, false, false)
	if a.Network == spec.Visa {
		rev.AdviceReason = "2502"
	}
	if _, err := f.send("reversal", rev); err != nil {
		return f.result(err)
	}
	_, err := f.send("reversal repeat", traffic.Repeat(rev))
	return f.result(err)
}

// lateOriginal: the reversal overtakes its original, which must then be
// declined without a hold.
func lateOriginal(f *flow) outcome {
	a, ok := f.build(traffic.Request{Type: spec.TxnPurchase, Entry: spec.EntryEcommerce})
	if !ok {
		return outcomeStopped
	}
	if _, err := f.send("reversal first", f.srcs[a.Network].Reversal(a, 0, false, false)); err != nil {
		return f.result(err)
	}
	_, err := f.send("late original", a)
	return f.result(err)
}

// advice: the network stood in and approved (or, one time in five,
// declined); its advice must be recorded and answered 00.
func advice(f *flow) outcome {
	a, ok := f.build(traffic.Request{Type: spec.TxnPurchase, Entry: spec.EntryChip})
	if !ok {
		return outcomeStopped
	}
	code, auth := "00", fmt.Sprintf("V%05d", f.rng.IntN(100_000))
	if f.rng.IntN(5) == 0 {
		code, auth = "05", ""
	}
	_, err := f.send("stand-in advice", f.srcs[a.Network].Advice(a, code, auth))
	return f.result(err)
}

func balance(f *flow) outcome {
	a, ok := f.build(traffic.Request{Type: spec.TxnBalanceInquiry, Merchant: f.merchant("atm"), Entry: spec.EntryChip, PIN: true})
	if !ok {
		return outcomeStopped
	}
	_, err := f.send("balance inquiry", a)
	return f.result(err)
}

func verification(f *flow) outcome {
	a, ok := f.build(traffic.Request{Type: spec.TxnAccountVerification, Merchant: f.merchant("streaming"), Entry: spec.EntryEcommerce})
	if !ok {
		return outcomeStopped
	}
	_, err := f.send("account verification", a)
	return f.result(err)
}

// repeat: the acquirer repeats an authorization (0101); the repeat gets
// the first answer, auth code included, and changes nothing.
func repeat(f *flow) outcome {
	a, ok := f.build(traffic.Request{Type: spec.TxnPurchase, Entry: spec.EntryChip})
	if !ok {
		return outcomeStopped
	}
	if _, err := f.send("authorization", a); err != nil {
		return f.result(err)
	}
	_, err := f.send("repeat", traffic.Repeat(a))
	return f.result(err)
}

func refund(f *flow) outcome {
	a, ok := f.build(traffic.Request{Type: spec.TxnRefund, Merchant: f.merchant("online"), Entry: spec.EntryEcommerce})
	if !ok {
		return outcomeStopped
	}
	_, err := f.send("refund", a)
	return f.result(err)
}

func echo(f *flow) outcome {
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		c := f.r.Clients[n]
		if c == nil {
			continue
		}
		f.r.mu.Lock()
		f.r.report.Requests++
		f.r.mu.Unlock()
		if err := c.Echo(); err != nil {
			f.r.recordError(err)
			return outcomeStopped
		}
		f.r.mu.Lock()
		f.r.report.Matched++
		f.r.report.Codes["00"]++
		f.r.mu.Unlock()
	}
	return outcomeDone
}

func unknownCard(f *flow) outcome {
	n := f.network()
	m, _ := traffic.MerchantByKey("online")
	a, err := f.srcs[n].Authorization(nil, traffic.Request{Type: spec.TxnPurchase, Merchant: m, Amount: f.amount(m, 20), Entry: spec.EntryEcommerce})
	if err != nil {
		f.r.recordError(err)
		return outcomeStopped
	}
	_, err = f.send("purchase", a)
	return f.result(err)
}
