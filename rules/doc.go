// Package rules decides authorizations: for every request, an ordered
// chain of checks over the card, its cardholder and account, their
// controls, the program's own rules and the ledger; the first check that
// fails decides, with its response code (field 39) and a reason in words.
// It also records advices and applies reversals, answers repeats from the
// ledger's memory, and loads the portfolio (reference data) the checks
// read.
//
// Subpackages: refdata (the reference store: Pebble behind a ristretto
// cache, cards keyed by an HMAC of the PAN, the portfolio line reader) and
// program (CEL program rules). The card verification algorithm is
// spec/cvv.
//
// # The checks, in order
//
// The chain is configurable (Options.Chain, by the names below); this is
// the default. sanity, card and funds are required, funds comes last, and
// card before every check that reads the card.
//
//	#  check          fails when                                         code  reason
//	1  sanity         processing code not supported                      12    transaction_not_supported
//	                  amount invalid (0 on a purchase, cash, refund;     13    invalid_amount
//	                  not 0 on a verification)
//	                  currency code (49, 51) unknown or absent           13    unknown_currency
//	                  charged currency (51 when present, else 49) is     13    currency_mismatch
//	                  not the account's
//	2  card           no card with this PAN                              14    card_unknown
//	                  card inactive                                      62    card_inactive
//	                  canceled as lost / stolen / otherwise              41 / 43 / 62  card_lost / card_stolen / card_canceled
//	3  expiry         card past the end of its expiry month (UTC)        54    card_expired
//	                  field 14 or track 2 expiry is not the card's       54    expiry_mismatch
//	4  verification   CVV2/CVC2 wrong: Visa / Mastercard (SE 87 N)       N7 / 05  verification_failed
//	                  magnetic-stripe CVV of track 2 wrong               05    verification_failed
//	                  no card_keys for the PAN (the network stands in)   96    verification_unavailable
//	5  status         cardholder inactive / blocked                      62    cardholder_inactive / cardholder_blocked
//	                  account frozen / closed                            62 / 46  account_frozen / account_closed
//	6  controls       category or country not allowed (any level)        57    spending_controls
//	                  per-authorization or interval limit (any level)    61    spending_controls
//	                  velocity (any level)                               65    spending_controls
//	7  program        a program rule (CEL) is true                       its own (05)  program_rule:<name>
//	8  funds          available balance below the amount                 51    insufficient_funds
//	                  the reversal came first                            05    already_reversed
//	   approvals      purchase, cash, cash back                          00    approved
//	                  partial (terminal supports it, balance > 0)        10    partial_approval
//	                  refund (no hold)                                   00    refund
//	                  balance inquiry (54: 01 and 02)                    00    balance_inquiry
//	                  account verification (amount 0)                    85    account_verification
//
// Any check answers 96 reference_data_unavailable when the reference store
// fails, and funds answers 96 ledger_unavailable when the ledger does; the
// Decision then carries ErrReferenceData or ErrLedgerUnavailable.
//
// Controls are checked kind by kind over the account, the cardholder and
// the card: categories, countries, then limits and velocity. Limits and
// velocity need the ledger's counters, and the funds check's
// ledger.Authorize evaluates them — limits, velocity, funds, in that
// order, atomically with the hold, so two racing requests can never spend
// past a limit. When a check after controls is about to decline instead
// (a program rule, or any check a configured chain puts there), the engine
// first evaluates the limits read-only (ledger.Check): a failing limit
// decides, as the order says, and an approval never pays for a second
// ledger call.
//
// # Card verification results
//
// The answer carries CVV2Result and CVVResult whenever the request carried
// the value: 'M' match, 'N' no match, 'P' not processed (the decision came
// before the check).
//
// # Repeats and durability
//
// A request's identity at the ledger (ledger.RequestKey) is its network,
// MTI class, STAN, transmission time and acquirer; the repeat digit of the
// MTI is left out. What the checks decided before the ledger (the check,
// the reason, the response code, the card verification results, the
// authorization code's position, the program rule) travels in the ledger's
// memo, and one function builds the answer from the ledger's result and
// that memo, for a new request and for its repeats alike: a repeat gets
// the identical answer and changes nothing. Authorization codes are six
// digits chosen by the request key.
//
// Every decision is journaled (declines before the ledger through
// ledger.RecordDecline); Decision.Seq is the journal entry to wait for
// before the answer leaves.
//
// # Advices and reversals
//
// Advice (0120/0121) records what the network decided: approved, it places
// the hold whatever the balance and limits (Force); declined, it is
// recorded. Reverse (0400/0401/0420/0421) releases the original found by
// field 90 and the card, or by the life-cycle key, whole or down to field
// 95's actual amount. Both answer 00 once recorded.
//
// # Metrics
//
//	authswitch_rules_decisions_total{check, result}       decisions by deciding check and reason
//	authswitch_rules_repeats_total                        requests answered from the ledger's memory
//	authswitch_rules_program_rule_declines_total{rule}    declines by program rule
//	authswitch_rules_program_rule_errors_total{rule}      program rules that failed to evaluate
//	authswitch_rules_cache_requests_total{result}         reference reads, hit or miss
//	authswitch_rules_cache_hit_ratio                      hits / reads since start
//
// Labels are check names, reason words and rule names: never card data.
//
// Speed: see README.md in this directory.
package rules
