package traffic

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/spec"
)

// Verification says what a card verification value in a request is.
type Verification uint8

const (
	Absent Verification = iota
	Good
	Bad
)

// ExpiryChoice says what expiry date a request carries.
type ExpiryChoice uint8

const (
	CardExpiry  ExpiryChoice = iota // the card's
	WrongExpiry                     // another month
	NoExpiry                        // none (field 14 absent)
)

// Request describes an authorization to build.
type Request struct {
	Type     spec.TxnType
	Amount   int64 // minor units of the merchant's currency
	Merchant Merchant
	Entry    spec.EntryMode
	Partial  bool         // the terminal accepts a partial approval
	CVV2     Verification // e-commerce and keyed: Good unless set otherwise
	TrackCVV Verification // chip, contactless, swipe: Good unless set otherwise
	Expiry   ExpiryChoice
	PIN      bool // a PIN block (ATM)
}

// Source numbers the requests of one connection.
type Source struct {
	Network  spec.Network
	ID       int    // 0–99, part of every RRN and life-cycle key
	Acquirer string // field 32
	nonce    uint64 // one digit per run, so runs against one switch never collide
	seq      atomic.Uint64
	Now      func() time.Time
}

// NewSource returns a source for a network; id (0–99) tells connections of
// one run apart, and the run's nonce tells runs apart.
func NewSource(n spec.Network, id int, acquirer string, nonce uint64) *Source {
	s := &Source{Network: n, ID: id % 100, Acquirer: acquirer, nonce: nonce % 10, Now: time.Now}
	// Numbering starts somewhere new each time, so that a source made again
	// (another run, another process) within the same second does not repeat
	// the STAN and transmission time that identify a request to the switch.
	s.seq.Store(uint64(time.Now().UnixNano()/1000) % 900_000)
	return s
}

// numbers are one request's identifiers.
type numbers struct {
	stan, rrn, txn, transmission, localTime, localDate, settlement string
}

func (s *Source) next() numbers {
	seq := s.seq.Add(1)
	now := s.Now().UTC()
	n := numbers{
		stan:         fmt.Sprintf("%06d", (seq-1)%999_999+1),
		rrn:          fmt.Sprintf("%02d%010d", s.ID, seq%10_000_000_000),
		transmission: now.Format("0102150405"),
		localTime:    now.Format("150405"),
		localDate:    now.Format("0102"),
		settlement:   now.Format("0102"),
	}
	if s.Network == spec.Mastercard {
		n.txn = base36(s.nonce, 1) + base36(uint64(s.ID), 1) + base36(seq, 7)
	} else {
		n.txn = fmt.Sprintf("3%d%02d%011d", s.nonce, s.ID, seq%100_000_000_000)
	}
	return n
}

func base36(v uint64, width int) string {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		b[i] = digits[v%36]
		v /= 36
	}
	return string(b)
}

// ErrRequest is wrapped by errors building a request.
var ErrRequest = errors.New("traffic: cannot build request")

