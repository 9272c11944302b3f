// Package model is the network simulator's own idea of the switch's
// state: every card, cardholder and account of a portfolio with their
// balances, holds, spending counters and the answers already given, from
// which it knows the answer the switch owes to each request before the
// request is sent.
//
// It is written from the wire contract and the portfolio rules alone, never
// from the switch's code, so that the two check each other. Its order of
// checks is the rules engine's documented order:
//
//  1. message sanity: supported transaction type (12), known currency (13)
//  2. card known (14); card inactive (62), canceled lost (41) or stolen (43)
//  3. card expired, or the message's expiry differs from the card's (54)
//  4. CVV2/CVC2 (Visa N7, Mastercard 05), then the track's CVV (05)
//  5. cardholder inactive or blocked (62); account frozen (62), closed (46)
//  6. controls on account, cardholder and card, kind by kind: categories
//     and countries (57), per-authorization limits, interval limits (61),
//     velocity (65)
//  7. program rules: the model assumes none are loaded
//  8. funds (51), partial approval (10), balance inquiry (00 with
//     balances), account verification (85), refunds (00 without a hold)
//
// Where the contract leaves an answer open (the order between a currency
// mismatch and a failing check, whether a refund counts towards velocity,
// how a partial approval meets a spending limit, a request within a second
// of a calendar or velocity window's edge, ...), Expect refuses with
// ErrAmbiguous and changes nothing: the simulator then sends something
// else. Every answer it does predict is one the contract fixes.
//
// A Model is safe for concurrent use; requests on one account must still
// be sent one at a time, in the order Expect saw them.
package model
