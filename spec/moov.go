package spec

import (
	"slices"
	"strconv"
	"strings"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/field"
)

// The moov path: the reference codec built on moov-io's Message, used by
// the network simulator and by the tests that prove the hot path identical
// to it. Every error it returns is scrubbed of message bytes.

// Spec returns the message spec of a network, for building moov messages
// (iso8583.NewMessage). It is shared and must not be modified: the hot path
// was compiled from it.
func Spec(n Network) (*iso8583.MessageSpec, error) {
	c, err := codecFor(n)
	if err != nil {
		return nil, err
	}
	return c.spec, nil
}

// Unpack decodes a frame payload (Visa: BASE I header + message;
// Mastercard: message) with moov-io. It is as strict as DecodeRequest: a
// third or empty secondary bitmap, or bytes after the last field, are
// errors. Use ParseVisaHeader for the header itself.
func Unpack(n Network, payload []byte) (*iso8583.Message, error) {
	c, err := codecFor(n)
	if err != nil {
		return nil, err
	}
	_, msg, err := splitPayload(n, payload)
	if err != nil {
		return nil, err
	}
	// moov reads a third bitmap where bit 65 is set and drops an empty
	// secondary bitmap: neither is valid here.
	if off := c.fields[0].size(4); len(msg) >= off+16 && msg[off]&0x80 != 0 {
		sec := msg[off+8 : off+16]
		if sec[0]&0x80 != 0 {
			return nil, fieldErrf(FieldBitmap, 0, ErrBadBitmap, "third bitmap")
		}
		if string(sec) == "\x00\x00\x00\x00\x00\x00\x00\x00" {
			return nil, fieldErrf(FieldBitmap, 0, ErrBadBitmap, "empty secondary bitmap")
		}
	}
	m := iso8583.NewMessage(c.spec)
	if err := m.Unpack(msg); err != nil {
		return nil, scrubMoovError(err)
	}
	// moov stops after the last field of the bitmap: what it read must
	// re-encode to the whole message.
	packed, err := m.Pack()
	if err != nil {
		return nil, scrubMoovError(err)
	}
	if len(packed) != len(msg) {
		return nil, fieldErr(FieldMessage, 0, ErrTrailingData)
	}
	return m, nil
}

// PackFrame encodes a message as a whole frame: length prefix, then for
// Visa the BASE I header hdr (its total length set; a zero header with
// format 01/02 when nil), then the message.
func PackFrame(n Network, m *iso8583.Message, hdr *VisaHeader) ([]byte, error) {
	b, err := m.Pack()
	if err != nil {
		return nil, scrubMoovError(err)
	}
	size := len(b)
	if n == Visa {
		size += VisaHeaderLen
	}
	out, err := n.AppendLengthPrefix(make([]byte, 0, n.PrefixLen()+size), size)
	if err != nil {
		return nil, err
	}
	if n == Visa {
		h := VisaHeader{Format: 0x01, TextFormat: 0x02}
		if hdr != nil {
			h = *hdr
		}
		out = h.AppendTo(out, size)
	}
	return append(out, b...), nil
}

// flatten records a moov message's fields in an index, as scan does for
// bytes, so that the canonical mapping can read it.
func flatten(c *codec, m *iso8583.Message, ix *index, text []byte) ([]byte, error) {
	ix.reset()
	fields := m.GetFields()
	ids := make([]int, 0, len(fields))
	for id := range fields {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if id == 1 {
			continue
		}
		l := c.fields[id]
		if l == nil {
			return text, fieldErr(id, 0, ErrUnknownField)
		}
		t0 := len(text)
		switch f := fields[id].(type) {
		case *field.String:
			text = append(text, f.Value()...)
		case *field.Binary:
		case *field.Composite:
			var err error
			if text, err = flattenComposite(l, f, ix, text); err != nil {
				return text, err
			}
		default:
			return text, fieldErr(id, 0, ErrUnknownField)
		}
		ix.text[id] = span{uint32(t0), uint32(len(text))}
		ix.set(id)
	}
	return text, nil
}

