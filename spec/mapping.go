package spec

import "bytes"

// The canonical mapping, shared by both codecs: it reads the characters an
// index recorded and never the wire bytes, so the hot path and the moov path
// cannot map a field differently.

// requestKind classifies a request MTI.
func requestKind[T ~string | ~[]byte](mti T) (k Kind, repeat bool, ok bool) {
	if len(mti) != 4 || mti[0] != '0' {
		return KindUnknown, false, false
	}
	repeat = mti[3] == '1'
	if mti[3] != '0' && !repeat {
		return KindUnknown, false, false
	}
	switch uint16(mti[1])<<8 | uint16(mti[2]) {
	case '1'<<8 | '0':
		k = KindAuthorization
	case '1'<<8 | '2':
		k = KindAdvice
	case '4'<<8 | '0':
		k = KindReversal
	case '4'<<8 | '2':
		k = KindReversalAdvice
	case '8'<<8 | '0':
		if repeat {
			return KindUnknown, false, false
		}
		k = KindNetworkManagement
	default:
		return KindUnknown, false, false
	}
	return k, repeat, true
}

// parseDigits reads a non-negative decimal of at most 18 digits.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

func trimRightSpaces(sp span, text []byte) span {
	for sp.end > sp.off && text[sp.end-1] == ' ' {
		sp.end--
	}
	return sp
}

func trimLeftSpaces(sp span, text []byte) span {
	for sp.off < sp.end && text[sp.off] == ' ' {
		sp.off++
	}
	return sp
}

// slotOf returns a subfield's characters, or an empty span when absent.
func slotOf(ix *index, s slot) span {
	if !ix.hasSlot(s) {
		return span{}
	}
	return ix.slotText[s]
}

// sub returns the part [from, to) of sp, clipped to it.
func sub(sp span, from, to int) span {
	o := sp.off + uint32(from)
	e := sp.off + uint32(to)
	if o > sp.end {
		o = sp.end
	}
	if e > sp.end {
		e = sp.end
	}
	return span{o, e}
}

// entryFromPOS derives the entry method from the PAN entry mode (the first
// two digits of field 22) and whether the network marked the transaction
// as electronic commerce (Visa 60.9–10 indicator 05–08; Mastercard DE 61
// position 10 = 6):
//
//	05, 95  chip                     07, 91  contactless
//	02, 90, 80 (fallback)  swipe     01, 10 (credential on file)  keyed
//	81  e-commerce (Mastercard)      01, 10, 00 marked e-commerce  e-commerce
//
// Everything else is unknown.
func entryFromPOS(pan []byte, ecommerce bool) EntryMode {
	if len(pan) < 2 {
		return EntryUnknown
	}
	switch string(pan[:2]) {
	case "05", "95":
		return EntryChip
	case "07", "91":
		return EntryContactless
	case "02", "90", "80":
		return EntrySwipe
	case "81":
		return EntryEcommerce
	case "01", "10":
		if ecommerce {
			return EntryEcommerce
		}
		return EntryKeyed
	case "00":
		if ecommerce {
			return EntryEcommerce
		}
	}
	return EntryUnknown
}

// txnType maps the processing code's first two digits.
func txnType(pc []byte, amount int64) TxnType {
	if len(pc) < 2 {
		return TxnUnsupported
	}
	switch string(pc[:2]) {
	case "00":
		if amount == 0 {
			return TxnAccountVerification
		}
		return TxnPurchase
	case "01":
		return TxnCash
	case "09":
		return TxnPurchaseWithCashback
	case "20":
		return TxnRefund
	case "30":
		return TxnBalanceInquiry
	}
	return TxnUnsupported
}

