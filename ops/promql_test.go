package ops_test

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// selector is a metric name an expression selects and the label names
// its matchers test.
type selector struct {
	Name   string
	Labels []string
}

// selectors returns the metric names a PromQL expression selects, with
// the labels of their matchers, in order of appearance. It reads PromQL
// as far as it needs to: ranges and subqueries, grouping clauses, strings
// and comments are skipped; an identifier followed by "(" is a function;
// aggregation operators and keywords are not names. Grafana variables
// ($x, ${x}, $__rate_interval) are skipped wherever they stand. A
// selector by __name__, or matchers with no name before them, are
// refused: the check could not see the name they select.
func selectors(expr string) ([]selector, error) {
	toks, err := lexPromQL(expr)
	if err != nil {
		return nil, err
	}
	var out []selector
	for i := 0; i < len(toks); i++ {
		tk := toks[i]
		isOpen := func(j int, b string) bool { return j < len(toks) && toks[j].kind == tokOpen && toks[j].text == b }
		switch tk.kind {
		case tokOpen:
			switch tk.text {
			case "{":
				return nil, fmt.Errorf("%q: label matchers with no metric name before them", expr)
			case "[":
				j, err := matching(toks, i, "]")
				if err != nil {
					return nil, err
				}
				i = j
			}
		case tokIdent:
			word := strings.ToLower(tk.text)
			switch {
			case groupingWords[word]:
				if isOpen(i+1, "(") {
					j, err := matching(toks, i+1, ")")
					if err != nil {
						return nil, err
					}
					i = j
				}
			case keywords[word] || aggregations[word]:
			case isOpen(i+1, "("):
				// a function call
			default:
				sel := selector{Name: tk.text}
				if isOpen(i+1, "{") {
					j, err := matching(toks, i+1, "}")
					if err != nil {
						return nil, err
					}
					for _, in := range toks[i+2 : j] {
						if in.kind == tokIdent {
							if in.text == "__name__" {
								return nil, fmt.Errorf("%q selects by __name__", expr)
							}
							sel.Labels = append(sel.Labels, in.text)
						}
					}
					i = j
				}
				out = append(out, sel)
			}
		}
	}
	return out, nil
}

