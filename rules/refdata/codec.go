package refdata

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/authswitch/authswitch/spec"
)

// Records are stored in a compact binary form: a format version byte, then
// the fields in order, strings and lists length-prefixed with uvarints.
// Decoding checks every length against what is left, so a damaged record
// is an error, never a panic or a huge allocation.

const recordVersion = 1

// ErrCorrupt: a stored record does not decode.
var ErrCorrupt = errors.New("refdata: stored record corrupt")

type encoder struct{ b []byte }

func (e *encoder) byte(v byte)      { e.b = append(e.b, v) }
func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *encoder) strs(l []string) {
	e.uvarint(uint64(len(l)))
	for _, s := range l {
		e.str(s)
	}
}

// controls writes a flag byte (0: none), then the controls' encoding
// prefixed with its length, so a reader can share one decoded value among
// all records with the same controls (see controlsIntern).
func (e *encoder) controls(c *Controls) {
	if c.Empty() {
		e.byte(0)
		return
	}
	e.byte(1)
	body := encoder{}
	body.strs(c.AllowedCategories)
	body.strs(c.BlockedCategories)
	body.strs(c.AllowedCountries)
	body.strs(c.BlockedCountries)
	body.uvarint(uint64(len(c.SpendingLimits)))
	for _, l := range c.SpendingLimits {
		body.varint(l.Amount)
		body.byte(byte(l.Interval))
		body.strs(l.Categories)
	}
	body.uvarint(uint64(len(c.Velocity)))
	for _, v := range c.Velocity {
		body.uvarint(uint64(v.Count))
		body.uvarint(uint64(v.Window / time.Second))
	}
	e.uvarint(uint64(len(body.b)))
	e.b = append(e.b, body.b...)
}

type decoder struct {
	b      []byte
	err    error
	intern *controlsIntern // nil: every record gets its own controls
}

func (d *decoder) fail() {
	if d.err == nil {
		d.err = ErrCorrupt
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) raw(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) str() string { return string(d.raw(d.uvarint())) }

// count reads a list length, bounded by max and by what is left.
func (d *decoder) count(max int) int {
	n := d.uvarint()
	if n > uint64(max) || n > uint64(len(d.b)) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *decoder) strs() []string {
	n := d.count(MaxListLen)
	if n == 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = d.str()
	}
	return l
}

func (d *decoder) controls() *Controls {
	if d.byte() == 0 {
		return nil
	}
	body := d.raw(d.uvarint())
	if d.err != nil {
		return nil
	}
	if c := d.intern.find(body); c != nil {
		return c
	}
	b := decoder{b: body}
	c := &Controls{
		AllowedCategories: b.strs(),
		BlockedCategories: b.strs(),
		AllowedCountries:  b.strs(),
		BlockedCountries:  b.strs(),
	}
	if n := b.count(MaxLimits); n > 0 {
		c.SpendingLimits = make([]SpendingLimit, n)
		for i := range c.SpendingLimits {
			l := &c.SpendingLimits[i]
			l.Amount = b.varint()
			l.Interval = Interval(b.byte())
			l.Categories = b.strs()
		}
	}
	if n := b.count(MaxVelocity); n > 0 {
		c.Velocity = make([]Velocity, n)
		for i := range c.Velocity {
			c.Velocity[i].Count = int(b.uvarint())
			c.Velocity[i].Window = time.Duration(b.uvarint()) * time.Second
		}
	}
	if b.err != nil || len(b.b) != 0 {
		d.fail()
		return nil
	}
	d.intern.add(body, c)
	return c
}

// controlsIntern shares decoded controls among the cached records that
// carry the same ones: a program's cards mostly carry a few templates, and
// one copy of each lets the cache hold many more cards. Shared controls
// are read-only, as every cached record is; the admin side's reads decode
// their own. It holds at most maxInterned sets.
type controlsIntern struct {
	mu sync.Mutex
	m  map[string]*Controls
}

const maxInterned = 1 << 16

func newControlsIntern() *controlsIntern {
	return &controlsIntern{m: make(map[string]*Controls)}
}