func flattenComposite(l *layout, f *field.Composite, ix *index, text []byte) ([]byte, error) {
	subs := f.GetSubfields()
	keys := make([]string, 0, len(subs))
	for k := range subs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, _ := strconv.Atoi(a)
		y, _ := strconv.Atoi(b)
		return x - y
	})
	record := func(sl *layout, sf field.Field) error {
		v, err := sf.String()
		if err != nil {
			return scrubMoovError(err)
		}
		t0 := len(text)
		text = append(text, v...)
		if sl != nil && sl.slot != slotNone {
			ix.slots |= 1 << sl.slot
			ix.slotText[sl.slot] = span{uint32(t0), uint32(len(text))}
		}
		return nil
	}
	switch l.shape {
	case shapePrimitive: // positional: the parts in order make the value
		for _, k := range keys {
			if err := record(nil, subs[k]); err != nil {
				return text, err
			}
		}
		return text, nil
	case shapeBitmapped:
		for _, k := range keys {
			n, _ := strconv.Atoi(k)
			if err := record(l.subs[n], subs[k]); err != nil {
				return text, err
			}
		}
		// a composite's own text is not used; drop the subfields' copy
		return text, nil
	}
	// Mastercard DE 48: TCC, then the subelements.
	if tcc, ok := subs["1"]; ok {
		if err := record(l.tcc, tcc); err != nil {
			return text, err
		}
	}
	if inner, ok := subs["2"].(*field.Composite); ok {
		for tag, sf := range inner.GetSubfields() {
			n, err := strconv.Atoi(tag)
			if err != nil || n < 0 || n > 99 {
				return text, fieldErr(l.id, 0, ErrNotNumeric)
			}
			if l.subs[n] == nil {
				continue // kept by moov, unused here
			}
			if err := record(l.subs[n], sf); err != nil {
				return text, err
			}
		}
	}
	return text, nil
}

// FromMessage maps a decoded request to the canonical Authorization.
func FromMessage(n Network, m *iso8583.Message) (Authorization, error) {
	var a Authorization
	c, err := codecFor(n)
	if err != nil {
		return a, err
	}
	var ix index
	text, err := flatten(c, m, &ix, nil)
	if err != nil {
		return a, err
	}
	_, err = mapRequest(n, &ix, text, &a)
	return a, err
}

// messageBuilder sets fields of a moov message from characters, keeping
// the first error.
type messageBuilder struct {
	c   *codec
	m   *iso8583.Message
	err error
}

func (b *messageBuilder) set(id int, v string) {
	if v == "" || b.err != nil {
		return
	}
	l := b.c.fields[id]
	if l == nil {
		b.err = fieldErr(id, 0, ErrUnknownField)
		return
	}
	if l.shape != shapePrimitive {
		b.err = fieldErrf(id, 0, ErrBadValue, "composite set as a value")
		return
	}
	f := b.c.spec.Fields[id]
	if comp, ok := f.(*field.Composite); ok {
		b.setParts(id, comp, v)
		return
	}
	if err := b.m.Field(id, v); err != nil {
		b.err = fieldErr(id, 0, ErrBadValue)
	}
}

// setParts sets a positional field from its characters, part by part.
func (b *messageBuilder) setParts(id int, comp *field.Composite, v string) {
	keys := make([]int, 0, len(comp.Spec().Subfields))
	for k := range comp.Spec().Subfields {
		n, _ := strconv.Atoi(k)
		keys = append(keys, n)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k > len(v) {
			break
		}
		w := comp.Spec().Subfields[strconv.Itoa(k)].Spec().Length
		end := min(k-1+w, len(v))
		b.path(strconv.Itoa(id)+"."+strconv.Itoa(k), v[k-1:end])
	}
}

func (b *messageBuilder) path(p, v string) {
	if b.err != nil {
		return
	}
	if err := b.m.MarshalPath(p, v); err != nil {
		id, _, _ := strings.Cut(p, ".")
		n, _ := strconv.Atoi(id)
		b.err = fieldErrf(n, 0, ErrBadValue, "subfield "+p)
	}
}

// amount sets field id to a 12-digit amount, refusing what does not fit.
func (b *messageBuilder) amount(id int, v int64, rest string) {
	if v < 0 || v > maxAmount {
		if b.err == nil {
			b.err = fieldErrf(id, 0, ErrBadValue, "amount out of range")
		}
		return
	}
	b.set(id, string(appendPadded(nil, v, 12))+rest)
}

