package spec

// What an answer carries (wire-spec §5–7), decided once for both codecs:
// planAnswer says which fields the answer has and computes the characters
// of the ones the switch writes itself; the hot path and the moov path only
// differ in how they put those on the wire.

// Fields echoed from the request when present, besides the special cases
// below (Visa 62 → 62.2 only, Visa 63 → as received plus 63.4, Mastercard
// DE 48 → its transaction category code). 6 and 51 come back with the
// billing amount so that a partial approval's field 6 has its currency.
var (
	visaEcho       = []int{2, 3, 4, 6, 7, 11, 12, 13, 19, 25, 32, 37, 41, 42, 49, 51, 63, 70}
	mastercardEcho = []int{2, 3, 4, 6, 7, 11, 12, 13, 15, 32, 33, 37, 41, 42, 49, 51, 63, 70}
)

var (
	visaEchoMask       = fieldMask(visaEcho)
	mastercardEchoMask = fieldMask(mastercardEcho)
)

func fieldMask(ids []int) (m [3]uint64) {
	for _, id := range ids {
		m[id>>6] |= 1 << (id & 63)
	}
	return m
}

// reqFacts is what the answer rules need to know about the request.
type reqFacts struct {
	net      Network
	kind     Kind
	mti      [4]byte
	present  [3]uint64
	txnID    bool   // Visa 62.2 present
	tcc      byte   // Mastercard DE 48 TCC, 0 when absent
	pc       []byte // processing code characters, nil when absent
	currency uint16 // field 49
	cvv2     bool   // the request carried a CVV2/CVC2 value
	trackCVV bool   // the request carried track 2 with a CVV
}

func (f *reqFacts) has(id int) bool { return f.present[id>>6]&(1<<(id&63)) != 0 }

// factsFromIndex reads the request facts from a scanned or flattened index;
// cvv2 and trackCVV come from the canonical mapping (set by the caller).
func factsFromIndex(n Network, ix *index, text []byte) (reqFacts, bool) {
	f := reqFacts{net: n, present: ix.present}
	if !ix.has(0) || ix.text[0].len() != 4 {
		return f, false
	}
	copy(f.mti[:], text[ix.text[0].off:ix.text[0].end])
	k, _, ok := requestKind(f.mti[:])
	if !ok {
		return f, false
	}
	f.kind = k
	if n == Visa {
		f.txnID = ix.has(62) && ix.hasSlot(slotTransactionID)
	} else if ix.has(48) && ix.hasSlot(slotTCC) {
		f.tcc = text[ix.slotText[slotTCC].off]
	}
	if ix.has(3) {
		sp := ix.text[3]
		f.pc = text[sp.off:sp.end]
	}
	if ix.has(49) {
		sp := ix.text[49]
		v, _ := parseDigits(text[sp.off:sp.end])
		f.currency = uint16(v)
	}
	return f, true
}

// answerPlan is the content of one answer.
type answerPlan struct {
	mti     [4]byte
	fields  [3]uint64 // fields the answer carries
	partial bool      // 4 (and 6) replaced by approved amounts

	amount, billing [12]byte // partial approval's fields 4 and 6

	text44   [10]byte
	len44    int
	text48   [6]byte // TCC, then SE 87 when reported
	len48    int
	text54   [60]byte // up to three groups of 20
	len54    int
	stip     [4]byte // Visa 63.4
	hasSTIP  bool
	code     [2]byte // 39
	authCode string  // 38
}

func (p *answerPlan) set(id int)      { p.fields[id>>6] |= 1 << (id & 63) }
func (p *answerPlan) has(id int) bool { return p.fields[id>>6]&(1<<(id&63)) != 0 }

const maxAmount = 999_999_999_999

func isApproval(code string) bool { return code == "00" || code == "10" || code == "85" }

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if asciiToEBCDIC[s[i]] == 0 {
			return false
		}
	}
	return true
}

func validResult(b byte) bool { return b == 0 || b == 'M' || b == 'N' || b == 'P' }

