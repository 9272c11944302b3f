// Package admin is the switch's admin API: HTTP and JSON under /v1/ on the
// admin listener, for operators and for the settlement tool.
//
// It owns the API's shape and guarantees, and nothing of the money or the
// reference data itself: accounts, cardholders, cards, card keys and
// program rules are the rules engine's (package rules), balances, holds
// and postings the ledger's, and authorizations are read from the
// authorization index (package admin/authindex) that the feed keeps.
//
// # Conventions
//
// Objects follow Stripe's style (package admin/resource): prefixed ids,
// integer minor units, "created" Unix times, an "object" field, lists
// paged newest first with limit and starting_after, and errors as
// {"error":{"type","code","message","param"}} with the HTTP status that
// fits: 400 invalid request, 401 no or a wrong token, 402 a debit the
// balance cannot cover, 404 no such object, 405 wrong method, 409 a
// conflict (an id taken, an idempotency key reused with another body or
// still in flight), 413 body too large, 415 not JSON, 500/503 the
// switch's own failure.
//
// # Security
//
// Every /v1 route needs "Authorization: Bearer <token>"; tokens are
// compared in constant time against every configured one. A token may
// carry a name ("name:secret"): the name is the actor in the audit trail.
// A card number crosses the API once, in the body of POST /v1/cards; no
// answer, error or log line carries it (cards show last4), and a card
// verification key never leaves the switch (key check values instead).
// Error messages never quote a value that looks like a card number.
//
// # Idempotency
//
// Every POST that creates an object or moves money takes an
// Idempotency-Key header (required where money moves: fund, debit, hold
// capture and release, captures). The first answer (success, or an error
// after the request was acted on) is kept for Options.IdempotencyTTL: the
// same key with the same method, path and body gets that answer again,
// with Idempotent-Replayed: true; with anything else, 409. Money moves are
// idempotent at the ledger too: the ledger request key is derived from the
// idempotency key and the path, so a retry after a crash that lost the
// kept answer still moves the money once. Answers wait for the ledger's
// journal to be durable.
//
// # Audit
//
// Every write is audited: money movements by their ledger journal entries
// (published by the feed), reference-data writes through Options.Audit
// and an "audit" log line naming the actor, the action and the object id
// — never a card number or a key.
package admin
