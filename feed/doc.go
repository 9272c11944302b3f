// Package feed publishes every ledger journal entry — authorizations and
// advices approved and declined, declines made before the ledger,
// reversals, captures, releases, expiries, adjustments, account loads — as
// an ordered, durable feed for settlement and reconciliation, and owns the
// record schema that feed speaks.
//
// # Outbox
//
// The ledger's journal is the outbox. A Publisher reads only entries that
// are already durable (ReadJournal), ships them to a Sink in windows, and
// tells the ledger (Ack) only what the sink acknowledged — fsynced to a
// segment file, or acknowledged by JetStream. Until then the ledger keeps
// the entries, across restarts; a restarted publisher resumes from the
// first entry the ledger was not told about. So the sink receives every
// entry at least once, and a consumer that keys on the entry id (or keeps
// the newest sequence number it applied, since the feed is gapless and
// ordered) sees each exactly once.
//
// Authorizing never waits on the feed: the sessions wait only for the
// ledger's durability, and the publisher runs on its own goroutine. While
// the sink is down the backlog grows in the ledger's journal on disk;
// metrics (feed_backlog_*) and Ready say so, and past the configured
// bound OverBound turns true and the switch follows its BoundPolicy:
// ApproveAndAlert (the default) or Decline91.
//
// Windows are bounded (Options.WindowEntries, WindowBytes) and so is the
// number in flight (MaxInFlight); a failing window is sent again, whole,
// with exponential back-off. Options.Observe sees every window's entries
// before it is sent (the admin API's authorization index is kept so), so
// nothing is acknowledged to the ledger that the observer has not taken.
//
// Shut down in this order: stop taking requests, Publisher.Close (it
// drains what is in flight), then the ledger's Close.
//
// # Record schema, version 1
//
// One JSON object per line (JSON Lines), documented as JSON Schema in
// feed/schema/v1.json (also SchemaV1). Every field is always present, in
// a fixed order beginning {"v":1,"id":"je_<seq>","seq":<seq>, so a reader
// finds the sequence number without decoding the line (ParseSeq):
//
//	v                 schema version (1)
//	id, seq           entry id "je_<seq>" and the journal sequence number
//	time              when it was decided, RFC 3339 UTC, nanoseconds
//	op                authorize, advice, reverse, decline, capture, release, expire, adjust, account
//	network, kind     visa/mastercard; authorization, advice, reversal, reversal_advice, or the op
//	mti               as received
//	lifecycle_key     Visa 62.2 transaction id; Mastercard Banknet reference + DE 15
//	stan, rrn, transaction_id
//	card_token, last4 never a PAN (a PAN-looking value is masked)
//	account, cardholder
//	amount, currency  the ledger's amount in the account's currency
//	request_amount, request_currency   as the network sent it
//	approved, released                 what the operation approved and released
//	merchant          {name, city, country, mcc, terminal_id}
//	decision, status, reason, ledger_reason, response_code, auth_code
//	hold_id, hold_amount               the hold and its amount after the operation
//	hold_ref, hold_expires             the hold named (capture, release, expiry); its expiry
//	posted, available, credit_limit    the account after the operation
//	force, no_hold, partial_allowed, repeat
//
// Amounts are integer minor units. A new field or meaning is a new
// version; readers refuse versions they do not know (ParseRecord).
//
// Encoding (AppendRecord) appends into a reused buffer and allocates
// nothing; see the package README for its cost.
//
// # Sinks and consumers
//
// feed/segment writes rotating JSON Lines segment files and reads them
// back; feed/natsfeed publishes to NATS JetStream and consumes with a
// durable consumer; feed/settle builds settlement reports and reconciles
// clearing files from either. Both readers deliver entries in sequence
// order, exactly once.
package feed

import _ "embed"

// SchemaV1 is the JSON Schema of a version 1 record.
//
//go:embed schema/v1.json
var SchemaV1 []byte