func padRight(s string, n int) string {
	if len(s) >= n {
		return s[:n]
	}
	return s + strings.Repeat(" ", n-len(s))
}

func padLeft(s string, n int, c string) string {
	if len(s) >= n {
		return s
	}
	return strings.Repeat(c, n-len(s)) + s
}

// BuildRequest builds the wire message of a canonical request (the network
// simulator sends these). Values the canonical form derives (Type, Kind,
// Entry, LifecycleKey, ...) are not read; the fields they come from are.
// When POSEntryMode or POSData are empty they are synthesized from Entry,
// Ecommerce and PartialSupported. A PIN block, when PINBlockPresent, is
// sent as eight zero bytes (the canonical form keeps none).
func BuildRequest(n Network, a *Authorization) (*iso8583.Message, error) {
	c, err := codecFor(n)
	if err != nil {
		return nil, err
	}
	if _, _, ok := requestKind(a.MTI); !ok {
		return nil, fieldErr(FieldMTI, 0, ErrUnsupportedMTI)
	}
	m := iso8583.NewMessage(c.spec)
	m.MTI(a.MTI)
	b := &messageBuilder{c: c, m: m}
	b.set(2, a.PAN)
	b.set(3, a.ProcessingCode)
	if a.ProcessingCode != "" || a.Amount != 0 {
		b.amount(4, a.Amount, "")
	}
	if a.HasBilling {
		b.amount(6, a.BillingAmount, "")
	}
	b.set(7, a.TransmissionTime)
	b.set(11, a.STAN)
	b.set(12, a.LocalTime)
	b.set(13, a.LocalDate)
	b.set(14, a.Expiry)
	if n == Mastercard {
		b.set(15, a.SettlementDate)
	}
	b.set(18, a.MCC)
	if n == Visa {
		b.set(19, a.AcquirerCountry)
	}
	pos := a.POSEntryMode
	if pos == "" {
		pos = synthesizePOSEntry(n, a.Entry)
	}
	b.set(22, pos)
	b.set(23, a.CardSequence)
	if n == Visa {
		b.set(25, a.POSCondition)
	}
	b.set(32, a.AcquirerID)
	if n == Mastercard {
		b.set(33, a.ForwardingID)
	}
	b.set(35, a.Track2)
	b.set(37, a.RRN)
	b.set(38, a.AuthCode)
	b.set(39, a.ResponseCode)
	b.set(41, a.TerminalID)
	b.set(42, a.AcceptorID)
	if a.MerchantName != "" || a.MerchantCity != "" || a.MerchantCountry != fallbackCountry(n, a) {
		b.set(43, merchantField(n, a))
	}
	if a.Currency != 0 {
		b.set(49, padLeft(strconv.Itoa(int(a.Currency)), 3, "0"))
	}
	if a.BillingCurrency != 0 {
		b.set(51, padLeft(strconv.Itoa(int(a.BillingCurrency)), 3, "0"))
	}
	if a.PINBlockPresent && b.err == nil {
		if err := m.BinaryField(52, make([]byte, 8)); err != nil {
			b.err = fieldErr(52, 0, ErrBadValue)
		}
	}
	switch n {
	case Visa:
		posData := a.POSData
		if posData == "" && (a.PartialSupported || a.Ecommerce != "" || a.Entry == EntryEcommerce) {
			posData = synthesizeVisa60(a)
		}
		b.set(60, posData)
		if a.AuthCharacteristics != "" {
			b.path("62.1", a.AuthCharacteristics)
		}
		if a.TransactionID != "" {
			b.path("62.2", a.TransactionID)
		}
		if a.ValidationCode != "" {
			b.path("62.3", a.ValidationCode)
		}
		if a.NetworkCode != "" {
			b.path("63.1", a.NetworkCode)
		}
		if a.AdviceReason != "" {
			b.path("63.3", a.AdviceReason)
		}
		if a.STIPReason != "" {
			b.path("63.4", a.STIPReason)
		}
		if a.CVV2Present {
			b.path("126.10", "11"+padLeft(a.CVV2, 4, " "))
		}
	case Mastercard:
		if a.TCC != "" || a.CVV2Present || a.PartialSupported {
			if a.TCC == "" {
				return nil, fieldErrf(48, 0, ErrBadValue, "subelements need a transaction category code")
			}
			b.path("48.1", a.TCC)
			if a.PartialSupported {
				b.path("48.2.61", "10000")
			}
			if a.CVV2Present {
				b.path("48.2.92", a.CVV2)
			}
		}
		b.set(60, a.AdviceReason)
		b.set(61, a.POSData)
		if a.NetworkCode != "" || a.TransactionID != "" {
			b.set(63, padRight(a.NetworkCode, 3)+a.TransactionID)
		}
	}
	b.set(70, a.NetworkMgmtCode)
	if a.HasOriginal {
		o := a.Original
		b.set(90, o.MTI+o.STAN+o.TransmissionTime+padLeft(o.AcquirerID, 11, "0")+padLeft(o.ForwardingID, 11, "0"))
	}
	if a.HasReplacement {
		b.amount(95, a.ActualAmount, strings.Repeat("0", 30))
	}
	if b.err != nil {
		return nil, b.err
	}
	return m, nil
}

