package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"sync"
)

// answerVectors pairs each golden answer with the request and the decision
// it answers. A request named "" is derived from the answer itself: its
// fields less 38, 39 and 54, as an 0100 with the header's stations swapped.
var answerVectors = []struct {
	answer, request string
	decision        Answer
}{
	{"visa_0110_approval", "visa_0100_card_not_present", Answer{ResponseCode: "00", AuthCode: "A1B2C3"}},
	{"visa_0110_balance_inquiry", "", Answer{
		ResponseCode: "00", AuthCode: "B2C3D4",
		HasBalances: true, LedgerBalance: 250000, Available: 237655, BalanceCurrency: 840,
	}},
	{"mastercard_0110_partial_approval", "mastercard_0100_ecommerce", Answer{
		ResponseCode: "10", AuthCode: "C3D4E5",
		Partial: true, ApprovedAmount: 5000, RequestedAmount: 8000, RequestedCurrency: 840,
	}},
	{"mastercard_0810_signon", "mastercard_0800_signon", Answer{ResponseCode: "00"}},
}

var (
	validateOnce sync.Once
	validateErr  error
)

// Validate checks both specs (every field compiles to a layout the hot path
// knows) and round-trips the embedded golden vectors through both codecs:
// decode to exactly the vector's fields, encode the fields to the frame
// byte for byte, the hot path and moov agreeing on every request's
// canonical value, and each golden answer built byte for byte from its
// request by both. Call it at start-up; the result is computed once.
func Validate() error {
	validateOnce.Do(func() {
		sub, err := fs.Sub(embeddedVectors, "testdata/vectors")
		if err != nil {
			validateErr = err
			return
		}
		validateErr = validateVectors(sub)
	})
	return validateErr
}

func validateVectors(fsys fs.FS) error {
	if err := errors.Join(visaCodecErr, mastercardCodecErr); err != nil {
		return err
	}
	vs, err := loadVectors(fsys, ".")
	if err != nil {
		return err
	}
	byName := map[string]*vector{}
	for i := range vs {
		v := &vs[i]
		byName[v.name] = v
		if err := checkVector(v); err != nil {
			return fmt.Errorf("spec: vector %s: %w", v.name, err)
		}
	}
	for _, av := range answerVectors {
		ans, ok := byName[av.answer]
		if !ok {
			return fmt.Errorf("spec: vector %s missing", av.answer)
		}
		var reqFrame []byte
		if av.request == "" {
			if reqFrame, err = requestFromAnswer(ans); err != nil {
				return fmt.Errorf("spec: vector %s: request: %w", av.answer, err)
			}
		} else if req, ok := byName[av.request]; ok {
			reqFrame = req.frame
		} else {
			return fmt.Errorf("spec: vector %s missing", av.request)
		}
		if err := checkAnswer(ans, reqFrame, &av.decision); err != nil {
			return fmt.Errorf("spec: vector %s: %w", av.answer, err)
		}
	}
	return nil
}

// checkVector decodes a vector (moov, and the hot path for requests) and
// encodes its fields back to the frame.
func checkVector(v *vector) error {
	fr, consumed, err := v.network.NextFrame(v.frame, 0)
	if err != nil || fr.Kind != FrameMessage || consumed != len(v.frame) {
		return fmt.Errorf("frame: kind %d, consumed %d of %d: %v", fr.Kind, consumed, len(v.frame), err)
	}
	var hdr *VisaHeader
	if v.network == Visa {
		h, err := ParseVisaHeader(fr.Payload)
		if err != nil {
			return err
		}
		want := *v.header
		want.TotalLength = uint16(len(fr.Payload))
		if h != want {
			return fmt.Errorf("header %+v, want %+v", h, want)
		}
		hdr = &h
	}
	m, err := Unpack(v.network, fr.Payload)
	if err != nil {
		return fmt.Errorf("unpack: %w", err)
	}
	if mti, _ := m.GetMTI(); mti != v.mti {
		return fmt.Errorf("MTI %s, want %s", mti, v.mti)
	}
	got, err := vectorFields(v.network, m)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(got, v.fields) {
		for k := range v.fields {
			if !reflect.DeepEqual(got[k], v.fields[k]) {
				return fmt.Errorf("field %s decodes differently", k)
			}
		}
		return fmt.Errorf("decodes to fields the vector does not have")
	}
	built, err := vectorMessage(v)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	frame, err := PackFrame(v.network, built, hdr)
	if err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	if !bytes.Equal(frame, v.frame) {
		return fmt.Errorf("encodes to different bytes")
	}
	if _, _, isRequest := requestKind(v.mti); !isRequest {
		return nil
	}
	want, err := FromMessage(v.network, m)
	if err != nil {
		return fmt.Errorf("canonical (moov): %w", err)
	}
	var r Request
	if err := DecodeRequest(v.network, fr.Payload, &r); err != nil {
		return fmt.Errorf("canonical (hot path): %w", err)
	}
	if r.Authorization != want {
		return fmt.Errorf("hot path and moov map the request differently")
	}
	return nil
}

// checkAnswer builds an answer vector from its request and decision on both
// paths.
func checkAnswer(ans *vector, reqFrame []byte, d *Answer) error {
	n := ans.network
	fr, _, err := n.NextFrame(reqFrame, 0)
	if err != nil || fr.Kind != FrameMessage {
		return fmt.Errorf("request frame: %v", err)
	}
	var r Request
	if err := DecodeRequest(n, fr.Payload, &r); err != nil {
		return fmt.Errorf("decode request: %w", err)
	}
	fast, err := AppendAnswer(nil, &r, d)
	if err != nil {
		return fmt.Errorf("hot path answer: %w", err)
	}
	if !bytes.Equal(fast, ans.frame) {
		return fmt.Errorf("hot path answer differs from the vector")
	}
	req, err := Unpack(n, fr.Payload)
	if err != nil {
		return err
	}
	m, err := BuildAnswer(n, req, d)
	if err != nil {
		return fmt.Errorf("moov answer: %w", err)
	}
	var hdr *VisaHeader
	if n == Visa {
		h := r.Header.Answer()
		hdr = &h
	}
	slow, err := PackFrame(n, m, hdr)
	if err != nil {
		return err
	}
	if !bytes.Equal(slow, ans.frame) {
		return fmt.Errorf("moov answer differs from the vector")
	}
	return nil
}

// requestFromAnswer rebuilds the request an answer vector echoes: its
// fields less 38, 39 and 54, as the MTI less 10, header stations swapped.
func requestFromAnswer(ans *vector) ([]byte, error) {
	req := *ans
	req.mti = ans.mti[:2] + string(ans.mti[2]-1) + "0"
	req.fields = map[string]any{}
	for k, v := range ans.fields {
		if k != "38" && k != "39" && k != "54" {
			req.fields[k] = v
		}
	}
	m, err := vectorMessage(&req)
	if err != nil {
		return nil, err
	}
	var hdr *VisaHeader
	if ans.network == Visa {
		h := ans.header.Answer()
		hdr = &h
	}
	return PackFrame(ans.network, m, hdr)
}
