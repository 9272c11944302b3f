package ledger

import (
	"encoding/binary"
	"fmt"
	"sort"
)

// The checkpoint encoding of an account's state and of remembered
// requests. Maps are written in sorted order so that the same state always
// encodes to the same bytes.

// snapshotVersion 2 added each hold's network; version 1 is still read.
const snapshotVersion = 2

func appendTotals(b []byte, t *totals) []byte {
	for _, w := range t.win {
		b = binary.AppendVarint(b, int64(w))
	}
	for _, v := range t.amt {
		b = binary.AppendVarint(b, v)
	}
	return b
}

func (d *decoder) totals(t *totals) {
	for i := range t.win {
		t.win[i] = int32(d.varint())
	}
	for i := range t.amt {
		t.amt[i] = d.varint()
	}
}

func appendScope(b []byte, s *counters) []byte {
	b = appendTotals(b, &s.all)
	b = binary.AppendUvarint(b, uint64(len(s.mccs)))
	for i := range s.mccs {
		b = binary.AppendUvarint(b, uint64(s.mccs[i].mcc))
		b = appendTotals(b, &s.mccs[i].t)
	}
	r := &s.vel
	b = binary.AppendUvarint(b, uint64(r.depth()))
	b = binary.AppendUvarint(b, uint64(r.n))
	for i := 0; i < int(r.n); i++ {
		b = binary.AppendVarint(b, r.get(i))
	}
	return b
}

func (d *decoder) scope(s *counters) {
	d.totals(&s.all)
	n := d.uvarint()
	if n > 10000 {
		d.fail("too many categories")
		return
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		m := mccTotals{mcc: uint16(d.uvarint())}
		d.totals(&m.t)
		if len(s.mccs) > 0 && s.mccs[len(s.mccs)-1].mcc >= m.mcc {
			d.fail("categories out of order")
			return
		}
		s.mccs = append(s.mccs, m)
	}
	depth, cnt := d.uvarint(), d.uvarint()
	if depth > maxVelocityDepth || cnt > max(depth, minVelocityDepth) {
		d.fail("bad velocity ring")
		return
	}
	s.vel.grow(int(depth))
	b := s.vel.buf()
	for i := uint64(0); i < cnt; i++ {
		b[i] = d.varint()
		if i > 0 && b[i] < b[i-1] {
			d.fail("velocity ring out of order")
			return
		}
	}
	s.vel.n, s.vel.head = int32(cnt), int32(cnt%uint64(len(b)))
}

// appendScopes writes the account's card (or cardholder) scopes, by id.
func appendScopes(b []byte, a *account, kind Scope) []byte {
	var nums []int32
	for i := range a.scopes {
		if a.scopes[i].kind == kind {
			nums = append(nums, int32(i))
		}
	}
	sort.Slice(nums, func(i, j int) bool { return a.scopes[nums[i]].id < a.scopes[nums[j]].id })
	b = binary.AppendUvarint(b, uint64(len(nums)))
	for _, n := range nums {
		b = appendString(b, a.scopes[n].id)
		b = appendScope(b, &a.scopes[n].counters)
	}
	return b
}

// scopes reads the account's card (or cardholder) scopes.
func (d *decoder) scopes(a *account, kind Scope) {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("too many scopes")
		return
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		id := d.str("")
		var s counters
		d.scope(&s)
		if d.err != nil {
			return
		}
		if id == "" || a.findScope(kind, id) >= 0 {
			d.fail("scope without an id, or twice")
			return
		}
		sc := &a.scopes[a.addScope(kind, id)]
		sc.counters = s
	}
}

// encodeAccount appends an account's state; the caller holds its lock.
func (l *Ledger) encodeAccount(b []byte, a *account) []byte {
	return l.encodeAccountVersion(b, a, snapshotVersion)
}

