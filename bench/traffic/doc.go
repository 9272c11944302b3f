// Package traffic builds the requests a card network sends, as canonical
// spec.Authorization values ready for spec.BuildRequest: card-present chip,
// swipe and contactless purchases, e-commerce with CVV2/CVC2, ATM cash and
// balance inquiries, purchases with cashback, account verifications,
// refunds, incremental authorizations, repeats, reversals (full, partial,
// by original data or by life cycle), stand-in advices and network
// management, at merchants from a small catalogue in several countries and
// currencies (cross-border requests carry a cardholder billing amount).
//
// A Source numbers the requests of one connection: STAN, RRN, transmission
// time and the network's life-cycle key (Visa transaction id, Mastercard
// Banknet reference) are unique per source and run.
package traffic
