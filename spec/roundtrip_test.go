package spec

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// randomAuthorization makes a canonical request with random but valid
// values, the way the network simulator would.
func randomAuthorization(rng *rand.Rand, n Network) Authorization {
	digits := func(k int) string {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte('0' + rng.IntN(10))
		}
		return string(b)
	}
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	mtis := []string{"0100", "0101", "0120", "0121", "0400", "0401", "0420", "0421"}
	a := Authorization{
		MTI:              mtis[rng.IntN(len(mtis))],
		PAN:              "4" + digits(12+rng.IntN(7)),
		ProcessingCode:   pick("00", "01", "09", "20", "30", "40") + pick("00", "10", "20") + "00",
		Amount:           rng.Int64N(1_000_000),
		Currency:         pick3(rng, 840, 978, 826, 392),
		TransmissionTime: "1124" + digits(6),
		STAN:             digits(6),
		LocalTime:        digits(6),
		LocalDate:        "1124",
		Expiry:           "28" + pick("01", "12"),
		MCC:              pick("5999", "5411", "6011", "7995"),
		AcquirerID:       digits(1 + rng.IntN(11)),
		RRN:              digits(12),
		TerminalID:       "TERM" + digits(4),
		AcceptorID:       "MERCHANT" + digits(7),
		MerchantName:     pick("", "CORNER SHOP", "MERCHANT OF 22 LETTERS"),
		MerchantCity:     pick("", "PARIS", "SAN FRANCISCO"),
		MerchantCountry:  pick("", "US", "FR", "JP"),
		TransactionID:    digits(15),
		NetworkCode:      "0002",
	}
	if rng.IntN(2) == 0 {
		a.HasBilling, a.BillingAmount, a.BillingCurrency = true, rng.Int64N(1_000_000), 978
	}
	switch rng.IntN(4) {
	case 0: // chip with track 2
		a.Entry = EntryChip
		a.Track2 = a.PAN + "=" + a.Expiry + "201" + digits(10)
		a.CardSequence = "001"
	case 1:
		a.Entry = EntryEcommerce
		a.CVV2Present, a.CVV2 = true, digits(3)
	case 2:
		a.Entry = EntrySwipe
		a.Track2 = a.PAN + "=" + a.Expiry + "101" + digits(8)
		a.PINBlockPresent = true
	case 3:
		a.Entry = EntryKeyed
	}
	a.PartialSupported = rng.IntN(2) == 0
	kind, _, _ := requestKind(a.MTI)
	switch kind {
	case KindAdvice:
		a.ResponseCode, a.AuthCode = "00", "V"+digits(5)
		a.AdviceReason = "9020"
		if n == Mastercard {
			a.AdviceReason = "1234567"
		}
	case KindReversal, KindReversalAdvice:
		a.HasOriginal = true
		a.Original = OriginalData{MTI: "0100", STAN: digits(6), TransmissionTime: "1124" + digits(6),
			AcquirerID: digits(11), ForwardingID: digits(11)}
		if rng.IntN(2) == 0 {
			a.HasReplacement, a.ActualAmount = true, rng.Int64N(1000)
		}
	}
	if n == Mastercard {
		a.TCC = pick("R", "T", "U")
		a.SettlementDate = "1124"
		a.NetworkCode, a.TransactionID = "MCC", "ABC"+digits(6)
		cat := "0" // DE 61 position 10: 6 marks e-commerce
		if a.Entry == EntryEcommerce {
			cat = "6"
		}
		a.POSData = "1025100" + pick("00", "01") + cat + "600" + "840" + pick("", "10001     ")
	} else {
		a.AcquirerCountry = pick("840", "250")
		a.POSCondition = pick("00", "59")
		a.AuthCharacteristics = pick("", "Y")
	}
	return a
}

func pick3(rng *rand.Rand, v ...uint16) uint16 { return v[rng.IntN(len(v))] }