// encodeAccountVersion writes a given snapshot version (tests write the
// older ones, to show they are still read).
func (l *Ledger) encodeAccountVersion(b []byte, a *account, ver byte) []byte {
	b = append(b, ver)
	b = appendString(b, a.currency)
	for _, v := range [...]int64{a.posted, a.credit, a.pending, a.loaded} {
		b = binary.AppendVarint(b, v)
	}
	b = binary.AppendUvarint(b, a.lastSeq)
	b = appendScope(b, &a.spend)
	b = appendScopes(b, a, ScopeCard)
	b = appendScopes(b, a, ScopeCardholder)

	slots := make([]int32, 0, a.open)
	for i := range a.holds {
		if a.holds[i].id != 0 {
			slots = append(slots, int32(i))
		}
	}
	sort.Slice(slots, func(i, j int) bool { return a.holds[slots[i]].id < a.holds[slots[j]].id })
	b = binary.AppendUvarint(b, uint64(len(slots)))
	for _, slot := range slots {
		h := &a.holds[slot]
		b = binary.AppendUvarint(b, h.id)
		b = append(b, h.lifecycle[:]...)
		b = binary.AppendVarint(b, h.placed)
		b = binary.AppendVarint(b, h.expires)
		b = appendString(b, a.scopeID(h.card))
		b = appendString(b, a.scopeID(h.holder))
		b = binary.AppendUvarint(b, uint64(h.mcc))
		if ver >= 2 {
			b = appendString(b, l.networks.name(h.network))
		}
		b = binary.AppendUvarint(b, uint64(h.parts()))
		for i := 0; i < h.parts(); i++ {
			p := h.part(i)
			b = append(b, p.original[:]...)
			b = binary.AppendVarint(b, p.amount)
			for _, w := range p.win {
				b = binary.AppendVarint(b, int64(w))
			}
		}
	}
	origs := make([]OriginalKey, 0, len(a.revOriginal))
	for k := range a.revOriginal {
		origs = append(origs, k)
	}
	sort.Slice(origs, func(i, j int) bool { return string(origs[i][:]) < string(origs[j][:]) })
	b = binary.AppendUvarint(b, uint64(len(origs)))
	for _, k := range origs {
		b = append(b, k[:]...)
		b = binary.AppendVarint(b, a.revOriginal[k])
	}
	lcs := make([]LifecycleKey, 0, len(a.revLifecycle))
	for k := range a.revLifecycle {
		lcs = append(lcs, k)
	}
	sort.Slice(lcs, func(i, j int) bool { return string(lcs[i][:]) < string(lcs[j][:]) })
	b = binary.AppendUvarint(b, uint64(len(lcs)))
	for _, k := range lcs {
		b = append(b, k[:]...)
		b = binary.AppendVarint(b, a.revLifecycle[k])
	}
	return b
}

