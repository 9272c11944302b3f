// Package refdata owns the switch's reference data: accounts, cardholders,
// cards, their spending controls and the card verification keys. It keeps
// them durable in Pebble and serves the hot path through a ristretto cache.
//
// Cards are keyed by a Token, the HMAC-SHA256 of the PAN under a configured
// key; the PAN itself is never stored, only its last four digits. Accounts
// and cardholders are keyed by their ids. Card keys are few and live in
// memory (and in Pebble), looked up by the longest matching PAN prefix.
//
// The hot path reads a card with its account and cardholder in one cache
// read (Resolve): the cache keeps, under each card's token, the card with
// the records it names, and a change to an account or cardholder makes
// those entries stale through a generation counter, without having to find
// them.
//
// The cache is filled by writes, not only by reads: a portfolio load puts
// what it loads in the cache (up to the cache's budget, with a warning when
// the portfolio does not fit), so serving starts warm and the hot path does
// not wait on Pebble whatever the portfolio's size; a read that misses
// fills the cache and waits until it is applied.
//
// Cache coherence: every write goes to Pebble first, then deletes the cached
// entry, puts the new record in its place and waits for the cache to apply
// both before returning, so a change is visible to the next read (no stale
// decision after a card is frozen). A read that misses fills the cache under
// a per-key stripe lock that the write also takes, so a fill that read the
// old value can never land after the deletion. cache.go has the details.
//
// Records handed out by the read methods (Card, Account, Cardholder) are
// shared with the cache and must not be modified; the Get methods of the
// admin side return copies.
//
// Errors never carry a PAN, a key or a card verification value: cards are
// named by id, PANs by nothing at all.
package refdata