// Canonical → wire → canonical on both codecs, for thousands of random
// requests: the hot path and moov agree on the request and on its answer,
// the mapping is stable (a second round trip changes nothing) and the
// values the simulator set survive.
func TestCanonicalRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var r Request
	for i := 0; i < 3000; i++ {
		n := Visa
		if i%2 == 1 {
			n = Mastercard
		}
		a := randomAuthorization(rng, n)
		frame := buildFrame(t, n, &a)
		if err := DecodeRequest(n, frame[n.PrefixLen():], &r); err != nil {
			t.Fatalf("#%d %s: %v", i, a.MTI, err)
		}
		m, err := Unpack(n, frame[n.PrefixLen():])
		if err != nil {
			t.Fatal(err)
		}
		b, err := FromMessage(n, m)
		if err != nil {
			t.Fatal(err)
		}
		if b != r.Authorization {
			t.Fatalf("#%d: codecs differ\nfast %+v\nmoov %+v", i, r.Authorization, b)
		}
		// Both codecs answer it identically, whatever the decision.
		d := answerFromFuzz(uint8(rng.IntN(256)), uint8(rng.IntN(256)), rng.Int64N(1e9))
		fast, fastErr := AppendAnswer(nil, &r, &d)
		am, moovErr := BuildAnswer(n, m, &d)
		var slow []byte
		if moovErr == nil {
			h := r.Header.Answer()
			slow, moovErr = PackFrame(n, am, &h)
		}
		if (fastErr == nil) != (moovErr == nil) || !bytes.Equal(fast, slow) {
			t.Fatalf("#%d: answers differ (%v, %v)\nfast %x\nmoov %x", i, fastErr, moovErr, fast, slow)
		}
		// Stable after one normalization (a blank country filled from a
		// fallback, say): the canonical value and then the bytes stay put.
		frame2 := buildFrame(t, n, &b)
		var c Authorization
		if m2, err := Unpack(n, frame2[n.PrefixLen():]); err != nil {
			t.Fatal(err)
		} else if c, err = FromMessage(n, m2); err != nil {
			t.Fatal(err)
		}
		if c != b {
			t.Fatalf("#%d: canonical value changed on a second round trip\n%+v\n%+v", i, b, c)
		}
		if frame3 := buildFrame(t, n, &c); !bytes.Equal(frame3, frame2) {
			t.Fatalf("#%d: bytes changed on a third round trip", i)
		}
		if b.PAN != a.PAN || b.Amount != a.Amount || b.Currency != a.Currency || b.Track2 != a.Track2 ||
			b.CVV2 != a.CVV2 || b.CVV2Present != a.CVV2Present || b.Entry != a.Entry ||
			b.PartialSupported != a.PartialSupported || b.MerchantName != a.MerchantName ||
			b.Original != a.Original || b.ActualAmount != a.ActualAmount || b.HasBilling != a.HasBilling ||
			b.BillingAmount != a.BillingAmount || b.TransactionID != a.TransactionID ||
			b.AdviceReason != a.AdviceReason || b.PINBlockPresent != a.PINBlockPresent {
			t.Fatalf("#%d: values lost\nsent %+v\ngot  %+v", i, a, b)
		}
		if a.MerchantCountry != "" && (a.MerchantName != "" || a.MerchantCity != "" || n == Visa) &&
			b.MerchantCountry != a.MerchantCountry && b.MerchantCountry != fallbackCountry(n, &a) {
			t.Fatalf("#%d: country %q, sent %q", i, b.MerchantCountry, a.MerchantCountry)
		}
	}
}

func buildFrame(t *testing.T, n Network, a *Authorization) []byte {
	t.Helper()
	m, err := BuildRequest(n, a)
	if err != nil {
		t.Fatalf("BuildRequest: %v", err)
	}
	h := VisaHeader{Format: 1, TextFormat: 2}
	frame, err := PackFrame(n, m, &h)
	if err != nil {
		t.Fatalf("PackFrame: %v", err)
	}
	return frame
}