func synthesizePOSEntry(n Network, e EntryMode) string {
	var pan string
	switch e {
	case EntryChip:
		pan = "05"
	case EntryContactless:
		pan = "07"
	case EntrySwipe:
		pan = "90"
	case EntryKeyed:
		pan = "01"
	case EntryEcommerce:
		if n == Mastercard {
			return "810"
		}
		pan = "01"
	default:
		return ""
	}
	if n == Visa {
		return pan + "10"
	}
	return pan + "1"
}

func synthesizeVisa60(a *Authorization) string {
	terminal := "00"
	switch a.Entry {
	case EntryChip:
		terminal = "55"
	case EntryContactless:
		terminal = "58"
	case EntrySwipe:
		terminal = "02"
	case EntryKeyed, EntryEcommerce:
		terminal = "01"
	}
	eci := a.Ecommerce
	if eci == "" {
		eci = "00"
		if a.Entry == EntryEcommerce {
			eci = "07"
		}
	}
	partial := "0"
	if a.PartialSupported {
		partial = "1"
	}
	return terminal + "000000" + eci + "0" + partial
}

// fallbackCountry is the merchant country the mapping derives when field 43
// is absent (Visa 19; Mastercard DE 61 positions 14–16): 43 is needed only
// for another one.
func fallbackCountry(n Network, a *Authorization) string {
	if n == Visa {
		return merchantCountry(n, nil, []byte(a.AcquirerCountry))
	}
	if len(a.POSData) >= 16 {
		return merchantCountry(n, nil, []byte(a.POSData[13:16]))
	}
	return ""
}

func merchantField(n Network, a *Authorization) string {
	if n == Visa {
		return padRight(a.MerchantName, 25) + padRight(a.MerchantCity, 13) + padRight(a.MerchantCountry, 2)
	}
	country := "   "
	if c, ok := CountryByAlpha2(a.MerchantCountry); ok {
		country = c.Alpha3
	}
	return padRight(a.MerchantName, 22) + " " + padRight(a.MerchantCity, 13) + " " + country
}