// Authorization builds an 0100 for card (nil: a card the portfolio does not
// know) as r describes.
func (s *Source) Authorization(card *model.Card, r Request) (*spec.Authorization, error) {
	cur, ok := spec.CurrencyByAlpha(r.Merchant.Currency)
	if !ok {
		return nil, fmt.Errorf("%w: merchant currency %q", ErrRequest, r.Merchant.Currency)
	}
	country, ok := spec.CountryByAlpha2(r.Merchant.Country)
	if !ok {
		return nil, fmt.Errorf("%w: merchant country %q", ErrRequest, r.Merchant.Country)
	}
	num := s.next()
	a := &spec.Authorization{
		Network: s.Network, MTI: "0100", Kind: spec.KindAuthorization,
		Type: r.Type, Amount: r.Amount, Currency: cur.Numeric,
		TransmissionTime: num.transmission, STAN: num.stan, LocalTime: num.localTime, LocalDate: num.localDate,
		MCC: r.Merchant.MCC, Entry: r.Entry, AcquirerID: s.Acquirer, RRN: num.rrn,
		TerminalID: r.Merchant.TerminalID, AcceptorID: r.Merchant.AcceptorID,
		MerchantName: r.Merchant.Name, MerchantCity: r.Merchant.City, MerchantCountry: r.Merchant.Country,
		PartialSupported: r.Partial, PINBlockPresent: r.PIN, TransactionID: num.txn,
	}
	switch r.Type {
	case spec.TxnPurchase, spec.TxnAccountVerification:
		a.ProcessingCode = "000000"
	case spec.TxnCash:
		a.ProcessingCode = "010000"
	case spec.TxnPurchaseWithCashback:
		a.ProcessingCode = "090000"
	case spec.TxnRefund:
		a.ProcessingCode = "200000"
	case spec.TxnBalanceInquiry:
		a.ProcessingCode = "300000"
	default:
		a.ProcessingCode = "400000" // a transfer: not supported by the switch
	}
	if a.Amount == 0 && a.Type == spec.TxnPurchase {
		a.Type = spec.TxnAccountVerification
	}

	pan, expiry := unknownPAN(s.Network, num.stan), "2912"
	var acctCurrency string
	if card != nil {
		pan, expiry, acctCurrency = card.PAN, card.Expiry, card.Account.Currency
	}
	a.PAN = pan
	if acctCurrency != "" && acctCurrency != r.Merchant.Currency {
		billing, err := convert(r.Amount, r.Merchant.Currency, acctCurrency)
		if err != nil {
			return nil, err
		}
		bc, _ := spec.CurrencyByAlpha(acctCurrency)
		a.HasBilling, a.BillingAmount, a.BillingCurrency = true, billing, bc.Numeric
	}

	msgExpiry := expiry
	switch r.Expiry {
	case WrongExpiry:
		msgExpiry = otherMonth(expiry)
	case NoExpiry:
		msgExpiry = ""
	}
	cvv := func(v Verification, serviceCode string) string {
		good := ""
		if card != nil {
			good = card.CVV(expiry, serviceCode)
		}
		if good == "" {
			good = "123"
		}
		if v == Bad {
			return wrongCVV(good)
		}
		return good
	}

	switch r.Entry {
	case spec.EntryChip, spec.EntryContactless, spec.EntrySwipe:
		service := "201"
		if r.Entry == spec.EntrySwipe {
			service = "101"
		}
		if r.TrackCVV == Absent {
			r.TrackCVV = Good
		}
		trackExpiry := msgExpiry
		if trackExpiry == "" {
			trackExpiry = expiry
		}
		tc := cvv(r.TrackCVV, service)
		a.Track2 = Track2(pan, trackExpiry, service, tc)
		a.ServiceCode, a.TrackCVV = service, tc
		a.Expiry = msgExpiry
		if r.Entry != spec.EntrySwipe {
			a.CardSequence = "001"
		}
		a.POSCondition = "00"
	default: // keyed and e-commerce
		a.Expiry = msgExpiry
		if r.CVV2 != Absent || r.Entry == spec.EntryEcommerce {
			v := r.CVV2
			if v == Absent {
				v = Good
			}
			a.CVV2, a.CVV2Present = cvv(v, "000"), true
		}
		a.POSCondition = "08"
		if r.Entry == spec.EntryEcommerce {
			a.POSCondition, a.Ecommerce = "59", "07"
		}
	}

	switch s.Network {
	case spec.Visa:
		a.AcquirerCountry = fmt.Sprintf("%03d", country.Numeric)
		a.NetworkCode = "0002"
	case spec.Mastercard:
		a.SettlementDate = num.settlement
		a.NetworkCode = "MCC"
		a.TCC = tcc(r)
		a.POSData = mastercardPOS(r, country.Numeric)
		a.LifecycleKey = a.TransactionID + a.SettlementDate
	}
	if s.Network == spec.Visa {
		a.LifecycleKey = a.TransactionID
	}
	return a, nil
}

