// Package resource holds the admin API's wire objects, version 1: what
// the server writes and the client (and switchctl) reads, so the two
// cannot drift apart.
//
// The objects follow Stripe's conventions: every object names its kind in
// "object"; ids carry a prefix saying what they are (acct_, ch_, card_,
// auth_, hold_, adj_, cap_, rel_); money is integer minor units of a
// currency named by its ISO 4217 alpha code; times are Unix seconds
// ("created"). Lists are {"object":"list","data":[...],"has_more":bool},
// paged newest first with limit and starting_after. Errors are
// {"error":{"type","code","message","param"}}.
//
// No object carries a card number, a card verification key or a card
// verification value: cards show their last four digits, key pairs their
// key check value.
package resource