// BuildAnswer builds the answer to a decoded request by the same rules as
// AppendAnswer (the differential tests hold the two to the same bytes).
// Pack it with PackFrame and, for Visa, the request header's Answer().
func BuildAnswer(n Network, req *iso8583.Message, a *Answer) (*iso8583.Message, error) {
	c, err := codecFor(n)
	if err != nil {
		return nil, err
	}
	var ix index
	text, err := flatten(c, req, &ix, nil)
	if err != nil {
		return nil, err
	}
	var ra Authorization
	if _, err := mapRequest(n, &ix, text, &ra); err != nil {
		return nil, err
	}
	f, ok := factsFromIndex(n, &ix, text)
	if !ok {
		return nil, fieldErr(FieldMTI, 0, ErrUnsupportedMTI)
	}
	f.cvv2 = ra.CVV2Present
	f.trackCVV = ra.TrackCVV != ""
	p, err := planAnswer(&f, a)
	if err != nil {
		return nil, err
	}
	m := iso8583.NewMessage(c.spec)
	m.MTI(string(p.mti[:]))
	b := &messageBuilder{c: c, m: m}
	for id := 2; id <= 128; id++ {
		if !p.has(id) {
			continue
		}
		switch {
		case id == 4 && p.partial:
			b.set(4, string(p.amount[:]))
		case id == 6 && p.partial:
			b.set(6, string(p.billing[:]))
		case id == 38:
			b.set(38, p.authCode)
		case id == 39:
			b.set(39, string(p.code[:]))
		case id == 44:
			b.set(44, string(p.text44[:p.len44]))
		case id == 48:
			b.path("48.1", string(p.text48[:1]))
			if p.len48 > 1 {
				b.path("48.2.87", string(p.text48[5:6]))
			}
		case id == 54:
			b.set(54, string(p.text54[:p.len54]))
		case id == 62 && n == Visa:
			b.path("62.2", ra.TransactionID)
		case id == 63 && n == Visa && p.hasSTIP:
			if ra.NetworkCode != "" {
				b.path("63.1", ra.NetworkCode)
			}
			if ra.AdviceReason != "" {
				b.path("63.3", ra.AdviceReason)
			}
			b.path("63.4", string(p.stip[:]))
		default:
			v, err := req.GetBytes(id)
			if err == nil {
				err = m.BinaryField(id, v)
			}
			if err != nil && b.err == nil {
				b.err = fieldErr(id, 0, ErrBadValue)
			}
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	return m, nil
}

// AnswerFromMessage reads the decision in an answer (the simulator's side):
// 39, 38, partial approval (4, 6 and 54 type 57), balances (54 types 01 and
// 02), card verification results (Visa 44.5 and 44.10; Mastercard DE 48
// SE 87) and Visa 63.4. RequestedBilling is not on the wire and stays 0.
func AnswerFromMessage(n Network, m *iso8583.Message) (Answer, error) {
	var a Answer
	get := func(id int) string {
		v, _ := m.GetString(id)
		return v
	}
	a.ResponseCode = get(39)
	a.AuthCode = get(38)
	if v := get(54); v != "" {
		if len(v)%20 != 0 {
			return a, fieldErrf(54, 0, ErrBadValue, "groups of 20")
		}
		for i := 0; i < len(v); i += 20 {
			g := v[i : i+20]
			cur, ok1 := parseDigits([]byte(g[4:7]))
			amt, ok2 := parseDigits([]byte(g[8:20]))
			if !ok1 || !ok2 || (g[7] != 'C' && g[7] != 'D') {
				return a, fieldErrf(54, 0, ErrBadValue, "amount group")
			}
			if g[7] == 'D' {
				amt = -amt
			}
			switch g[2:4] {
			case "01":
				a.HasBalances, a.LedgerBalance, a.BalanceCurrency = true, amt, uint16(cur)
			case "02":
				a.HasBalances, a.Available, a.BalanceCurrency = true, amt, uint16(cur)
			case "57":
				a.Partial, a.RequestedAmount, a.RequestedCurrency = true, amt, uint16(cur)
			}
		}
	}
	if a.Partial {
		v, _ := parseDigits([]byte(get(4)))
		a.ApprovedAmount = v
		if s := get(6); s != "" {
			v, _ = parseDigits([]byte(s))
			a.ApprovedBilling = v
		}
	}
	switch n {
	case Visa:
		var s44 string
		if f := m.GetField(44); f != nil {
			for _, k := range []string{"1", "2", "3", "5", "6", "10", "11"} {
				var part string
				if err := m.UnmarshalPath("44."+k, &part); err == nil {
					s44 += part
				}
			}
		}
		if len(s44) >= 5 && s44[4] != ' ' {
			a.CVVResult = s44[4]
		}
		if len(s44) >= 10 && s44[9] != ' ' {
			a.CVV2Result = s44[9]
		}
		var stip string
		if m.GetField(63) != nil {
			_ = m.UnmarshalPath("63.4", &stip)
		}
		a.STIPReason = stip
	case Mastercard:
		var r string
		if m.GetField(48) != nil {
			_ = m.UnmarshalPath("48.2.87", &r)
		}
		if r != "" {
			a.CVV2Result = r[0]
		}
	}
	return a, nil
}
