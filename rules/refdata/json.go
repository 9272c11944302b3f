package refdata

import (
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/authswitch/authswitch/spec"
)

// This file reads portfolio lines: one JSON object per line, in the format
// of the project's portfolio.md. It is a strict reader for exactly that
// schema: unknown or duplicate fields, fractions in amounts, fields of
// another kind and values of the wrong type are errors. Errors give the
// byte offset and the field, never the value of a PAN or a key.
//
// It is hand-written because a portfolio has millions of lines: it decodes
// a card line in well under a microsecond, where encoding/json takes
// several (the fuzz test holds it to encoding/json's reading of the same
// line).

// Kind is the kind of a portfolio line.
type Kind uint8

const (
	KindAccount Kind = iota + 1
	KindCardholder
	KindCard
	KindCardKeys
)

func (k Kind) String() string {
	switch k {
	case KindAccount:
		return "account"
	case KindCardholder:
		return "cardholder"
	case KindCard:
		return "card"
	case KindCardKeys:
		return "card_keys"
	}
	return "unknown"
}

// Line is one decoded portfolio line: Kind says which record is set. PAN
// is the card's number (card data: never log it, drop it once loaded).
type Line struct {
	Kind       Kind
	Account    Account
	Cardholder Cardholder
	Card       Card
	PAN        string
	CardKeys   CardKeys
}

// field bits: which fields a line carried.
const (
	fKind uint32 = 1 << iota
	fID
	fCurrency
	fBalance
	fCreditLimit
	fStatus
	fControls
	fAccount
	fPAN
	fExpiry
	fNetwork
	fCardholder
	fCancellation
	fPANPrefix
	fCVKA
	fCVKB
)

var fieldNames = map[uint32]string{
	fKind: "kind", fID: "id", fCurrency: "currency", fBalance: "balance", fCreditLimit: "credit_limit",
	fStatus: "status", fControls: "controls", fAccount: "account", fPAN: "pan", fExpiry: "expiry",
	fNetwork: "network", fCardholder: "cardholder", fCancellation: "cancellation_reason",
	fPANPrefix: "pan_prefix", fCVKA: "cvk_a", fCVKB: "cvk_b",
}

// Fields each kind requires and allows.
var kindFields = map[Kind]struct{ required, allowed uint32 }{
	KindAccount: {fKind | fID | fCurrency | fBalance | fStatus,
		fKind | fID | fCurrency | fBalance | fCreditLimit | fStatus | fControls},
	KindCardholder: {fKind | fID | fAccount | fStatus,
		fKind | fID | fAccount | fStatus | fControls},
	KindCard: {fKind | fID | fPAN | fExpiry | fNetwork | fAccount | fStatus,
		fKind | fID | fPAN | fExpiry | fNetwork | fAccount | fCardholder | fStatus | fCancellation | fControls},
	KindCardKeys: {fKind | fPANPrefix | fCVKA | fCVKB,
		fKind | fPANPrefix | fCVKA | fCVKB},
}