// planAnswer applies the answer rules to a request and a decision.
func planAnswer(f *reqFacts, a *Answer) (answerPlan, error) {
	var p answerPlan
	p.mti = f.mti
	p.mti[2]++ // 0100 → 0110, 0420 → 0430, 0800 → 0810; the repeat digit becomes 0
	p.mti[3] = '0'

	if len(a.ResponseCode) != 2 || !printable(a.ResponseCode) {
		return p, fieldErrf(39, 0, ErrBadValue, "response code must be 2 characters")
	}
	echo := &visaEchoMask
	if f.net == Mastercard {
		echo = &mastercardEchoMask
	}
	for w := range p.fields {
		p.fields[w] = f.present[w] & echo[w]
	}
	p.set(39)
	p.code = [2]byte{a.ResponseCode[0], a.ResponseCode[1]}
	if f.kind == KindAuthorization && isApproval(a.ResponseCode) {
		if len(a.AuthCode) != 6 || !printable(a.AuthCode) {
			return p, fieldErrf(38, 0, ErrBadValue, "an approval needs a 6-character authorization code")
		}
		p.set(38)
		p.authCode = a.AuthCode
	}

	if a.Partial {
		if f.kind != KindAuthorization || a.ResponseCode != "10" {
			return p, fieldErrf(4, 0, ErrBadValue, "a partial approval answers an authorization with 10")
		}
		if a.ApprovedAmount < 0 || a.ApprovedAmount > maxAmount || a.RequestedAmount < 0 ||
			a.RequestedAmount > maxAmount || a.ApprovedBilling < 0 || a.ApprovedBilling > maxAmount {
			return p, fieldErrf(4, 0, ErrBadValue, "amount out of range")
		}
		p.partial = true
		appendPadded(p.amount[:0], a.ApprovedAmount, 12)
		p.set(4)
		if f.has(6) {
			appendPadded(p.billing[:0], a.ApprovedBilling, 12)
		}
	}

	// Field 54: balances (01 ledger, 02 available), then the requested
	// amount of a partial approval (57). Account type: processing code
	// digits 3–4.
	acct := [2]byte{'0', '0'}
	if len(f.pc) >= 4 {
		acct = [2]byte{f.pc[2], f.pc[3]}
	}
	group := func(amountType string, cur uint16, amount int64) error {
		if cur == 0 {
			cur = f.currency
		}
		if cur == 0 || cur > 999 {
			return fieldErrf(54, 0, ErrBadValue, "currency")
		}
		sign := byte('C')
		if amount < 0 {
			sign, amount = 'D', -amount
		}
		if amount > maxAmount {
			return fieldErrf(54, 0, ErrBadValue, "amount out of range")
		}
		g := append(p.text54[:p.len54], acct[0], acct[1], amountType[0], amountType[1])
		g = appendPadded(g, int64(cur), 3)
		g = append(g, sign)
		g = appendPadded(g, amount, 12)
		p.len54 = len(g)
		return nil
	}
	if a.HasBalances {
		if err := group("01", a.BalanceCurrency, a.LedgerBalance); err != nil {
			return p, err
		}
		if err := group("02", a.BalanceCurrency, a.Available); err != nil {
			return p, err
		}
	}
	if a.Partial {
		if err := group("57", a.RequestedCurrency, a.RequestedAmount); err != nil {
			return p, err
		}
	}
	if p.len54 > 0 {
		p.set(54)
	}

	// Card verification results, reported only when the request carried
	// the value.
	if !validResult(a.CVV2Result) || !validResult(a.CVVResult) {
		return p, fieldErrf(44, 0, ErrBadValue, "verification result must be M, N or P")
	}
	cvv2 := a.CVV2Result
	if !f.cvv2 {
		cvv2 = 0
	}
	cvv := a.CVVResult
	if !f.trackCVV {
		cvv = 0
	}
	switch f.net {
	case Visa:
		if cvv2 != 0 || cvv != 0 {
			p.text44 = [10]byte{'5', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '}
			p.len44 = 5
			if cvv != 0 {
				p.text44[4] = cvv
			}
			if cvv2 != 0 {
				p.text44[9] = cvv2
				p.len44 = 10
			}
			p.set(44)
		}
		if f.txnID {
			p.set(62)
		}
		if a.STIPReason != "" {
			if len(a.STIPReason) != 4 {
				return p, fieldErrf(63, 4, ErrBadValue, "STIP reason must be 4 digits")
			}
			for i := 0; i < 4; i++ {
				if c := a.STIPReason[i]; c < '0' || c > '9' {
					return p, fieldErrf(63, 4, ErrBadValue, "STIP reason must be 4 digits")
				}
				p.stip[i] = a.STIPReason[i]
			}
			p.hasSTIP = true
			p.set(63)
		}
	case Mastercard:
		if f.tcc != 0 {
			p.text48[0] = f.tcc
			p.len48 = 1
			if cvv2 != 0 {
				p.text48 = [6]byte{f.tcc, '8', '7', '0', '1', cvv2}
				p.len48 = 6
			}
			p.set(48)
		}
	}
	return p, nil
}
