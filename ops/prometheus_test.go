package ops_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// promServer is a Prometheus process started by a test.
type promServer struct {
	url string // http://127.0.0.1:port
	log string // its log file
}

// startPrometheus runs the prometheus binary on a free loopback port with
// its own configuration and storage under a temporary directory (never
// the system service, never port 9090), scraping target as job
// "authswitch" every second and evaluating ruleFile every second. It is
// stopped when the test ends.
func startPrometheus(t *testing.T, bin, target, ruleFile string) *promServer {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: authswitch
    static_configs:
      - targets: [%q]
`, ruleFile, target)
	cfgFile := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &promServer{url: "http://" + addr, log: filepath.Join(dir, "prometheus.log")}
	logf, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--config.file="+cfgFile,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			if b, err := os.ReadFile(p.log); err == nil {
				t.Logf("prometheus log:\n%s", b)
			}
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(p.log)
			t.Fatalf("prometheus exited before it was ready: %v\n%s", err, b)
		default:
		}
		resp, err := http.Get(p.url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready on %s after 30 s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// apiResponse is the envelope of Prometheus's HTTP API.
type apiResponse struct {
	Status    string          `json:"status"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Data      json.RawMessage `json:"data"`
}

type sampleResult struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s sampleResult) float(t *testing.T) float64 {
	t.Helper()
	str, _ := s.Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		t.Fatalf("sample value %v: %v", s.Value, err)
	}
	return v
}

func (p *promServer) get(t *testing.T, path string, params url.Values, into any) error {
	t.Helper()
	u := p.url + path
	if params != nil {
		u += "?" + params.Encode()
	}
	resp, err := http.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if env.Status != "success" {
		return fmt.Errorf("%s: %s: %s", path, env.ErrorType, env.Error)
	}
	return json.Unmarshal(env.Data, into)
}

// query evaluates an instant query; an error is the API's (bad PromQL,
// an evaluation error), not an empty result.
func (p *promServer) query(t *testing.T, q string) ([]sampleResult, error) {
	t.Helper()
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := p.get(t, "/api/v1/query", url.Values{"query": {q}}, &data); err != nil {
		return nil, err
	}
	if data.ResultType != "vector" {
		return nil, fmt.Errorf("%q: result type %s", q, data.ResultType)
	}
	var out []sampleResult
	return out, json.Unmarshal(data.Result, &out)
}