// ParseLine decodes one portfolio line into l (reset first) and validates
// the record on its own (references are the store's to check). A card's
// Token and Last4 are left for the store to set from l.PAN.
func ParseLine(data []byte, l *Line) error {
	*l = Line{}
	s := scanner{b: data}
	var seen uint32
	var kind, id, status, account, network, cancellation string
	var currency, expiry, cardholder string
	var balance, credit int64
	var controls *Controls
	err := s.object(func(key []byte) error {
		var bit uint32
		var err error
		switch string(key) {
		case "kind":
			bit = fKind
			kind, err = s.str()
		case "id":
			bit = fID
			id, err = s.str()
		case "currency":
			bit = fCurrency
			currency, err = s.str()
		case "balance":
			bit = fBalance
			balance, err = s.int()
		case "credit_limit":
			bit = fCreditLimit
			credit, err = s.int()
		case "status":
			bit = fStatus
			status, err = s.str()
		case "controls":
			bit = fControls
			controls, err = s.controls()
		case "account":
			bit = fAccount
			account, err = s.str()
		case "pan":
			bit = fPAN
			l.PAN, err = s.str()
		case "expiry":
			bit = fExpiry
			expiry, err = s.str()
		case "network":
			bit = fNetwork
			network, err = s.str()
		case "cardholder":
			bit = fCardholder
			cardholder, err = s.str()
		case "cancellation_reason":
			bit = fCancellation
			cancellation, err = s.str()
		case "pan_prefix":
			bit = fPANPrefix
			l.CardKeys.Prefix, err = s.str()
		case "cvk_a":
			bit = fCVKA
			l.CardKeys.CVKA, err = s.str()
		case "cvk_b":
			bit = fCVKB
			l.CardKeys.CVKB, err = s.str()
		default:
			return s.unknown(key)
		}
		if err != nil {
			return err
		}
		if seen&bit != 0 {
			return invalid("field %s appears twice", fieldNames[bit])
		}
		if s.wasNull {
			return nil // null is the same as absent
		}
		seen |= bit
		return nil
	})
	if err != nil {
		return err
	}
	if s.ws(); s.i != len(s.b) {
		return s.fail("text after the object")
	}
	switch kind {
	case "account":
		l.Kind = KindAccount
	case "cardholder":
		l.Kind = KindCardholder
	case "card":
		l.Kind = KindCard
	case "card_keys":
		l.Kind = KindCardKeys
	case "":
		return invalid("kind missing")
	default:
		return invalid("kind %s unknown", shown(kind))
	}
	if l.Kind != KindCardKeys {
		// Ids are named in the errors below: check them first.
		if err := validID(l.Kind.String(), id); err != nil {
			return err
		}
	}
	kf := kindFields[l.Kind]
	if missing := kf.required &^ seen; missing != 0 {
		return invalid("%s: field %s missing", l.Kind, fieldNames[missing&-missing])
	}
	if extra := seen &^ kf.allowed; extra != 0 {
		return invalid("%s: field %s does not belong to a %s", l.Kind, fieldNames[extra&-extra], l.Kind)
	}

	switch l.Kind {
	case KindAccount:
		a := &l.Account
		*a = Account{ID: id, Currency: currency, Balance: balance, CreditLimit: credit, Controls: controls}
		switch status {
		case "active":
			a.Status = AccountActive
		case "frozen":
			a.Status = AccountFrozen
		case "closed":
			a.Status = AccountClosed
		default:
			return invalid("account %s: status %s unknown", id, shown(status))
		}
		return a.Validate()
	case KindCardholder:
		h := &l.Cardholder
		*h = Cardholder{ID: id, Account: account, Controls: controls}
		switch status {
		case "active":
			h.Status = CardholderActive
		case "inactive":
			h.Status = CardholderInactive
		case "blocked":
			h.Status = CardholderBlocked
		default:
			return invalid("cardholder %s: status %s unknown", id, shown(status))
		}
		return h.Validate()
	case KindCard:
		c := &l.Card
		*c = Card{ID: id, Expiry: expiry, Account: account, Cardholder: cardholder, Controls: controls}
		switch network {
		case "visa":
			c.Network = spec.Visa
		case "mastercard":
			c.Network = spec.Mastercard
		default:
			return invalid("card %s: network %s unknown", id, shown(network))
		}
		switch status {
		case "active":
			c.Status = CardActive
		case "inactive":
			c.Status = CardInactive
		case "canceled":
			c.Status = CardCanceled
		default:
			return invalid("card %s: status %s unknown", id, shown(status))
		}
		switch cancellation {
		case "":
		case "lost":
			c.Cancellation = CancellationLost
		case "stolen":
			c.Cancellation = CancellationStolen
		default:
			return invalid("card %s: cancellation_reason %s unknown", id, shown(cancellation))
		}
		if err := ValidatePAN(l.PAN, c.Network); err != nil {
			return fmt.Errorf("card %s: %w", id, err)
		}
		// Token and last four come from the store; validate the rest with
		// placeholders of the right form.
		probe := *c
		probe.Token[0], probe.Last4 = 1, "0000"
		return probe.Validate()
	case KindCardKeys:
		return l.CardKeys.Validate()
	}
	return nil
}

// scanner reads JSON from b.
type scanner struct {
	b       []byte
	i       int
	depth   int
	wasNull bool // the last value read was null
}

