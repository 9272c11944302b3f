package ledger

import "sync"

// expiryQueues find the holds and early-reversal records that are due,
// without scanning accounts. Holds of one expiry period are placed roughly
// in time order, so one first-in-first-out queue per period is ordered by
// due time (requests that raced by microseconds expire as much later). An
// item is checked against its hold when it comes out: a hold that was
// reversed, captured or extended since is simply skipped.
type expiryQueues struct {
	mu    sync.Mutex
	holds map[int64]*fifo[holdDue] // by expiry period
	tombs fifo[tombDue]
}

type holdDue struct {
	due    int64
	acct   *account
	holdID uint64
}

type tombDue struct {
	due       int64
	acct      *account
	original  OriginalKey
	lifecycle LifecycleKey
}

// fifo is a queue on a slice that compacts itself as it drains.
type fifo[T any] struct {
	items []T
	head  int
}

func (f *fifo[T]) push(v T) { f.items = append(f.items, v) }

func (f *fifo[T]) front() (*T, bool) {
	if f.head == len(f.items) {
		return nil, false
	}
	return &f.items[f.head], true
}

func (f *fifo[T]) pop() {
	var zero T
	f.items[f.head] = zero
	f.head++
	if f.head == len(f.items) {
		f.items, f.head = f.items[:0], 0
	} else if f.head >= 1024 && f.head*2 >= len(f.items) {
		n := copy(f.items, f.items[f.head:])
		clear(f.items[n:])
		f.items, f.head = f.items[:n], 0
	}
}

func (f *fifo[T]) len() int { return len(f.items) - f.head }

func (q *expiryQueues) pushHold(period int64, d holdDue) {
	q.mu.Lock()
	f := q.holds[period]
	if f == nil {
		if q.holds == nil {
			q.holds = make(map[int64]*fifo[holdDue])
		}
		f = new(fifo[holdDue])
		q.holds[period] = f
	}
	f.push(d)
	q.mu.Unlock()
}

func (q *expiryQueues) pushTomb(d tombDue) {
	q.mu.Lock()
	q.tombs.push(d)
	q.mu.Unlock()
}

// due takes up to max holds due at now.
func (q *expiryQueues) due(now int64, max int, dst []holdDue) []holdDue {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, f := range q.holds {
		for len(dst) < max {
			d, ok := f.front()
			if !ok || d.due > now {
				break
			}
			dst = append(dst, *d)
			f.pop()
		}
	}
	return dst
}

// dueTombs takes up to max early-reversal records due at now.
func (q *expiryQueues) dueTombs(now int64, max int, dst []tombDue) []tombDue {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(dst) < max {
		d, ok := q.tombs.front()
		if !ok || d.due > now {
			break
		}
		dst = append(dst, *d)
		q.tombs.pop()
	}
	return dst
}
