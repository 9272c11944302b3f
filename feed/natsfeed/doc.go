// Package natsfeed is the feed's distributed sink and reader: NATS
// JetStream through nats.go.
//
// One stream per environment (AUTHSWITCH_<ENV>) takes the subjects
// authswitch.<env>.<network>.<kind> — authswitch.prod.visa.authorization,
// authswitch.prod.mastercard.reversal, authswitch.prod.ledger.expire, ...
// so that a consumer interested in one network or kind filters on the
// subject. Each message carries many records of one subject (JSON Lines,
// schema v1), with its first and last sequence numbers, the record count
// and the window's floor in headers, and Nats-Msg-Id "<first>-<last>".
//
// The Sink publishes asynchronously; the publisher's window bound bounds
// what is in flight. A window counts as shipped only when JetStream
// acknowledged every message of it. The stream's duplicates window
// (StreamConfig.Duplicates, 10 minutes by default) covers a restart's
// replay, so a window sent again is dropped by JetStream; what a
// restart cuts differently is dropped by the consumer by entry id.
//
// The Consumer (a durable JetStream pull consumer, or an ephemeral one
// for a replay) puts the records of the whole stream back in sequence
// order and delivers each exactly once: the journal's sequence is gapless,
// so keeping the newest sequence number delivered is exact deduplication.
// An application that keeps its own high-water mark with its state passes
// it as After when it starts.
package natsfeed