// maxDepth bounds nesting: line, controls, the limits, a limit, its
// categories.
const maxDepth = 5

func (s *scanner) fail(what string) error {
	return invalid("malformed JSON at byte %d: %s", s.i, what)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// null consumes a null, reporting whether there was one.
func (s *scanner) null() bool {
	s.ws()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		s.wasNull = true
		return true
	}
	s.wasNull = false
	return false
}

// object reads an object, calling fn with each key (fn reads the value).
func (s *scanner) object(fn func(key []byte) error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.fail("expected an object")
	}
	if s.depth++; s.depth > maxDepth {
		return s.fail("nested too deep")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.ws()
		key, err := s.key()
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail("expected ':'")
		}
		s.i++
		if err := fn(key); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("unterminated object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return nil
		default:
			return s.fail("expected ',' or '}'")
		}
	}
}

// array reads an array of at most max elements, calling fn for each.
func (s *scanner) array(max int, fn func() error) error {
	if s.null() {
		return nil
	}
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return s.fail("expected an array")
	}
	if s.depth++; s.depth > maxDepth {
		return s.fail("nested too deep")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		s.depth--
		return nil
	}
	for n := 1; ; n++ {
		if n > max {
			return s.fail(fmt.Sprintf("more than %d elements", max))
		}
		if err := fn(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.fail("unterminated array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			s.wasNull = false
			return nil
		default:
			return s.fail("expected ',' or ']'")
		}
	}
}

// key reads an object key. Keys without escapes are returned in place.
func (s *scanner) key() ([]byte, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, s.fail("expected a key")
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			k := s.b[s.i+1 : j]
			s.i = j + 1
			return k, nil
		case c == '\\' || c < 0x20:
			str, err := s.quoted()
			return []byte(str), err
		}
	}
	return nil, s.fail("unterminated key")
}

// unknown reports an unknown key, naming it only when it is a plain word
// (a key is input too: it could hold anything).
func (s *scanner) unknown(key []byte) error {
	plain := len(key) > 0 && len(key) <= 32
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c == '_') {
			plain = false
		}
	}
	if plain {
		return invalid("unknown field %q", key)
	}
	return s.fail("unknown field")
}

// str reads a string value (or null, as "").
func (s *scanner) str() (string, error) {
	if s.null() {
		return "", nil
	}
	return s.quoted()
}

// quoted reads a JSON string at s.i.
func (s *scanner) quoted() (string, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return "", s.fail("expected a string")
	}
	start := s.i + 1
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			s.i = j + 1
			return string(s.b[start:j]), nil
		case c == '\\':
			return s.escaped(start)
		case c < 0x20:
			s.i = j
			return "", s.fail("control character in a string")
		}
	}
	s.i = len(s.b)
	return "", s.fail("unterminated string")
}

