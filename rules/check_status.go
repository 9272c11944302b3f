package rules

import "github.com/authswitch/authswitch/rules/refdata"

// holderAndAccount is check 5: the card's cardholder is active (62 when
// inactive or blocked) and its account is open (62 when frozen, 46 when
// closed). A card naming a cardholder or account the store does not have
// is a system malfunction (96): the store checks references on every
// write, so only damage gets here.
type holderAndAccount struct{}

func (holderAndAccount) decide(t *txn) verdict {
	if t.card == nil {
		return verdict{}
	}
	if t.holderGone || t.accountGone {
		return verdict{codeSystemMalfunction, reasonReferenceDataUnavailable}
	}
	if h := t.holder; h != nil {
		switch h.Status {
		case refdata.CardholderInactive:
			return verdict{codeRestrictedCard, reasonCardholderInactive}
		case refdata.CardholderBlocked:
			return verdict{codeRestrictedCard, reasonCardholderBlocked}
		}
	}
	switch t.account.Status {
	case refdata.AccountFrozen:
		return verdict{codeRestrictedCard, reasonAccountFrozen}
	case refdata.AccountClosed:
		return verdict{codeClosedAccount, reasonAccountClosed}
	}
	return verdict{}
}
