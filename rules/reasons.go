package rules

// What decided and why: the checks and reasons as small numbers, so that
// they fit the ledger's memo and index the metrics without allocating, and
// their names as the words the decision, the logs and the metrics use.

// checkID identifies a check (and the non-chain deciders: advices and
// reversals). Its value is stored in memos: never renumber.
type checkID uint8

const (
	checkNone checkID = iota
	checkSanity
	checkCard
	checkExpiry
	checkVerification
	checkStatus
	checkControls
	checkProgram
	checkFunds
	checkAdvice
	checkReversal
	numChecks
)

var checkNames = [numChecks]string{
	checkNone:         "",
	checkSanity:       "sanity",
	checkCard:         "card",
	checkExpiry:       "expiry",
	checkVerification: "verification",
	checkStatus:       "status",
	checkControls:     "controls",
	checkProgram:      "program",
	checkFunds:        "funds",
	checkAdvice:       "advice",
	checkReversal:     "reversal",
}

func (c checkID) String() string {
	if c < numChecks {
		return checkNames[c]
	}
	return "unknown"
}

// reason is why a check decided. Its value is stored in memos: never
// renumber.
type reason uint8

const (
	reasonNone reason = iota
	reasonApproved
	reasonPartialApproval
	reasonBalanceInquiry
	reasonAccountVerification
	reasonRefund
	reasonTransactionNotSupported
	reasonInvalidAmount
	reasonUnknownCurrency
	reasonCurrencyMismatch
	reasonCardUnknown
	reasonCardInactive
	reasonCardLost
	reasonCardStolen
	reasonCardCanceled
	reasonCardExpired
	reasonExpiryMismatch
	reasonVerificationFailed
	reasonVerificationUnavailable
	reasonCardholderInactive
	reasonCardholderBlocked
	reasonAccountFrozen
	reasonAccountClosed
	reasonSpendingControls
	reasonProgramRule
	reasonInsufficientFunds
	reasonAlreadyReversed
	reasonReferenceDataUnavailable
	reasonLedgerUnavailable
	reasonNetworkApproved
	reasonNetworkDeclined
	reasonReversed
	reasonReversalRecorded
	numReasons
)

var reasonNames = [numReasons]string{
	reasonNone:                     "",
	reasonApproved:                 "approved",
	reasonPartialApproval:          "partial_approval",
	reasonBalanceInquiry:           "balance_inquiry",
	reasonAccountVerification:      "account_verification",
	reasonRefund:                   "refund",
	reasonTransactionNotSupported:  "transaction_not_supported",
	reasonInvalidAmount:            "invalid_amount",
	reasonUnknownCurrency:          "unknown_currency",
	reasonCurrencyMismatch:         "currency_mismatch",
	reasonCardUnknown:              "card_unknown",
	reasonCardInactive:             "card_inactive",
	reasonCardLost:                 "card_lost",
	reasonCardStolen:               "card_stolen",
	reasonCardCanceled:             "card_canceled",
	reasonCardExpired:              "card_expired",
	reasonExpiryMismatch:           "expiry_mismatch",
	reasonVerificationFailed:       "verification_failed",
	reasonVerificationUnavailable:  "verification_unavailable",
	reasonCardholderInactive:       "cardholder_inactive",
	reasonCardholderBlocked:        "cardholder_blocked",
	reasonAccountFrozen:            "account_frozen",
	reasonAccountClosed:            "account_closed",
	reasonSpendingControls:         "spending_controls",
	reasonProgramRule:              "program_rule",
	reasonInsufficientFunds:        "insufficient_funds",
	reasonAlreadyReversed:          "already_reversed",
	reasonReferenceDataUnavailable: "reference_data_unavailable",
	reasonLedgerUnavailable:        "ledger_unavailable",
	reasonNetworkApproved:          "network_approved",
	reasonNetworkDeclined:          "network_declined",
	reasonReversed:                 "reversed",
	reasonReversalRecorded:         "reversal_recorded",
}

func (r reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Response codes (field 39, wire-spec §8) as constants, so that answers
// never build strings.
const (
	codeApproved           = "00"
	codePartial            = "10"
	codeVerified           = "85"
	codeDoNotHonor         = "05"
	codeInvalidTransaction = "12"
	codeInvalidAmount      = "13"
	codeInvalidCard        = "14"
	codeLostCard           = "41"
	codeStolenCard         = "43"
	codeClosedAccount      = "46"
	codeInsufficientFunds  = "51"
	codeExpiredCard        = "54"
	codeNotPermitted       = "57"
	codeSuspectedFraud     = "59"
	codeExceedsAmountLimit = "61"
	codeRestrictedCard     = "62"
	codeExceedsFrequency   = "65"
	codeSystemMalfunction  = "96"
	codeCVV2Mismatch       = "N7"
	codeFormatError        = "30"
	codeIssuerUnavailable  = "91"
	codeIncorrectPIN       = "55"
	codePINTriesExceeded   = "75"
)

// responseCodes are the codes a memo may hold, for turning its two bytes
// back into a constant string.
var responseCodes = [...]string{
	codeApproved, codePartial, codeVerified, codeDoNotHonor, codeInvalidTransaction, codeInvalidAmount,
	codeInvalidCard, codeLostCard, codeStolenCard, codeClosedAccount, codeInsufficientFunds, codeExpiredCard,
	codeNotPermitted, codeSuspectedFraud, codeExceedsAmountLimit, codeRestrictedCard, codeExceedsFrequency,
	codeSystemMalfunction, codeCVV2Mismatch, codeFormatError, codeIssuerUnavailable, codeIncorrectPIN,
	codePINTriesExceeded,
}

// responseCode returns the constant for the code in b, or "96" for a code
// this build does not know (a memo from a newer build).
func responseCode(b0, b1 byte) string {
	for _, c := range responseCodes {
		if c[0] == b0 && c[1] == b1 {
			return c
		}
	}
	return codeSystemMalfunction
}
