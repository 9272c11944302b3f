package refdata_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

var testKey = bytes.Repeat([]byte{0x42}, 32)

func openStore(t testing.TB, dir string) *refdata.Store {
	t.Helper()
	s, err := refdata.Open(refdata.Options{Dir: dir, PANKey: testKey, CacheBytes: 8 << 20})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pan returns a Luhn-valid 16-digit PAN starting with prefix (6 digits),
// numbered n.
func pan(prefix string, n int) string {
	body := fmt.Sprintf("%s%09d", prefix, n)
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + string(rune('0'+(10-sum%10)%10))
}

func account(id string) *refdata.Account {
	return &refdata.Account{ID: id, Currency: "USD", Balance: 1000, Status: refdata.AccountActive}
}

func holder(id, acct string) *refdata.Cardholder {
	return &refdata.Cardholder{ID: id, Account: acct, Status: refdata.CardholderActive}
}

func card(id, acct, holder string) *refdata.Card {
	return &refdata.Card{ID: id, Expiry: "2812", Network: spec.Visa, Account: acct, Cardholder: holder, Status: refdata.CardActive}
}

func mustNil(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
