package ops_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// catalogueEntry is one row of the README's metrics catalogue.
type catalogueEntry struct {
	Name, Type string
	Labels     []string // sorted
	Line       int
}

const (
	catalogueBegin = "<!-- metrics:begin -->"
	catalogueEnd   = "<!-- metrics:end -->"
)

// mayBeAbsent are the catalogued families a healthy switch under test
// traffic does not export, because a family with labels shows only from
// its first observation, and the test cannot cause that observation.
var mayBeAbsent = map[string]string{
	"authswitch_accept_errors_total": "counted only when accept itself fails (e.g. out of file descriptors)",
}

var (
	rowName  = regexp.MustCompile("^`([a-zA-Z_:][a-zA-Z0-9_:]*)`$")
	rowLabel = regexp.MustCompile("`([a-zA-Z_][a-zA-Z0-9_]*)`")
)

// parseCatalogue reads the catalogue rows between the README's markers:
// every table row whose first cell is a metric name in backquotes.
func parseCatalogue(readme []byte) (map[string]catalogueEntry, error) {
	begin := bytes.Index(readme, []byte(catalogueBegin))
	end := bytes.Index(readme, []byte(catalogueEnd))
	if begin < 0 || end < begin {
		return nil, fmt.Errorf("README has no %s … %s section", catalogueBegin, catalogueEnd)
	}
	firstLine := bytes.Count(readme[:begin], []byte("\n")) + 1
	out := map[string]catalogueEntry{}
	sc := bufio.NewScanner(bytes.NewReader(readme[begin:end]))
	for n := firstLine; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 4 {
			return nil, fmt.Errorf("README line %d: %d cells, want 4 (metric | type | labels | meaning)", n, len(cells))
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		m := rowName.FindStringSubmatch(cells[0])
		if m == nil {
			return nil, fmt.Errorf("README line %d: %q is not a metric name in backquotes", n, cells[0])
		}
		e := catalogueEntry{Name: m[1], Type: cells[1], Line: n, Labels: []string{}}
		switch e.Type {
		case "counter", "gauge", "histogram", "summary":
		default:
			return nil, fmt.Errorf("README line %d: %s has type %q", n, e.Name, e.Type)
		}
		for _, l := range rowLabel.FindAllStringSubmatch(cells[2], -1) {
			e.Labels = append(e.Labels, l[1])
		}
		sort.Strings(e.Labels)
		if cells[3] == "" {
			return nil, fmt.Errorf("README line %d: %s has no meaning", n, e.Name)
		}
		if prev, dup := out[e.Name]; dup {
			return nil, fmt.Errorf("README line %d: %s again (first on line %d)", n, e.Name, prev.Line)
		}
		out[e.Name] = e
	}
	return out, sc.Err()
}

func readCatalogue(t *testing.T) map[string]catalogueEntry {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := parseCatalogue(readme)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// familyLabels returns the label names a family's series carry (a
// histogram's le and a summary's quantile left out), sorted.
func familyLabels(f *dto.MetricFamily) []string {
	seen := map[string]bool{}
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			seen[l.GetName()] = true
		}
	}
	out := []string{}
	for l := range seen {
		out = append(out, l)
	}
	sort.Strings(out)
	return out
}

