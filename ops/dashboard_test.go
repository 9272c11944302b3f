package ops_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const dashboardFile = "grafana/authswitch.json"

// dashboard is the part of Grafana's dashboard model the checks read.
type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type variable struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Query json.RawMessage `json:"query"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *reference               `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		Expr       string     `json:"expr"`
		RefID      string     `json:"refId"`
		Datasource *reference `json:"datasource"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's panels
}

type reference struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not a dashboard: %v", dashboardFile, err)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON value", dashboardFile)
	}
	return d
}

// allPanels returns the dashboard's panels, those inside rows included.
func (d dashboard) allPanels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// queries returns every query of the dashboard, panels' and template
// variables', with where it is, for messages.
func (d dashboard) queries(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			out[fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID)] = tg.Expr
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, err := variableQuery(v.Query)
		if err != nil {
			t.Errorf("variable %s: %v", v.Name, err)
			continue
		}
		out["variable "+v.Name] = q
	}
	return out
}

// variableQuery returns the PromQL selector of a label_values(selector,
// label) variable query (a string, or an object with a query field).
func variableQuery(raw json.RawMessage) (string, error) {
	var q string
	if err := json.Unmarshal(raw, &q); err != nil {
		var obj struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", err
		}
		q = obj.Query
	}
	m := regexp.MustCompile(`^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`).FindStringSubmatch(strings.TrimSpace(q))
	if m == nil {
		return "", fmt.Errorf("query %q is not label_values(selector, label)", q)
	}
	// The label must be one the selector's series carry: checked as a
	// matcher on it.
	sel := m[1]
	if i := strings.LastIndex(sel, "}"); i >= 0 {
		return sel[:i] + `,` + m[2] + `!=""}`, nil
	}
	return sel + `{` + m[2] + `!=""}`, nil
}

// TestDashboardStructure: the dashboard is valid JSON Grafana can import:
// unique panel ids, every panel titled with queries on the dashboard's
// data source variable, unique refIds, panels that do not overlap.
func TestDashboardStructure(t *testing.T) {
	d := loadDashboard(t)
	if d.Title == "" || d.UID == "" || d.SchemaVersion == 0 {
		t.Errorf("title %q, uid %q, schemaVersion %d: all needed", d.Title, d.UID, d.SchemaVersion)
	}
	if !slices.ContainsFunc(d.Templating.List, func(v variable) bool {
		return v.Name == "datasource" && v.Type == "datasource"
	}) {
		t.Error("no datasource variable: the dashboard would be bound to one Prometheus")
	}
	ids := map[int]string{}
	cells := map[[2]int]string{}
	for _, p := range d.allPanels() {
		if prev, dup := ids[p.ID]; dup || p.ID == 0 {
			t.Errorf("panel %q: id %d (also %q)", p.Title, p.ID, prev)
		}
		ids[p.ID] = p.Title
		if p.Title == "" {
			t.Errorf("panel %d has no title", p.ID)
		}
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, taken := cells[[2]int{x, y}]; taken {
					t.Errorf("panel %q overlaps %q at %d,%d", p.Title, other, x, y)
					x, y = g.X+g.W, g.Y+g.H
					continue
				}
				cells[[2]int{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want the ${datasource} variable", p.Title, p.Datasource)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("panel %q: refId %q missing or repeated", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q target %s: empty query", p.Title, tg.RefID)
			}
			if tg.Datasource != nil && tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q target %s: datasource %+v", p.Title, tg.RefID, tg.Datasource)
			}
		}
	}
}

// TestDashboardQueriesNameRealMetrics: every panel query and variable
// query names only metrics the running switch exports, and only labels
// those metrics carry.
func TestDashboardQueriesNameRealMetrics(t *testing.T) {
	d := loadDashboard(t)
	fams := knownFamilies(t)
	qs := d.queries(t)
	if len(qs) < 20 {
		t.Fatalf("only %d queries in the dashboard", len(qs))
	}
	for where, expr := range qs {
		problems, err := exprProblems(fams, expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s\n  in %s", where, p, expr)
		}
	}
}

// TestDashboardCovers: the dashboard shows what operators of a card
// program look at (the metrics are the evidence that a panel does).
func TestDashboardCovers(t *testing.T) {
	d := loadDashboard(t)
	named := map[string]bool{}
	quantiles := map[string]bool{}
	for _, expr := range d.queries(t) {
		names, err := metricNames(expr)
		if err != nil {
			continue // reported by TestDashboardQueriesNameRealMetrics
		}
		for _, n := range names {
			named[n] = true
			if strings.Contains(expr, "histogram_quantile(") {
				quantiles[n] = true
			}
		}
	}
	for topic, metrics := range map[string][]string{
		"traffic and approval rate by network": {"authswitch_requests_total", "authswitch_answers_total"},
		"decline reasons":                      {"authswitch_decisions_total", "authswitch_rules_decisions_total"},
		"stand-ins and late answers":           {"authswitch_stand_ins_total", "authswitch_late_answers_total"},
		"connections and sign-on state":        {"authswitch_open_connections", "authswitch_connection_signed_on"},
		"journal batch size":                   {"authswitch_ledger_journal_batch_entries_bucket"},
		"feed backlog":                         {"authswitch_feed_backlog_entries", "authswitch_feed_backlog_oldest_age_seconds"},
		"cache hit ratio":                      {"authswitch_rules_cache_requests_total"},
		"process resources":                    {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"},
	} {
		for _, m := range metrics {
			if !named[m] {
				t.Errorf("%s: no panel queries %s", topic, m)
			}
		}
	}
	for topic, m := range map[string]string{
		"latency percentiles": "authswitch_decision_seconds_bucket",
		"ledger sync latency": "authswitch_ledger_journal_commit_seconds_bucket",
		"feed ship latency":   "authswitch_feed_ship_seconds_bucket",
		"admin API latency":   "authswitch_admin_request_duration_seconds_bucket",
		"journal batch size":  "authswitch_ledger_journal_batch_entries_bucket",
	} {
		if !quantiles[m] {
			t.Errorf("%s: no histogram_quantile over %s", topic, m)
		}
	}
}
