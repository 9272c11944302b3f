package feed_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/authswitch/authswitch/feed"
	"github.com/authswitch/authswitch/ledger"
	"github.com/authswitch/authswitch/spec"
)

var t0 = time.Date(2026, 11, 24, 10, 30, 0, 123456789, time.UTC)

func approvedEntry() ledger.Entry {
	return ledger.Entry{
		Seq: 42, Time: t0, Op: ledger.OpAuthorize,
		Lifecycle: ledger.MakeLifecycleKey(1, "381234567890123"),
		Account:   "acct1", Cardholder: "ch1", Card: "tok_abc", MCC: "5411",
		Amount: 1250, Currency: "USD", Partial: true,
		Expires: t0.Add(7 * 24 * time.Hour),
		Result: ledger.Result{Status: ledger.Approved, Approved: 1250, HoldID: 7, Hold: 1250,
			Posted: 10000, Available: 8750, Currency: "USD", Seq: 42},
		Descriptor: ledger.Descriptor{Network: "visa", Kind: "authorization", MTI: "0100", STAN: "000123",
			RRN: "123456789012", TransactionID: "381234567890123", CardToken: "tok_abc", Last4: "1111",
			Amount: 1150, Currency: "EUR", MerchantName: "ACME Store", MerchantCity: "Boston", Country: "US",
			MCC: "5411", TerminalID: "TERM0001", Decision: "approved", ResponseCode: "00", AuthCode: "AB12CD"},
	}
}

func encode(t *testing.T, e *ledger.Entry) (feed.Record, []byte) {
	t.Helper()
	line := feed.AppendRecord(nil, e)
	if !bytes.HasSuffix(line, []byte("\n")) || bytes.Count(line, []byte("\n")) != 1 {
		t.Fatalf("record is not one line: %q", line)
	}
	if !json.Valid(line) {
		t.Fatalf("record is not JSON: %s", line)
	}
	var r feed.Record
	if err := feed.ParseRecord(line, &r); err != nil {
		t.Fatalf("ParseRecord: %v\n%s", err, line)
	}
	seq, err := feed.ParseSeq(line)
	if err != nil || seq != e.Seq {
		t.Fatalf("ParseSeq = %d, %v; want %d", seq, err, e.Seq)
	}
	return r, line
}

func TestRecordCarriesEverySchemaField(t *testing.T) {
	e := approvedEntry()
	r, line := encode(t, &e)
	exp := t0.Add(7 * 24 * time.Hour)
	want := feed.Record{
		V: 1, ID: "je_42", Seq: 42, Time: t0, Op: "authorize", Network: "visa", Kind: "authorization", MTI: "0100",
		LifecycleKey: "381234567890123", STAN: "000123", RRN: "123456789012", TransactionID: "381234567890123",
		CardToken: "tok_abc", Last4: "1111", Account: "acct1", Cardholder: "ch1",
		Amount: 1250, Currency: "USD", RequestAmount: 1150, RequestCurrency: "EUR", Approved: 1250,
		Merchant: feed.Merchant{Name: "ACME Store", City: "Boston", Country: "US", MCC: "5411", TerminalID: "TERM0001"},
		Decision: "approved", Status: "approved", LedgerReason: "none", ResponseCode: "00", AuthCode: "AB12CD",
		HoldID: 7, HoldAmount: 1250, HoldExpires: &exp, Posted: 10000, Available: 8750, PartialAllowed: true,
	}
	if !r.HoldExpires.Equal(exp) {
		t.Fatalf("hold_expires = %v, want %v", r.HoldExpires, exp)
	}
	r.HoldExpires = want.HoldExpires
	if r != want {
		t.Fatalf("record mismatch\n got %+v\nwant %+v\nline %s", r, want, line)
	}
	// Every property the schema requires is present in the line.
	var schema struct {
		Required []string `json:"required"`
	}
	raw := readSchema(t)
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		t.Fatal(err)
	}
	for _, k := range schema.Required {
		if _, ok := obj[k]; !ok {
			t.Errorf("required field %q missing", k)
		}
	}
	if len(obj) != len(schema.Required) {
		t.Errorf("record has %d fields, schema requires %d", len(obj), len(schema.Required))
	}
}

