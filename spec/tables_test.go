package spec

import (
	"testing"

	"golang.org/x/text/encoding/charmap"
)

func TestEBCDICIsCodePage037(t *testing.T) {
	for b := 0; b < 256; b++ {
		r := charmap.CodePage037.DecodeByte(byte(b))
		want := byte(0)
		if r >= 0x20 && r <= 0x7E {
			want = byte(r)
		}
		if ebcdicToASCII[b] != want {
			t.Errorf("EBCDIC %#02x → %q, code page 037 says %q", b, ebcdicToASCII[b], want)
		}
	}
	// The characters where other EBCDIC tables differ.
	for c, e := range map[byte]byte{'!': 0x5A, '[': 0xBA, ']': 0xBB, '^': 0xB0, '|': 0x4F, '=': 0x7E, ' ': 0x40, 'A': 0xC1, '0': 0xF0} {
		got, err := appendEBCDIC(nil, string(c), false)
		if err != nil || len(got) != 1 || got[0] != e {
			t.Errorf("%q encodes as %x, want %#02x", c, got, e)
		}
		back, err := decodeEBCDIC(nil, []byte{e}, 1, false)
		if err != nil || string(back) != string(c) {
			t.Errorf("%#02x decodes as %q, want %q", e, back, c)
		}
	}
	for c := 0x20; c < 0x7F; c++ {
		if asciiToEBCDIC[c] == 0 {
			t.Errorf("printable %q has no EBCDIC", rune(c))
		}
	}
	if _, err := appendEBCDIC(nil, "caf\xe9", false); err == nil {
		t.Error("non-ASCII encoded")
	}
}

func TestPackedBCD(t *testing.T) {
	tests := []struct {
		digits string
		track2 bool
		packed []byte
	}{
		{"840", false, []byte{0x08, 0x40}},
		{"0100", false, []byte{0x01, 0x00}},
		{"4111=2812", true, []byte{0x04, 0x11, 0x1D, 0x28, 0x12}},
		{"", false, nil},
	}
	for _, tt := range tests {
		got, err := appendBCD(nil, tt.digits, tt.track2)
		if err != nil || string(got) != string(tt.packed) {
			t.Errorf("appendBCD(%q) = %x, %v", tt.digits, got, err)
		}
		back, err := decodeBCD(nil, tt.packed, len(tt.digits), tt.track2)
		if err != nil || string(back) != tt.digits {
			t.Errorf("decodeBCD(%x) = %q, %v", tt.packed, back, err)
		}
	}
	if _, err := appendBCD(nil, "4111=2812", false); err == nil {
		t.Error("'=' packed outside track 2")
	}
	if _, err := decodeBCD(nil, []byte{0x1D}, 2, false); err == nil {
		t.Error("nibble D decoded outside track 2")
	}
	if _, err := decodeBCD(nil, []byte{0x18, 0x40}, 3, false); err == nil {
		t.Error("non-zero pad nibble accepted")
	}
	if _, err := decodeBCD(nil, []byte{0x08}, 3, false); err == nil {
		t.Error("short input accepted")
	}
}

func TestCurrencies(t *testing.T) {
	tests := []struct {
		numeric  uint16
		alpha    string
		exponent uint8
	}{
		{840, "USD", 2}, {978, "EUR", 2}, {392, "JPY", 0}, {48, "BHD", 3}, {990, "CLF", 4},
		{826, "GBP", 2}, {410, "KRW", 0}, {414, "KWD", 3}, {952, "XOF", 0},
	}
	for _, tt := range tests {
		c, ok := CurrencyByNumeric(tt.numeric)
		if !ok || c.Alpha != tt.alpha || c.Exponent != tt.exponent {
			t.Errorf("CurrencyByNumeric(%d) = %+v, %v", tt.numeric, c, ok)
		}
		c, ok = CurrencyByAlpha(tt.alpha)
		if !ok || c.Numeric != tt.numeric {
			t.Errorf("CurrencyByAlpha(%s) = %+v, %v", tt.alpha, c, ok)
		}
	}
	for _, n := range []uint16{0, 999, 959, 1000, 65535} { // 959 is gold: not a card currency
		if c, ok := CurrencyByNumeric(n); ok {
			t.Errorf("CurrencyByNumeric(%d) = %+v", n, c)
		}
	}
	for _, a := range []string{"", "usd", "US", "USDX", "XAU", "ZZZ"} {
		if c, ok := CurrencyByAlpha(a); ok {
			t.Errorf("CurrencyByAlpha(%q) = %+v", a, c)
		}
	}
	if len(Currencies()) < 150 {
		t.Errorf("only %d currencies", len(Currencies()))
	}
}

func TestCountries(t *testing.T) {
	tests := []Country{
		{"US", "USA", 840}, {"FR", "FRA", 250}, {"GB", "GBR", 826}, {"JP", "JPN", 392}, {"AX", "ALA", 248},
	}
	for _, want := range tests {
		for _, got := range []func() (Country, bool){
			func() (Country, bool) { return CountryByAlpha2(want.Alpha2) },
			func() (Country, bool) { return CountryByAlpha3(want.Alpha3) },
			func() (Country, bool) { return CountryByNumeric(want.Numeric) },
		} {
			if c, ok := got(); !ok || c != want {
				t.Errorf("%+v: got %+v %v", want, c, ok)
			}
		}
	}
	for _, a := range []string{"", "U", "us", "XX", "USAA"} {
		if c, ok := CountryByAlpha2(a); ok {
			t.Errorf("CountryByAlpha2(%q) = %+v", a, c)
		}
	}
	if c, ok := CountryByAlpha3("ZZZ"); ok {
		t.Errorf("CountryByAlpha3(ZZZ) = %+v", c)
	}
	if len(Countries()) != 249 {
		t.Errorf("%d countries", len(Countries()))
	}
}
