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

// holdDue names its account by number: the queues hold an entry per hold
// and no pointer, so the garbage collector does not scan them.
type holdDue struct {
	due    int64
	holdID uint64
	acct   uint32 // registry.byIndex
}

type tombDue struct {
	due       int64
	acct      *account
	original  OriginalKey
	lifecycle LifecycleKey
}

// fifo is a queue of fixed-size blocks, so that it never copies what it
// holds as it grows and frees blocks as it drains.
type fifo[T any] struct {
	blocks [][]T // each of cap fifoBlock; the first is read from head
	head   int
	n      int
}

const fifoBlock = 1024

func (f *fifo[T]) push(v T) {
	if k := len(f.blocks); k == 0 || len(f.blocks[k-1]) == fifoBlock {
		f.blocks = append(f.blocks, make([]T, 0, fifoBlock))
	}
	last := &f.blocks[len(f.blocks)-1]
	*last = append(*last, v)
	f.n++
}

func (f *fifo[T]) front() (*T, bool) {
	if f.n == 0 {
		return nil, false
	}
	return &f.blocks[0][f.head], true
}

func (f *fifo[T]) pop() {
	var zero T
	f.blocks[0][f.head] = zero
	f.head++
	f.n--
	if f.head == len(f.blocks[0]) && (len(f.blocks) > 1 || f.head == fifoBlock) {
		f.blocks[0] = nil
		f.blocks = f.blocks[1:]
		f.head = 0
	} else if f.n == 0 {
		f.blocks[0], f.head = f.blocks[0][:0], 0
	}
}

// all returns the queued items, oldest first.
func (f *fifo[T]) all() []T {
	out := make([]T, 0, f.n)
	for i, b := range f.blocks {
		if i == 0 {
			b = b[f.head:]
		}
		out = append(out, b...)
	}
	return out
}

// reset replaces the queue's contents.
func (f *fifo[T]) reset(items []T) {
	*f = fifo[T]{}
	for _, v := range items {
		f.push(v)
	}
}

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
