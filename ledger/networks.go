package ledger

import (
	"strings"
	"sync"
	"sync/atomic"
)

// networkNames interns the Descriptor.Network strings of holds ("visa",
// "mastercard"), so that a hold keeps its network in one byte. Lookups read
// an immutable slice without a lock; a new name copies it under mu. At
// most maxNetworkNames names are kept; a hold of any further one records
// none (0).
type networkNames struct {
	mu    sync.Mutex
	names atomic.Pointer[[]string] // index 0 is "" (none)
}

const maxNetworkNames = 255

// id returns the number of name, adding it when new.
func (n *networkNames) id(name string) uint8 {
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
	if len(cur) > maxNetworkNames {
		return 0
	}
	next := append(cur[:len(cur):len(cur)], strings.Clone(name))
	n.names.Store(&next)
	return uint8(len(next) - 1)
}

// name returns the name numbered id ("" for 0 or an unknown number).
func (n *networkNames) name(id uint8) string {
	if p := n.names.Load(); p != nil && int(id) < len(*p) {
		return (*p)[id]
	}
	return ""
}
