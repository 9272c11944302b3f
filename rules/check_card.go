package rules

import "github.com/authswitch/authswitch/rules/refdata"

// cardStatus is check 2: the card is known (14) and usable: not inactive
// (62), not canceled as lost (41) or stolen (43), not canceled otherwise
// (62). A store that cannot answer is a system malfunction (96).
type cardStatus struct{}

func (cardStatus) decide(t *txn) verdict {
	if t.refErr != nil {
		return verdict{codeSystemMalfunction, reasonReferenceDataUnavailable}
	}
	c := t.card
	if c == nil {
		return verdict{codeInvalidCard, reasonCardUnknown}
	}
	switch c.Status {
	case refdata.CardActive:
		return verdict{}
	case refdata.CardInactive:
		return verdict{codeRestrictedCard, reasonCardInactive}
	case refdata.CardCanceled:
		switch c.Cancellation {
		case refdata.CancellationLost:
			return verdict{codeLostCard, reasonCardLost}
		case refdata.CancellationStolen:
			return verdict{codeStolenCard, reasonCardStolen}
		}
		return verdict{codeRestrictedCard, reasonCardCanceled}
	}
	return verdict{codeSystemMalfunction, reasonReferenceDataUnavailable}
}
