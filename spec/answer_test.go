package spec

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/moov-io/iso8583"
)

// answerBoth builds an answer on both paths, checks they agree byte for
// byte, and returns the frame and its decoded message.
func answerBoth(t *testing.T, n Network, payload []byte, a *Answer) ([]byte, *iso8583.Message) {
	t.Helper()
	var r Request
	if err := DecodeRequest(n, payload, &r); err != nil {
		t.Fatal(err)
	}
	fast, err := AppendAnswer(nil, &r, a)
	if err != nil {
		t.Fatalf("AppendAnswer: %v", err)
	}
	req, err := Unpack(n, payload)
	if err != nil {
		t.Fatal(err)
	}
	m, err := BuildAnswer(n, req, a)
	if err != nil {
		t.Fatalf("BuildAnswer: %v", err)
	}
	var hdr *VisaHeader
	if n == Visa {
		h := r.Header.Answer()
		hdr = &h
	}
	slow, err := PackFrame(n, m, hdr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fast, slow) {
		t.Fatalf("hot path and moov answers differ\nfast %x\nmoov %x", fast, slow)
	}
	f, consumed, err := n.NextFrame(fast, 0)
	if err != nil || f.Kind != FrameMessage || consumed != len(fast) {
		t.Fatalf("answer frame: %v %d", err, consumed)
	}
	if n == Visa {
		h, err := ParseVisaHeader(f.Payload)
		if err != nil || h.Destination != r.Header.Source || h.Source != r.Header.Destination ||
			int(h.TotalLength) != len(f.Payload) {
			t.Fatalf("answer header %+v: %v", h, err)
		}
	}
	out, err := Unpack(n, f.Payload)
	if err != nil {
		t.Fatalf("answer does not decode: %v", err)
	}
	return fast, out
}

func vectorPayload(t *testing.T, name string) (Network, []byte) {
	t.Helper()
	vs, err := loadVectors(vectorFS(t), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.name == name {
			return v.network, v.frame[v.network.PrefixLen():]
		}
	}
	t.Fatalf("no vector %s", name)
	return 0, nil
}

// str returns a field's characters (positional composites joined).
func str(m *iso8583.Message, id int) string {
	n := Visa
	if m.GetSpec() == mastercardSpec {
		n = Mastercard
	}
	c, _ := codecFor(n)
	var ix index
	text, err := flatten(c, m, &ix, nil)
	if err != nil || !ix.has(id) {
		return ""
	}
	return string(text[ix.text[id].off:ix.text[id].end])
}

