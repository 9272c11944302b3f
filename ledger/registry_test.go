package ledger

import (
	"strconv"
	"sync"
	"testing"
)

// TestRegistryConcurrentLookups: lookups run without a lock while accounts
// are added and the table grows under them; an account once added is
// always found, an id never added never is (run with -race).
func TestRegistryConcurrentLookups(t *testing.T) {
	var r registry
	r.init()
	const n = 20000
	var added [n]bool
	var mu sync.Mutex // guards added, for the readers' checks only
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; ; i = (i + 7919) % n {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				was := added[i]
				mu.Unlock()
				a := r.get("acct_" + strconv.Itoa(i))
				if was && (a == nil || a.id != "acct_"+strconv.Itoa(i)) {
					t.Errorf("account %d added but not found", i)
					return
				}
				if r.get("none_"+strconv.Itoa(i)) != nil {
					t.Errorf("an id never added was found")
					return
				}
			}
		}(g)
	}
	for i := 0; i < n; i++ {
		r.mu.Lock()
		r.addLocked(newAccount("acct_"+strconv.Itoa(i), "USD"))
		r.mu.Unlock()
		mu.Lock()
		added[i] = true
		mu.Unlock()
	}
	close(stop)
	wg.Wait()
	if r.count() != n || len(r.all()) != n {
		t.Fatalf("count %d, all %d", r.count(), len(r.all()))
	}
	all := r.all()
	for i := 0; i < n; i++ {
		if a := r.get("acct_" + strconv.Itoa(i)); a == nil || a != all[i] {
			t.Fatalf("account %d: %v", i, a)
		}
	}
}
