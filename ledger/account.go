package ledger

import (
	"fmt"
	"sync"
	"time"
)

// account is one account's whole state. Everything in it is read and
// written under mu.
type account struct {
	mu sync.Mutex

	id       string
	currency string
	posted   int64
	credit   int64
	pending  int64 // always the sum of the holds' amounts
	loaded   int64 // the balance the last portfolio load set
	lastSeq  uint64

	// Reversals that found nothing: a later original they name is
	// declined as already reversed. Values are the reversal's time.
	revOriginal  map[OriginalKey]int64
	revLifecycle map[LifecycleKey]int64

	spend   scopeSpend
	cards   map[string]*scopeSpend
	holders map[string]*scopeSpend

	holds       []hold // slots; a free slot has id 0 (Ledger.holdDir finds a hold by id)
	free        []int32
	open        int // holds open
	byLifecycle map[LifecycleKey]int32
	byOriginal  map[OriginalKey]int32
}

// hold is one open hold: an authorization and its incrementals.
type hold struct {
	id         uint64
	lifecycle  LifecycleKey
	amount     int64 // the sum of the parts' amounts
	placed     int64
	expires    int64
	card       string
	cardholder string
	mcc        uint16
	network    uint8 // the authorization's Descriptor.Network, interned (Ledger.networkName)
	first      holdPart
	more       []holdPart
}

// holdPart is one authorization's share of a hold, counted in the spend
// windows of its own time.
type holdPart struct {
	original OriginalKey
	amount   int64
	win      windows
}

func (h *hold) parts() int { return 1 + len(h.more) }

func (h *hold) part(i int) *holdPart {
	if i == 0 {
		return &h.first
	}
	return &h.more[i-1]
}

func (a *account) available() int64 { return a.posted + a.credit - a.pending }

// scope returns the spend of a card or cardholder, creating it when create
// is set; nil when id is empty or unknown.
func scopeOf(m *map[string]*scopeSpend, id string, create bool) *scopeSpend {
	if id == "" {
		return nil
	}
	s := (*m)[id]
	if s == nil && create {
		if *m == nil {
			*m = make(map[string]*scopeSpend)
		}
		s = new(scopeSpend)
		(*m)[id] = s
	}
	return s
}

// count adds delta to the spend of the account, card and cardholder.
func (a *account) count(card, cardholder string, w windows, mcc uint16, delta int64) {
	if delta == 0 {
		return
	}
	a.spend.add(w, mcc, delta)
	if s := scopeOf(&a.cards, card, true); s != nil {
		s.add(w, mcc, delta)
	}
	if s := scopeOf(&a.holders, cardholder, true); s != nil {
		s.add(w, mcc, delta)
	}
}

// requestScopes looks up a request's card and cardholder spend once for
// all its controls.
type requestScopes struct {
	card, holder         *scopeSpend
	haveCard, haveHolder bool
}

// get returns the spend a control of scope sc counts for r; nil when the
// card or cardholder has none yet.
func (rs *requestScopes) get(a *account, sc Scope, r *Authorize) *scopeSpend {
	switch sc {
	case ScopeAccount:
		return &a.spend
	case ScopeCard:
		if !rs.haveCard {
			rs.card, rs.haveCard = scopeOf(&a.cards, r.Card, false), true
		}
		return rs.card
	case ScopeCardholder:
		if !rs.haveHolder {
			rs.holder, rs.haveHolder = scopeOf(&a.holders, r.Cardholder, false), true
		}
		return rs.holder
	}
	return nil
}

// newHold puts a hold in a free slot and indexes it.
func (l *Ledger) newHold(a *account, h hold) int32 {
	var slot int32
	if n := len(a.free); n > 0 {
		slot = a.free[n-1]
		a.free = a.free[:n-1]
		a.holds[slot] = h
	} else {
		slot = int32(len(a.holds))
		a.holds = append(a.holds, h)
	}
	a.open++
	l.holdDir.put(h.id, a, slot)
	if h.lifecycle != (LifecycleKey{}) {
		if a.byLifecycle == nil {
			a.byLifecycle = make(map[LifecycleKey]int32)
		}
		a.byLifecycle[h.lifecycle] = slot
	}
	a.indexOriginal(h.first.original, slot)
	return slot
}

// indexOriginal indexes a part by its field-90 identity, for holds without
// a life cycle only: reversals of the others find them by life cycle and
// then the part (findOriginal).
func (a *account) indexOriginal(o OriginalKey, slot int32) {
	if o == (OriginalKey{}) || a.holds[slot].lifecycle != (LifecycleKey{}) {
		return
	}
	if a.byOriginal == nil {
		a.byOriginal = make(map[OriginalKey]int32)
	}
	a.byOriginal[o] = slot
}