func TestAnswerRules(t *testing.T) {
	tests := []struct {
		name    string
		vector  string
		answer  Answer
		mti     string
		want    map[int]string // fields that must have these values ("" = absent)
		decoded Answer         // what AnswerFromMessage reads back
	}{
		{"visa CVV2 match", "visa_0100_card_not_present",
			Answer{ResponseCode: "00", AuthCode: "A1B2C3", CVV2Result: 'M'}, "0110",
			map[int]string{38: "A1B2C3", 39: "00", 14: "", 43: "", 60: "", 126: ""},
			Answer{ResponseCode: "00", AuthCode: "A1B2C3", CVV2Result: 'M'}},
		{"visa CVV2 mismatch declined", "visa_0100_card_not_present",
			Answer{ResponseCode: "N7", AuthCode: "IGNORE", CVV2Result: 'N'}, "0110",
			map[int]string{38: "", 39: "N7"},
			Answer{ResponseCode: "N7", CVV2Result: 'N'}},
		{"visa track CVV only", "visa_0100_chip",
			Answer{ResponseCode: "05", CVVResult: 'N', CVV2Result: 'M'}, "0110",
			map[int]string{39: "05", 35: "", 38: ""},
			Answer{ResponseCode: "05", CVVResult: 'N'}},
		{"visa advice with STIP reason", "visa_0120_stand_in_advice",
			Answer{ResponseCode: "00", STIPReason: "1234"}, "0130",
			map[int]string{38: "", 39: "00"},
			Answer{ResponseCode: "00", STIPReason: "1234"}},
		{"visa advice echoes 63 as received", "visa_0120_stand_in_advice",
			Answer{ResponseCode: "00"}, "0130",
			map[int]string{39: "00"},
			Answer{ResponseCode: "00", STIPReason: "9020"}},
		{"visa reversal", "visa_0400_partial_reversal",
			Answer{ResponseCode: "00"}, "0410",
			map[int]string{39: "00", 90: "", 95: "", 18: "", 4: "000000012345"},
			Answer{ResponseCode: "00"}},
		{"visa balances with a debit", "visa_0100_card_not_present",
			Answer{ResponseCode: "00", AuthCode: "ZZ9999", HasBalances: true, LedgerBalance: -150, Available: 0, BalanceCurrency: 978}, "0110",
			map[int]string{54: "0001978D0000000001500002978C000000000000"},
			Answer{ResponseCode: "00", AuthCode: "ZZ9999", HasBalances: true, LedgerBalance: -150, BalanceCurrency: 978}},
		{"mastercard CVC2 mismatch", "mastercard_0100_ecommerce",
			Answer{ResponseCode: "05", CVV2Result: 'N'}, "0110",
			map[int]string{39: "05", 43: "", 61: ""},
			Answer{ResponseCode: "05", CVV2Result: 'N'}},
		{"mastercard partial approval with balances", "mastercard_0100_ecommerce",
			Answer{ResponseCode: "10", AuthCode: "P4RT1A", Partial: true, ApprovedAmount: 5000,
				RequestedAmount: 8000, HasBalances: true, LedgerBalance: 5000, Available: 5000}, "0110",
			map[int]string{4: "000000005000", 54: "0001840C0000000050000002840C0000000050000057840C000000008000"},
			Answer{ResponseCode: "10", AuthCode: "P4RT1A", Partial: true, ApprovedAmount: 5000,
				RequestedAmount: 8000, RequestedCurrency: 840, HasBalances: true, LedgerBalance: 5000,
				Available: 5000, BalanceCurrency: 840}},
		{"mastercard reversal advice", "mastercard_0420_partial_reversal",
			Answer{ResponseCode: "00"}, "0430",
			map[int]string{39: "00", 90: "", 95: "", 15: "1124", 63: "MCCABC123456"},
			Answer{ResponseCode: "00"}},
		{"mastercard sign-on", "mastercard_0800_signon",
			Answer{ResponseCode: "00"}, "0810",
			map[int]string{39: "00", 70: "001", 11: "000200"},
			Answer{ResponseCode: "00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, payload := vectorPayload(t, tt.vector)
			_, m := answerBoth(t, n, payload, &tt.answer)
			if got, _ := m.GetMTI(); got != tt.mti {
				t.Errorf("MTI %s, want %s", got, tt.mti)
			}
			for id, want := range tt.want {
				if want == "" {
					if m.GetField(id) != nil {
						t.Errorf("field %d present, want absent", id)
					}
					continue
				}
				if got := str(m, id); got != want {
					t.Errorf("field %d = %q, want %q", id, got, want)
				}
			}
			got, err := AnswerFromMessage(n, m)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.decoded {
				t.Errorf("decoded answer %+v\nwant %+v", got, tt.decoded)
			}
		})
	}
}

