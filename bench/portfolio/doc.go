// Package portfolio writes, reads and checks portfolio files: the JSON Lines
// that load accounts, cardholders, cards, their controls and the card
// verification keys into the switch (the format is described in the
// project's shared portfolio.md).
//
// It owns three things:
//
//   - the record types (Account, Cardholder, Card, CardKeys, Controls) and
//     their validation against the portfolio rules;
//   - a deterministic generator (Generate) that streams a portfolio of any
//     size from a seed, with Luhn-valid Visa (4xxxxx) and Mastercard
//     (5xxxxx) PANs, one key pair per BIN and a realistic spread of
//     statuses, balances and controls;
//   - a streaming writer and reader, so that a portfolio of millions of
//     cards never has to sit in memory as JSON.
//
// Records flow through a Sink, so the same generator feeds a file, the
// network simulator's expected-answer model, or both at once (Tee).
package portfolio