// dropHold frees an empty hold's slot and its index entries.
func (l *Ledger) dropHold(a *account, slot int32) {
	h := &a.holds[slot]
	l.holdDir.remove(h.id)
	a.open--
	if h.lifecycle != (LifecycleKey{}) && a.byLifecycle[h.lifecycle] == slot {
		delete(a.byLifecycle, h.lifecycle)
	}
	if h.lifecycle == (LifecycleKey{}) {
		for i := 0; i < h.parts(); i++ {
			if o := h.part(i).original; o != (OriginalKey{}) && a.byOriginal[o] == slot {
				delete(a.byOriginal, o)
			}
		}
	}
	*h = hold{}
	a.free = append(a.free, slot)
}

// releasePart releases up to want from one part of a hold, uncounting it
// from the part's spend windows, and returns what it released.
func (a *account) releasePart(h *hold, i int, want int64) int64 {
	p := h.part(i)
	take := min(want, p.amount)
	if take <= 0 {
		return 0
	}
	p.amount -= take
	h.amount -= take
	a.pending -= take
	a.count(h.card, h.cardholder, p.win, h.mcc, -take)
	return take
}

// release releases up to want from a hold, newest part first, drops the
// hold once empty, and returns what it released: never more than held.
func (l *Ledger) release(a *account, slot int32, want int64) int64 {
	h := &a.holds[slot]
	var released int64
	for i := h.parts() - 1; i >= 0 && released < want; i-- {
		released += a.releasePart(h, i, want-released)
	}
	if h.amount == 0 {
		l.dropHold(a, slot)
	}
	return released
}

// holdSlot returns the slot of hold id when a holds it open, else -1.
func (l *Ledger) holdSlot(a *account, id uint64) int32 {
	if owner, slot := l.holdDir.find(id); owner == a {
		return slot
	}
	return -1
}

// findOriginal finds the hold part a reversal's field 90 names: through
// the reversal's life cycle, through the index of holds without one, or,
// when the reversal carries no life cycle, by scanning the account's holds.
func (a *account) findOriginal(o OriginalKey, lc LifecycleKey) (slot int32, part int) {
	if lc != (LifecycleKey{}) {
		if s, ok := a.byLifecycle[lc]; ok {
			if p := a.holds[s].findPart(o); p >= 0 {
				return s, p
			}
		}
	}
	if s, ok := a.byOriginal[o]; ok {
		return s, a.holds[s].findPart(o)
	}
	if lc == (LifecycleKey{}) {
		for i := range a.holds {
			if h := &a.holds[i]; h.id != 0 && h.lifecycle != (LifecycleKey{}) {
				if p := h.findPart(o); p >= 0 {
					return int32(i), p
				}
			}
		}
	}
	return -1, -1
}

// findPart returns the part of a hold that an original key names.
func (h *hold) findPart(o OriginalKey) int {
	for i := 0; i < h.parts(); i++ {
		if h.part(i).original == o {
			return i
		}
	}
	return -1
}

// check asserts the account's money invariants; a failure is a bug, and
// the ledger stops rather than go on with wrong balances.
func (a *account) check() error {
	var sum int64
	for i := range a.holds {
		h := &a.holds[i]
		if h.id == 0 {
			continue
		}
		var parts int64
		for j := 0; j < h.parts(); j++ {
			if h.part(j).amount < 0 {
				return fmt.Errorf("account %s: hold %d has a negative part", a.id, h.id)
			}
			parts += h.part(j).amount
		}
		if h.amount <= 0 || parts != h.amount {
			return fmt.Errorf("account %s: hold %d amount %d, parts %d", a.id, h.id, h.amount, parts)
		}
		sum += h.amount
	}
	if sum != a.pending {
		return fmt.Errorf("account %s: pending %d, holds sum %d", a.id, a.pending, sum)
	}
	return nil
}

// holdInfo describes the hold in a slot.
func (l *Ledger) holdInfo(h *hold) HoldInfo {
	return HoldInfo{
		ID: h.id, Lifecycle: h.lifecycle, Amount: h.amount, Card: h.card, Cardholder: h.cardholder,
		MCC: mccString(h.mcc), Network: l.networks.name(h.network),
		Placed: time.Unix(0, h.placed).UTC(), Expires: time.Unix(0, h.expires).UTC(), Parts: h.parts(),
	}
}

// describeHold fills what an entry that acts on a hold (capture, release,
// expiry, reversal) says about it and its request did not: the life-cycle
// key, card, cardholder, merchant category and network of the hold's
// authorization, so that the feed can describe the entry on its own. Only
// empty fields are filled; replay reads none of them but the life cycle,
// which names the same hold.
func (l *Ledger) describeHold(e *Entry, h *hold) {
	if e.Lifecycle == (LifecycleKey{}) {
		e.Lifecycle = h.lifecycle
	}
	if e.Card == "" {
		e.Card = h.card
	}
	if e.Cardholder == "" {
		e.Cardholder = h.cardholder
	}
	if e.MCC == "" {
		e.MCC = mccString(h.mcc)
	}
	if e.Descriptor.Network == "" {
		e.Descriptor.Network = l.networks.name(h.network)
	}
}
