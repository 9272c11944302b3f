package portfolio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxLineBytes bounds one portfolio line; a longer line is an error rather
// than an unbounded allocation.
const MaxLineBytes = 1 << 20

// ErrLineTooLong is returned for a line longer than MaxLineBytes.
var ErrLineTooLong = errors.New("portfolio line too long")

// line is the union of every record kind, as a line decodes.
type line struct {
	Kind               string    `json:"kind"`
	ID                 string    `json:"id"`
	Currency           string    `json:"currency"`
	Balance            int64     `json:"balance"`
	CreditLimit        int64     `json:"credit_limit"`
	Status             string    `json:"status"`
	Controls           *Controls `json:"controls"`
	Account            string    `json:"account"`
	Cardholder         string    `json:"cardholder"`
	PAN                string    `json:"pan"`
	Expiry             string    `json:"expiry"`
	Network            string    `json:"network"`
	CancellationReason string    `json:"cancellation_reason"`
	CardKeys
}

// Read streams a portfolio from r into sink, one line at a time; blank
// lines are skipped. An error names the line number and never quotes the
// line (it may hold a PAN).
func Read(r io.Reader, sink Sink) (Stats, error) {
	var st Stats
	br := bufio.NewReaderSize(r, 1<<20)
	for n := 1; ; n++ {
		raw, err := readLine(br)
		if err == io.EOF && len(raw) == 0 {
			return st, nil
		}
		if err != nil && err != io.EOF {
			return st, fmt.Errorf("portfolio line %d: %w", n, err)
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		var l line
		if jerr := json.Unmarshal(raw, &l); jerr != nil {
			return st, fmt.Errorf("portfolio line %d: %w: not a JSON object of the portfolio format", n, ErrInvalid)
		}
		if serr := dispatch(&l, sink, &st); serr != nil {
			return st, fmt.Errorf("portfolio line %d: %w", n, serr)
		}
	}
}

func dispatch(l *line, sink Sink, st *Stats) error {
	switch l.Kind {
	case KindAccount:
		st.Accounts++
		return sink.Account(&Account{
			ID: l.ID, Currency: l.Currency, Balance: l.Balance, CreditLimit: l.CreditLimit,
			Status: l.Status, Controls: l.Controls,
		})
	case KindCardholder:
		st.Cardholders++
		return sink.Cardholder(&Cardholder{ID: l.ID, Account: l.Account, Status: l.Status, Controls: l.Controls})
	case KindCard:
		st.Cards++
		return sink.Card(&Card{
			ID: l.ID, PAN: l.PAN, Expiry: l.Expiry, Network: l.Network, Account: l.Account,
			Cardholder: l.Cardholder, Status: l.Status, CancellationReason: l.CancellationReason,
			Controls: l.Controls,
		})
	case KindCardKeys:
		st.CardKeys++
		return sink.CardKeys(&l.CardKeys)
	}
	return fmt.Errorf("%w: unknown kind %q", ErrInvalid, l.Kind)
}

// readLine returns the next line without its newline, bounded by
// MaxLineBytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	raw, err := br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return raw, err
	}
	buf := append([]byte(nil), raw...)
	for err == bufio.ErrBufferFull {
		if len(buf) > MaxLineBytes {
			return nil, ErrLineTooLong
		}
		raw, err = br.ReadSlice('\n')
		buf = append(buf, raw...)
	}
	if len(buf) > MaxLineBytes {
		return nil, ErrLineTooLong
	}
	return buf, err
}