// escaped decodes a string with escapes, from its first character at
// start.
func (s *scanner) escaped(start int) (string, error) {
	out := make([]byte, 0, 32)
	j := start
	for j < len(s.b) {
		c := s.b[j]
		switch {
		case c == '"':
			s.i = j + 1
			return string(out), nil
		case c < 0x20:
			s.i = j
			return "", s.fail("control character in a string")
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(s.b) {
			break
		}
		switch e := s.b[j+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n := s.unicode(j)
			if n == 0 {
				s.i = j
				return "", s.fail("bad \\u escape")
			}
			out = utf8.AppendRune(out, r)
			j += n
			continue
		default:
			s.i = j
			return "", s.fail("bad escape")
		}
		j += 2
	}
	s.i = len(s.b)
	return "", s.fail("unterminated string")
}

// unicode decodes \uXXXX (and a following low surrogate) at j, returning
// the rune and the bytes used; 0 bytes when malformed. Lone surrogates
// become U+FFFD, as in encoding/json.
func (s *scanner) unicode(j int) (rune, int) {
	r := hex4(s.b, j+2)
	if r < 0 {
		return 0, 0
	}
	if utf16.IsSurrogate(r) {
		if r2 := hex4(s.b, j+8); j+7 < len(s.b) && s.b[j+6] == '\\' && s.b[j+7] == 'u' && r2 >= 0 {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

func hex4(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}

// int reads an integer value (null is 0). Fractions and exponents are
// errors: amounts are integer minor units.
func (s *scanner) int() (int64, error) {
	if s.null() {
		return 0, nil
	}
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	switch {
	case s.i == digits:
		return 0, s.fail("expected an integer")
	case s.b[digits] == '0' && s.i-digits > 1:
		return 0, s.fail("leading zero in a number")
	case s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E'):
		return 0, s.fail("not an integer (amounts are minor units)")
	}
	v, err := strconv.ParseInt(string(s.b[start:s.i]), 10, 64)
	if err != nil {
		return 0, s.fail("integer out of range")
	}
	return v, nil
}

func (s *scanner) strings(max int) ([]string, error) {
	var out []string
	err := s.array(max, func() error {
		v, err := s.quoted()
		out = append(out, v)
		return err
	})
	return out, err
}

// controls reads a controls object (null: none).
func (s *scanner) controls() (*Controls, error) {
	if s.null() {
		return nil, nil
	}
	c := &Controls{}
	var seen uint8
	err := s.object(func(key []byte) error {
		var bit uint8
		var err error
		switch string(key) {
		case "allowed_categories":
			bit = 1
			c.AllowedCategories, err = s.strings(MaxListLen)
		case "blocked_categories":
			bit = 2
			c.BlockedCategories, err = s.strings(MaxListLen)
		case "allowed_countries":
			bit = 4
			c.AllowedCountries, err = s.strings(MaxListLen)
		case "blocked_countries":
			bit = 8
			c.BlockedCountries, err = s.strings(MaxListLen)
		case "spending_limits":
			bit = 16
			err = s.array(MaxLimits, func() error {
				l, err := s.limit()
				c.SpendingLimits = append(c.SpendingLimits, l)
				return err
			})
		case "velocity":
			bit = 32
			err = s.array(MaxVelocity, func() error {
				v, err := s.velocity()
				c.Velocity = append(c.Velocity, v)
				return err
			})
		default:
			return s.unknown(key)
		}
		if err != nil {
			return err
		}
		if seen&bit != 0 {
			return invalid("controls: field %s appears twice", key)
		}
		seen |= bit
		return nil
	})
	s.wasNull = false
	return c, err
}

func (s *scanner) limit() (SpendingLimit, error) {
	var l SpendingLimit
	var seen uint8
	err := s.object(func(key []byte) error {
		var bit uint8
		var err error
		switch string(key) {
		case "amount":
			bit = 1
			l.Amount, err = s.int()
		case "interval":
			bit = 2
			var name string
			if name, err = s.str(); err == nil {
				var ok bool
				if l.Interval, ok = ParseInterval(name); !ok {
					err = invalid("controls: spending limit interval %s unknown", shown(name))
				}
			}
		case "categories":
			bit = 4
			l.Categories, err = s.strings(MaxListLen)
		default:
			return s.unknown(key)
		}
		if err != nil {
			return err
		}
		if seen&bit != 0 {
			return invalid("controls: spending limit field %s appears twice", key)
		}
		seen |= bit
		return nil
	})
	if err == nil && seen&3 != 3 {
		err = invalid("controls: a spending limit needs amount and interval")
	}
	return l, err
}

func (s *scanner) velocity() (Velocity, error) {
	var v Velocity
	var seen uint8
	err := s.object(func(key []byte) error {
		var bit uint8
		var n int64
		var err error
		switch string(key) {
		case "count":
			bit = 1
			n, err = s.int()
			if n < 0 || n > 1<<31 {
				n = 0 // Validate rejects it
			}
			v.Count = int(n)
		case "window_seconds":
			bit = 2
			n, err = s.int()
			if n < 0 || n > int64(MaxVelocityWait/time.Second) {
				n = 0
			}
			v.Window = time.Duration(n) * time.Second
		default:
			return s.unknown(key)
		}
		if err != nil {
			return err
		}
		if seen&bit != 0 {
			return invalid("controls: velocity field %s appears twice", key)
		}
		seen |= bit
		return nil
	})
	if err == nil && seen != 3 {
		err = invalid("controls: a velocity control needs count and window_seconds")
	}
	return v, err
}