// Track2 is the track 2 layout the simulator writes: PAN, '=', expiry,
// service code, PIN verification key index 1, PVV 0000, CVV, then 00.
func Track2(pan, expiry, serviceCode, cvv string) string {
	return pan + "=" + expiry + serviceCode + "10000" + cvv + "00"
}

// tcc is Mastercard's transaction category code for the request.
func tcc(r Request) string {
	switch {
	case r.Merchant.MCC == "6011":
		return "Z" // ATM cash
	case r.Entry == spec.EntryEcommerce:
		return "T"
	case r.Merchant.MCC == "7011":
		return "H"
	}
	return "R"
}

// mastercardPOS is DE 61: attendance, location, cardholder and card
// presence, CAT level, input capability, country, postal code.
func mastercardPOS(r Request, country uint16) string {
	attendance, location, holder, cardPresent, cat, capability := "0", "0", "0", "0", "0", "5"
	switch r.Entry {
	case spec.EntryEcommerce:
		attendance, location, holder, cardPresent, cat, capability = "1", "2", "5", "1", "6", "6"
	case spec.EntryKeyed:
		holder, cardPresent, capability = "4", "1", "6"
	case spec.EntryContactless:
		capability = "3"
	}
	if r.Merchant.MCC == "6011" || r.Merchant.MCC == "5542" {
		attendance, cat = "1", "1"
	}
	return attendance + "0" + location + holder + cardPresent + "0" + "0" + "00" + cat + capability + "00" +
		fmt.Sprintf("%03d", country) + "          "
}

// unknownPAN is a Luhn-valid PAN under a BIN no generated portfolio
// issues, different for each STAN.
func unknownPAN(n spec.Network, stan string) string {
	bin := "499999"
	if n == spec.Mastercard {
		bin = "559999"
	}
	partial := bin + "000" + stan
	return partial + string(spec.LuhnCheckDigit(partial))
}

func otherMonth(yymm string) string {
	m, _ := strconv.Atoi(yymm[2:])
	return fmt.Sprintf("%s%02d", yymm[:2], m%12+1)
}

func wrongCVV(good string) string {
	v, _ := strconv.Atoi(good)
	return fmt.Sprintf("%03d", (v+1)%1000)
}

// convert turns an amount between currencies at the fixed rates, rounding
// to the nearest minor unit.
func convert(amount int64, from, to string) (int64, error) {
	fc, ok1 := spec.CurrencyByAlpha(from)
	tc, ok2 := spec.CurrencyByAlpha(to)
	rf, ok3 := usdPerUnit[from]
	rt, ok4 := usdPerUnit[to]
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return 0, fmt.Errorf("%w: no rate from %s to %s", ErrRequest, from, to)
	}
	major := float64(amount) / math.Pow10(int(fc.Exponent))
	v := major * float64(rf) / float64(rt) * math.Pow10(int(tc.Exponent))
	return int64(math.Round(v)), nil
}

// Repeat returns the 0101 (or 0121, 0401, 0421) repeat of a request: the
// same fields, the repeat MTI.
func Repeat(orig *spec.Authorization) *spec.Authorization {
	r := *orig
	r.MTI = orig.MTI[:3] + "1"
	r.Repeat = true
	return &r
}

