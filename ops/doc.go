// Package ops holds the operator-facing artefacts of the switch and the
// tests that keep them true to the switch they describe:
//
//   - grafana/authswitch.json: the Grafana dashboard (traffic and approval
//     rate by network, decline reasons, latency percentiles, stand-ins and
//     late answers, connections and sign-on, journal sync and batch size,
//     feed backlog, cache hit ratio, process resources);
//   - prometheus/alerts.yml: the alert rules, each with a summary, a
//     description and a runbook (what to check, what to do);
//   - prometheus/alerts_test.yml: promtool unit tests, every alert seen
//     both firing and not firing.
//
// The package has no code of its own. Its tests start the real switch in
// process (switch/daemon), send it traffic on both networks and scrape its
// /metrics, then check that the metrics catalogue in the repository's
// README lists exactly the families the switch exports (with their types
// and labels), that every dashboard query and every alert expression
// names only metrics the switch exports, that promtool accepts the rules
// and passes their unit tests, and that a real Prometheus (the Debian
// package) scrapes the switch, answers queries over its data, evaluates
// every dashboard query and loads alerts.yml, with one alert provoked by
// traffic and seen going active.
//
// The promtool and Prometheus tests skip when /usr/bin/promtool or
// /usr/bin/prometheus is missing, unless AUTHSWITCH_REQUIRE_PROMTOOL is set
// (as .ci/run sets it), when they fail instead.
package ops
