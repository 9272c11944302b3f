package netsim

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

// Scenario is a scripted sequence of requests with the answers they must
// get. A file holds one scenario, or several under "scenarios".
//
//	name: hotel stay
//	steps:
//	  - id: checkin
//	    card: {network: visa, status: active, min_available: 100000, controls: none}
//	    merchant: hotel
//	    amount: 30000
//	    entry: chip
//	    expect: "00"
//	  - id: extra-night
//	    message: increment
//	    of: checkin
//	    amount: 15000
//	  - message: reversal_advice
//	    of: checkin
//	    by_lifecycle: true
//	    actual: 38000
//	    expect: "00"
//
// A step without expect must get the model's answer; a step with one must
// get that code (and the model is told when it disagrees).
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Steps       []Step `yaml:"steps"`
}

// Step is one request of a scenario.
type Step struct {
	ID string `yaml:"id"`
	// Message: authorization (default), repeat, increment, advice,
	// reversal, reversal_advice, echo, or send (a step built earlier with
	// send_later, sent now: a late original after its reversal).
	Message   string `yaml:"message"`
	SendLater bool   `yaml:"send_later"` // build the request now, send it with a later "send" step
	// Card: a portfolio card id, "@step" for the card of an earlier step,
	// "unknown" for a card the portfolio does not have, or a selector.
	Card    CardRef `yaml:"card"`
	Network string  `yaml:"network"` // for unknown cards and echoes
	// Type: purchase (default), cash, cashback, refund, balance_inquiry,
	// account_verification, transfer (not supported by the switch: 12).
	Type     string `yaml:"type"`
	Merchant string `yaml:"merchant"` // a traffic merchant key; default "online"
	Amount   int64  `yaml:"amount"`   // minor units of the merchant's currency
	// Entry: chip, contactless, swipe, keyed, ecommerce (default).
	Entry   string `yaml:"entry"`
	Partial bool   `yaml:"partial"`
	CVV2    string `yaml:"cvv2"`   // good (default for e-commerce), bad, none
	Track   string `yaml:"track"`  // good (default for card present), bad
	Expiry  string `yaml:"expiry"` // card (default), wrong, none
	PIN     bool   `yaml:"pin"`

	Of          string `yaml:"of"`           // the step a repeat, increment, reversal or advice refers to
	Actual      int64  `yaml:"actual"`       // reversal: the actual amount (partial reversal)
	ByLifecycle bool   `yaml:"by_lifecycle"` // reversal without field 90
	AdviceCode  string `yaml:"advice_code"`  // advice: the network's decision (default 00)

	Expect          string `yaml:"expect"`
	ExpectAmount    *int64 `yaml:"expect_amount"`    // a partial approval's amount
	ExpectAvailable *int64 `yaml:"expect_available"` // a balance inquiry's available balance
}

// CardRef names a step's card.
type CardRef struct {
	ID      string
	Ref     string // an earlier step's id
	Unknown bool
	Select  *Selector
}

// UnmarshalYAML reads a card id, "@step", "unknown" or a selector.
func (c *CardRef) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		switch v := n.Value; {
		case v == "unknown":
			c.Unknown = true
		case strings.HasPrefix(v, "@"):
			c.Ref = v[1:]
		default:
			c.ID = v
		}
		return nil
	case yaml.MappingNode:
		c.Select = &Selector{}
		return n.Decode(c.Select)
	}
	return fmt.Errorf("line %d: card: want an id, @step, unknown or a selector", n.Line)
}

// Selector picks the first portfolio card (in file order) that matches
// and that no earlier step of the scenario used.
type Selector struct {
	Network          string `yaml:"network"`
	Status           string `yaml:"status"` // active, inactive, lost, stolen
	Expired          *bool  `yaml:"expired"`
	AccountStatus    string `yaml:"account_status"`
	CardholderStatus string `yaml:"cardholder_status"`
	Currency         string `yaml:"currency"`
	MinAvailable     *int64 `yaml:"min_available"`
	MaxAvailable     *int64 `yaml:"max_available"`
	Controls         string `yaml:"controls"`        // none, any
	BlocksCategory   string `yaml:"blocks_category"` // a control on some level declines this MCC
}

