// Package netsim is the network simulator: it plays the card networks'
// side of the switch's connections, on moov-io/iso8583-connection, and
// checks every answer against the expected-answer model.
//
//   - Client: a pool of connections to one of the switch's listeners, with
//     the network's framing plugged into moov's message reader and writer
//     (Visa: the 4-byte prefix and the 22-byte BASE I header; Mastercard:
//     the 2-byte length), request ids from MTI class, STAN, transmission
//     time and RRN (never the STAN alone), sign-on when a connection opens,
//     echo tests (and Visa keep-alives) when it idles, answers to the
//     switch's own echoes, and reconnection when a connection drops.
//   - Runner: plays a mix of flows (purchases of every entry mode, ATM,
//     cashback, fuel with partial approval, hotel stays with incremental
//     authorizations, reversals full, partial, after a timeout and before
//     their original, stand-in advices, balance inquiries, verifications,
//     repeats, refunds, echoes) on random cards of both networks, asks the
//     model for each answer before sending, and reports every mismatch.
//   - Scenario: a YAML script of steps with the codes they must get.
package netsim