func (ci *controlsIntern) find(body []byte) *Controls {
	if ci == nil {
		return nil
	}
	ci.mu.Lock()
	c := ci.m[string(body)]
	ci.mu.Unlock()
	return c
}

func (ci *controlsIntern) add(body []byte, c *Controls) {
	if ci == nil {
		return
	}
	ci.mu.Lock()
	if len(ci.m) < maxInterned {
		ci.m[string(body)] = c
	}
	ci.mu.Unlock()
}

// done reports the decoding error, if any, or leftover bytes.
func (d *decoder) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = ErrCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("%s: %w", what, d.err)
	}
	return nil
}

func (d *decoder) version() {
	if d.byte() != recordVersion {
		d.fail()
	}
}

func appendAccount(b []byte, a *Account) []byte {
	e := encoder{b}
	e.byte(recordVersion)
	e.str(a.ID)
	e.str(a.Currency)
	e.varint(a.Balance)
	e.varint(a.CreditLimit)
	e.byte(byte(a.Status))
	e.controls(a.Controls)
	return e.b
}

func decodeAccount(b []byte) (*Account, error) { return decodeAccountShared(b, nil) }

func decodeAccountShared(b []byte, ci *controlsIntern) (*Account, error) {
	d := decoder{b: b, intern: ci}
	d.version()
	a := &Account{
		ID:          d.str(),
		Currency:    d.str(),
		Balance:     d.varint(),
		CreditLimit: d.varint(),
		Status:      AccountStatus(d.byte()),
		Controls:    d.controls(),
	}
	return a, d.done("account")
}

func appendCardholder(b []byte, h *Cardholder) []byte {
	e := encoder{b}
	e.byte(recordVersion)
	e.str(h.ID)
	e.str(h.Account)
	e.byte(byte(h.Status))
	e.controls(h.Controls)
	return e.b
}

func decodeCardholder(b []byte) (*Cardholder, error) { return decodeCardholderShared(b, nil) }

func decodeCardholderShared(b []byte, ci *controlsIntern) (*Cardholder, error) {
	d := decoder{b: b, intern: ci}
	d.version()
	h := &Cardholder{
		ID:       d.str(),
		Account:  d.str(),
		Status:   CardholderStatus(d.byte()),
		Controls: d.controls(),
	}
	return h, d.done("cardholder")
}

func appendCard(b []byte, c *Card) []byte {
	e := encoder{b}
	e.byte(recordVersion)
	e.str(c.ID)
	e.b = append(e.b, c.Token[:]...)
	e.str(c.Last4)
	e.str(c.Expiry)
	e.byte(byte(c.Network))
	e.str(c.Account)
	e.str(c.Cardholder)
	e.byte(byte(c.Status))
	e.byte(byte(c.Cancellation))
	e.controls(c.Controls)
	return e.b
}

func decodeCard(b []byte) (*Card, error) { return decodeCardShared(b, nil) }

func decodeCardShared(b []byte, ci *controlsIntern) (*Card, error) {
	d := decoder{b: b, intern: ci}
	d.version()
	c := &Card{ID: d.str()}
	copy(c.Token[:], d.raw(32))
	c.Last4 = d.str()
	c.Expiry = d.str()
	c.Network = spec.Network(d.byte())
	c.Account = d.str()
	c.Cardholder = d.str()
	c.Status = CardStatus(d.byte())
	c.Cancellation = Cancellation(d.byte())
	c.Controls = d.controls()
	return c, d.done("card")
}

func appendCardKeys(b []byte, k *CardKeys) []byte {
	e := encoder{b}
	e.byte(recordVersion)
	e.str(k.Prefix)
	e.str(k.CVKA)
	e.str(k.CVKB)
	return e.b
}

func decodeCardKeys(b []byte) (*CardKeys, error) {
	d := decoder{b: b}
	d.version()
	k := &CardKeys{Prefix: d.str(), CVKA: d.str(), CVKB: d.str()}
	return k, d.done("card keys")
}
