package load

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/authswitch/authswitch/bench/model"
	"github.com/authswitch/authswitch/bench/portfolio"
	"github.com/authswitch/authswitch/bench/traffic"
	"github.com/authswitch/authswitch/spec"
)

func benchModel(t testing.TB, cards int) *model.Model {
	t.Helper()
	m := model.New()
	if _, err := portfolio.Generate(portfolio.Options{Seed: 5, Cards: cards, Profile: portfolio.Bench}, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func baseRequest(t testing.TB, m *model.Model, n spec.Network, entry spec.EntryMode) *spec.Authorization {
	t.Helper()
	for _, c := range m.Cards() {
		if c.Network != n {
			continue
		}
		merchant, _ := traffic.MerchantByKey("online")
		if entry == spec.EntryChip {
			merchant, _ = traffic.MerchantByKey("grocery")
		}
		src := traffic.NewSource(n, 3, "400050", 1)
		a, err := src.Authorization(c, traffic.Request{Type: spec.TxnPurchase, Amount: 2500, Merchant: merchant, Entry: entry})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	t.Fatalf("no %s card", n)
	return nil
}

// Patched frames decode, through spec, to exactly the values patched in,
// and every other field stays as the template had it.
func TestPatchedFramesDecodeToPatchedValues(t *testing.T) {
	m := benchModel(t, 300)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []spec.Network{spec.Visa, spec.Mastercard} {
		for _, entry := range []spec.EntryMode{spec.EntryEcommerce, spec.EntryChip} {
			base := baseRequest(t, m, n, entry)
			tpl, err := NewTemplate(traffic.Pack, base)
			if err != nil {
				t.Fatalf("%s %s: %v", n, entry, err)
			}
			for f := Field(0); f < numFields; f++ {
				want := f != FieldCVV2 && f != FieldTrack2 && f != FieldExpiry || // always
					f == FieldCVV2 && entry == spec.EntryEcommerce ||
					f == FieldTrack2 && entry == spec.EntryChip ||
					f == FieldExpiry // chip requests carry 14 beside track 2
				if tpl.Has(f) != want {
					t.Errorf("%s %s: has %v = %v", n, entry, f, tpl.Has(f))
				}
			}
			cards := m.Cards()
			var buf []byte
			for range 200 {
				c := cards[rng.IntN(len(cards))]
				var v Values
				putDecimal(v.STAN[:], rng.Uint64N(999_999)+1)
				copy(v.Transmission[:], time.Unix(rng.Int64N(2e9), 0).UTC().Format("0102150405"))
				putDecimal(v.RRN[:], rng.Uint64())
				putDecimal(v.Transaction[:], rng.Uint64())
				if n == spec.Mastercard {
					putBase36(v.Transaction[:banknetLen], rng.Uint64())
				}
				putDecimal(v.Acquirer[:], rng.Uint64N(1e6))
				copy(v.PAN[:], c.PAN)
				copy(v.Expiry[:], c.Expiry)
				putDecimal(v.CVV2[:], rng.Uint64N(1000))
				putDecimal(v.TrackCVV[:], rng.Uint64N(1000))

				buf = tpl.Append(buf[:0], &v)
				f, used, err := n.NextFrame(buf, 0)
				if err != nil || f.Kind != spec.FrameMessage || used != len(buf) {
					t.Fatalf("%s %s: frame %v %v", n, entry, f.Kind, err)
				}
				var r spec.Request
				if err := spec.DecodeRequest(n, f.Payload, &r); err != nil {
					t.Fatalf("%s %s: decode: %v", n, entry, err)
				}
				a := r.Authorization
				txn := string(v.Transaction[:])
				if n == spec.Mastercard {
					txn = string(v.Transaction[:banknetLen])
				}
				checks := []struct {
					name      string
					got, want string
				}{
					{"STAN", a.STAN, string(v.STAN[:])},
					{"transmission", a.TransmissionTime, string(v.Transmission[:])},
					{"RRN", a.RRN, string(v.RRN[:])},
					{"transaction", a.TransactionID, txn},
					{"acquirer", a.AcquirerID, string(v.Acquirer[:])},
					{"PAN", a.PAN, c.PAN},
					{"expiry", a.Expiry, c.Expiry},
					{"MCC", a.MCC, base.MCC},
					{"amount", fmt.Sprint(a.Amount), fmt.Sprint(base.Amount)},
					{"merchant", a.MerchantName, base.MerchantName},
				}
				if entry == spec.EntryEcommerce {
					checks = append(checks, struct{ name, got, want string }{"CVV2", a.CVV2, string(v.CVV2[:])})
				} else {
					checks = append(checks,
						struct{ name, got, want string }{"track 2", a.Track2, traffic.Track2(c.PAN, c.Expiry, "201", string(v.TrackCVV[:]))},
						struct{ name, got, want string }{"track CVV", a.TrackCVV, string(v.TrackCVV[:])})
				}
				for _, ch := range checks {
					if ch.got != ch.want {
						t.Fatalf("%s %s: %s decoded %q, patched %q", n, entry, ch.name, ch.got, ch.want)
					}
				}
			}
		}
	}
}

func TestTemplateRejectsWhatItCannotPatch(t *testing.T) {
	m := benchModel(t, 50)
	base := baseRequest(t, m, spec.Visa, spec.EntryEcommerce)
	short := *base
	short.AcquirerID = "4000501" // seven digits: not the fixed width the patcher writes
	if _, err := NewTemplate(traffic.Pack, &short); err == nil {
		t.Fatal("a seven-digit acquirer id was accepted")
	}
	broken := func(n spec.Network, a *spec.Authorization) ([]byte, error) {
		frame, err := traffic.Pack(n, a)
		if err == nil && a.STAN != base.STAN {
			frame = append(frame, 0) // changes length with the STAN
		}
		return frame, err
	}
	if _, err := NewTemplate(broken, base); err == nil {
		t.Fatal("a packer whose length varies was accepted")
	}
}

func BenchmarkPatch(b *testing.B) {
	m := benchModel(b, 100)
	tpl, err := NewTemplate(traffic.Pack, baseRequest(b, m, spec.Visa, spec.EntryChip))
	if err != nil {
		b.Fatal(err)
	}
	c := m.Cards()[0]
	var v Values
	copy(v.PAN[:], c.PAN)
	copy(v.Expiry[:], c.Expiry)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	seq := uint64(0)
	for b.Loop() {
		seq++
		putDecimal(v.STAN[:], seq%999_999+1)
		putDecimal(v.RRN[:], seq)
		putDecimal(v.Transaction[:], seq)
		buf = tpl.Append(buf[:0], &v)
	}
}

// vectorFrame reads a golden vector's frame.
func vectorFrame(t testing.TB, name string) (spec.Network, []byte) {
	t.Helper()
	// The shared vectors, or spec's copy of them when the repository stands
	// alone.
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "vectors", name))
	if err != nil {
		raw, err = os.ReadFile(filepath.Join("..", "..", "spec", "testdata", "vectors", name))
	}
	if err != nil {
		t.Skipf("vectors not available: %v", err)
	}
	var v struct {
		Network  string `json:"network"`
		FrameHex string `json:"frame_hex"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	frame, err := hex.DecodeString(v.FrameHex)
	if err != nil {
		t.Fatal(err)
	}
	n := spec.Visa
	if v.Network == "mastercard" {
		n = spec.Mastercard
	}
	return n, frame
}

func TestAnswerReaderOnVectors(t *testing.T) {
	cases := []struct {
		file string
		mti  uint16
		stan uint32
		rrn  string
		code string
	}{
		{"visa_0110_approval.json", 110, 101, "432908000101", "00"},
		{"visa_0110_balance_inquiry.json", 110, 104, "432908000104", "00"},
		{"mastercard_0110_partial_approval.json", 110, 201, "432908000201", "10"},
		{"mastercard_0810_signon.json", 810, 200, "", "00"},
		{"visa_0800_echo.json", 800, 100, "", ""},
	}
	for _, c := range cases {
		n, frame := vectorFrame(t, c.file)
		r, err := newAnswerReader(n)
		if err != nil {
			t.Fatal(err)
		}
		f, _, err := n.NextFrame(frame, 0)
		if err != nil {
			t.Fatal(err)
		}
		var info answerInfo
		if err := r.read(f.Payload, &info); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if info.mti != c.mti || info.stan != c.stan || (c.rrn != "") != (info.has&hasRRN != 0) ||
			c.rrn != "" && string(info.rrn[:]) != c.rrn || (c.code != "") != (info.has&hasCode != 0) ||
			c.code != "" && string(info.code[:]) != c.code {
			t.Errorf("%s: read %+v (rrn %q code %q)", c.file, info, info.rrn, info.code)
		}
		// A truncated answer is an error, or (cut after field 39) reads the
		// same: never a panic or a wrong value.
		for cut := 0; cut < len(f.Payload); cut++ {
			var partial answerInfo
			if err := r.read(f.Payload[:cut], &partial); err == nil && partial != info {
				t.Fatalf("%s cut at %d read %+v, want an error or %+v", c.file, cut, partial, info)
			}
		}
	}
}

func FuzzAnswerReader(f *testing.F) {
	for _, name := range []string{"visa_0110_approval.json", "mastercard_0110_partial_approval.json"} {
		n, frame := vectorFrame(f, name)
		fr, _, _ := n.NextFrame(frame, 0)
		f.Add(n == spec.Visa, fr.Payload)
	}
	visa, _ := newAnswerReader(spec.Visa)
	mc, _ := newAnswerReader(spec.Mastercard)
	f.Fuzz(func(t *testing.T, isVisa bool, payload []byte) {
		r := mc
		if isVisa {
			r = visa
		}
		var info answerInfo
		_ = r.read(payload, &info)
	})
}

func BenchmarkAnswerReader(b *testing.B) {
	n, frame := vectorFrame(b, "visa_0110_approval.json")
	r, _ := newAnswerReader(n)
	f, _, _ := n.NextFrame(frame, 0)
	var info answerInfo
	b.ReportAllocs()
	for b.Loop() {
		if err := r.read(f.Payload, &info); err != nil {
			b.Fatal(err)
		}
	}
}
