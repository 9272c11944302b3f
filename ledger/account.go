package ledger

import (
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// account is one account's whole state. Everything in it is read and
// written under mu.
//
// It is laid out for the authorization path, which touches cold memory for
// nearly every account it sees: no Go maps on that path (each costs
// several dependent cache misses), but flat arrays — the spend of the
// account's cards and cardholders in one arena found through a small
// open-addressing index, holds in slots found by life cycle through
// another, and by id through the ledger's hold directory.
type account struct {
	// What every request reads first, together: the lock, the id the
	// registry compares, the balances and the indexes' headers.
	mu       sync.Mutex
	key      inlineID // id, inline: the registry compares it without another cache miss
	idx      uint32   // its number in the registry (registry.byIndex)
	open     int32    // holds open
	posted   int64
	credit   int64
	pending  int64 // always the sum of the holds' amounts
	currency string
	lastSeq  uint64
	scopeIdx []uint32     // open addressing over scopes: scope number + 1, 0 empty
	scopes   []scopeSpend // its cards' and cardholders' spend, by scope number; never removed
	lcIdx    lifecycleIndex
	holds    []hold // slots; a free slot has id 0 (Ledger.holdDir finds a hold by id)
	free     []int32

	// Reversals that found nothing: a later original they name is
	// declined as already reversed. Values are the reversal's time.
	revOriginal  map[OriginalKey]int64
	revLifecycle map[LifecycleKey]int64
	byOrig       map[OriginalKey]int32 // parts of holds without a life cycle, by field 90 (rare)

	loaded int64 // the balance the last portfolio load set
	id     string
	spend  counters // the account's own
}

// hold is one open hold: an authorization and its incrementals.
type hold struct {
	id        uint64
	lifecycle LifecycleKey
	amount    int64 // the sum of the parts' amounts
	placed    int64
	expires   int64
	card      int32 // scope number of the card, -1 none
	holder    int32 // scope number of the cardholder, -1 none
	mcc       uint16
	network   uint8 // the authorization's Descriptor.Network, interned (Ledger.networks)
	first     holdPart
	more      []holdPart
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

func newAccount(id, currency string) *account {
	return &account{key: makeInlineID(id), id: id, currency: currency}
}

func (a *account) available() int64 { return a.posted + a.credit - a.pending }

// scopeSeed hashes scope ids and life-cycle keys for the accounts'
// in-memory indexes (never stored).
var scopeSeed = maphash.MakeSeed()

func scopeHash(kind Scope, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(scopeSeed)
	h.WriteByte(byte(kind))
	h.WriteString(id)
	return h.Sum64()
}

// findScope returns the scope number of a card (kind ScopeCard) or
// cardholder, -1 when it has none yet or id is empty.
func (a *account) findScope(kind Scope, id string) int32 {
	if id == "" || len(a.scopeIdx) == 0 {
		return -1
	}
	h := scopeHash(kind, id)
	mask := uint64(len(a.scopeIdx) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		n := a.scopeIdx[i]
		if n == 0 {
			return -1
		}
		if s := &a.scopes[n-1]; s.hash == h && s.kind == kind && s.key.is(id, s.id) {
			return int32(n - 1)
		}
	}
}

// scopeFor returns the scope number of a card or cardholder, creating its
// spend when new; -1 when id is empty.
func (a *account) scopeFor(kind Scope, id string) int32 {
	if n := a.findScope(kind, id); n >= 0 || id == "" {
		return n
	}
	return a.addScope(kind, id)
}

func (a *account) addScope(kind Scope, id string) int32 {
	n := int32(len(a.scopes))
	h := scopeHash(kind, id)
	a.scopes = append(a.scopes, scopeSpend{hash: h, kind: kind, key: makeInlineID(id), id: id})
	if (len(a.scopes))*2 > len(a.scopeIdx) {
		a.scopeIdx = make([]uint32, max(4, 2*len(a.scopeIdx)))
		for i := range a.scopes {
			a.placeScope(a.scopes[i].hash, uint32(i+1))
		}
	} else {
		a.placeScope(h, uint32(n+1))
	}
	return n
}

func (a *account) placeScope(h uint64, v uint32) {
	mask := uint64(len(a.scopeIdx) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		if a.scopeIdx[i] == 0 {
			a.scopeIdx[i] = v
			return
		}
	}
}

// scope returns the counters of scope number n; nil for -1.
func (a *account) scope(n int32) *counters {
	if n < 0 {
		return nil
	}
	return &a.scopes[n].counters
}

// scopeID is the card or cardholder id of scope number n; "" for -1.
func (a *account) scopeID(n int32) string {
	if n < 0 {
		return ""
	}
	return a.scopes[n].id
}

// count adds delta to the spend of the account and of the card and
// cardholder scopes given (-1: none).
func (a *account) count(card, holder int32, w windows, mcc uint16, delta int64) {
	if delta == 0 {
		return
	}
	a.spend.add(w, mcc, delta)
	if card >= 0 {
		a.scopes[card].add(w, mcc, delta)
	}
	if holder >= 0 {
		a.scopes[holder].add(w, mcc, delta)
	}
}

// requestScopes looks up a request's card and cardholder spend once for
// all its controls.
type requestScopes struct {
	card, holder         *counters
	haveCard, haveHolder bool
}

// get returns the spend a control of scope sc counts for r; nil when the
// card or cardholder has none yet. The pointers stay valid while no scope
// is added (decide adds none).
func (rs *requestScopes) get(a *account, sc Scope, r *Authorize) *counters {
	switch sc {
	case ScopeAccount:
		return &a.spend
	case ScopeCard:
		if !rs.haveCard {
			rs.card, rs.haveCard = a.scope(a.findScope(ScopeCard, r.Card)), true
		}
		return rs.card
	case ScopeCardholder:
		if !rs.haveHolder {
			rs.holder, rs.haveHolder = a.scope(a.findScope(ScopeCardholder, r.Cardholder)), true
		}
		return rs.holder
	}
	return nil
}

// lifecycleIndex finds an account's hold by its life-cycle key: open
// addressing over 64-bit entries, a 32-bit fingerprint of the key's hash
// (which also picks the home slot) and the hold's slot + 1, kept at most
// half full; backward-shift deletion, no tombstones. A probe reads the
// hold only on a fingerprint match.
type lifecycleIndex struct {
	e []uint64
	n int
}

func lifecycleHash(k *LifecycleKey) uint32 {
	return uint32(maphash.Bytes(scopeSeed, k[:])>>32) | 1
}

func (x *lifecycleIndex) find(holds []hold, k *LifecycleKey) int32 {
	if x.n == 0 {
		return -1
	}
	fp := lifecycleHash(k)
	mask := uint64(len(x.e) - 1)
	for i := uint64(fp) & mask; ; i = (i + 1) & mask {
		v := x.e[i]
		if v == 0 {
			return -1
		}
		if uint32(v>>32) == fp {
			if slot := int32(uint32(v) - 1); holds[slot].lifecycle == *k {
				return slot
			}
		}
	}
}

func (x *lifecycleIndex) put(k *LifecycleKey, slot int32) {
	if (x.n+1)*2 > len(x.e) {
		old := x.e
		x.e = make([]uint64, max(8, 2*len(old)))
		for _, v := range old {
			if v != 0 {
				x.place(v)
			}
		}
	}
	x.place(uint64(lifecycleHash(k))<<32 | uint64(uint32(slot)+1))
	x.n++
}

func (x *lifecycleIndex) place(v uint64) {
	mask := uint64(len(x.e) - 1)
	for i := (v >> 32) & mask; ; i = (i + 1) & mask {
		if x.e[i] == 0 {
			x.e[i] = v
			return
		}
	}
}

// remove drops the entry of the hold in slot (its key is k).
func (x *lifecycleIndex) remove(k *LifecycleKey, slot int32) {
	if x.n == 0 {
		return
	}
	want := uint64(lifecycleHash(k))<<32 | uint64(uint32(slot)+1)
	mask := uint64(len(x.e) - 1)
	i := (want >> 32) & mask
	for x.e[i] != want {
		if x.e[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; x.e[j] != 0; j = (j + 1) & mask {
		if home := (x.e[j] >> 32) & mask; (j-home)&mask >= (j-i)&mask {
			x.e[i] = x.e[j]
			i = j
		}
	}
	x.e[i] = 0
	x.n--
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
	l.holdDir.put(h.id, a.idx, slot)
	if h.lifecycle != (LifecycleKey{}) {
		a.lcIdx.put(&h.lifecycle, slot)
	}
	a.indexOriginal(h.first.original, slot)
	return slot
}

// findLifecycle returns the slot of the open hold of a life cycle, -1 none.
func (a *account) findLifecycle(k *LifecycleKey) int32 {
	if *k == (LifecycleKey{}) {
		return -1
	}
	return a.lcIdx.find(a.holds, k)
}

// indexOriginal indexes a part by its field-90 identity, for holds without
// a life cycle only: reversals of the others find them by life cycle and
// then the part (findOriginal).
func (a *account) indexOriginal(o OriginalKey, slot int32) {
	if o == (OriginalKey{}) || a.holds[slot].lifecycle != (LifecycleKey{}) {
		return
	}
	if a.byOrig == nil {
		a.byOrig = make(map[OriginalKey]int32)
	}
	a.byOrig[o] = slot
}

// dropHold frees an empty hold's slot and its index entries.
func (l *Ledger) dropHold(a *account, slot int32) {
	h := &a.holds[slot]
	l.holdDir.remove(h.id)
	a.open--
	if h.lifecycle != (LifecycleKey{}) {
		a.lcIdx.remove(&h.lifecycle, slot)
	} else {
		for i := 0; i < h.parts(); i++ {
			if o := h.part(i).original; o != (OriginalKey{}) && a.byOrig[o] == slot {
				delete(a.byOrig, o)
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
	a.count(h.card, h.holder, p.win, h.mcc, -take)
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
	if idx, slot := l.holdDir.find(id); slot >= 0 && idx == a.idx {
		return slot
	}
	return -1
}

// findOriginal finds the hold part a reversal's field 90 names: through
// the reversal's life cycle, through the index of holds without one, or,
// when the reversal carries no life cycle, by scanning the account's holds.
func (a *account) findOriginal(o OriginalKey, lc LifecycleKey) (slot int32, part int) {
	if s := a.findLifecycle(&lc); s >= 0 {
		if p := a.holds[s].findPart(o); p >= 0 {
			return s, p
		}
	}
	if s, ok := a.byOrig[o]; ok {
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

// check asserts the account's money invariants and the consistency of its
// indexes; a failure is a bug, and the ledger stops rather than go on with
// wrong balances.
func (a *account) check() error {
	var sum int64
	open := 0
	for i := range a.holds {
		h := &a.holds[i]
		if h.id == 0 {
			continue
		}
		open++
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
		if h.card >= int32(len(a.scopes)) || h.holder >= int32(len(a.scopes)) {
			return fmt.Errorf("account %s: hold %d names scope %d/%d of %d", a.id, h.id, h.card, h.holder, len(a.scopes))
		}
		if h.lifecycle != (LifecycleKey{}) && a.findLifecycle(&h.lifecycle) != int32(i) {
			return fmt.Errorf("account %s: hold %d not found by its life cycle", a.id, h.id)
		}
		sum += h.amount
	}
	if sum != a.pending {
		return fmt.Errorf("account %s: pending %d, holds sum %d", a.id, a.pending, sum)
	}
	if open != int(a.open) {
		return fmt.Errorf("account %s: %d holds open, counted %d", a.id, open, a.open)
	}
	for i := range a.scopes {
		if s := &a.scopes[i]; a.findScope(s.kind, s.id) != int32(i) {
			return fmt.Errorf("account %s: scope %d (%q) not found by its id", a.id, i, s.id)
		}
	}
	return nil
}

// holdInfo describes the hold in a slot.
func (l *Ledger) holdInfo(a *account, h *hold) HoldInfo {
	return HoldInfo{
		ID: h.id, Lifecycle: h.lifecycle, Amount: h.amount, Card: a.scopeID(h.card), Cardholder: a.scopeID(h.holder),
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
func (l *Ledger) describeHold(e *Entry, a *account, h *hold) {
	if e.Lifecycle == (LifecycleKey{}) {
		e.Lifecycle = h.lifecycle
	}
	if e.Card == "" {
		e.Card = a.scopeID(h.card)
	}
	if e.Cardholder == "" {
		e.Cardholder = a.scopeID(h.holder)
	}
	if e.MCC == "" {
		e.MCC = mccString(h.mcc)
	}
	if e.Descriptor.Network == "" {
		e.Descriptor.Network = l.networks.name(h.network)
	}
}
