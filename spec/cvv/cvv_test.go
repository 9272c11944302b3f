package cvv_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authswitch/authswitch/spec/cvv"
)

const (
	visaA = "0123456789ABCDEF"
	visaB = "FEDCBA9876543210"
	mcA   = "89ABCDEF01234567"
	mcB   = "76543210FEDCBA98"
)

func mustKeys(t testing.TB, a, b string) *cvv.Keys {
	t.Helper()
	k, err := cvv.ParseKeys(a, b)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	return k
}

// The published worked examples (shared/portfolio.md) and the values in the
// golden wire vectors (shared/vectors), which were computed by a separate
// implementation.
func TestComputeKnownValues(t *testing.T) {
	tests := []struct {
		name          string
		a, b          string
		pan, exp, svc string
		want          string
	}{
		{"published 101", visaA, visaB, "4123456789012345", "8701", "101", "561"},
		{"published 111", visaA, visaB, "4123456789012345", "8701", "111", "856"},
		{"published second PAN", visaA, visaB, "4999988887777000", "9105", "111", "245"},
		{"visa vector CVV2", visaA, visaB, "4111111111111111", "2812", "000", "590"},
		{"visa vector track 2", visaA, visaB, "4111111111111111", "2812", "201", "812"},
		{"mastercard vector CVC2", mcA, mcB, "5555555555554444", "2812", "000", "047"},
		{"lower-case key hex", strings.ToLower(visaA), strings.ToLower(visaB), "4123456789012345", "8701", "101", "561"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := mustKeys(t, tc.a, tc.b)
			got, err := k.Compute(tc.pan, tc.exp, tc.svc)
			if err != nil {
				t.Fatalf("Compute: %v", err)
			}
			if got != tc.want {
				t.Fatalf("Compute = %s, want %s", got, tc.want)
			}
			if !k.Verify(tc.pan, tc.exp, tc.svc, tc.want) {
				t.Fatal("Verify rejects the right value")
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	k := mustKeys(t, visaA, visaB)
	const pan, exp, svc, good = "4123456789012345", "8701", "101", "561"
	tests := []struct {
		name               string
		pan, exp, svc, val string
	}{
		{"wrong value", pan, exp, svc, "562"},
		{"other service code's value", pan, exp, "111", good},
		{"other expiry", pan, "8702", svc, good},
		{"other PAN", "4123456789012346", exp, svc, good},
		{"value too long", pan, exp, svc, good + "0"},
		{"value too short", pan, exp, svc, good[:2]},
		{"empty value", pan, exp, svc, ""},
		{"non-digit in PAN", "41234567890123a5", exp, svc, good},
		{"PAN too short", "41234567890", exp, svc, good},
		{"PAN too long", "41234567890123456789", exp, svc, good},
		{"expiry too short", pan, "870", svc, good},
		{"service code too long", pan, exp, "1010", good},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if k.Verify(tc.pan, tc.exp, tc.svc, tc.val) {
				t.Fatal("Verify accepted")
			}
		})
	}
	// Other keys give another value.
	other := mustKeys(t, mcA, mcB)
	if other.Verify(pan, exp, svc, good) {
		t.Fatal("Verify under other keys accepted")
	}
}

func TestComputeMalformed(t *testing.T) {
	k := mustKeys(t, visaA, visaB)
	for _, in := range [][3]string{
		{"4123456789012345", "87O1", "101"},
		{"4123456789012345", "8701", "1 1"},
		{"", "8701", "101"},
	} {
		if _, err := k.Compute(in[0], in[1], in[2]); !errors.Is(err, cvv.ErrInput) {
			t.Fatalf("Compute(malformed) error = %v, want ErrInput", err)
		}
	}
}

func TestParseKeysRejects(t *testing.T) {
	for _, tc := range [][2]string{
		{visaA[:15], visaB},
		{visaA, visaB + "0"},
		{"0123456789ABCDEG", visaB},
		{"", ""},
	} {
		if _, err := cvv.ParseKeys(tc[0], tc[1]); !errors.Is(err, cvv.ErrKey) {
			t.Fatalf("ParseKeys(%q, %q) error = %v, want ErrKey", tc[0], tc[1], err)
		}
	}
	if _, err := cvv.NewKeys(make([]byte, 7), make([]byte, 8)); !errors.Is(err, cvv.ErrKey) {
		t.Fatalf("NewKeys(7 bytes) error = %v, want ErrKey", err)
	}
}

func TestCheckValueIdentifiesPair(t *testing.T) {
	v := mustKeys(t, visaA, visaB).CheckValue()
	m := mustKeys(t, mcA, mcB).CheckValue()
	if len(v) != 6 || len(m) != 6 || v == m {
		t.Fatalf("check values %q and %q: want six hex digits each, different", v, m)
	}
	if again := mustKeys(t, visaA, visaB).CheckValue(); again != v {
		t.Fatalf("check value not stable: %q then %q", v, again)
	}
}

func TestVerifyDoesNotAllocate(t *testing.T) {
	k := mustKeys(t, visaA, visaB)
	allocs := testing.AllocsPerRun(1000, func() {
		if !k.Verify("4123456789012345", "8701", "101", "561") {
			t.Fatal("Verify failed")
		}
	})
	if allocs != 0 {
		t.Fatalf("Verify allocates %.1f times per call", allocs)
	}
}

func FuzzCompute(f *testing.F) {
	f.Add("4123456789012345", "8701", "101")
	f.Add("4111111111111111", "2812", "000")
	f.Add("5555555555554444", "2812", "000")
	f.Add("", "", "")
	f.Add("4123456789012345678", "9912", "999")
	k := mustKeys(f, visaA, visaB)
	f.Fuzz(func(t *testing.T, pan, exp, svc string) {
		got, err := k.Compute(pan, exp, svc)
		if err != nil {
			if k.Verify(pan, exp, svc, "000") {
				t.Fatal("malformed input verified")
			}
			return
		}
		if len(got) != cvv.Digits || strings.Trim(got, "0123456789") != "" {
			t.Fatalf("Compute = %q: want three digits", got)
		}
		if !k.Verify(pan, exp, svc, got) {
			t.Fatal("Verify rejects Compute's own value")
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	k := mustKeys(b, visaA, visaB)
	b.ReportAllocs()
	for b.Loop() {
		if !k.Verify("4111111111111111", "2812", "000", "590") {
			b.Fatal("Verify failed")
		}
	}
}
