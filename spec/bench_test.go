package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// Benchmarks of the hot path (decode of a typical 0100 into the canonical
// Authorization, plus its 0110) and of the moov path for comparison.
// Figures and the command are in doc.go.

func benchPayload(b *testing.B, name string) (Network, []byte) {
	b.Helper()
	vs, err := loadVectors(os.DirFS(filepath.Join("testdata", "vectors")), ".")
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range vs {
		if v.name == name {
			return v.network, v.frame[v.network.PrefixLen():]
		}
	}
	b.Fatalf("no vector %s", name)
	return 0, nil
}

var (
	visaApproval = Answer{ResponseCode: "00", AuthCode: "A1B2C3", CVV2Result: 'M'}
	mcApproval   = Answer{ResponseCode: "00", AuthCode: "C3D4E5", CVV2Result: 'M'}
)

func benchRoundTrip(b *testing.B, vector string, a *Answer) {
	n, payload := benchPayload(b, vector)
	var r Request
	dst := make([]byte, 0, 512)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeRequest(n, payload, &r); err != nil {
			b.Fatal(err)
		}
		var err error
		if dst, err = AppendAnswer(dst[:0], &r, a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVisaRoundTrip(b *testing.B) {
	benchRoundTrip(b, "visa_0100_card_not_present", &visaApproval)
}

func BenchmarkVisaChipRoundTrip(b *testing.B) {
	benchRoundTrip(b, "visa_0100_chip", &Answer{ResponseCode: "00", AuthCode: "A1B2C3", CVVResult: 'M'})
}

func BenchmarkMastercardRoundTrip(b *testing.B) {
	benchRoundTrip(b, "mastercard_0100_ecommerce", &mcApproval)
}

func benchDecode(b *testing.B, vector string) {
	n, payload := benchPayload(b, vector)
	var r Request
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := DecodeRequest(n, payload, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVisaDecode(b *testing.B)       { benchDecode(b, "visa_0100_card_not_present") }
func BenchmarkMastercardDecode(b *testing.B) { benchDecode(b, "mastercard_0100_ecommerce") }

func benchAnswer(b *testing.B, vector string, a *Answer) {
	n, payload := benchPayload(b, vector)
	var r Request
	if err := DecodeRequest(n, payload, &r); err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if dst, err = AppendAnswer(dst[:0], &r, a); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVisaAnswer(b *testing.B) {
	benchAnswer(b, "visa_0100_card_not_present", &visaApproval)
}

func BenchmarkMastercardAnswer(b *testing.B) {
	benchAnswer(b, "mastercard_0100_ecommerce", &mcApproval)
}

func benchMoovRoundTrip(b *testing.B, vector string, a *Answer) {
	n, payload := benchPayload(b, vector)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Unpack(n, payload)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := FromMessage(n, m); err != nil {
			b.Fatal(err)
		}
		ans, err := BuildAnswer(n, m, a)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := PackFrame(n, ans, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVisaMoovRoundTrip(b *testing.B) {
	benchMoovRoundTrip(b, "visa_0100_card_not_present", &visaApproval)
}

func BenchmarkMastercardMoovRoundTrip(b *testing.B) {
	benchMoovRoundTrip(b, "mastercard_0100_ecommerce", &mcApproval)
}

func BenchmarkNextFrame(b *testing.B) {
	vs, err := loadVectors(os.DirFS(filepath.Join("testdata", "vectors")), ".")
	if err != nil {
		b.Fatal(err)
	}
	var stream []byte
	frames := 0
	for _, v := range vs {
		if v.network == Visa {
			stream = append(stream, v.frame...)
			frames++
		}
	}
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		buf := stream
		for n := 0; n < frames; n++ {
			f, consumed, err := Visa.NextFrame(buf, 0)
			if err != nil || f.Kind != FrameMessage {
				b.Fatal(err)
			}
			buf = buf[consumed:]
		}
	}
}
