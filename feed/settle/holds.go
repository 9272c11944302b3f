package settle

import "github.com/authswitch/authswitch/feed"

// HoldStatus is where a hold's life cycle stands, as the feed tells it.
type HoldStatus string

const (
	HoldOpen     HoldStatus = "open"
	HoldReversed HoldStatus = "reversed" // released to nothing by reversals
	HoldReleased HoldStatus = "released" // released to nothing by an operator
	HoldExpired  HoldStatus = "expired"
	HoldCaptured HoldStatus = "captured"
)

// Hold is one hold's life cycle as the feed tells it.
type Hold struct {
	ID           uint64     `json:"hold_id"`
	Network      string     `json:"network"`
	LifecycleKey string     `json:"lifecycle_key"`
	Account      string     `json:"account"`
	Currency     string     `json:"currency"`
	Authorized   int64      `json:"authorized"` // everything approved onto it (incrementals included)
	Open         int64      `json:"open"`       // held now
	Captured     int64      `json:"captured"`
	Status       HoldStatus `json:"status"`
}

// LifecycleRef names a life cycle at its network.
type LifecycleRef struct {
	Network      string
	LifecycleKey string
}

// Holds indexes holds by id and by life cycle.
type Holds struct {
	byID        map[uint64]*Hold
	byLifecycle map[LifecycleRef]*Hold
}

// NewHolds returns an empty index.
func NewHolds() *Holds {
	return &Holds{byID: map[uint64]*Hold{}, byLifecycle: map[LifecycleRef]*Hold{}}
}

// Find returns the hold of a life cycle (the newest, if the key was used
// again).
func (h *Holds) Find(network, lifecycle string) (*Hold, bool) {
	x, ok := h.byLifecycle[LifecycleRef{network, lifecycle}]
	return x, ok
}

// Len is the number of holds known.
func (h *Holds) Len() int { return len(h.byID) }

// Apply follows a record's effect on holds and returns the network the
// record belongs to: its own, else its hold's (expiries and releases carry
// only the hold id).
func (h *Holds) Apply(r *feed.Record) string {
	network := r.Network
	ref := r.HoldID
	if ref == 0 {
		ref = r.HoldRef
	}
	x := h.byID[ref]
	if network == "" && x != nil {
		network = x.Network
	}
	switch r.Op {
	case "authorize", "advice":
		if !r.IsApproved() || r.HoldID == 0 {
			return network
		}
		if x == nil {
			x = &Hold{ID: r.HoldID, Network: network, LifecycleKey: r.LifecycleKey, Account: r.Account,
				Currency: r.Currency}
			h.byID[r.HoldID] = x
			if r.LifecycleKey != "" {
				h.byLifecycle[LifecycleRef{network, r.LifecycleKey}] = x
			}
		}
		x.Authorized += r.Approved
		x.Open = r.HoldAmount
		x.Status = HoldOpen
	case "reverse":
		if x != nil && r.HoldID != 0 {
			x.Open = r.HoldAmount
			if x.Open == 0 {
				x.Status = HoldReversed
			}
		}
	case "release":
		if x != nil && r.IsApproved() {
			x.Open = r.HoldAmount
			if x.Open == 0 {
				x.Status = HoldReleased
			}
		}
	case "expire":
		if x != nil {
			x.Open, x.Status = 0, HoldExpired
		}
	case "capture":
		if x == nil && r.LifecycleKey != "" {
			// A capture that found no hold (expired, say) still names its
			// life cycle.
			x = h.byLifecycle[LifecycleRef{network, r.LifecycleKey}]
		}
		if x != nil && r.IsApproved() {
			x.Captured += r.Approved
			x.Open, x.Status = 0, HoldCaptured
		}
	}
	return network
}
