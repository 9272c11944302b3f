// Package settle is the settlement consumer of the feed: it folds the
// records (from segment files or JetStream, in sequence order, exactly
// once) into a report per network, currency and settlement day — counts
// and amounts approved, declined, reversed, captured, expired and
// released, and the net position the issuer owes the network (the captured
// amount) — written as a table, JSON and CSV; and it reconciles a
// clearing file against the holds the feed describes, posting matched
// captures through the switch's admin API (POST /v1/captures) and
// reporting unmatched, over-captured, expired-then-captured and other
// exceptions.
//
// Amounts stay integer minor units of the account's currency throughout.
// cmd/settle is the thin main over this package.
package settle
