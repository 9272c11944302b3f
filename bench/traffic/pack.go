package traffic

import (
	"fmt"

	"github.com/authswitch/authswitch/spec"
)

// Station ids of the BASE I headers the simulator writes: requests go from
// VisaStation to IssuerStation.
var (
	IssuerStation = mustStation("000001")
	VisaStation   = mustStation("000002")
)

func mustStation(s string) spec.StationID {
	id, err := spec.ParseStationID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// RequestHeader is the BASE I header of a request from Visa.
func RequestHeader() spec.VisaHeader {
	return spec.VisaHeader{Format: 0x01, TextFormat: 0x02, Destination: IssuerStation, Source: VisaStation}
}

// Pack builds a's wire message through spec and frames it: length prefix,
// for Visa the BASE I header, the message.
func Pack(n spec.Network, a *spec.Authorization) ([]byte, error) {
	m, err := spec.BuildRequest(n, a)
	if err != nil {
		return nil, fmt.Errorf("traffic: build %s %s: %w", n, a.MTI, err)
	}
	var hdr *spec.VisaHeader
	if n == spec.Visa {
		h := RequestHeader()
		hdr = &h
	}
	frame, err := spec.PackFrame(n, m, hdr)
	if err != nil {
		return nil, fmt.Errorf("traffic: pack %s %s: %w", n, a.MTI, err)
	}
	return frame, nil
}

// Decoded returns a as the switch will see it: packed, then decoded by
// spec's hot path. The model predicts from this, so that it judges exactly
// what went on the wire.
func Decoded(n spec.Network, a *spec.Authorization) (spec.Authorization, []byte, error) {
	frame, err := Pack(n, a)
	if err != nil {
		return spec.Authorization{}, nil, err
	}
	f, _, err := n.NextFrame(frame, 0)
	if err != nil || f.Kind != spec.FrameMessage {
		return spec.Authorization{}, nil, fmt.Errorf("traffic: reframe %s %s: %v", n, a.MTI, err)
	}
	var r spec.Request
	if err := spec.DecodeRequest(n, f.Payload, &r); err != nil {
		return spec.Authorization{}, nil, fmt.Errorf("traffic: decode own %s %s: %w", n, a.MTI, err)
	}
	return r.Authorization, frame, nil
}
