package refdata

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/authswitch/authswitch/spec/cvv"
)

// keyTable is every card key pair by PAN prefix. It is immutable: a change
// builds a new table and swaps it in.
type keyTable struct {
	byPrefix map[string]*KeyEntry
	lengths  []int // distinct prefix lengths, longest first
}

func newKeyTable(entries map[string]*KeyEntry) *keyTable {
	t := &keyTable{byPrefix: entries}
	for p := range entries {
		if !slices.Contains(t.lengths, len(p)) {
			t.lengths = append(t.lengths, len(p))
		}
	}
	slices.Sort(t.lengths)
	slices.Reverse(t.lengths)
	return t
}

// Keys returns the key pair for pan: the one with the longest prefix of
// pan. It does not allocate.
func (s *Store) Keys(pan string) (*KeyEntry, bool) {
	t := s.keys.Load()
	for _, n := range t.lengths {
		if n > len(pan) {
			continue
		}
		if e, ok := t.byPrefix[pan[:n]]; ok {
			return e, true
		}
	}
	return nil, false
}

// loadKeys reads every card key pair into memory.
func (s *Store) loadKeys() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixKeys}, UpperBound: []byte{prefixKeys + 1}})
	if err != nil {
		return fmt.Errorf("refdata: read card keys: %w", err)
	}
	entries := make(map[string]*KeyEntry)
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return fmt.Errorf("refdata: read card keys: %w", err)
		}
		k, err := decodeCardKeys(v)
		if err != nil {
			it.Close()
			return err
		}
		e, err := keyEntry(k)
		if err != nil {
			it.Close()
			return fmt.Errorf("refdata: stored card keys %s: %w", k.Prefix, err)
		}
		entries[k.Prefix] = e
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("refdata: read card keys: %w", err)
	}
	s.keys.Store(newKeyTable(entries))
	return nil
}

func keyEntry(k *CardKeys) (*KeyEntry, error) {
	keys, err := cvv.ParseKeys(k.CVKA, k.CVKB)
	if err != nil {
		return nil, err
	}
	return &KeyEntry{Prefix: k.Prefix, Keys: keys}, nil
}

// KeyInfo describes a stored key pair without revealing it.
type KeyInfo struct {
	Prefix     string
	CheckValue string // key check value of the pair
}

func (s *Store) validKeys(k *CardKeys) (*KeyEntry, error) {
	if err := k.Validate(); err != nil {
		return nil, err
	}
	e, err := keyEntry(k)
	if err != nil {
		return nil, invalid("card_keys %s: %v", k.Prefix, err)
	}
	return e, nil
}

// publishKeys swaps in a table with e added or replaced. Writers hold
// writeMu.
func (s *Store) publishKeys(e *KeyEntry) {
	old := s.keys.Load()
	m := make(map[string]*KeyEntry, len(old.byPrefix)+1)
	for p, v := range old.byPrefix {
		m[p] = v
	}
	m[e.Prefix] = e
	s.keys.Store(newKeyTable(m))
}

// CardKeys describes the key pair of prefix.
func (s *Store) CardKeys(prefix string) (KeyInfo, error) {
	e, ok := s.keys.Load().byPrefix[prefix]
	if !ok {
		return KeyInfo{}, ErrNotFound
	}
	return KeyInfo{Prefix: e.Prefix, CheckValue: e.Keys.CheckValue()}, nil
}

// ListCardKeys describes every key pair, by prefix.
func (s *Store) ListCardKeys() []KeyInfo {
	t := s.keys.Load()
	out := make([]KeyInfo, 0, len(t.byPrefix))
	for _, e := range t.byPrefix {
		out = append(out, KeyInfo{Prefix: e.Prefix, CheckValue: e.Keys.CheckValue()})
	}
	slices.SortFunc(out, func(a, b KeyInfo) int { return cmp.Compare(a.Prefix, b.Prefix) })
	return out
}
