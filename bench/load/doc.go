// Package load is the bench harness: it drives the switch over raw TCP
// with pre-encoded requests and measures what comes back.
//
// The parts, in the order a request meets them:
//
//   - Template: a request frame packed once through spec's encoders, with
//     the offsets of its varying fields (STAN, transmission time, RRN,
//     transaction id or Banknet reference, PAN, expiry, track 2, CVV2)
//     found by packing it again with each field changed. Patch copies the
//     frame and writes the fields in place: no encoder runs per request.
//   - Pool: the cards each request class may use and the answer each must
//     get, from the expected-answer model, with per-account budgets so an
//     approval is only expected while funds, interval limits and velocity
//     leave room for it.
//   - the connection loop: one writer and one reader per TCP connection,
//     writes coalesced, answers matched by STAN in a per-connection table;
//     closed loop (a fixed number in flight) or open loop (a schedule of
//     intended send times, latency measured from the intended time so a
//     stalled switch cannot hide its stalls, as wrk2 does).
//   - Recorder: HdrHistogram latencies and per-second throughput per
//     network, errors and unexpected answers by kind; warm-up excluded.
//   - Report: a human table, JSON, and PNG/SVG plots of the latency
//     percentile distribution and of throughput over time.
//
// The harness never imports the switch, the rules or the ledger: it speaks
// to the switch only over TCP and HTTP, as a network would.
package load