// mapRequest fills a from the fields recorded in ix, whose characters are
// in text. Derived characters (the Mastercard life-cycle key) are appended
// to text first; then text becomes one string, which every string field of
// a shares: the mapping's only allocation. It returns the grown text.
func mapRequest(n Network, ix *index, text []byte, a *Authorization) ([]byte, error) {
	*a = Authorization{Network: n}
	if !ix.has(0) {
		return text, fieldErr(FieldMTI, 0, ErrTruncated)
	}
	get := func(id int) (span, bool) {
		if !ix.has(id) {
			return span{}, false
		}
		return ix.text[id], true
	}
	bytesOf := func(sp span) []byte { return text[sp.off:sp.end] }

	mti := ix.text[0]
	kind, repeat, ok := requestKind(bytesOf(mti))
	if !ok {
		return text, fieldErr(FieldMTI, 0, ErrUnsupportedMTI)
	}
	a.Kind, a.Repeat = kind, repeat

	// Amounts and codes (digits are guaranteed by the field encodings).
	var err error
	num := func(id int) int64 {
		sp, ok := get(id)
		if !ok || err != nil {
			return 0
		}
		v, ok := parseDigits(bytesOf(sp))
		if !ok {
			err = fieldErr(id, 0, ErrNotNumeric)
		}
		return v
	}
	a.Amount = num(4)
	a.Currency = uint16(num(49))
	a.BillingAmount = num(6)
	a.BillingCurrency = uint16(num(51))
	_, a.HasBilling = get(6)
	if err != nil {
		return text, err
	}
	if pc, ok := get(3); ok {
		a.Type = txnType(bytesOf(pc), a.Amount)
	}
	_, a.PINBlockPresent = get(52)

	// Track 2: PAN, expiry, service code, discretionary data laid out as
	// PVKI (1) + PVV (4) + CVV (3) on both networks.
	var pan, expiry, service, trackCVV span
	pan, _ = get(2)
	expiry, _ = get(14)
	if t, ok := get(35); ok {
		tb := bytesOf(t)
		if sep := bytes.IndexByte(tb, '='); sep >= 0 {
			if !ix.has(2) {
				pan = sub(t, 0, sep)
			}
			rest := sub(t, sep+1, t.len())
			if rest.len() >= 4 && !ix.has(14) {
				expiry = sub(rest, 0, 4)
			}
			if rest.len() >= 7 {
				service = sub(rest, 4, 7)
			}
			if rest.len() >= 15 {
				trackCVV = sub(rest, 12, 15)
			}
		}
	}

	// Merchant and entry method.
	var name, city span
	var ecommerce bool
	var eci span
	var posData span
	var countryFromName, countryFromPOS []byte
	switch n {
	case Visa:
		if t, ok := get(43); ok {
			name = trimRightSpaces(sub(t, 0, 25), text)
			city = trimRightSpaces(sub(t, 25, 38), text)
			countryFromName = bytesOf(sub(t, 38, 40))
		}
		if t, ok := get(19); ok {
			countryFromPOS = bytesOf(t)
		}
		if t, ok := get(60); ok {
			posData = t
			p := bytesOf(t)
			if len(p) >= 10 {
				eci = sub(t, 8, 10)
				switch string(p[8:10]) {
				case "05", "06", "07", "08":
					ecommerce = true
				}
			}
			a.PartialSupported = len(p) >= 12 && p[11] == '1'
		}
	case Mastercard:
		if t, ok := get(43); ok {
			name = trimRightSpaces(sub(t, 0, 22), text)
			city = trimRightSpaces(sub(t, 23, 36), text)
			countryFromName = bytesOf(sub(t, 37, 40))
		}
		if t, ok := get(61); ok {
			posData = t
			p := bytesOf(t)
			ecommerce = len(p) >= 10 && p[9] == '6'
			if len(p) >= 16 {
				countryFromPOS = p[13:16]
			}
		}
		p := bytesOf(slotOf(ix, slotPOSExtended))
		a.PartialSupported = len(p) >= 1 && p[0] == '1'
	}
	a.MerchantCountry = merchantCountry(n, countryFromName, countryFromPOS)
	var pos22 span
	if t, ok := get(22); ok {
		pos22 = t
		if n == Mastercard && bytes.HasPrefix(bytesOf(t), []byte("81")) {
			ecommerce = true
		}
	}
	a.Entry = entryFromPOS(bytesOf(pos22), ecommerce)

	// Card verification value 2.
	var cvv2 span
	switch n {
	case Visa:
		d := slotOf(ix, slotCVV2Data)
		if b := bytesOf(d); len(b) >= 1 && b[0] == '1' {
			a.CVV2Present = true
			cvv2 = trimLeftSpaces(sub(d, 2, 6), text)
		}
	case Mastercard:
		a.CVV2Present = ix.hasSlot(slotCVC2)
		cvv2 = slotOf(ix, slotCVC2)
	}

	// Network data and the life-cycle key.
	var txnID, netCode, lifecycle, adviceReason, stip, aci, validation, tcc span
	switch n {
	case Visa:
		txnID = slotOf(ix, slotTransactionID)
		lifecycle = txnID
		netCode = slotOf(ix, slotNetworkID)
		adviceReason = slotOf(ix, slotMessageReason)
		stip = slotOf(ix, slotSTIPReason)
		aci = slotOf(ix, slotACI)
		validation = slotOf(ix, slotValidationCode)
	case Mastercard:
		if t, ok := get(63); ok {
			netCode = sub(t, 0, 3)
			txnID = sub(t, 3, t.len())
		}
		if t, ok := get(60); ok {
			adviceReason = t
		}
		tcc = slotOf(ix, slotTCC)
		if txnID.len() > 0 {
			// Banknet reference + DE 15 settlement date.
			start := len(text)
			text = append(text, bytesOf(txnID)...)
			if t, ok := get(15); ok {
				text = append(text, bytesOf(t)...)
			}
			lifecycle = span{uint32(start), uint32(len(text))}
		}
	}

	// Original data (90) and replacement amounts (95).
	var orig [5]span
	if t, ok := get(90); ok {
		a.HasOriginal = true
		p := 0
		for i, part := range field90Parts {
			orig[i] = sub(t, p, p+part.width)
			p += part.width
		}
	}
	if t, ok := get(95); ok {
		v, ok := parseDigits(bytesOf(sub(t, 0, 12)))
		if !ok {
			return text, fieldErrf(95, 0, ErrNotNumeric, "actual amount")
		}
		a.HasReplacement, a.ActualAmount = true, v
	}

	// One string for every text field.
	s := string(text)
	str := func(sp span) string { return s[sp.off:sp.end] }
	field := func(id int) string {
		if !ix.has(id) {
			return ""
		}
		return str(ix.text[id])
	}
	a.MTI = str(mti)
	a.PAN = str(pan)
	a.ProcessingCode = field(3)
	a.TransmissionTime = field(7)
	a.STAN = field(11)
	a.LocalTime = field(12)
	a.LocalDate = field(13)
	a.Expiry = str(expiry)
	a.SettlementDate = field(15)
	a.MCC = field(18)
	a.AcquirerCountry = field(19)
	a.POSEntryMode = str(pos22)
	a.CardSequence = field(23)
	a.POSCondition = field(25)
	a.AcquirerID = field(32)
	a.ForwardingID = field(33)
	a.Track2 = field(35)
	a.ServiceCode = str(service)
	a.TrackCVV = str(trackCVV)
	a.RRN = field(37)
	a.AuthCode = field(38)
	a.ResponseCode = field(39)
	a.TerminalID = field(41)
	a.AcceptorID = field(42)
	a.MerchantName = str(name)
	a.MerchantCity = str(city)
	a.CVV2 = str(cvv2)
	a.Ecommerce = str(eci)
	a.TCC = str(tcc)
	a.POSData = str(posData)
	a.AuthCharacteristics = str(aci)
	a.ValidationCode = str(validation)
	a.TransactionID = str(txnID)
	a.NetworkCode = str(netCode)
	a.LifecycleKey = str(lifecycle)
	a.AdviceReason = str(adviceReason)
	a.STIPReason = str(stip)
	a.NetworkMgmtCode = field(70)
	if a.HasOriginal {
		a.Original = OriginalData{
			MTI: str(orig[0]), STAN: str(orig[1]), TransmissionTime: str(orig[2]),
			AcquirerID: str(orig[3]), ForwardingID: str(orig[4]),
		}
	}
	return text, nil
}

// merchantCountry normalizes the merchant's country to ISO 3166 alpha-2:
// Visa field 43 positions 39–40, else field 19 (numeric); Mastercard DE 43
// alpha-3, else DE 61 positions 14–16 (numeric). Unknown codes give "".
func merchantCountry(n Network, fromName, fromPOS []byte) string {
	var c Country
	var ok bool
	if n == Visa {
		c, ok = countryAlpha2(fromName)
	} else {
		c, ok = countryAlpha3(fromName)
	}
	if ok {
		return c.Alpha2
	}
	if v, isNum := parseDigits(fromPOS); isNum && len(fromPOS) == 3 {
		if c, ok = CountryByNumeric(uint16(v)); ok {
			return c.Alpha2
		}
	}
	return ""
}
