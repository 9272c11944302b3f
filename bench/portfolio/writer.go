package portfolio

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Writer is a Sink that writes each record as one JSON line. It encodes by
// hand into a reused buffer (a million cards in about a second), in the
// field order of the format's examples; encoding/json reads its output.
type Writer struct {
	w     *bufio.Writer
	line  []byte
	Stats Stats
}

// NewWriter returns a Writer on w. Call Flush when done.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 1<<20), line: make([]byte, 0, 1024)}
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("portfolio: flush: %w", err)
	}
	return nil
}

// Account implements Sink.
func (w *Writer) Account(a *Account) error {
	b := append(w.line[:0], `{"kind":"account","id":`...)
	b = appendString(b, a.ID)
	b = append(b, `,"currency":`...)
	b = appendString(b, a.Currency)
	b = append(b, `,"balance":`...)
	b = strconv.AppendInt(b, a.Balance, 10)
	if a.CreditLimit != 0 {
		b = append(b, `,"credit_limit":`...)
		b = strconv.AppendInt(b, a.CreditLimit, 10)
	}
	b = append(b, `,"status":`...)
	b = appendString(b, a.Status)
	b = appendControls(b, a.Controls)
	w.Stats.Accounts++
	return w.emit(b)
}

// Cardholder implements Sink.
func (w *Writer) Cardholder(h *Cardholder) error {
	b := append(w.line[:0], `{"kind":"cardholder","id":`...)
	b = appendString(b, h.ID)
	b = append(b, `,"account":`...)
	b = appendString(b, h.Account)
	b = append(b, `,"status":`...)
	b = appendString(b, h.Status)
	b = appendControls(b, h.Controls)
	w.Stats.Cardholders++
	return w.emit(b)
}

// Card implements Sink.
func (w *Writer) Card(c *Card) error {
	b := append(w.line[:0], `{"kind":"card","id":`...)
	b = appendString(b, c.ID)
	b = append(b, `,"pan":`...)
	b = appendString(b, c.PAN)
	b = append(b, `,"expiry":`...)
	b = appendString(b, c.Expiry)
	b = append(b, `,"network":`...)
	b = appendString(b, c.Network)
	b = append(b, `,"account":`...)
	b = appendString(b, c.Account)
	if c.Cardholder != "" {
		b = append(b, `,"cardholder":`...)
		b = appendString(b, c.Cardholder)
	}
	b = append(b, `,"status":`...)
	b = appendString(b, c.Status)
	if c.CancellationReason != "" {
		b = append(b, `,"cancellation_reason":`...)
		b = appendString(b, c.CancellationReason)
	}
	b = appendControls(b, c.Controls)
	w.Stats.Cards++
	return w.emit(b)
}

// CardKeys implements Sink.
func (w *Writer) CardKeys(k *CardKeys) error {
	b := append(w.line[:0], `{"kind":"card_keys","pan_prefix":`...)
	b = appendString(b, k.PANPrefix)
	b = append(b, `,"cvk_a":`...)
	b = appendString(b, k.CVKA)
	b = append(b, `,"cvk_b":`...)
	b = appendString(b, k.CVKB)
	w.Stats.CardKeys++
	return w.emit(b)
}

func (w *Writer) emit(b []byte) error {
	b = append(b, '}', '\n')
	w.line = b
	if _, err := w.w.Write(b); err != nil {
		return fmt.Errorf("portfolio: write: %w", err)
	}
	return nil
}

func appendControls(b []byte, c *Controls) []byte {
	if c.Empty() {
		return b
	}
	b = append(b, `,"controls":{`...)
	first := true
	field := func(name string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	if len(c.AllowedCategories) > 0 {
		field("allowed_categories")
		b = appendStrings(b, c.AllowedCategories)
	}
	if len(c.BlockedCategories) > 0 {
		field("blocked_categories")
		b = appendStrings(b, c.BlockedCategories)
	}
	if len(c.AllowedCountries) > 0 {
		field("allowed_countries")
		b = appendStrings(b, c.AllowedCountries)
	}
	if len(c.BlockedCountries) > 0 {
		field("blocked_countries")
		b = appendStrings(b, c.BlockedCountries)
	}
	if len(c.SpendingLimits) > 0 {
		field("spending_limits")
		b = append(b, '[')
		for i, l := range c.SpendingLimits {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"amount":`...)
			b = strconv.AppendInt(b, l.Amount, 10)
			b = append(b, `,"interval":`...)
			b = appendString(b, l.Interval)
			if len(l.Categories) > 0 {
				b = append(b, `,"categories":`...)
				b = appendStrings(b, l.Categories)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(c.Velocity) > 0 {
		field("velocity")
		b = append(b, '[')
		for i, v := range c.Velocity {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"count":`...)
			b = strconv.AppendInt(b, int64(v.Count), 10)
			b = append(b, `,"window_seconds":`...)
			b = strconv.AppendInt(b, v.WindowSeconds, 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendStrings(b []byte, ss []string) []byte {
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString appends s as a JSON string. Generated values are plain
// ASCII and take the first loop; anything else is escaped per RFC 8259.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigit[c>>4], hexDigit[c&0xF])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

const hexDigit = "0123456789abcdef"
