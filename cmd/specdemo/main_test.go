package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	for _, n := range []string{"visa", "mastercard"} {
		var out bytes.Buffer
		if err := run(n, nil, strings.NewReader(""), &out); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		s := out.String()
		if !strings.Contains(s, "0100 (authorization)") {
			t.Errorf("%s: no canonical authorization in\n%s", n, s)
		}
		if strings.Contains(s, `"PAN": "4111111111111111"`) || strings.Contains(s, `"PAN": "5555555555554444"`) {
			t.Errorf("%s: full PAN in the canonical output", n)
		}
		if !strings.Contains(s, "answer 00:") {
			t.Errorf("%s: no answer in\n%s", n, s)
		}
	}
	var out bytes.Buffer
	frame := "00cf000016010200cf00000100000200000000000000000000000100f23c648108e0801600000000000000041041111111111111110000000000000123451124081530000101081530112428125999084001005906400050f4f3f2f9f0f8f0f0f0f1f0f1e3c5d9d4f0f0f0f1d4c5d9c3c8c1d5e3f0f0f0f0f0f0f1c5e7c1d4d7d3c540d6d5d3c9d5c540e2e3d6d9c54040404040d5c5e640e8d6d9d24040404040e4e208400c01000000070111c000000000000000e804329081234567890580000000020e0040000000000000f1f140f5f9f0"
	if err := run("visa", []string{frame}, strings.NewReader(""), &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"PAN": "411111******1111"`) {
		t.Errorf("masked PAN missing:\n%s", out.String())
	}
}