// Increment returns an incremental authorization of orig's life cycle: a
// new request (STAN, RRN, time) for amount with the same life-cycle key.
func (s *Source) Increment(orig *spec.Authorization, amount int64) *spec.Authorization {
	num := s.next()
	r := *orig
	r.MTI, r.Kind, r.Repeat = "0100", spec.KindAuthorization, false
	r.STAN, r.RRN, r.TransmissionTime = num.stan, num.rrn, num.transmission
	r.LocalTime, r.LocalDate = num.localTime, num.localDate
	r.Amount = amount
	if r.HasBilling {
		// The increment is charged in the same billing currency at the
		// same rate.
		from, ok1 := spec.CurrencyByNumeric(r.Currency)
		to, ok2 := spec.CurrencyByNumeric(r.BillingCurrency)
		billing, err := convert(amount, from.Alpha, to.Alpha)
		if !ok1 || !ok2 || err != nil {
			r.HasBilling, r.BillingAmount, r.BillingCurrency = false, 0, 0
		} else {
			r.BillingAmount = billing
		}
	}
	return &r
}

// Reversal returns a reversal of orig (0400, or the 0420 advice when
// advice): actual > 0 makes it partial (field 95); byLifecycle leaves field
// 90 out so that it applies to the whole life cycle.
func (s *Source) Reversal(orig *spec.Authorization, actual int64, advice, byLifecycle bool) *spec.Authorization {
	num := s.next()
	r := *orig
	r.MTI, r.Kind, r.Repeat = "0400", spec.KindReversal, false
	if advice {
		r.MTI, r.Kind = "0420", spec.KindReversalAdvice
	}
	r.STAN, r.TransmissionTime = num.stan, num.transmission
	r.LocalTime, r.LocalDate = num.localTime, num.localDate
	// A reversal carries no card verification data.
	r.Track2, r.ServiceCode, r.TrackCVV, r.CVV2, r.CVV2Present, r.PINBlockPresent = "", "", "", "", false, false
	r.Expiry, r.CardSequence, r.PartialSupported, r.POSData = "", "", false, ""
	r.AuthCode, r.ResponseCode = "", ""
	if s.Network == spec.Visa {
		r.AdviceReason = "2501"
	}
	if !byLifecycle {
		r.HasOriginal = true
		r.Original = spec.OriginalData{
			MTI: "0100", STAN: orig.STAN, TransmissionTime: orig.TransmissionTime,
			AcquirerID: fmt.Sprintf("%011s", orig.AcquirerID), ForwardingID: "00000000000",
		}
	}
	if actual > 0 {
		r.HasReplacement, r.ActualAmount = true, actual
	}
	return &r
}

// Advice returns the 0120 advice of a decision the network made in stand-in
// for orig: code is its field 39 and authCode its field 38.
func (s *Source) Advice(orig *spec.Authorization, code, authCode string) *spec.Authorization {
	r := *orig
	r.MTI, r.Kind, r.Repeat = "0120", spec.KindAdvice, false
	r.ResponseCode, r.AuthCode = code, authCode
	r.Track2, r.ServiceCode, r.TrackCVV, r.CVV2, r.CVV2Present, r.PINBlockPresent = "", "", "", "", false, false
	r.PartialSupported, r.POSData = false, ""
	if s.Network == spec.Visa {
		r.AdviceReason, r.STIPReason = "9020", "9020"
	} else {
		r.AdviceReason = "1900000"
		r.TCC = tcc(Request{Merchant: Merchant{MCC: orig.MCC}, Entry: orig.Entry})
		r.POSData = ""
	}
	return &r
}

// NetworkManagement returns an 0800 with field 70 code (Visa: 071 sign-on,
// 301 echo; Mastercard: 001 sign-on, 270 echo).
func (s *Source) NetworkManagement(code string) *spec.Authorization {
	num := s.next()
	return &spec.Authorization{
		Network: s.Network, MTI: "0800", Kind: spec.KindNetworkManagement,
		TransmissionTime: num.transmission, STAN: num.stan, NetworkMgmtCode: code,
	}
}

// SignOnCode and EchoCode are the network's field 70 codes.
func SignOnCode(n spec.Network) string {
	if n == spec.Visa {
		return "071"
	}
	return "001"
}

// EchoCode is the network's echo test code.
func EchoCode(n spec.Network) string {
	if n == spec.Visa {
		return "301"
	}
	return "270"
}
