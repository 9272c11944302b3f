package program

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	"gopkg.in/yaml.v3"
)

// Rule is one program rule as written in a rule file.
type Rule struct {
	Name         string `yaml:"name" json:"name"`
	Expression   string `yaml:"expression" json:"expression"`
	ResponseCode string `yaml:"response_code,omitempty" json:"response_code,omitempty"`
	Description  string `yaml:"description,omitempty" json:"description,omitempty"`
}

// Limits on rules.
const (
	MaxRules         = 256
	MaxExpressionLen = 4096
	// MaxCost bounds a rule's estimated worst-case evaluation cost (CEL
	// cost units, about one per operation or compared character).
	MaxCost = 10000
	// DefaultResponseCode is the answer of a rule that names none.
	DefaultResponseCode = "05"
)

// ErrInvalid is wrapped by every error about a rule or a rule file.
var ErrInvalid = errors.New("invalid program rule")

// Compiled is a rule ready to evaluate.
type Compiled struct {
	Rule
	// Reason is "program_rule:" + Name, the decision's reason.
	Reason string
	prg    cel.Program
}

// Set is an ordered, immutable list of compiled rules: the first that
// matches declines.
type Set struct {
	rules  []Compiled
	source string // the file it came from, if any
}

// Len is the number of rules.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.rules)
}

// Rule returns rule i (0 ≤ i < Len).
func (s *Set) Rule(i int) *Compiled { return &s.rules[i] }

// Rules returns the rules as written, in order.
func (s *Set) Rules() []Rule {
	if s == nil {
		return nil
	}
	out := make([]Rule, len(s.rules))
	for i := range s.rules {
		out[i] = s.rules[i].Rule
	}
	return out
}

// Source is the file the set was loaded from ("" when built in memory).
func (s *Set) Source() string {
	if s == nil {
		return ""
	}
	return s.source
}

// Match evaluates the rules in order on in and returns the index of the
// first that is true, or -1. A rule whose evaluation fails (say, an integer
// overflow) does not match; its index and error go to onError, which may be
// nil.
func (s *Set) Match(in *Input, onError func(rule int, err error)) int {
	if s == nil {
		return -1
	}
	for i := range s.rules {
		out, _, err := s.rules[i].prg.Eval(in)
		if err != nil {
			if onError != nil {
				onError(i, err)
			}
			continue
		}
		if out == types.True {
			return i
		}
	}
	return -1
}

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// declineCodes are the response codes a rule may answer with.
var declineCodes = map[string]bool{
	"05": true, "12": true, "13": true, "14": true, "41": true, "43": true, "46": true, "51": true,
	"54": true, "57": true, "59": true, "61": true, "62": true, "65": true, "96": true,
}

// Compile checks and compiles rules, in order, into a Set. Errors name the
// rule.
func Compile(rules []Rule) (*Set, error) {
	if len(rules) > MaxRules {
		return nil, fmt.Errorf("%w: more than %d rules", ErrInvalid, MaxRules)
	}
	env, err := environment()
	if err != nil {
		return nil, err
	}
	set := &Set{rules: make([]Compiled, 0, len(rules))}
	seen := make(map[string]bool, len(rules))
	for i, r := range rules {
		if !namePattern.MatchString(r.Name) {
			return nil, fmt.Errorf("%w: rule %d: name must be 1–40 lower-case letters, digits or underscores, starting with a letter", ErrInvalid, i+1)
		}
		if seen[r.Name] {
			return nil, fmt.Errorf("%w: rule %s: name used twice", ErrInvalid, r.Name)
		}
		seen[r.Name] = true
		if r.ResponseCode == "" {
			r.ResponseCode = DefaultResponseCode
		}
		if !declineCodes[r.ResponseCode] {
			return nil, fmt.Errorf("%w: rule %s: response_code %q is not a decline code", ErrInvalid, r.Name, r.ResponseCode)
		}
		if r.Expression == "" || len(r.Expression) > MaxExpressionLen {
			return nil, fmt.Errorf("%w: rule %s: expression empty or longer than %d characters", ErrInvalid, r.Name, MaxExpressionLen)
		}
		ast, iss := env.Compile(r.Expression)
		if iss.Err() != nil {
			return nil, fmt.Errorf("%w: rule %s: %v", ErrInvalid, r.Name, iss.Err())
		}
		if ast.OutputType() != cel.BoolType {
			return nil, fmt.Errorf("%w: rule %s: expression is %v, not bool", ErrInvalid, r.Name, ast.OutputType())
		}
		cost, err := env.EstimateCost(ast, sizes{})
		if err != nil {
			return nil, fmt.Errorf("%w: rule %s: cost: %v", ErrInvalid, r.Name, err)
		}
		if cost.Max > MaxCost {
			return nil, fmt.Errorf("%w: rule %s: estimated cost %d is over %d", ErrInvalid, r.Name, cost.Max, MaxCost)
		}
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			return nil, fmt.Errorf("%w: rule %s: %v", ErrInvalid, r.Name, err)
		}
		set.rules = append(set.rules, Compiled{Rule: r, Reason: "program_rule:" + r.Name, prg: prg})
	}
	return set, nil
}

