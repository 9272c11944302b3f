package rules

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/authswitch/authswitch/rules/refdata"
	"github.com/authswitch/authswitch/spec"
)

// MaxPortfolioLine bounds one line of a portfolio file.
const MaxPortfolioLine = 1 << 20

// ErrPortfolio is wrapped by every error about a portfolio's content; the
// message names the line (never a PAN or a key).
var ErrPortfolio = errors.New("portfolio")

// Stats describe a portfolio load.
type Stats struct {
	Lines       int // lines read, blank ones included
	Accounts    int
	Cardholders int
	Cards       int
	CardKeys    int
	Bytes       int64
	Duration    time.Duration
}

// LoadPortfolio streams a portfolio (JSON Lines, see portfolio.md):
// accounts, cardholders, cards and card keys, each created or replaced by
// its id. Accounts go to the ledger as well (reloading a portfolio moves a
// balance only by what the portfolio changed). A card must come after its
// account and cardholder, a cardholder after its account.
//
// The file is read line by line, never whole. The first bad line stops the
// load with an error naming it; what came before it is kept (loading the
// corrected file again is safe). Single admin writes wait for the load.
func (e *Engine) LoadPortfolio(r io.Reader) (Stats, error) {
	start := time.Now()
	var st Stats
	e.adminMu.Lock()
	defer e.adminMu.Unlock()
	l, err := e.store.NewLoader()
	if err != nil {
		return st, err
	}
	err = e.loadLines(r, l, &st)
	if cerr := l.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("portfolio: committing: %w", cerr)
	}
	if derr := e.accountsDurable(); err == nil && derr != nil {
		err = fmt.Errorf("portfolio: %w", derr)
	}
	st.Duration = time.Since(start)
	if err == nil {
		e.log.Info("portfolio loaded", "lines", st.Lines, "accounts", st.Accounts, "cardholders", st.Cardholders,
			"cards", st.Cards, "card_keys", st.CardKeys, "bytes", st.Bytes, "duration", st.Duration)
	}
	return st, err
}

// Reading and parsing run on their own goroutine, one batch of lines
// ahead of the writes (on a busy load that is the other core's work);
// batches are recycled, so memory stays bounded whatever the file's size.
const (
	parseBatch    = 512
	parsedBatches = 4
)

type parsedLine struct {
	line refdata.Line
	n    int   // line number
	err  error // the line's parse error, or the read's
}

type parsedBatch struct {
	lines []parsedLine
	bytes int64
}

func (e *Engine) loadLines(r io.Reader, l *refdata.Loader, st *Stats) error {
	full := make(chan *parsedBatch, parsedBatches)
	free := make(chan *parsedBatch, parsedBatches+2)
	for i := 0; i < parsedBatches+2; i++ {
		free <- &parsedBatch{lines: make([]parsedLine, 0, parseBatch)}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(full)
		parseLines(r, full, free, stop)
	}()
	defer func() {
		close(stop)
		for range full { // let the reader finish
		}
		<-done
	}()

	for b := range full {
		st.Bytes += b.bytes
		for i := range b.lines {
			p := &b.lines[i]
			st.Lines = p.n
			if p.err != nil {
				return p.err
			}
			if p.line.Kind == 0 {
				continue // blank
			}
			err := e.apply(&p.line, l, st)
			p.line = refdata.Line{} // the PAN goes with it
			if err != nil {
				return fmt.Errorf("%w: line %d: %w", ErrPortfolio, p.n, err)
			}
		}
		b.lines, b.bytes = b.lines[:0], 0
		free <- b
	}
	return nil
}

// parseLines reads and parses lines into batches until the input ends, a
// line fails, or stop closes.
func parseLines(r io.Reader, full, free chan *parsedBatch, stop chan struct{}) {
	br := bufio.NewReaderSize(r, 256<<10)
	n := 0
	var b *parsedBatch
	send := func() bool {
		select {
		case full <- b:
			b = nil
			return true
		case <-stop:
			return false
		}
	}
	for {
		if b == nil {
			select {
			case b = <-free:
			case <-stop:
				return
			}
		}
		raw, err := readLine(br)
		if len(raw) > 0 || err == nil {
			n++
			b.bytes += int64(len(raw)) + 1
		}
		last := err != nil
		b.lines = append(b.lines, parsedLine{n: n})
		p := &b.lines[len(b.lines)-1]
		switch {
		case err != nil && !errors.Is(err, io.EOF):
			if errors.Is(err, bufio.ErrBufferFull) {
				p.err = fmt.Errorf("%w: line %d: longer than %d bytes", ErrPortfolio, n, MaxPortfolioLine)
			} else {
				p.err = fmt.Errorf("portfolio: reading line %d: %w", n, err)
			}
		default:
			if raw = bytes.TrimSpace(raw); len(raw) > 0 {
				if perr := refdata.ParseLine(raw, &p.line); perr != nil {
					p.err = fmt.Errorf("%w: line %d: %w", ErrPortfolio, n, perr)
					last = true
				}
			}
		}
		if last || len(b.lines) == cap(b.lines) {
			if !send() || last {
				return
			}
		}
	}
}

// readLine returns the next line without its newline, up to
// MaxPortfolioLine bytes.
func readLine(br *bufio.Reader) ([]byte, error) {
	b, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// Longer than the buffer: gather it, within the bound.
		long := append([]byte(nil), b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = br.ReadSlice('\n')
			long = append(long, b...)
			if len(long) > MaxPortfolioLine {
				return nil, bufio.ErrBufferFull
			}
		}
		b = long
	}
	return bytes.TrimSuffix(b, []byte{'\n'}), err
}

// apply puts one parsed line's record in the store (and the ledger).
func (e *Engine) apply(line *refdata.Line, l *refdata.Loader, st *Stats) error {
	switch line.Kind {
	case refdata.KindAccount:
		if err := e.accountToLedger(&line.Account); err != nil {
			return err
		}
		st.Accounts++
		return l.PutAccount(&line.Account)
	case refdata.KindCardholder:
		st.Cardholders++
		return l.PutCardholder(&line.Cardholder)
	case refdata.KindCard:
		st.Cards++
		return l.PutCard(&line.Card, line.PAN)
	case refdata.KindCardKeys:
		st.CardKeys++
		return l.PutCardKeys(&line.CardKeys)
	}
	return nil
}

// accountToLedger checks an account and creates or reloads it in the
// ledger: before the store, so that an account the ledger refuses (a
// currency change) is refused whole.
func (e *Engine) accountToLedger(a *refdata.Account) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if _, ok := spec.CurrencyByAlpha(a.Currency); !ok {
		return fmt.Errorf("%w: account %s: currency %s unknown", refdata.ErrInvalid, a.ID, a.Currency)
	}
	seq, err := e.ledger.UpsertAccountSeq(a.ID, a.Currency, a.Balance, a.CreditLimit)
	if err != nil {
		return fmt.Errorf("account %s: %w", a.ID, err)
	}
	e.accountSeq = max(e.accountSeq, seq)
	return nil
}

// accountsDurable waits until every account entry written so far is
// durable in the ledger's journal, so that an account the caller is told
// exists (an admin write, a finished load) survives a crash in the ledger
// as it does in the store. The caller holds adminMu.
func (e *Engine) accountsDurable() error {
	if e.accountSeq == 0 {
		return nil
	}
	if err := e.ledger.WaitDurable(context.Background(), e.accountSeq); err != nil {
		return fmt.Errorf("%w: %w", ErrLedgerUnavailable, err)
	}
	return nil
}
