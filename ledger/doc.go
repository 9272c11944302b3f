// Package ledger owns the switch's money: accounts with posted balances
// and credit limits, holds and their life cycle, spend counters per card,
// cardholder and account, velocity, the remembered answer of every request
// (idempotency), and the journal that makes all of it durable and feeds
// settlement. It knows nothing of wire formats or rules: callers hand it
// accounts, amounts, limits and keys, and get Results.
//
// # Money
//
// available = posted + credit limit − pending, pending being the sum of the
// open holds, in integer minor units of the account's currency. Asserted by
// the tests after every step and on every restart (account.check): no hold
// or hold part is negative or empty, pending equals the sum of the holds,
// a release never exceeds what is held.
//
// # Life cycle
//
//   - Authorize: currency, an early reversal, per-authorization limits,
//     interval limits, velocity, funds — in that order, the first failure
//     decides. A limit is exceeded only when the new total is strictly
//     greater. Approved, it places a hold, or grows the hold of its life
//     cycle (an incremental). AllowPartial approves min(available, the
//     headroom of every limit) when available is above zero and below the
//     amount; a limit that fails when funds suffice still declines.
//   - Force (an advice) places the hold whatever the balance; NoHold (refund,
//     balance inquiry, verification) approves without one.
//   - Reverse finds one authorization by field 90 (Original) or, when that
//     is absent or finds nothing, the whole life cycle, and releases it or
//     down to ActualAmount — never more than is held. A reversal that finds
//     nothing is answered approved and remembered: the original, if it comes
//     within the retention, is declined ReasonAlreadyReversed with no hold.
//   - Capture posts the captured amount (which may differ) and closes the
//     hold; the spend counters follow the captured amount. A capture with no
//     hold still posts, unless it sets RequireHold (then it declines
//     ReasonHoldUnknown). Release is an operator's release; ExpireDue releases
//     holds after 7 days (31 for lodging, car rental and cruise MCCs).
//   - Adjust funds or debits; UpsertAccount loads the portfolio (a reload
//     moves posted by the difference from the last load, so the same file
//     twice changes nothing).
//
// An entry that acts on a hold — capture, release, expiry, a reversal that
// found one — carries the hold's life-cycle key, card, cardholder, MCC and
// network (Descriptor.Network of its authorization) where its request did
// not, so the feed describes it without following the hold back.
//
// Interval counters (UTC day, week from Monday, month, year, all time)
// count approved amounts — holds and postings — minus releases, per scope
// and per merchant category (for category-restricted limits). Each
// authorization's share of a hold is counted in the windows of its own
// time, and releases come off the newest share first. Only a scope's
// current windows are kept. Velocity counts approvals in the last Window
// from a time-ordered ring per scope that keeps as many approvals as the
// deepest control on that scope asked for (at least 4, at most 4,096),
// growing only while its oldest approval is inside the longest window, so
// its memory follows the approvals a window holds rather than the
// control's count: a control that appears later sees only the approvals
// its scope's ring kept until then.
//
// # Operators
//
// RecordAudit journals an operator's write (OpAudit: actor, action, object,
// request id, note) with the money, and the admin API's money movements
// carry the same fields in their Descriptor. None of them may look like a
// card number (12 or more consecutive digits): such an operation is
// refused before anything is journaled. Admin operations have keys of
// their own class (ClassAdmin, MakeAdminRequestKey), which no network
// request can share.
//
// # Idempotency
//
// Every operation with a RequestKey remembers its Result; the same key
// again gets it back with Repeat set, and changes nothing. Answers are kept
// at least RequestRetention (default 7 days) and at most twice that (two
// generations per shard), and at most MaxRequests (16M, ≈ 140 bytes each:
// 2.2 GB); past the cap the oldest generation is dropped early and counted
// (authswitch_ledger_requests_dropped_early_total).
//
// # Durability
//
// Every change is an Entry with a gapless sequence number. An operation
// decides and applies under its account's lock, encodes its entry, and
// under a short global lock takes the next sequence number (written into
// the encoding in place) and copies the entry into the journal's pending
// buffer — which is built as a Pebble batch: 256 KiB values keyed by their
// first sequence number. One committer goroutine takes everything pending
// and commits it as it is, synced (group commit). Callers wait
// with WaitDurable or OnDurable on Result.Seq, holding no lock: an entry is
// visible to other requests before it is durable, which is safe because a
// batch is always a prefix of what is pending — a later entry is never
// durable before an earlier one, so an answer that depended on an earlier
// change is released only after it. A failed WAL write or sync is fatal in
// Pebble: the process stops, no answer leaves for what was not synced, and
// a restart rebuilds from what the disk holds (TestDiskFailureStopsTheProcess).
// Any other failed commit stops the ledger: waits return ErrJournal, Err
// says why, and new requests are answered ReasonUnavailable.
//
// Restart loads the newest checkpoint and replays the journal after it,
// through the same apply code the live path uses, comparing each replayed
// result with the recorded one. Checkpoints are written in the background
// every CheckpointEvery entries (4M) and at Close, one account and one
// request shard at a time under its own lock; each account records the last
// entry it reflects, and the checkpoint counts only once everything it
// copied is durable. The journal keeps entries until the feed acknowledges
// them (Ack) and a checkpoint covers them.
//
// # Lock order
//
// Locks are taken only in this order, and none is held across a sync:
//
//	registry.mu (account creation and restore only; lookups take no lock)
//	→ account.mu (everything about one account, its cards' and cardholders' counters included)
//	→ request-table shard (remembered answers)
//	→ expiry queues
//	→ journal.mu (sequence numbers and the pending buffer)
//
// journal.waitMu (OnDurable callbacks) and store.mu (journal chunk list,
// acknowledgement) are taken alone; a hold-directory shard (open holds by
// id: HoldAccount) is taken under account.mu or alone, never with another. A request with no known account takes
// its request-table shard's lock in place of an account's.
//
// # Figures
//
// See README.md beside this file: decision cost, durable throughput, hot
// account, memory per account, restart time, with the commands that
// measured them.
package ledger
