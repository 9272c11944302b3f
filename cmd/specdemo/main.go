// Command specdemo shows the codec at work: it decodes a frame (hex, from
// the arguments or standard input) into the canonical authorization, prints
// it with card data redacted, and prints the frame of an approving answer.
// Without input it builds a sample Visa 0100 from a canonical value first.
//
//	go run ./cmd/specdemo
//	go run ./cmd/specdemo -network mastercard 00eff0f1f0f0...
package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/authswitch/authswitch/spec"
)

func main() {
	network := flag.String("network", "visa", "visa or mastercard")
	flag.Parse()
	if err := run(*network, flag.Args(), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "specdemo:", err)
		os.Exit(1)
	}
}

func run(network string, args []string, stdin io.Reader, out io.Writer) error {
	if err := spec.Validate(); err != nil {
		return err
	}
	var n spec.Network
	switch network {
	case "visa":
		n = spec.Visa
	case "mastercard":
		n = spec.Mastercard
	default:
		return fmt.Errorf("unknown network %q", network)
	}
	text := strings.Join(args, "")
	if text == "" {
		if f, ok := stdin.(*os.File); !ok || !isTerminal(f) {
			b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
			if err != nil {
				return err
			}
			text = string(b)
		}
	}
	text = strings.Join(strings.Fields(text), "")
	var frame []byte
	if text == "" {
		var err error
		if frame, err = sample(n); err != nil {
			return err
		}
		fmt.Fprintf(out, "sample request frame:\n%x\n\n", frame)
	} else {
		var err error
		if frame, err = hex.DecodeString(text); err != nil {
			return fmt.Errorf("input is not hex: %w", err)
		}
	}
	f, _, err := n.NextFrame(frame, 0xFFFF)
	if err != nil {
		return err
	}
	if f.Kind != spec.FrameMessage {
		return fmt.Errorf("no whole frame in the input")
	}
	var r spec.Request
	if err := spec.DecodeRequest(n, f.Payload, &r); err != nil {
		if ans, ok := spec.AppendFormatError(nil, n, f.Payload); ok {
			fmt.Fprintf(out, "format error answer:\n%x\n", ans)
		}
		return err
	}
	shown := r.Redacted()
	b, err := json.MarshalIndent(&shown, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "canonical %s %s (%s):\n%s\n\n", n, r.MTI, r.Kind, b)
	a := spec.Answer{ResponseCode: "00", AuthCode: "DEMO01"}
	if r.Kind == spec.KindAuthorization && r.Type == spec.TxnAccountVerification {
		a.ResponseCode = "85"
	}
	if r.Kind != spec.KindAuthorization {
		a.AuthCode = ""
	}
	ans, err := spec.AppendAnswer(nil, &r, &a)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "answer %s:\n%x\n", a.ResponseCode, ans)
	return nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// sample builds a card-present chip authorization with well-known test data.
func sample(n spec.Network) ([]byte, error) {
	a := spec.Authorization{
		MTI: "0100", PAN: "4111111111111111", ProcessingCode: "000000", Amount: 4250, Currency: 840,
		TransmissionTime: "1124081531", STAN: "000102", LocalTime: "081531", LocalDate: "1124",
		Expiry: "2812", MCC: "5411", AcquirerCountry: "840", Entry: spec.EntryChip, CardSequence: "001",
		POSCondition: "00", AcquirerID: "400050", Track2: "4111111111111111=28122010000081200",
		RRN: "432908000102", TerminalID: "TERM0002", AcceptorID: "MERCHANT0000002",
		MerchantName: "EXAMPLE GROCERY", MerchantCity: "CHICAGO", MerchantCountry: "US",
		PartialSupported: true, TransactionID: "432908123456790", NetworkCode: "0002",
	}
	if n == spec.Mastercard {
		a.PAN, a.Track2 = "5555555555554444", "5555555555554444=28122010000081200"
		a.TCC, a.SettlementDate, a.NetworkCode, a.TransactionID = "R", "1124", "MCC", "ABC123456"
	}
	m, err := spec.BuildRequest(n, &a)
	if err != nil {
		return nil, err
	}
	var hdr *spec.VisaHeader
	if n == spec.Visa {
		h := spec.VisaHeader{Format: 0x01, TextFormat: 0x02}
		h.Destination, _ = spec.ParseStationID("000001")
		h.Source, _ = spec.ParseStationID("000002")
		hdr = &h
	}
	return spec.PackFrame(n, m, hdr)
}