func TestRecordDefaultsForLedgerInternalEntries(t *testing.T) {
	tests := []struct {
		name        string
		e           ledger.Entry
		net, kind   string
		decision    string
		reason      string
		nullExpires bool
	}{
		{"expiry", ledger.Entry{Seq: 9, Time: t0, Op: ledger.OpExpire, Account: "a", Currency: "USD", HoldRef: 3,
			Result: ledger.Result{Status: ledger.Approved, HoldID: 3, Released: 500}},
			"", "expire", "approved", "", true},
		{"capture by life cycle (network from the key)", ledger.Entry{Seq: 10, Time: t0, Op: ledger.OpCapture,
			Lifecycle: ledger.MakeLifecycleKey(2, "MCC123456 1124"), Account: "a", Currency: "USD", Amount: 90,
			Result: ledger.Result{Status: ledger.Approved, Approved: 90}}, "mastercard", "capture", "approved", "", true},
		{"declined by the ledger", ledger.Entry{Seq: 11, Time: t0, Op: ledger.OpAuthorize, Account: "a",
			Result: ledger.Result{Status: ledger.Declined, Reason: ledger.ReasonInsufficientFunds}},
			"", "authorize", "declined", "insufficient_funds", true},
		{"account load", ledger.Entry{Seq: 1, Time: t0, Op: ledger.OpAccount, Account: "a", Currency: "EUR",
			Amount: 100, Credit: 50, Result: ledger.Result{Status: ledger.Approved}}, "", "account", "approved", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, line := encode(t, &tc.e)
			if r.Network != tc.net || r.Kind != tc.kind || r.Decision != tc.decision || r.Reason != tc.reason {
				t.Fatalf("network %q kind %q decision %q reason %q; want %q %q %q %q",
					r.Network, r.Kind, r.Decision, r.Reason, tc.net, tc.kind, tc.decision, tc.reason)
			}
			if tc.nullExpires != (r.HoldExpires == nil) || !bytes.Contains(line, []byte(`"hold_expires":null`)) {
				t.Fatalf("hold_expires should be null: %s", line)
			}
		})
	}
}

func TestRecordNeverCarriesAPAN(t *testing.T) {
	e := approvedEntry()
	e.Descriptor.CardToken = "4111111111111111"
	e.Descriptor.Last4 = "5555555555554444"
	r, line := encode(t, &e)
	for _, pan := range []string{"4111111111111111", "5555555555554444"} {
		if bytes.Contains(line, []byte(pan)) {
			t.Fatalf("PAN %s leaked into the record: %s", pan, line)
		}
	}
	if r.CardToken != "411111******1111" {
		t.Fatalf("card_token = %q, want the masked PAN", r.CardToken)
	}
	// A card field falls back to the entry's card, also guarded.
	e.Descriptor.CardToken = ""
	e.Card = "4000056655665556"
	if _, line := encode(t, &e); bytes.Contains(line, []byte(e.Card)) {
		t.Fatalf("PAN leaked through the entry's card: %s", line)
	}
}

func TestRecordEscapesEveryString(t *testing.T) {
	nasty := []string{"quote\" back\\slash", "new\nline\ttab\r", "ctl\x00\x01\x1f", "bad utf8 \xff\xfe end",
		"日本語 ünïcödé 🙂", "</script>&", ""}
	for _, s := range nasty {
		e := approvedEntry()
		e.Descriptor.MerchantName, e.Descriptor.MerchantCity, e.Account = s, s, s
		r, _ := encode(t, &e)
		want := strings.ToValidUTF8(s, "\uFFFD")
		// Each invalid byte becomes one U+FFFD.
		if !utf8.ValidString(s) {
			want = strings.ReplaceAll(strings.ReplaceAll(s, "\xff", "\uFFFD"), "\xfe", "\uFFFD")
		}
		if r.Merchant.Name != want || r.Merchant.City != want || r.Account != want {
			t.Fatalf("%q came back as %q / %q / %q", s, r.Merchant.Name, r.Merchant.City, r.Account)
		}
	}
}

func TestParseRejects(t *testing.T) {
	e := approvedEntry()
	good := feed.AppendRecord(nil, &e)
	tests := map[string][]byte{
		"not json":       []byte("{nope"),
		"version 2":      bytes.Replace(good, []byte(`"v":1`), []byte(`"v":2`), 1),
		"id mismatch":    bytes.Replace(good, []byte(`"id":"je_42"`), []byte(`"id":"je_43"`), 1),
		"no time":        bytes.Replace(good, []byte(`"time":"2026-11-24T10:30:00.123456789Z"`), []byte(`"time":null`), 1),
		"zero sequence":  bytes.ReplaceAll(bytes.Replace(good, []byte(`"seq":42`), []byte(`"seq":0`), 1), []byte("je_42"), []byte("je_0")),
		"seq mismatches": bytes.Replace(good, []byte(`"seq":42`), []byte(`"seq":41`), 1),
	}
	for name, line := range tests {
		var r feed.Record
		if err := feed.ParseRecord(line, &r); err == nil {
			t.Errorf("%s: ParseRecord accepted %s", name, line)
		}
	}
	for name, line := range map[string][]byte{
		"empty": nil, "other json": []byte(`{"a":1}`), "seq mismatch": tests["seq mismatches"],
		"overflow":     []byte(`{"v":1,"id":"je_99999999999999999999","seq":99999999999999999999,`),
		"leading zero": []byte(`{"v":1,"id":"je_042","seq":042,`),
	} {
		if _, err := feed.ParseSeq(line); err == nil {
			t.Errorf("%s: ParseSeq accepted %q", name, line)
		}
	}
}

