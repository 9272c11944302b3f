package ops_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const (
	alertsFile     = "prometheus/alerts.yml"
	alertTestsFile = "prometheus/alerts_test.yml"
	requireEnv     = "AUTHSWITCH_REQUIRE_PROMTOOL"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Alert       string            `yaml:"alert"`
	Record      string            `yaml:"record"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadAlerts(t *testing.T) []rule {
	t.Helper()
	raw, err := os.ReadFile(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f ruleFile
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	var out []rule
	for _, g := range f.Groups {
		out = append(out, g.Rules...)
	}
	if len(out) == 0 {
		t.Fatalf("%s has no rules", alertsFile)
	}
	return out
}

// TestAlertRulesWellFormed: every alert is named for the switch, has a
// severity an on-call routes on, and tells the on-call what it means,
// what to check and what to do.
func TestAlertRulesWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range loadAlerts(t) {
		if r.Alert == "" {
			t.Errorf("rule %q is not an alert (recording rules belong elsewhere)", r.Record)
			continue
		}
		if seen[r.Alert] {
			t.Errorf("alert %s defined twice", r.Alert)
		}
		seen[r.Alert] = true
		if !regexp.MustCompile(`^AuthSwitch[A-Z][A-Za-z0-9]+$`).MatchString(r.Alert) {
			t.Errorf("alert %s: name must be AuthSwitch<What>", r.Alert)
		}
		if s := r.Labels["severity"]; s != "critical" && s != "warning" {
			t.Errorf("alert %s: severity %q, want critical or warning", r.Alert, s)
		}
		for _, a := range []string{"summary", "description", "runbook"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("alert %s: no %s annotation", r.Alert, a)
			}
		}
		rb := r.Annotations["runbook"]
		check, do := strings.Index(rb, "Check:"), strings.Index(rb, "Do:")
		if check != 0 || do < check {
			t.Errorf("alert %s: runbook must say \"Check: …\" then \"Do: …\", got %q", r.Alert, rb)
		}
		if r.For != "" {
			if _, err := time.ParseDuration(r.For); err != nil {
				t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
			}
		}
	}
	// What an on-call for a card program must hear about.
	for _, name := range []string{
		"AuthSwitchDown", "AuthSwitchApprovalRateDrop", "AuthSwitchP99OverBudget", "AuthSwitchStandIns",
		"AuthSwitchLateAnswers", "AuthSwitchFeedBacklogGrowing", "AuthSwitchNetworkSignedOff",
		"AuthSwitchNoConnections", "AuthSwitchJournalSyncSlow", "AuthSwitchMalformedFrames",
		"AuthSwitchLedgerUnavailable", "AuthSwitchSystemDeclines",
	} {
		if !seen[name] {
			t.Errorf("no alert %s", name)
		}
	}
}

// TestAlertRulesNameRealMetrics: every alert expression names only
// metrics (and labels) the running switch exports, or Prometheus's own up.
func TestAlertRulesNameRealMetrics(t *testing.T) {
	fams := knownFamilies(t)
	for _, r := range loadAlerts(t) {
		problems, err := exprProblems(fams, r.Expr)
		if err != nil {
			t.Errorf("alert %s: %v", r.Alert, err)
		}
		for _, p := range problems {
			t.Errorf("alert %s: %s", r.Alert, p)
		}
	}
}

// TestAlertUnitTestsCoverEveryAlert: the promtool unit tests see every
// alert both firing and quiet, and test no alert that does not exist.
func TestAlertUnitTestsCoverEveryAlert(t *testing.T) {
	raw, err := os.ReadFile(alertTestsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name          string `yaml:"name"`
			AlertRuleTest []struct {
				EvalTime  string           `yaml:"eval_time"`
				Alertname string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(raw, &f); err != nil {
		t.Fatalf("%s: %v", alertTestsFile, err)
	}
	if len(f.RuleFiles) != 1 || f.RuleFiles[0] != filepath.Base(alertsFile) {
		t.Errorf("%s tests %v, want [%s]", alertTestsFile, f.RuleFiles, filepath.Base(alertsFile))
	}
	firing, quiet := map[string]int{}, map[string]int{}
	for _, tc := range f.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname]++
			} else {
				quiet[a.Alertname]++
			}
		}
	}
	alerts := map[string]bool{}
	for _, r := range loadAlerts(t) {
		alerts[r.Alert] = true
		if firing[r.Alert] == 0 {
			t.Errorf("alert %s is never tested firing", r.Alert)
		}
		if quiet[r.Alert] == 0 {
			t.Errorf("alert %s is never tested quiet", r.Alert)
		}
	}
	for name := range firing {
		if !alerts[name] {
			t.Errorf("%s tests alert %s, which alerts.yml does not define", alertTestsFile, name)
		}
	}
	for name := range quiet {
		if !alerts[name] {
			t.Errorf("%s tests alert %s, which alerts.yml does not define", alertTestsFile, name)
		}
	}
}

// requireTool returns the path of a Prometheus tool, or skips the test
// when it is not installed and AUTHSWITCH_REQUIRE_PROMTOOL is unset (CI
// sets it, so that a missing tool fails there instead of passing quietly).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if _, serr := os.Stat("/usr/bin/" + name); serr == nil {
			return "/usr/bin/" + name
		}
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%s is not installed and %s is set: run .ci/install.sh (apt-get install prometheus)", name, requireEnv)
		}
		t.Skipf("%s is not installed (apt-get install prometheus, or .ci/install.sh); set %s=1 to fail instead of skipping",
			name, requireEnv)
	}
	return path
}

// runTool runs a tool in dir with a bound on its time, and returns its
// combined output.
func runTool(t *testing.T, dir, tool string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestPromtool: promtool accepts the rules (syntax, templates, PromQL)
// and every unit test in alerts_test.yml passes.
func TestPromtool(t *testing.T) {
	promtool := requireTool(t, "promtool")
	if out, err := runTool(t, "prometheus", promtool, "check", "rules", filepath.Base(alertsFile)); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	out, err := runTool(t, "prometheus", promtool, "test", "rules", filepath.Base(alertTestsFile))
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules did not say SUCCESS:\n%s", out)
	}
}

// TestAlertsListedInREADME: ops/README.md's table lists every alert with
// its severity, and no other.
func TestAlertsListedInREADME(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	row := regexp.MustCompile("(?m)^\\| `(AuthSwitch[A-Za-z0-9]+)` \\| (critical|warning) \\|")
	for _, m := range row.FindAllStringSubmatch(string(raw), -1) {
		listed[m[1]] = m[2]
	}
	for _, r := range loadAlerts(t) {
		sev, ok := listed[r.Alert]
		switch {
		case !ok:
			t.Errorf("ops/README.md does not list %s", r.Alert)
		case sev != r.Labels["severity"]:
			t.Errorf("ops/README.md lists %s as %s, alerts.yml says %s", r.Alert, sev, r.Labels["severity"])
		}
		delete(listed, r.Alert)
	}
	for name := range listed {
		t.Errorf("ops/README.md lists %s, which alerts.yml does not define", name)
	}
}
