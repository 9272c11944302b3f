// Package ledger owns the switch's money: accounts with posted balances
// and credit limits, holds and their life cycle (authorization, incremental,
// reversal full or partial or early, advice, capture, release, expiry),
// spend counters per card, cardholder and account, velocity, the
// remembered answer of every request (idempotency), and the journal that
// makes all of it durable and feeds settlement.
//
// It knows nothing of wire formats or rules: callers hand it accounts,
// amounts, limits and keys, and get Results.
//
// # Money
//
// available = posted + credit limit − pending, where pending is the sum
// of the open holds. All amounts are integer minor units of the account's
// currency. Invariants checked by tests after every step and on every
// restart: no hold or hold part is negative, pending equals the sum of the
// holds, a release never exceeds what is held.
//
// # Lock order
//
// Locks are taken only in this order, and never across a sync:
//
//	registry shard (account creation only)
//	→ account.mu (everything about one account, including its cards' and cardholders' counters)
//	→ request-table shard (idempotency records)
//	→ expiry queues
//	→ journal.mu (sequence numbers and the pending buffer)
//
// journal.waitMu (OnDurable callbacks) is taken alone. The committer holds
// no ledger lock while it writes and syncs a batch; an operation holds its
// account's lock only while it decides, applies and queues its entry.
package ledger
