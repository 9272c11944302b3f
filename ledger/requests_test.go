package ledger

import (
	"encoding/binary"
	"testing"
)

// TestRequestTable: every remembered answer comes back whole (currency and
// memo included) while its generation lives, through index growth and
// rotation; a key never put is never found, and a put of a known key
// replaces its answer.
func TestRequestTable(t *testing.T) {
	const retention = 1000
	tab := newRequestTable(retention, 1<<20, 0)
	key := func(i int) RequestKey {
		var k RequestKey
		k[0], k[1] = 1, ClassAuthorization
		binary.LittleEndian.PutUint64(k[8:], uint64(i))
		return k
	}
	res := func(i int) Result {
		cur := [...]string{"USD", "EUR", "JPY", ""}[i%4]
		return Result{Status: Status(1 + i%3), Reason: Reason(i % 7), Approved: int64(i), HoldID: uint64(i * 3),
			Hold: -int64(i), Released: int64(i % 11), Posted: int64(i) << 20, Available: -int64(i) << 10,
			Currency: cur, Seq: uint64(i + 1), Memo: Memo{byte(i), byte(i >> 8), 7}}
	}
	const n = 60000
	for i := 0; i < n; i++ {
		k, r := key(i), res(i)
		tab.put(&k, &r, int64(i/50)) // 50 requests per time unit: 1,200 units, more than one retention
	}
	for i := 0; i < n; i++ {
		k := key(i)
		got, ok := tab.get(&k)
		age := int64(n/50) - int64(i/50)
		switch {
		case age < retention && (!ok || got != res(i)):
			t.Fatalf("request %d (age %d): %+v %v, want %+v", i, age, got, ok, res(i))
		case age > 2*retention && ok:
			t.Fatalf("request %d kept past twice the retention", i)
		}
	}
	for i := n; i < n+1000; i++ {
		if k := key(i); func() bool { _, ok := tab.get(&k); return ok }() {
			t.Fatalf("request %d was never put", i)
		}
	}
	k, r := key(n-1), res(7)
	tab.put(&k, &r, int64(n/50))
	if got, _ := tab.get(&k); got != r {
		t.Fatalf("replaced answer %+v", got)
	}
}