// eventually polls f until it reports done, failing the test with f's
// last complaint after timeout.
func eventually(t *testing.T, timeout time.Duration, f func() (done bool, complaint string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, complaint := f()
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, complaint)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestPrometheusScrapesSwitch: a real Prometheus (the Debian package)
// scrapes the running switch, answers a query over the switch's own
// numbers, loads alerts.yml and evaluates every rule without error, fires
// an alert from traffic sent while it watches, and evaluates every
// dashboard query, each panel showing data.
func TestPrometheusScrapesSwitch(t *testing.T) {
	bin := requireTool(t, "prometheus")
	sw := runningSwitch(t)
	rules, err := filepath.Abs(alertsFile)
	if err != nil {
		t.Fatal(err)
	}
	prom := startPrometheus(t, bin, sw.d.AdminAddr(), rules)

	// The switch is a healthy target.
	eventually(t, 15*time.Second, func() (bool, string) {
		res, err := prom.query(t, `up{job="authswitch"}`)
		if err != nil {
			return false, err.Error()
		}
		if len(res) != 1 || res[0].float(t) != 1 {
			return false, fmt.Sprintf("up{job=\"authswitch\"} = %v", res)
		}
		return true, ""
	})

	// Prometheus holds the switch's own numbers: the answers it counted are
	// the answers the switch reports now (no traffic is flowing).
	want := sample(sw.scrape(t), "authswitch_answers_total", nil)
	if want < 30 {
		t.Fatalf("the switch reports %v answers; the traffic sent more than 30", want)
	}
	eventually(t, 10*time.Second, func() (bool, string) {
		res, err := prom.query(t, `sum(authswitch_answers_total) > 0`)
		if err != nil {
			return false, err.Error()
		}
		if len(res) != 1 || res[0].float(t) != want {
			return false, fmt.Sprintf("sum(authswitch_answers_total) > 0 = %v, the switch says %v", res, want)
		}
		return true, ""
	})

	// Every rule of alerts.yml is loaded and evaluates without error.
	wantRules := map[string]bool{}
	for _, r := range loadAlerts(t) {
		wantRules[r.Alert] = true
	}
	eventually(t, 15*time.Second, func() (bool, string) {
		var data struct {
			Groups []struct {
				Name  string `json:"name"`
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := prom.get(t, "/api/v1/rules", nil, &data); err != nil {
			return false, err.Error()
		}
		var pending []string
		loaded := 0
		for _, g := range data.Groups {
			for _, r := range g.Rules {
				loaded++
				switch r.Health {
				case "ok":
				case "err":
					t.Fatalf("rule %s does not evaluate: %s", r.Name, r.LastError)
				default:
					pending = append(pending, r.Name+" "+r.Health)
				}
			}
		}
		if loaded != len(wantRules) {
			return false, fmt.Sprintf("%d rules loaded, alerts.yml has %d", loaded, len(wantRules))
		}
		if len(pending) > 0 {
			return false, "not yet evaluated: " + strings.Join(pending, ", ")
		}
		return true, ""
	})

	// Once Prometheus has seen the malformed-frame count as it stands,
	// twelve more Mastercard frames fire AuthSwitchMalformedFrames (over
	// 10 in 10 minutes); the switch being up keeps AuthSwitchDown quiet.
	before := sample(sw.scrape(t), "authswitch_malformed_frames_total", map[string]string{"network": "mastercard"})
	eventually(t, 10*time.Second, func() (bool, string) {
		res, err := prom.query(t, `sum(authswitch_malformed_frames_total{network="mastercard"})`)
		if err != nil {
			return false, err.Error()
		}
		if len(res) != 1 || res[0].float(t) != before {
			return false, fmt.Sprintf("Prometheus has %v malformed frames, the switch %v", res, before)
		}
		return true, ""
	})
	quiet := alertStates(t, prom)
	if s, ok := quiet["AuthSwitchMalformedFrames/mastercard"]; ok {
		t.Fatalf("AuthSwitchMalformedFrames is %s before the frames were sent", s)
	}
	if err := sw.sendMalformed(12); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, func() (bool, string) {
		states := alertStates(t, prom)
		if s := states["AuthSwitchMalformedFrames/mastercard"]; s != "firing" {
			return false, fmt.Sprintf("AuthSwitchMalformedFrames not firing for mastercard; alerts: %v", states)
		}
		return true, ""
	})
	if s, ok := alertStates(t, prom)["AuthSwitchDown/"]; ok {
		t.Errorf("AuthSwitchDown is %s while the switch is up", s)
	}

	// Every dashboard query evaluates, and every panel shows data.
	d := loadDashboard(t)
	vars := strings.NewReplacer("$__rate_interval", "1m", "$__interval", "15s",
		"$instance", ".*", "$network", ".*", "${datasource}", "")
	eventually(t, 15*time.Second, func() (bool, string) {
		var empty []string
		for _, p := range d.allPanels() {
			if p.Type == "row" {
				continue
			}
			shows := false
			for _, tg := range p.Targets {
				res, err := prom.query(t, vars.Replace(tg.Expr))
				if err != nil {
					t.Fatalf("panel %q target %s: %v", p.Title, tg.RefID, err)
				}
				shows = shows || len(res) > 0
			}
			if !shows {
				empty = append(empty, p.Title)
			}
		}
		if len(empty) > 0 {
			return false, "panels with no data: " + strings.Join(empty, "; ")
		}
		return true, ""
	})
}

// alertStates returns the active alerts (pending or firing) by name and
// network ("AuthSwitchDown/" when the alert has no network label).
func alertStates(t *testing.T, prom *promServer) map[string]string {
	t.Helper()
	var data struct {
		Alerts []struct {
			Labels map[string]string `json:"labels"`
			State  string            `json:"state"`
		} `json:"alerts"`
	}
	if err := prom.get(t, "/api/v1/alerts", nil, &data); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range data.Alerts {
		out[a.Labels["alertname"]+"/"+a.Labels["network"]] = a.State
	}
	return out
}
