// Package program holds a card program's own rules: CEL expressions
// (github.com/google/cel-go) over an authorization that decline it when
// true, e.g.
//
//	rules:
//	  - name: no_big_gambling
//	    expression: mcc == "7995" && amount > 20000
//
// declines with reason program_rule:no_big_gambling (response code 05
// unless the rule names another).
//
// A rule file is YAML: a list under "rules", each with name (lower-case
// letters, digits and underscores), expression, and optionally
// response_code (a decline code) and description. Rules are compiled once,
// type-checked against the variables below, and refused when their
// estimated cost is over MaxCost. A Set is immutable; the rules engine
// swaps in a new one to reload without restart.
//
// Variables (all present on every evaluation):
//
//	amount            int     field 4, minor units of currency
//	currency          string  ISO 4217 alpha of field 49
//	billing_amount    int     what the account is charged (field 6 when present, else amount)
//	billing_currency  string  the charged currency (field 51 when present, else currency)
//	mcc               string  merchant category code, 4 digits
//	country           string  merchant country, ISO 3166 alpha-2
//	network           string  "visa" or "mastercard"
//	txn_type          string  "purchase", "cash", "purchase_with_cashback", "refund", "balance_inquiry", "account_verification"
//	entry_mode        string  "chip", "contactless", "swipe", "keyed", "ecommerce", "unknown"
//	acquirer_country  string  ISO 3166 numeric (Visa field 19), may be empty
//	acquirer_id       string  field 32
//	terminal_id       string  field 41
//	merchant_name     string  field 43 name
//	merchant_city     string  field 43 city
//	partial_supported bool    the terminal accepts a partial approval
//	card_id           string  the card's id in the portfolio
//	cardholder_id     string  may be empty
//	account_id        string
//	hour_utc          int     0–23, the request's time
//	weekday_utc       int     0 (Sunday) – 6
//
// Evaluation allocates nothing for ints below 256, booleans and the
// enumerated strings (mcc, country, currencies, network, type,
// entry_mode); a larger int or a free-form string a rule reads costs one
// small allocation (CEL boxes values in interfaces).
package program