// LoadScenarios reads a scenario file.
func LoadScenarios(path string) ([]Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netsim: scenario: %w", err)
	}
	defer f.Close()
	return ReadScenarios(f)
}

// ReadScenarios reads scenarios from YAML: one scenario, or a list under
// "scenarios". Unknown keys are errors.
func ReadScenarios(r io.Reader) ([]Scenario, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("netsim: scenario: %w", err)
	}
	var list struct {
		Scenarios []Scenario `yaml:"scenarios"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&list); err == nil && len(list.Scenarios) > 0 {
		return list.Scenarios, validate(list.Scenarios)
	}
	var one Scenario
	dec = yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&one); err != nil {
		return nil, fmt.Errorf("netsim: scenario: %w", err)
	}
	return []Scenario{one}, validate([]Scenario{one})
}

func validate(scs []Scenario) error {
	for _, sc := range scs {
		ids := map[string]bool{}
		if len(sc.Steps) == 0 {
			return fmt.Errorf("netsim: scenario %q has no steps", sc.Name)
		}
		for i, st := range sc.Steps {
			where := fmt.Sprintf("netsim: scenario %q step %d", sc.Name, i+1)
			switch st.Message {
			case "", "authorization", "echo":
			case "repeat", "increment", "reversal", "reversal_advice", "send":
				if st.Of == "" {
					return fmt.Errorf("%s: %s needs the step it refers to (of)", where, st.Message)
				}
			case "advice":
			default:
				return fmt.Errorf("%s: unknown message %q", where, st.Message)
			}
			if st.Of != "" && !ids[st.Of] {
				return fmt.Errorf("%s: of: %q is not an earlier step", where, st.Of)
			}
			if st.Card.Ref != "" && !ids[st.Card.Ref] {
				return fmt.Errorf("%s: card: @%s is not an earlier step", where, st.Card.Ref)
			}
			if st.ID != "" {
				if ids[st.ID] {
					return fmt.Errorf("%s: duplicate id %q", where, st.ID)
				}
				ids[st.ID] = true
			}
		}
	}
	return nil
}

// StepResult is what one step of a scenario got.
type StepResult struct {
	Step  string `json:"step"`
	MTI   string `json:"mti"`
	Card  string `json:"card,omitempty"` // masked
	Want  string `json:"want"`
	Got   string `json:"got"`
	OK    bool   `json:"ok"`
	Note  string `json:"note,omitempty"`
	Model string `json:"model,omitempty"` // the model's answer, when the step set its own
}

// ScenarioResult is a played scenario.
type ScenarioResult struct {
	Name  string       `json:"name"`
	Steps []StepResult `json:"steps"`
	OK    bool         `json:"ok"`
}

// ErrScenario is wrapped by errors that stop a scenario before its end
// (not wrong answers: those are in the result).
var ErrScenario = errors.New("netsim: scenario")

// PlayScenario plays a scenario step by step.
func (r *Runner) PlayScenario(sc *Scenario) (*ScenarioResult, error) {
	if r.busy == nil {
		r.busy, r.tainted, r.report = map[*model.Account]bool{}, map[*model.Account]bool{}, newReport()
	}
	res := &ScenarioResult{Name: sc.Name, OK: true}
	used := map[*model.Card]bool{}
	locked := map[*model.Account]bool{}
	defer func() {
		for a := range locked {
			r.unlock(a)
		}
	}()
	byID := map[string]*spec.Authorization{}
	cardOf := map[string]*model.Card{}
	srcs := map[spec.Network]*traffic.Source{}
	for n := range r.Clients {
		srcs[n] = r.source(n, 97)
	}
	modelLost := false // a step the model could not predict: later ones need expect

	for i, st := range sc.Steps {
		name := st.ID
		if name == "" {
			name = fmt.Sprintf("step %d", i+1)
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%w %q, %s: %s", ErrScenario, sc.Name, name, fmt.Sprintf(format, args...))
		}

		if st.Message == "echo" {
			n := parseNetwork(st.Network)
			c := r.Clients[n]
			if c == nil {
				return res, fail("no %s client", n)
			}
			sr := StepResult{Step: name, MTI: "0800", Want: "00", Got: "00", OK: true}
			if err := c.Echo(); err != nil {
				sr.Got, sr.OK, sr.Note, res.OK = "", false, err.Error(), false
			}
			res.Steps = append(res.Steps, sr)
			continue
		}

		// The card.
		var card *model.Card
		switch {
		case st.Of != "" && st.Card == (CardRef{}):
			card = cardOf[st.Of]
		case st.Card.Ref != "":
			card = cardOf[st.Card.Ref]
		case st.Card.ID != "":
			c, ok := r.Model.CardByID(st.Card.ID)
			if !ok {
				return res, fail("no card %q in the portfolio", st.Card.ID)
			}
			card = c
		case st.Card.Select != nil:
			card = r.selectCard(st.Card.Select, used)
			if card == nil {
				return res, fail("no card matches the selector")
			}
		case st.Card.Unknown:
		default:
			return res, fail("no card")
		}
		if card != nil {
			used[card] = true
			if !locked[card.Account] {
				if !r.lock(card) {
					return res, fail("card %s is in use", card.ID)
				}
				locked[card.Account] = true
			}
		}
		n := parseNetwork(st.Network)
		if card != nil {
			n = card.Network
		} else if st.Of != "" {
			n = byID[st.Of].Network
		}
		if r.Clients[n] == nil {
			return res, fail("no %s client", n)
		}
		src := srcs[n]

		// The request.
		var a *spec.Authorization
		var err error
		orig := byID[st.Of]
		switch st.Message {
		case "", "authorization":
			a, err = src.Authorization(card, st.request(r))
		case "repeat":
			a = traffic.Repeat(orig)
		case "send":
			a = orig
		case "increment":
			a = src.Increment(orig, st.Amount)
		case "reversal", "reversal_advice":
			a = src.Reversal(orig, st.Actual, st.Message == "reversal_advice", st.ByLifecycle)
		case "advice":
			if orig == nil {
				if orig, err = src.Authorization(card, st.request(r)); err != nil {
					break
				}
			}
			code := st.AdviceCode
			if code == "" {
				code = "00"
			}
			auth := ""
			if code == "00" {
				auth = "V00001"
			}
			a = src.Advice(orig, code, auth)
		}
		if err != nil {
			return res, fail("%v", err)
		}
		if st.ID != "" {
			byID[st.ID] = a
			cardOf[st.ID] = card
		}
		if st.SendLater {
			sr := StepResult{Step: name, MTI: a.MTI, Want: "-", Got: "-", OK: true, Note: "built; sent later"}
			if card != nil {
				sr.Card = spec.MaskPAN(card.PAN)
			}
			res.Steps = append(res.Steps, sr)
			continue
		}

		// Predict, send, compare.
		onWire, _, err := traffic.Decoded(n, a)
		if err != nil {
			return res, fail("%v", err)
		}
		sr := StepResult{Step: name, MTI: a.MTI}
		if card != nil {
			sr.Card = spec.MaskPAN(card.PAN)
		}
		var want model.Expected
		predicted := false
		if !modelLost {
			want, err = r.Model.Expect(&onWire, time.Now())
			switch {
			case err == nil:
				predicted = true
			case errors.Is(err, model.ErrAmbiguous):
				modelLost = true
				sr.Note = err.Error()
			default:
				return res, fail("%v", err)
			}
		}
		if !predicted && st.Expect == "" {
			return res, fail("the model cannot predict this step (%s): give expect", sr.Note)
		}
		rep, err := r.Clients[n].Send(a)
		if err != nil {
			sr.Got, sr.Note, res.OK = "", err.Error(), false
			res.Steps = append(res.Steps, sr)
			return res, nil
		}
		if predicted && want.AuthCodeRequired && !want.Repeat {
			r.Model.RecordAuthCode(&onWire, rep.Answer.AuthCode)
		}
		sr.Got = "39=" + rep.Answer.ResponseCode
		if st.Expect != "" {
			sr.Want = "39=" + st.Expect
			var diffs []string
			if rep.Answer.ResponseCode != st.Expect {
				diffs = append(diffs, "39="+rep.Answer.ResponseCode)
			}
			if st.ExpectAmount != nil && rep.Answer.ApprovedAmount != *st.ExpectAmount {
				diffs = append(diffs, fmt.Sprintf("approved=%d", rep.Answer.ApprovedAmount))
				sr.Want += fmt.Sprintf(" approved=%d", *st.ExpectAmount)
			}
			if st.ExpectAvailable != nil && (!rep.Answer.HasBalances || rep.Answer.Available != *st.ExpectAvailable) {
				diffs = append(diffs, fmt.Sprintf("available=%d", rep.Answer.Available))
				sr.Want += fmt.Sprintf(" available=%d", *st.ExpectAvailable)
			}
			sr.OK = len(diffs) == 0
			if !sr.OK {
				sr.Got = strings.Join(diffs, " ")
			}
			if predicted && want.Code != st.Expect {
				sr.Model = describe(n, want)
			}
		} else {
			sr.Want = describe(n, want)
			diff := compare(n, want, rep.Answer)
			sr.OK = diff == ""
			if !sr.OK {
				sr.Got = diff
			}
		}
		if !sr.OK {
			res.OK = false
		}
		res.Steps = append(res.Steps, sr)
	}
	return res, nil
}

// request turns a step into a traffic request.
func (st *Step) request(r *Runner) traffic.Request {
	req := traffic.Request{Type: spec.TxnPurchase, Amount: st.Amount, Partial: st.Partial, PIN: st.PIN}
	switch st.Type {
	case "cash":
		req.Type = spec.TxnCash
	case "cashback":
		req.Type = spec.TxnPurchaseWithCashback
	case "refund":
		req.Type = spec.TxnRefund
	case "balance_inquiry":
		req.Type = spec.TxnBalanceInquiry
	case "account_verification":
		req.Type = spec.TxnAccountVerification
	case "transfer":
		req.Type = spec.TxnUnsupported
	}
	key := st.Merchant
	if key == "" {
		key = "online"
	}
	req.Merchant, _ = traffic.MerchantByKey(key)
	switch st.Entry {
	case "chip":
		req.Entry = spec.EntryChip
	case "contactless":
		req.Entry = spec.EntryContactless
	case "swipe":
		req.Entry = spec.EntrySwipe
	case "keyed":
		req.Entry = spec.EntryKeyed
	default:
		req.Entry = spec.EntryEcommerce
	}
	req.CVV2 = parseVerification(st.CVV2)
	req.TrackCVV = parseVerification(st.Track)
	switch st.Expiry {
	case "wrong":
		req.Expiry = traffic.WrongExpiry
	case "none":
		req.Expiry = traffic.NoExpiry
	}
	return req
}

func parseVerification(s string) traffic.Verification {
	switch s {
	case "bad":
		return traffic.Bad
	case "good":
		return traffic.Good
	}
	return traffic.Absent
}

func parseNetwork(s string) spec.Network {
	if s == "mastercard" {
		return spec.Mastercard
	}
	return spec.Visa
}

// selectCard returns the first card matching sel that is not in used.
func (r *Runner) selectCard(sel *Selector, used map[*model.Card]bool) *model.Card {
	month := time.Now().UTC().Format("0601")
	for _, c := range r.Model.Cards() {
		if used[c] || r.Clients[c.Network] == nil {
			continue
		}
		if sel.Network != "" && c.Network.String() != sel.Network {
			continue
		}
		status := c.Status
		if c.Status == portfolio.StatusCanceled {
			status = c.Reason
		}
		if sel.Status != "" && status != sel.Status {
			continue
		}
		if sel.Expired != nil && (c.Expiry < month) != *sel.Expired {
			continue
		}
		if c.Expiry == month {
			continue // its validity is the edge case the model does not predict
		}
		if sel.AccountStatus != "" && c.Account.Status != sel.AccountStatus {
			continue
		}
		holder := portfolio.StatusActive
		if c.Cardholder != nil {
			holder = c.Cardholder.Status
		}
		if sel.CardholderStatus != "" && holder != sel.CardholderStatus {
			continue
		}
		if sel.Currency != "" && c.Account.Currency != sel.Currency {
			continue
		}
		_, avail, _ := r.Model.Balance(c.Account.ID)
		if sel.MinAvailable != nil && avail < *sel.MinAvailable || sel.MaxAvailable != nil && avail > *sel.MaxAvailable {
			continue
		}
		if sel.Controls == "none" && c.Controlled() || sel.Controls == "any" && !c.Controlled() {
			continue
		}
		if sel.BlocksCategory != "" && !c.BlocksCategory(sel.BlocksCategory) {
			continue
		}
		return c
	}
	return nil
}