// metricNames returns the distinct metric names of selectors(expr).
func metricNames(expr string) ([]string, error) {
	sels, err := selectors(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range sels {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

var (
	groupingWords = set("by", "without", "on", "ignoring", "group_left", "group_right")
	keywords      = set("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan")
	aggregations  = set("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
		"bottomk", "topk", "quantile", "limitk", "limit_ratio")
)

func set(words ...string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words {
		m[w] = true
	}
	return m
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokOpen  // ( { [
	tokClose // ) } ]
	tokOther // numbers, durations, strings, operators, commas, variables
)

type token struct {
	kind tokKind
	text string
}

var errUnbalanced = errors.New("unbalanced brackets")

// matching returns the index of the token closing the bracket at open.
func matching(toks []token, open int, close string) (int, error) {
	depth := 0
	for j := open; j < len(toks); j++ {
		switch toks[j].kind {
		case tokOpen:
			depth++
		case tokClose:
			depth--
			if depth == 0 {
				if toks[j].text != close {
					return 0, fmt.Errorf("%w: %q closed by %q", errUnbalanced, toks[open].text, toks[j].text)
				}
				return j, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: %q never closed", errUnbalanced, toks[open].text)
}

func isIdentStart(c byte) bool {
	return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func lexPromQL(s string) ([]token, error) {
	var toks []token
	var open []byte // brackets not yet closed
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#': // a comment, to the end of the line
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' && c != '`' {
					j++
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string at %d in %q", i, s)
			}
			toks = append(toks, token{tokOther, s[i : j+1]})
			i = j + 1
		case c == '$': // a Grafana variable
			j := i + 1
			if j < len(s) && s[j] == '{' {
				for j < len(s) && s[j] != '}' {
					j++
				}
				j++
			} else {
				for j < len(s) && isIdentPart(s[j]) {
					j++
				}
			}
			toks = append(toks, token{tokOther, s[i:min(j, len(s))]})
			i = j
		case c >= '0' && c <= '9' || (c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9'):
			j := i
			for j < len(s) && (isIdentPart(s[j]) || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tokOther, s[i:j]})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentPart(s[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, s[i:j]})
			i = j
		case c == '(' || c == '{' || c == '[':
			open = append(open, c)
			toks = append(toks, token{tokOpen, string(c)})
			i++
		case c == ')' || c == '}' || c == ']':
			want := map[byte]byte{')': '(', '}': '{', ']': '['}[c]
			if len(open) == 0 || open[len(open)-1] != want {
				return nil, fmt.Errorf("%w: %q at %d in %q", errUnbalanced, c, i, s)
			}
			open = open[:len(open)-1]
			toks = append(toks, token{tokClose, string(c)})
			i++
		default:
			toks = append(toks, token{tokOther, string(c)})
			i++
		}
	}
	if len(open) != 0 {
		return nil, fmt.Errorf("%w: %q never closed in %q", errUnbalanced, open[len(open)-1], s)
	}
	return toks, nil
}

// prometheusSeries are the names Prometheus itself makes, not the switch.
var prometheusSeries = set("up", "scrape_duration_seconds", "scrape_samples_scraped", "ALERTS", "ALERTS_FOR_STATE")

// family is what the checks know of a metric family: its type (counter,
// gauge, histogram, summary) and label names (le and quantile left out).
type family struct {
	Type   string
	Labels []string
}

// lookup finds the family whose series name selects: the family itself,
// or a histogram's _bucket, _sum or _count series (a summary's _sum or
// _count). It returns the labels a matcher on name may test, which
// include the target labels Prometheus adds (instance, job).
func lookup(fams map[string]family, name string) (labels []string, ok bool) {
	target := []string{"instance", "job"}
	if f, ok := fams[name]; ok {
		labels = append(target, f.Labels...)
		if f.Type == "summary" {
			labels = append(labels, "quantile")
		}
		return labels, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, cut := strings.CutSuffix(name, suffix)
		if !cut {
			continue
		}
		f, ok := fams[base]
		switch {
		case !ok:
		case f.Type == "histogram" && suffix == "_bucket":
			return append(append(target, f.Labels...), "le"), true
		case f.Type == "histogram" || f.Type == "summary" && suffix != "_bucket":
			return append(target, f.Labels...), true
		}
	}
	return nil, false
}

// exprProblems returns what is wrong with the metrics expr names: a name
// the switch does not export, a matcher on a label the metric does not
// have. An expression that cannot be read or names no metric is an error.
func exprProblems(fams map[string]family, expr string) ([]string, error) {
	sels, err := selectors(expr)
	if err != nil {
		return nil, err
	}
	if len(sels) == 0 {
		return nil, fmt.Errorf("%q names no metric", expr)
	}
	var problems []string
	for _, s := range sels {
		if prometheusSeries[s.Name] {
			continue
		}
		labels, ok := lookup(fams, s.Name)
		if !ok {
			problems = append(problems, s.Name+" is not a metric the switch exports")
			continue
		}
		for _, l := range s.Labels {
			if !slices.Contains(labels, l) {
				problems = append(problems, fmt.Sprintf("%s has no label %q", s.Name, l))
			}
		}
	}
	return problems, nil
}

// knownFamilies returns the families of the running switch's scrape, with
// the catalogued ones that may be absent from it (see mayBeAbsent).
func knownFamilies(t *testing.T) map[string]family {
	t.Helper()
	out := map[string]family{}
	for name, f := range runningSwitch(t).scrape(t) {
		out[name] = family{Type: strings.ToLower(f.GetType().String()), Labels: familyLabels(f)}
	}
	cat := readCatalogue(t)
	for name := range mayBeAbsent {
		if _, ok := out[name]; !ok {
			e := cat[name]
			out[name] = family{Type: e.Type, Labels: e.Labels}
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	for _, c := range []struct {
		expr string
		want []string
	}{
		{`sum by (network) (rate(authswitch_answers_total{network=~"$network",mti="0110"}[$__rate_interval]))`,
			[]string{"authswitch_answers_total"}},
		{`histogram_quantile(0.99, sum by (le, network) (rate(authswitch_decision_seconds_bucket{kind="authorization"}[5m])))`,
			[]string{"authswitch_decision_seconds_bucket"}},
		{`a / on (instance) group_left (x) b`, []string{"a", "b"}},
		{`a * ignoring(code) group_right b_total`, []string{"a", "b_total"}},
		{`up{job="authswitch"} == 0 or absent(up{job="authswitch"})`, []string{"up"}},
		{`sum(rate(x[5m])) without (le) > bool 0.5 unless y offset 1h`, []string{"x", "y"}},
		{`label_replace(foo, "dst", "$1", "src", "(.*)")`, []string{"foo"}},
		{`count_values("code", bar)`, []string{"bar"}},
		{`max_over_time(q[1d:5m]) and deriv(r[10m]) > 0`, []string{"q", "r"}},
		{`1e-3 * z + .5`, []string{"z"}},
		{"topk(5, w)\n# a comment naming fake_metric\n", []string{"w"}},
		{`sum by (instance) (a:recorded:rate5m{x='a}b'})`, []string{"a:recorded:rate5m"}},
		{`SUM BY (network) (c)`, []string{"c"}},
		{`m{a="b"} / ${denominator} * m`, []string{"m"}},
		{`vector(1)`, nil},
	} {
		got, err := metricNames(c.expr)
		if err != nil {
			t.Errorf("%q: %v", c.expr, err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%q: names %q, want %q", c.expr, got, c.want)
		}
	}
	for _, bad := range []string{`sum(rate(x[5m])`, `x{a="b"`, `x]`, `{__name__="x"}`, `x{a="b}`, `sum(x]`} {
		if got, err := metricNames(bad); err == nil {
			t.Errorf("%q: accepted, names %q", bad, got)
		}
	}
}

func TestExprProblems(t *testing.T) {
	fams := map[string]family{
		"h_seconds": {Type: "histogram", Labels: []string{"network"}},
		"s_seconds": {Type: "summary"},
		"c_total":   {Type: "counter", Labels: []string{"code"}},
	}
	for expr, want := range map[string][]string{
		`histogram_quantile(0.9, sum by (le) (rate(h_seconds_bucket{network="visa",le!="+Inf",instance=~".*"}[5m])))`: nil,
		`rate(h_seconds_sum[5m]) / rate(h_seconds_count{job="x"}[5m]) + h_seconds`:                                    nil,
		`s_seconds{quantile="1"} + s_seconds_sum + s_seconds_count`:                                                   nil,
		`up{job="authswitch"} == 0`:                        nil,
		`rate(c_total{code="05"}[5m]) / rate(d_total[5m])`: {"d_total is not a metric the switch exports"},
		`s_seconds_bucket + c_total_count + c`: {"s_seconds_bucket is not a metric the switch exports",
			"c_total_count is not a metric the switch exports", "c is not a metric the switch exports"},
		`c_total{network="visa"} + h_seconds_sum{le="1"}`: {`c_total has no label "network"`, `h_seconds_sum has no label "le"`},
	} {
		got, err := exprProblems(fams, expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got %q\nwant %q", expr, got, want)
		}
	}
	if _, err := exprProblems(fams, `vector(1)`); err == nil {
		t.Error("an expression naming no metric passed")
	}
}

// FuzzSelectors: the reader never panics, and what it returns are names.
func FuzzSelectors(f *testing.F) {
	for _, s := range []string{
		`sum by (network) (rate(authswitch_answers_total{network=~"$network",mti="0110"}[$__rate_interval]))`,
		`histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))) > 0.25 and on (a) group_left b`,
		`"unterminated`, `{a="b"}`, `x[5m:1m] offset 1h # c`, `${v} + $w`, `a{b=~'c\'d'}`,
	} {
		f.Add(s)
	}
	name := regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
	f.Fuzz(func(t *testing.T, expr string) {
		sels, err := selectors(expr)
		if err != nil {
			return
		}
		for _, s := range sels {
			if !name.MatchString(s.Name) {
				t.Fatalf("%q: name %q", expr, s.Name)
			}
			for _, l := range s.Labels {
				if !name.MatchString(l) {
					t.Fatalf("%q: label %q", expr, l)
				}
			}
		}
	})
}