// file is a rule file's shape.
type file struct {
	Rules []Rule `yaml:"rules"`
}

// Parse compiles a rule file's contents.
func Parse(data []byte) (*Set, error) {
	var f file
	dec := yaml.NewDecoder(bytesReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return Compile(f.Rules)
}

// Load reads and compiles a rule file.
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("program rules: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("program rules %s: %w", path, err)
	}
	s.source = path
	return s, nil
}

// Variable names.
const (
	varAmount           = "amount"
	varCurrency         = "currency"
	varBillingAmount    = "billing_amount"
	varBillingCurrency  = "billing_currency"
	varMCC              = "mcc"
	varCountry          = "country"
	varNetwork          = "network"
	varType             = "txn_type"
	varEntryMode        = "entry_mode"
	varAcquirerCountry  = "acquirer_country"
	varAcquirerID       = "acquirer_id"
	varTerminalID       = "terminal_id"
	varMerchantName     = "merchant_name"
	varMerchantCity     = "merchant_city"
	varPartialSupported = "partial_supported"
	varCardID           = "card_id"
	varCardholderID     = "cardholder_id"
	varAccountID        = "account_id"
	varHour             = "hour_utc"
	varWeekday          = "weekday_utc"
)

func environment() (*cel.Env, error) {
	var opts []cel.EnvOption
	for _, v := range []string{varAmount, varBillingAmount, varHour, varWeekday} {
		opts = append(opts, cel.Variable(v, cel.IntType))
	}
	for _, v := range []string{varCurrency, varBillingCurrency, varMCC, varCountry, varNetwork, varType, varEntryMode,
		varAcquirerCountry, varAcquirerID, varTerminalID, varMerchantName, varMerchantCity, varCardID, varCardholderID, varAccountID} {
		opts = append(opts, cel.Variable(v, cel.StringType))
	}
	opts = append(opts, cel.Variable(varPartialSupported, cel.BoolType))
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("program rules: environment: %w", err)
	}
	return env, nil
}

// sizes tells the cost estimator how long the string variables can be
// (the longest is a merchant name, 25 characters; ids up to 64).
type sizes struct{}

func (sizes) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if p := n.Path(); len(p) == 1 {
		return &checker.SizeEstimate{Min: 0, Max: 64}
	}
	return nil
}

func (sizes) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	return nil
}

// Input is what a rule sees of one authorization. The rules engine fills
// one per request (reused); it is the evaluation's activation.
type Input struct {
	Amount           int64
	Currency         string
	BillingAmount    int64
	BillingCurrency  string
	MCC              string
	Country          string
	Network          string
	Type             string
	EntryMode        string
	AcquirerCountry  string
	AcquirerID       string
	TerminalID       string
	MerchantName     string
	MerchantCity     string
	PartialSupported bool
	CardID           string
	CardholderID     string
	AccountID        string
	At               time.Time
}

var _ interpreter.Activation = (*Input)(nil)

// ResolveName implements interpreter.Activation.
func (in *Input) ResolveName(name string) (any, bool) {
	switch name {
	case varAmount:
		return types.Int(in.Amount), true
	case varCurrency:
		return enumerated(in.Currency), true
	case varBillingAmount:
		return types.Int(in.BillingAmount), true
	case varBillingCurrency:
		return enumerated(in.BillingCurrency), true
	case varMCC:
		return mccValue(in.MCC), true
	case varCountry:
		return enumerated(in.Country), true
	case varNetwork:
		return enumerated(in.Network), true
	case varType:
		return enumerated(in.Type), true
	case varEntryMode:
		return enumerated(in.EntryMode), true
	case varAcquirerCountry:
		return types.String(in.AcquirerCountry), true
	case varAcquirerID:
		return types.String(in.AcquirerID), true
	case varTerminalID:
		return types.String(in.TerminalID), true
	case varMerchantName:
		return types.String(in.MerchantName), true
	case varMerchantCity:
		return types.String(in.MerchantCity), true
	case varPartialSupported:
		return types.Bool(in.PartialSupported), true
	case varCardID:
		return types.String(in.CardID), true
	case varCardholderID:
		return types.String(in.CardholderID), true
	case varAccountID:
		return types.String(in.AccountID), true
	case varHour:
		return types.Int(in.At.UTC().Hour()), true
	case varWeekday:
		return types.Int(in.At.UTC().Weekday()), true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (in *Input) Parent() interpreter.Activation { return nil }

var _ ref.Val = types.String("")