// decodeAccount rebuilds an account, its holds' indexes and their expiry.
func (l *Ledger) decodeAccount(id string, v []byte) (*account, error) {
	d := decoder{b: v}
	ver := d.byte1()
	if ver != 1 && ver != snapshotVersion {
		return nil, fmt.Errorf("%w: %w: version %d", errCorrupt, errCheckpoint, ver)
	}
	a := newAccount(id, d.str(""))
	if d.err != nil {
		return nil, d.err
	}
	// Registered first: its holds name it by its number.
	if l.accounts.get(id) != nil {
		return nil, fmt.Errorf("%w: account %q twice", errCorrupt, id)
	}
	l.accounts.mu.Lock()
	err := l.accounts.addLocked(a)
	l.accounts.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a.posted, a.credit, a.pending, a.loaded = d.varint(), d.varint(), d.varint(), d.varint()
	a.lastSeq = d.uvarint()
	d.scope(&a.spend)
	d.scopes(a, ScopeCard)
	d.scopes(a, ScopeCardholder)
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		return nil, fmt.Errorf("%w: %d holds", errCorrupt, n)
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		var h hold
		h.id = d.uvarint()
		d.bytes(h.lifecycle[:])
		h.placed, h.expires = d.varint(), d.varint()
		card, holder := d.str(""), d.str("")
		h.card, h.holder = a.scopeFor(ScopeCard, card), a.scopeFor(ScopeCardholder, holder)
		h.mcc = uint16(d.uvarint())
		if ver >= 2 {
			h.network = l.networks.id(d.str(""))
		}
		parts := d.uvarint()
		if parts == 0 || parts > uint64(len(d.b)) {
			return nil, fmt.Errorf("%w: hold %d has %d parts", errCorrupt, h.id, parts)
		}
		for j := uint64(0); j < parts && d.err == nil; j++ {
			var p holdPart
			d.bytes(p.original[:])
			p.amount = d.varint()
			for k := range p.win {
				p.win[k] = int32(d.varint())
			}
			if j == 0 {
				h.first = p
			} else {
				h.more = append(h.more, p)
			}
			h.amount += p.amount
		}
		if d.err != nil {
			break
		}
		if _, slot := l.holdDir.find(h.id); h.id == 0 || slot >= 0 {
			return nil, fmt.Errorf("%w: hold id %d missing or twice", errCorrupt, h.id)
		}
		slot := l.newHold(a, h)
		for j := 1; j < h.parts(); j++ {
			a.indexOriginal(h.part(j).original, slot)
		}
		l.expiry.pushHold(h.expires-h.placed, holdDue{h.expires, h.id, a.idx})
		l.nextHold.Store(max(l.nextHold.Load(), h.id))
	}
	for i, n := uint64(0), d.uvarint(); i < n && d.err == nil; i++ {
		var k OriginalKey
		d.bytes(k[:])
		at := d.varint()
		if a.revOriginal == nil {
			a.revOriginal = make(map[OriginalKey]int64)
		}
		a.revOriginal[k] = at
		l.expiry.tombs.push(tombDue{due: at + l.tombTTL, acct: a, original: k})
	}
	for i, n := uint64(0), d.uvarint(); i < n && d.err == nil; i++ {
		var k LifecycleKey
		d.bytes(k[:])
		at := d.varint()
		if a.revLifecycle == nil {
			a.revLifecycle = make(map[LifecycleKey]int64)
		}
		a.revLifecycle[k] = at
		l.expiry.tombs.push(tombDue{due: at + l.tombTTL, acct: a, lifecycle: k})
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return nil, d.err
	}
	return a, nil
}

func encodeRequest(b []byte, k *RequestKey, at int64, res *Result) []byte {
	b = append(b, k[:]...)
	b = binary.AppendVarint(b, at)
	b = append(b, byte(res.Status), byte(res.Reason))
	for _, v := range [...]int64{res.Approved, int64(res.HoldID), res.Hold, res.Released, res.Posted, res.Available} {
		b = binary.AppendVarint(b, v)
	}
	b = appendString(b, res.Currency)
	b = binary.AppendUvarint(b, res.Seq)
	return append(b, res.Memo[:]...)
}

// decodeRequests reads a run of remembered requests.
func (l *Ledger) decodeRequests(v []byte) error {
	d := decoder{b: v}
	for len(d.b) > 0 && d.err == nil {
		var k RequestKey
		var res Result
		d.bytes(k[:])
		at := d.varint()
		res.Status, res.Reason = Status(d.byte1()), Reason(d.byte1())
		res.Approved, res.HoldID, res.Hold = d.varint(), uint64(d.varint()), d.varint()
		res.Released, res.Posted, res.Available = d.varint(), d.varint(), d.varint()
		res.Currency = d.str("")
		res.Seq = d.uvarint()
		d.bytes(res.Memo[:])
		if d.err == nil {
			l.requests.put(&k, &res, at)
		}
	}
	if d.err != nil {
		return fmt.Errorf("remembered requests: %w", d.err)
	}
	return nil
}