// TestCatalogueMatchesMetrics: every family the switch exports is in the
// README's catalogue with its type and labels, and every catalogued
// family is exported (so that neither can drift from the other).
func TestCatalogueMatchesMetrics(t *testing.T) {
	cat := readCatalogue(t)
	fams := runningSwitch(t).scrape(t)

	for name, f := range fams {
		if !switchFamily(name) {
			continue
		}
		e, ok := cat[name]
		if !ok {
			t.Errorf("%s (%s, labels %v) is exported but not in the README's metrics catalogue",
				name, strings.ToLower(f.GetType().String()), familyLabels(f))
			continue
		}
		if got := strings.ToLower(f.GetType().String()); got != e.Type {
			t.Errorf("README line %d: %s is a %s, the switch exports a %s", e.Line, name, e.Type, got)
		}
		if got := familyLabels(f); !slices.Equal(got, e.Labels) {
			t.Errorf("README line %d: %s has labels %v, the switch exports %v", e.Line, name, e.Labels, got)
		}
	}
	for name, e := range cat {
		if _, ok := fams[name]; ok {
			continue
		}
		if why, ok := mayBeAbsent[name]; ok {
			t.Logf("%s not exported by this run: %s", name, why)
			continue
		}
		t.Errorf("README line %d: %s is catalogued but the switch does not export it", e.Line, name)
	}
	for name := range mayBeAbsent {
		if _, ok := cat[name]; !ok {
			t.Errorf("%s may be absent from a scrape, but it is not in the catalogue either", name)
		}
	}
	// The Go and process metrics the README names are real too.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := readme[bytes.Index(readme, []byte(catalogueBegin)):bytes.Index(readme, []byte(catalogueEnd))]
	for _, m := range regexp.MustCompile("`((?:go|process)_[a-z0-9_]+)`").FindAllSubmatch(section, -1) {
		if _, ok := fams[string(m[1])]; !ok {
			t.Errorf("the README names %s, which the switch does not export", m[1])
		}
	}
}

// TestCatalogueParser: the catalogue reader refuses what would let the
// catalogue rot silently.
func TestCatalogueParser(t *testing.T) {
	wrap := func(rows string) []byte {
		return []byte("# x\n" + catalogueBegin + "\n| metric | type | labels | meaning |\n|---|---|---|---|\n" + rows + catalogueEnd + "\n")
	}
	good, err := parseCatalogue(wrap("| `a_total` | counter | `network`, `code` | A. |\n| `b` | gauge | — | B. |\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e := good["a_total"]; e.Type != "counter" || !slices.Equal(e.Labels, []string{"code", "network"}) {
		t.Errorf("a_total read as %+v", e)
	}
	if e := good["b"]; e.Type != "gauge" || len(e.Labels) != 0 {
		t.Errorf("b read as %+v", e)
	}
	for name, readme := range map[string][]byte{
		"no markers":      []byte("| `a_total` | counter | — | A. |\n"),
		"unknown type":    wrap("| `a_total` | countr | — | A. |\n"),
		"missing cell":    wrap("| `a_total` | counter | A. |\n"),
		"duplicate":       wrap("| `a_total` | counter | — | A. |\n| `a_total` | counter | — | A. |\n"),
		"no meaning":      wrap("| `a_total` | counter | — | |\n"),
		"not a name":      wrap("| `a total` | counter | — | A. |\n"),
		"markers swapped": []byte(catalogueEnd + "\n| `a_total` | counter | — | A. |\n" + catalogueBegin + "\n"),
	} {
		if _, err := parseCatalogue(readme); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestNoHighCardinalityLabels: no label of the switch's own families is
// named after, or carries, a card, account, cardholder or merchant id, a
// PAN-like digit run or a request number, and no family grows past a
// small number of series under the test traffic.
func TestNoHighCardinalityLabels(t *testing.T) {
	fams := runningSwitch(t).scrape(t)
	forbiddenName := regexp.MustCompile(`(?i)pan|card|account|acct|cardholder|merchant|acceptor|terminal|stan|rrn|trace|token|key|^id$|_id$`)
	// Values the traffic carried that must never become label values.
	carried := []string{visaPAN, mcPAN, smallPAN, frozenPAN, lostPAN, unknownPAN, "_ops_",
		"MERCHANT0000001", "TERM0001", "EXAMPLE ONLINE STORE", "400050", adminToken}
	digitRun := regexp.MustCompile(`\d{6,}`)
	for name, f := range fams {
		if !switchFamily(name) {
			continue
		}
		if n := len(f.GetMetric()); n > 200 {
			t.Errorf("%s has %d series under the test traffic", name, n)
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if forbiddenName.MatchString(l.GetName()) {
					t.Errorf("%s: label %q names an identifier", name, l.GetName())
				}
				v := l.GetValue()
				if digitRun.MatchString(v) {
					t.Errorf("%s: label %s=%q carries a long digit run", name, l.GetName(), v)
				}
				for _, c := range carried {
					if strings.Contains(v, c) {
						t.Errorf("%s: label %s=%q carries request data (%q)", name, l.GetName(), v, c)
					}
				}
			}
		}
	}
}
