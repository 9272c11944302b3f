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
//
// # Cost
//
// Each authorization writes five keys (the record, by card, by account, by
// hold, by life cycle), sorted within a window so the memtable inserts
// each next to the last. On the project's 2-core machine, go test -run
// XXX -bench Add -benchtime 400x ./switch/admin/authindex measured
// 3.0–3.5 µs of one core per entry with a quiet machine (windows of 512,
// synced; 4.9–5.6 µs before the keys were sorted), and 7–12 µs with the
// load average at 10 from other builds. At the bench's saturation rate
// (300k/s) that is about a core: for load tests run the feed without the
// index; at a card program's real peaks (thousands a second) it is a few
// per cent of one.
package authindex