func FuzzParseRecord(f *testing.F) {
	e := approvedEntry()
	f.Add(feed.AppendRecord(nil, &e))
	f.Add([]byte(`{"v":1,"id":"je_1","seq":1,"time":"2026-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"v":1,"id":"je_18446744073709551615","seq":18446744073709551615,`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var r feed.Record
		err := feed.ParseRecord(line, &r)
		seq, serr := feed.ParseSeq(line)
		if serr == nil && (seq == 0 || !bytes.HasPrefix(line, []byte(`{"v":1,"id":"je_`))) {
			t.Fatalf("ParseSeq accepted %q as %d", line, seq)
		}
		if err == nil && serr == nil && seq != r.Seq {
			t.Fatalf("ParseSeq %d and ParseRecord %d disagree", seq, r.Seq)
		}
	})
}

func FuzzAppendRecord(f *testing.F) {
	f.Add("ACME", "visa", "381234567890123", "tok", int64(100), uint64(1))
	f.Add("\xff\x00\"\\", "", "\x00", "4111111111111111", int64(-5), uint64(1<<63))
	f.Add("4111111111111111", "visa", "4111111111111111", "4111111111111111", int64(4111111111111111), uint64(4111111111111111))
	f.Fuzz(func(t *testing.T, merchant, network, lifecycle, token string, amount int64, seq uint64) {
		if seq == 0 {
			seq = 1
		}
		e := approvedEntry()
		e.Seq, e.Amount = seq, amount
		e.Descriptor.MerchantName, e.Descriptor.Network, e.Descriptor.CardToken = merchant, network, token
		e.Lifecycle = ledger.MakeLifecycleKey(1, lifecycle)
		line := feed.AppendRecord(nil, &e)
		if !json.Valid(line) {
			t.Fatalf("not JSON: %q", line)
		}
		var r feed.Record
		if err := feed.ParseRecord(line, &r); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		if r.Seq != seq || r.Amount != amount {
			t.Fatalf("seq/amount %d/%d, want %d/%d", r.Seq, r.Amount, seq, amount)
		}
		if utf8.ValidString(merchant) && r.Merchant.Name != feed.ScrubPANs(merchant) {
			t.Fatalf("merchant %q came back %q", merchant, r.Merchant.Name)
		}
		// The other fuzzed inputs (merchant, life-cycle key, sequence, amount)
		// may spell the same digits, so the property is about the card
		// fields themselves: they never carry a PAN-like value.
		if spec.LooksLikePAN(r.CardToken) || spec.LooksLikePAN(r.Last4) {
			t.Fatalf("PAN-like card field in the record: %q", line)
		}
		if spec.LooksLikePAN(merchant) && strings.Contains(r.Merchant.Name, merchant) {
			t.Fatalf("PAN-like merchant name %q published as it is", merchant)
		}
		if spec.LooksLikePAN(token) && r.CardToken != spec.MaskPAN(token) {
			t.Fatalf("PAN-like token %q published as %q, want it masked", token, r.CardToken)
		}
	})
}

func readSchema(t *testing.T) []byte {
	t.Helper()
	if !json.Valid(feed.SchemaV1) {
		t.Fatal("schema/v1.json is not JSON")
	}
	return feed.SchemaV1
}

func TestScrubPANs(t *testing.T) {
	for in, want := range map[string]string{
		"ACME STORE 42":                      "ACME STORE 42",
		"":                                   "",
		"4111111111111111":                   "411111******1111",
		"PAN 4111111111111111 X":             "PAN 411111******1111 X",
		"4111111111111112":                   "4111111111111112", // fails Luhn
		"12345678901":                        "12345678901",      // too short
		"a4111111111111111b5500000000000004": "a411111******1111b550000******0004",
	} {
		if got := feed.ScrubPANs(in); got != want {
			t.Errorf("ScrubPANs(%q) = %q, want %q", in, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = feed.ScrubPANs("ACME STORE 42 MAIN ST") }); n != 0 {
		t.Errorf("clean text allocates %v times", n)
	}
}
