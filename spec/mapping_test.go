package spec

import (
	"bytes"
	"errors"
	"testing"
)

func decodeVector(t *testing.T, name string) (*vector, Authorization) {
	t.Helper()
	vs, err := loadVectors(vectorFS(t), ".")
	if err != nil {
		t.Fatal(err)
	}
	for i := range vs {
		if vs[i].name != name {
			continue
		}
		v := &vs[i]
		var r Request
		if err := DecodeRequest(v.network, v.frame[v.network.PrefixLen():], &r); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v, r.Authorization
	}
	t.Fatalf("no vector %s", name)
	return nil, Authorization{}
}

func TestCanonicalFromVectors(t *testing.T) {
	tests := []struct {
		vector string
		check  func(t *testing.T, a *Authorization)
	}{
		{"visa_0100_card_not_present", func(t *testing.T, a *Authorization) {
			want := Authorization{
				Network: Visa, MTI: "0100", Kind: KindAuthorization,
				PAN: "4111111111111111", ProcessingCode: "000000", Type: TxnPurchase,
				Amount: 12345, Currency: 840, TransmissionTime: "1124081530", STAN: "000101",
				LocalTime: "081530", LocalDate: "1124", Expiry: "2812", MCC: "5999",
				AcquirerCountry: "840", POSEntryMode: "0100", Entry: EntryEcommerce, POSCondition: "59",
				AcquirerID: "400050", RRN: "432908000101", TerminalID: "TERM0001",
				AcceptorID: "MERCHANT0000001", MerchantName: "EXAMPLE ONLINE STORE",
				MerchantCity: "NEW YORK", MerchantCountry: "US", CVV2: "590", CVV2Present: true,
				PartialSupported: true, Ecommerce: "07", POSData: "010000000701",
				AuthCharacteristics: "Y", TransactionID: "432908123456789", NetworkCode: "0002",
				LifecycleKey: "432908123456789",
			}
			if *a != want {
				t.Errorf("got  %+v\nwant %+v", *a, want)
			}
		}},
		{"visa_0100_chip", func(t *testing.T, a *Authorization) {
			if a.Entry != EntryChip || a.Track2 != "4111111111111111=28122010000081200" ||
				a.ServiceCode != "201" || a.TrackCVV != "812" || a.Expiry != "2812" ||
				a.CardSequence != "001" || a.CVV2Present || a.Ecommerce != "00" || !a.PartialSupported {
				t.Errorf("chip: %+v", *a)
			}
		}},
		{"visa_0120_stand_in_advice", func(t *testing.T, a *Authorization) {
			if a.Kind != KindAdvice || a.AuthCode != "V12345" || a.ResponseCode != "00" ||
				a.AdviceReason != "9020" || a.STIPReason != "9020" || a.Amount != 3000 {
				t.Errorf("advice: %+v", *a)
			}
		}},
		{"visa_0400_partial_reversal", func(t *testing.T, a *Authorization) {
			want := OriginalData{MTI: "0100", STAN: "000101", TransmissionTime: "1124081530",
				AcquirerID: "00000400050", ForwardingID: "00000000000"}
			if a.Kind != KindReversal || !a.HasOriginal || a.Original != want ||
				!a.HasReplacement || a.ActualAmount != 10000 || a.AdviceReason != "2502" ||
				a.LifecycleKey != "432908123456789" || a.MerchantCountry != "US" {
				t.Errorf("reversal: %+v", *a)
			}
		}},
		{"visa_0800_echo", func(t *testing.T, a *Authorization) {
			if a.Kind != KindNetworkManagement || a.NetworkMgmtCode != "301" || a.STAN != "000100" ||
				a.Type != TxnUnsupported {
				t.Errorf("echo: %+v", *a)
			}
		}},
		{"mastercard_0100_ecommerce", func(t *testing.T, a *Authorization) {
			want := Authorization{
				Network: Mastercard, MTI: "0100", Kind: KindAuthorization,
				PAN: "5555555555554444", ProcessingCode: "000000", Type: TxnPurchase,
				Amount: 8000, Currency: 840, TransmissionTime: "1124081530", STAN: "000201",
				LocalTime: "081530", LocalDate: "1124", Expiry: "2812", SettlementDate: "1124",
				MCC: "5999", POSEntryMode: "810", Entry: EntryEcommerce, AcquirerID: "012345",
				RRN: "432908000201", TerminalID: "TERM0001", AcceptorID: "MERCHANT0000001",
				MerchantName: "EXAMPLE ONLINE STORE", MerchantCity: "NEW YORK", MerchantCountry: "US",
				CVV2: "047", CVV2Present: true, PartialSupported: true, TCC: "T",
				POSData: "102510000660084010001     ", TransactionID: "ABC123456", NetworkCode: "MCC",
				LifecycleKey: "ABC1234561124",
			}
			if *a != want {
				t.Errorf("got  %+v\nwant %+v", *a, want)
			}
		}},
		{"mastercard_0420_partial_reversal", func(t *testing.T, a *Authorization) {
			if a.Kind != KindReversalAdvice || a.ActualAmount != 3000 || a.Original.AcquirerID != "00000012345" ||
				a.LifecycleKey != "ABC1234561124" || a.TCC != "T" {
				t.Errorf("reversal advice: %+v", *a)
			}
		}},
		{"mastercard_0800_signon", func(t *testing.T, a *Authorization) {
			if a.Kind != KindNetworkManagement || a.NetworkMgmtCode != "001" {
				t.Errorf("sign-on: %+v", *a)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			_, a := decodeVector(t, tt.vector)
			tt.check(t, &a)
		})
	}
}

// Canonical → wire → canonical: every request vector, rebuilt from its
// canonical value, gives the vector's bytes.
func TestBuildRequestReproducesVectors(t *testing.T) {
	for _, name := range []string{
		"visa_0100_card_not_present", "visa_0100_chip", "visa_0120_stand_in_advice",
		"visa_0400_partial_reversal", "visa_0800_echo", "mastercard_0100_ecommerce",
		"mastercard_0420_partial_reversal", "mastercard_0800_signon",
	} {
		t.Run(name, func(t *testing.T) {
			v, a := decodeVector(t, name)
			m, err := BuildRequest(v.network, &a)
			if err != nil {
				t.Fatal(err)
			}
			frame, err := PackFrame(v.network, m, v.header)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(frame, v.frame) {
				t.Errorf("rebuilt\n%x\nwant\n%x", frame, v.frame)
			}
		})
	}
}

func TestEntryMode(t *testing.T) {
	tests := []struct {
		pan       string
		ecommerce bool
		want      EntryMode
	}{
		{"05", false, EntryChip}, {"95", false, EntryChip}, {"07", false, EntryContactless},
		{"91", false, EntryContactless}, {"90", false, EntrySwipe}, {"02", false, EntrySwipe},
		{"80", false, EntrySwipe}, {"01", false, EntryKeyed}, {"01", true, EntryEcommerce},
		{"10", false, EntryKeyed}, {"10", true, EntryEcommerce}, {"81", false, EntryEcommerce},
		{"00", true, EntryEcommerce}, {"00", false, EntryUnknown}, {"05", true, EntryChip},
		{"", false, EntryUnknown}, {"79", false, EntryUnknown},
	}
	for _, tt := range tests {
		if got := entryFromPOS([]byte(tt.pan), tt.ecommerce); got != tt.want {
			t.Errorf("entryFromPOS(%q, %v) = %v, want %v", tt.pan, tt.ecommerce, got, tt.want)
		}
	}
}

func TestTransactionType(t *testing.T) {
	tests := []struct {
		pc     string
		amount int64
		want   TxnType
	}{
		{"000000", 100, TxnPurchase}, {"000000", 0, TxnAccountVerification}, {"003000", 1, TxnPurchase},
		{"010000", 100, TxnCash}, {"090000", 100, TxnPurchaseWithCashback}, {"200000", 100, TxnRefund},
		{"300000", 0, TxnBalanceInquiry}, {"301000", 500, TxnBalanceInquiry}, {"400000", 1, TxnUnsupported},
		{"", 0, TxnUnsupported},
	}
	for _, tt := range tests {
		if got := txnType([]byte(tt.pc), tt.amount); got != tt.want {
			t.Errorf("txnType(%q, %d) = %v, want %v", tt.pc, tt.amount, got, tt.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	_, a := decodeVector(t, "visa_0100_chip")
	r := a.Redacted()
	if r.PAN != "411111******1111" || r.Track2 != "" || r.TrackCVV != "" || r.ServiceCode != "" || r.CVV2 != "" {
		t.Errorf("redacted %+v", r)
	}
	if a.PAN != "4111111111111111" || a.Track2 == "" {
		t.Error("Redacted changed the original")
	}
	if r.STAN != a.STAN || r.Amount != a.Amount || r.Entry != a.Entry {
		t.Error("Redacted dropped non-secret values")
	}
}

func TestBuildRequestRejectsBadAmounts(t *testing.T) {
	_, a := decodeVector(t, "visa_0100_card_not_present")
	for _, amount := range []int64{-1, 1_000_000_000_000} {
		b := a
		b.Amount = amount
		if _, err := BuildRequest(Visa, &b); !errors.Is(err, ErrBadValue) {
			t.Errorf("amount %d: %v", amount, err)
		}
	}
	b := a
	b.MTI = "0110"
	if _, err := BuildRequest(Visa, &b); !errors.Is(err, ErrUnsupportedMTI) {
		t.Errorf("answer MTI built as a request: %v", err)
	}
}
