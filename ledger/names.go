package ledger

import (
	"strings"
	"sync"
	"sync/atomic"
)

// nameTable interns a few short strings that many records repeat — the
// networks of holds ("visa", "mastercard"), the currencies of remembered
// answers — so that a record keeps one byte and no pointer (the garbage
// collector does not scan what holds none). Lookups read an immutable
// slice without a lock; a new name copies it under mu. At most
// maxNames names are kept; any further one is recorded as none (0).
type nameTable struct {
	mu    sync.Mutex
	names atomic.Pointer[[]string] // index 0 is "" (none)
}

const maxNames = 255

// id returns the number of name, adding it when new.
func (n *nameTable) id(name string) uint8 {
	if name == "" {
		return 0
	}
	if p := n.names.Load(); p != nil {
		for i, s := range *p {
			if s == name {
				return uint8(i)
			}
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var cur []string
	if p := n.names.Load(); p != nil {
		cur = *p
	} else {
		cur = []string{""}
	}
	for i, s := range cur {
		if s == name {
			return uint8(i)
		}
	}
	if len(cur) > maxNames {
		return 0
	}
	next := append(cur[:len(cur):len(cur)], strings.Clone(name))
	n.names.Store(&next)
	return uint8(len(next) - 1)
}

// name returns the name numbered id ("" for 0 or an unknown number).
func (n *nameTable) name(id uint8) string {
	if p := n.names.Load(); p != nil && int(id) < len(*p) {
		return (*p)[id]
	}
	return ""
}
