package refdata

import (
	"encoding/binary"
	"errors"
	"fmt"
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

func (e *encoder) controls(c *Controls) {
	if c.Empty() {
		e.byte(0)
		return
	}
	e.byte(1)
	e.strs(c.AllowedCategories)
	e.strs(c.BlockedCategories)
	e.strs(c.AllowedCountries)
	e.strs(c.BlockedCountries)
	e.uvarint(uint64(len(c.SpendingLimits)))
	for _, l := range c.SpendingLimits {
		e.varint(l.Amount)
		e.byte(byte(l.Interval))
		e.strs(l.Categories)
	}
	e.uvarint(uint64(len(c.Velocity)))
	for _, v := range c.Velocity {
		e.uvarint(uint64(v.Count))
		e.uvarint(uint64(v.Window / time.Second))
	}
}

type decoder struct {
	b   []byte
	err error
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
	c := &Controls{
		AllowedCategories: d.strs(),
		BlockedCategories: d.strs(),
		AllowedCountries:  d.strs(),
		BlockedCountries:  d.strs(),
	}
	if n := d.count(MaxLimits); n > 0 {
		c.SpendingLimits = make([]SpendingLimit, n)
		for i := range c.SpendingLimits {
			l := &c.SpendingLimits[i]
			l.Amount = d.varint()
			l.Interval = Interval(d.byte())
			l.Categories = d.strs()
		}
	}
	if n := d.count(MaxVelocity); n > 0 {
		c.Velocity = make([]Velocity, n)
		for i := range c.Velocity {
			c.Velocity[i].Count = int(d.uvarint())
			c.Velocity[i].Window = time.Duration(d.uvarint()) * time.Second
		}
	}
	return c
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

func decodeAccount(b []byte) (*Account, error) {
	d := decoder{b: b}
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

func decodeCardholder(b []byte) (*Cardholder, error) {
	d := decoder{b: b}
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

func decodeCard(b []byte) (*Card, error) {
	d := decoder{b: b}
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