// A partial approval of a request with a billing amount replaces both 4 and
// 6; the repeat digit of the MTI does not survive in the answer.
func TestAnswerPartialWithBilling(t *testing.T) {
	_, a := decodeVector(t, "visa_0100_card_not_present")
	a.MTI = "0101"
	a.HasBilling, a.BillingAmount, a.BillingCurrency = true, 11000, 978
	m, err := BuildRequest(Visa, &a)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := PackFrame(Visa, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	ans := Answer{ResponseCode: "10", AuthCode: "PARTL1", Partial: true,
		ApprovedAmount: 10000, ApprovedBilling: 8900, RequestedAmount: 12345}
	_, out := answerBoth(t, Visa, frame[4:], &ans)
	if mti, _ := out.GetMTI(); mti != "0110" {
		t.Errorf("MTI %s", mti)
	}
	if str(out, 4) != "000000010000" || str(out, 6) != "000000008900" || str(out, 51) != "978" ||
		str(out, 54) != "0057840C000000012345" {
		t.Errorf("4 %s, 6 %s, 51 %s, 54 %s", str(out, 4), str(out, 6), str(out, 51), str(out, 54))
	}
}

func TestAnswerErrors(t *testing.T) {
	tests := []struct {
		name   string
		vector string
		answer Answer
		field  int
	}{
		{"approval without auth code", "visa_0100_card_not_present", Answer{ResponseCode: "00"}, 38},
		{"short response code", "visa_0100_card_not_present", Answer{ResponseCode: "5"}, 39},
		{"unprintable response code", "mastercard_0100_ecommerce", Answer{ResponseCode: "0\x01"}, 39},
		{"partial on a reversal", "visa_0400_partial_reversal", Answer{ResponseCode: "10", Partial: true}, 4},
		{"partial not answered 10", "mastercard_0100_ecommerce", Answer{ResponseCode: "00", AuthCode: "ABCDEF", Partial: true}, 4},
		{"amount out of range", "mastercard_0100_ecommerce", Answer{ResponseCode: "10", AuthCode: "ABCDEF", Partial: true, ApprovedAmount: 1e12}, 4},
		{"bad verification result", "visa_0100_card_not_present", Answer{ResponseCode: "05", CVV2Result: 'X'}, 44},
		{"bad STIP reason", "visa_0120_stand_in_advice", Answer{ResponseCode: "00", STIPReason: "12a4"}, 63},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, payload := vectorPayload(t, tt.vector)
			var r Request
			if err := DecodeRequest(n, payload, &r); err != nil {
				t.Fatal(err)
			}
			dst := []byte("keep")
			out, err := AppendAnswer(dst, &r, &tt.answer)
			checkFieldError(t, "hot path", err, ErrBadValue, tt.field, func() int {
				if tt.field == 63 {
					return 4
				}
				return 0
			}())
			if string(out) != "keep" {
				t.Errorf("dst changed on error: %q", out)
			}
			req, _ := Unpack(n, payload)
			_, err = BuildAnswer(n, req, &tt.answer)
			checkFieldError(t, "moov", err, ErrBadValue, -2, 0)
		})
	}
	var r Request
	if _, err := AppendAnswer(nil, &r, &Answer{ResponseCode: "00"}); !errors.Is(err, ErrNotDecoded) {
		t.Errorf("undecoded request: %v", err)
	}
}

