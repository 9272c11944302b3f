package admin_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
)

var digitRun = regexp.MustCompile(`[0-9]{12,}`)

// FuzzRequestBodies sends arbitrary bodies to the routes that decode
// them: the API must answer each with JSON and a status under 500, and an
// answer must never carry a card-number-like run of digits from the body.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{
		`{"currency":"USD","balance":100}`,
		`{"pan":"4111111111111111","expiry":"2812","network":"visa","account":"acct_1"}`,
		`{"pan":"4111111111111112","expiry":"2812","network":"visa","account":"acct_1","id":"c 4111111111111111"}`,
		`{"amount":5,"description":"x"}`,
		`{"network":"visa","lifecycle_key":"432908123400001","amount":1,"currency":"USD","date":"2025-11-25"}`,
		`{"controls":{"spending_limits":[{"amount":1,"interval":"daily","categories":["5411"]}]}}`,
		`{"4111111111111111":1}`, `[`, ``, `null`, `{"id":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	w := newWorld(f)
	routes := []struct{ method, path string }{
		{"POST", "/v1/accounts"}, {"POST", "/v1/accounts/acct_1"}, {"POST", "/v1/accounts/acct_1/fund"},
		{"POST", "/v1/cardholders"}, {"POST", "/v1/cards"}, {"POST", "/v1/cards/card_visa"},
		{"PUT", "/v1/card_keys/411111"}, {"POST", "/v1/holds/hold_1/release"}, {"POST", "/v1/captures"},
	}
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		w.t = t // the world reports to this input's test
		defer func() { w.t = f }()
		secrets := digitRun.FindAll(body, -1)
		for _, r := range routes {
			n++
			res := w.do(r.method, r.path, nil, req{raw: body, idem: fmt.Sprintf("fuzz-%d", n)})
			if res.status >= 500 {
				t.Fatalf("%s %s: %d %s", r.method, r.path, res.status, res.body)
			}
			if !json.Valid(res.body) {
				t.Fatalf("%s %s: not JSON: %q", r.method, r.path, res.body)
			}
			for _, s := range secrets {
				if len(s) >= 13 && containsRun(res.body, s) {
					t.Fatalf("%s %s echoed a digit run from the body: %s", r.method, r.path, res.body)
				}
			}
		}
	})
}

func containsRun(b, run []byte) bool {
	for _, m := range digitRun.FindAll(b, -1) {
		if string(m) == string(run) {
			return true
		}
	}
	return false
}
