// Package authindex keeps the admin API's index of authorizations: every
// authorization, advice, reversal and decline the ledger journaled, by id
// (auth_<journal sequence>), by card and by account (newest first), plus
// which account a hold and a network life cycle belong to, so that an
// operator's capture or release and a settlement file's presentment find
// their account.
//
// It is derived data, on Pebble in its own directory. The feed's publisher
// reads every durable journal entry; calling Add with them before the
// ledger is told they were shipped (Ack) keeps the index complete across
// restarts: the ledger keeps every entry it was not told about, and Add
// is idempotent by sequence number, so a window read again after a crash
// is indexed again harmlessly. Add syncs before it returns.
//
// Records are a compact binary encoding of what the admin API shows: no
// card number can be in them (the journal carries card ids and last four
// digits; a card field that looks like a card number anyway is masked
// before it is written). Prune drops records older than a retention, in
// bounded steps.
package authindex