func TestAppendFormatError(t *testing.T) {
	// Field 41 unreadable: the answer echoes what came before it.
	n, payload := mutate(t, "visa_0100_card_not_present", func(p []byte, at func(int) int) []byte {
		p[at(41)] = 0x00
		return p
	})
	var r Request
	if err := DecodeRequest(n, payload, &r); err == nil {
		t.Fatal("bad request decoded")
	}
	out, ok := AppendFormatError([]byte("x"), n, payload)
	if !ok || out[0] != 'x' {
		t.Fatalf("not answered")
	}
	f, _, _ := n.NextFrame(out[1:], 0)
	m, err := Unpack(n, f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if mti, _ := m.GetMTI(); mti != "0110" || str(m, 39) != "30" || str(m, 37) != "432908000101" ||
		str(m, 11) != "000101" || m.GetField(41) != nil || m.GetField(38) != nil || m.GetField(62) != nil {
		t.Errorf("format error answer: %s 39=%s 37=%s", mti, str(m, 39), str(m, 37))
	}

	// Mastercard, broken in DE 48: the answer stops before it.
	n, payload = mutate(t, "mastercard_0100_ecommerce", func(p []byte, at func(int) int) []byte {
		p[at(48)+3+1] = 0xC1
		return p
	})
	out, ok = AppendFormatError(nil, n, payload)
	if !ok {
		t.Fatal("mastercard not answered")
	}
	f, _, _ = n.NextFrame(out, 0)
	if m, err = Unpack(n, f.Payload); err != nil {
		t.Fatal(err)
	}
	if str(m, 39) != "30" || str(m, 42) != "MERCHANT0000001" || m.GetField(48) != nil || m.GetField(49) != nil {
		t.Errorf("mastercard format error answer wrong")
	}

	for _, tt := range []struct {
		name   string
		vector string
		edit   func(p []byte, at func(int) int) []byte
	}{
		{"reject header", "visa_0100_card_not_present", func(p []byte, _ func(int) int) []byte { p[1] = 0x81; return p }},
		{"unknown MTI", "visa_0100_card_not_present", func(p []byte, at func(int) int) []byte { p[at(0)] = 0x02; return p }},
		{"an answer MTI", "mastercard_0100_ecommerce", func(p []byte, at func(int) int) []byte { p[at(0)+2] = 0xF1; return p }},
		{"truncated bitmap", "mastercard_0100_ecommerce", func(p []byte, at func(int) int) []byte { return p[:8] }},
	} {
		n, payload := mutate(t, tt.vector, tt.edit)
		if out, ok := AppendFormatError(nil, n, payload); ok || len(out) != 0 {
			t.Errorf("%s: answered %x", tt.name, out)
		}
	}
}

func TestEcho(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 15, 0, 0, time.FixedZone("x", 3600))
	var last VisaHeader
	last.Destination, _ = ParseStationID("000001")
	last.Source, _ = ParseStationID("000002")
	for _, tt := range []struct {
		n    Network
		hdr  *VisaHeader
		code string
	}{{Visa, &last, "301"}, {Visa, nil, "301"}, {Mastercard, nil, "270"}} {
		out := AppendEcho(nil, tt.n, 1_000_042, at, tt.hdr)
		f, consumed, err := tt.n.NextFrame(out, 0)
		if err != nil || f.Kind != FrameMessage || consumed != len(out) {
			t.Fatalf("%v echo frame: %v", tt.n, err)
		}
		var r Request
		if err := DecodeRequest(tt.n, f.Payload, &r); err != nil {
			t.Fatalf("%v echo: %v", tt.n, err)
		}
		if r.MTI != "0800" || r.STAN != "000042" || r.TransmissionTime != "1124071500" || r.NetworkMgmtCode != tt.code {
			t.Errorf("%v echo %+v", tt.n, r.Authorization)
		}
		if tt.n == Visa && tt.hdr != nil && (r.Header.Destination != last.Source || r.Header.Source != last.Destination) {
			t.Errorf("echo header %+v", r.Header)
		}
		if mti, err := PeekMTI(tt.n, f.Payload); err != nil || mti != 800 {
			t.Errorf("PeekMTI %d %v", mti, err)
		}
		// The network's answer to it.
		reply, err := AppendAnswer(nil, &r, &Answer{ResponseCode: "00"})
		if err != nil {
			t.Fatal(err)
		}
		rf, _, _ := tt.n.NextFrame(reply, 0)
		if mti, err := PeekMTI(tt.n, rf.Payload); err != nil || mti != 810 {
			t.Errorf("PeekMTI reply %d %v", mti, err)
		}
		e, err := ParseEchoAnswer(tt.n, rf.Payload)
		if err != nil || e.STAN != 42 || e.ResponseCode != [2]byte{'0', '0'} {
			t.Errorf("ParseEchoAnswer %+v %v", e, err)
		}
	}
	n, payload := vectorPayload(t, "mastercard_0810_signon")
	if e, err := ParseEchoAnswer(n, payload); err != nil || e.STAN != 200 {
		t.Errorf("0810 vector: %+v %v", e, err)
	}
	n, payload = vectorPayload(t, "visa_0800_echo")
	if _, err := ParseEchoAnswer(n, payload); !errors.Is(err, ErrUnsupportedMTI) {
		t.Errorf("0800 read as an echo answer: %v", err)
	}
}
