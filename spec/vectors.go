package spec

import (
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/moov-io/iso8583"
	"github.com/moov-io/iso8583/field"
)

// The golden vectors (shared/vectors, copied to testdata/vectors and
// embedded so that Validate can round-trip them at start-up). Their format
// is described in testdata/vectors/README.md.

//go:embed testdata/vectors/*.json
var embeddedVectors embed.FS

// vector is one golden message.
type vector struct {
	name    string
	network Network
	frame   []byte
	mti     string
	header  *VisaHeader
	fields  map[string]any // as in the file
}

type vectorFile struct {
	Network     string                     `json:"network"`
	Description string                     `json:"description"`
	FrameHex    string                     `json:"frame_hex"`
	MTI         string                     `json:"mti"`
	VisaHeader  map[string]string          `json:"visa_header"`
	Fields      map[string]json.RawMessage `json:"fields"`
}

// loadVectors reads every *.json vector in dir of fsys.
func loadVectors(fsys fs.FS, dir string) ([]vector, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no vectors in %s", dir)
	}
	slices.Sort(names)
	out := make([]vector, 0, len(names))
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		v, err := parseVector(strings.TrimSuffix(path.Base(name), ".json"), b)
		if err != nil {
			return nil, fmt.Errorf("vector %s: %w", name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseVector(name string, b []byte) (vector, error) {
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		return vector{}, err
	}
	v := vector{name: name, mti: f.MTI}
	switch f.Network {
	case "visa":
		v.network = Visa
	case "mastercard":
		v.network = Mastercard
	default:
		return v, fmt.Errorf("network %q", f.Network)
	}
	var err error
	if v.frame, err = hex.DecodeString(f.FrameHex); err != nil {
		return v, err
	}
	if v.network == Visa {
		if v.header, err = headerFromVector(f.VisaHeader); err != nil {
			return v, err
		}
	}
	v.fields = make(map[string]any, len(f.Fields))
	for k, raw := range f.Fields {
		var x any
		if err := json.Unmarshal(raw, &x); err != nil {
			return v, err
		}
		v.fields[k] = x
	}
	return v, nil
}

func headerFromVector(m map[string]string) (*VisaHeader, error) {
	h := &VisaHeader{Format: 0x01, TextFormat: 0x02}
	var err error
	if h.Destination, err = ParseStationID(m["destination_station"]); err != nil {
		return nil, err
	}
	if h.Source, err = ParseStationID(m["source_station"]); err != nil {
		return nil, err
	}
	for _, x := range []struct {
		key string
		dst []byte
	}{
		{"round_trip_control", []byte{0}}, {"base1_flags", h.BaseIFlags[:]},
		{"message_status_flags", h.MessageFlags[:]}, {"batch_number", []byte{0}},
		{"user_information", []byte{0}},
	} {
		b, err := hex.DecodeString(m[x.key])
		if err != nil || len(b) != len(x.dst) {
			return nil, fmt.Errorf("visa_header %s", x.key)
		}
		copy(x.dst, b)
		switch x.key {
		case "round_trip_control":
			h.RoundTrip = b[0]
		case "batch_number":
			h.Batch = b[0]
		case "user_information":
			h.UserInfo = b[0]
		}
	}
	return h, nil
}

// positionalParts names the parts of the positional fields as the vectors
// write them.
func positionalParts(n Network, id int) []part {
	switch {
	case id == 90:
		return field90Parts
	case id == 95:
		return field95Parts
	case n == Visa && id == 43:
		return visa43Parts
	case n == Visa && id == 44:
		return visa44Parts
	case n == Visa && id == 60:
		return visa60Parts
	case n == Mastercard && id == 43:
		return mc43Parts
	case n == Mastercard && id == 60:
		return mc60Parts
	case n == Mastercard && id == 61:
		return mc61Parts
	case n == Mastercard && id == 63:
		return mc63Parts
	}
	return nil
}

// joinParts joins named parts into a field's characters; unnamed parts are
// the separator space.
func joinParts(parts []part, values map[string]any) (string, error) {
	var b strings.Builder
	for _, p := range parts {
		if p.name == "" {
			b.WriteByte(' ')
			continue
		}
		v, ok := values[p.name]
		if !ok {
			break
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("part %s is not a string", p.name)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// splitParts is the inverse of joinParts.
func splitParts(parts []part, s string) map[string]any {
	out := make(map[string]any, len(parts))
	for i, p := range parts {
		if p.pos > len(s) {
			break
		}
		end := min(p.pos-1+p.width, len(s))
		if i == len(parts)-1 {
			end = len(s)
		}
		if p.name != "" {
			out[p.name] = s[p.pos-1 : end]
		}
	}
	return out
}

// vectorMessage builds a moov message from a vector's fields.
func vectorMessage(v *vector) (*iso8583.Message, error) {
	c, err := codecFor(v.network)
	if err != nil {
		return nil, err
	}
	m := iso8583.NewMessage(c.spec)
	m.MTI(v.mti)
	b := &messageBuilder{c: c, m: m}
	for key, val := range v.fields {
		id, err := strconv.Atoi(key)
		if err != nil {
			return nil, fmt.Errorf("field %q", key)
		}
		switch x := val.(type) {
		case string:
			if id == 52 {
				raw, err := hex.DecodeString(x)
				if err != nil {
					return nil, err
				}
				if err := m.BinaryField(52, raw); err != nil {
					return nil, err
				}
				continue
			}
			b.set(id, x)
		case []any: // 54: groups
			var s strings.Builder
			for _, g := range x {
				gm, _ := g.(map[string]any)
				t, err := joinParts(field54GroupParts, gm)
				if err != nil {
					return nil, err
				}
				s.WriteString(t)
			}
			b.set(id, s.String())
		case map[string]any:
			if parts := positionalParts(v.network, id); parts != nil {
				t, err := joinParts(parts, x)
				if err != nil {
					return nil, err
				}
				b.set(id, t)
				continue
			}
			for sub, sv := range x {
				s, _ := sv.(string)
				p := key + "." + sub
				if v.network == Mastercard && id == 48 {
					p = "48.2." + sub
					if sub == "tcc" {
						p = "48.1"
					}
				}
				b.path(p, s)
			}
		default:
			return nil, fmt.Errorf("field %s: unexpected %T", key, val)
		}
	}
	if b.err != nil {
		return nil, b.err
	}
	return m, nil
}

// vectorFields renders a decoded message the way the vectors write it.
func vectorFields(n Network, m *iso8583.Message) (map[string]any, error) {
	out := map[string]any{}
	for id, f := range m.GetFields() {
		if id < 2 {
			continue
		}
		key := strconv.Itoa(id)
		switch x := f.(type) {
		case *field.String:
			s := x.Value()
			switch {
			case id == 54:
				var groups []any
				for i := 0; i+20 <= len(s); i += 20 {
					groups = append(groups, splitParts(field54GroupParts, s[i:i+20]))
				}
				out[key] = groups
			case positionalParts(n, id) != nil:
				out[key] = splitParts(positionalParts(n, id), s)
			default:
				out[key] = s
			}
		case *field.Binary:
			out[key] = hex.EncodeToString(x.Value())
		case *field.Composite:
			s, err := compositeVectorValue(n, id, x)
			if err != nil {
				return nil, err
			}
			out[key] = s
		}
	}
	return out, nil
}

func compositeVectorValue(n Network, id int, x *field.Composite) (map[string]any, error) {
	subs := x.GetSubfields()
	if parts := positionalParts(n, id); parts != nil {
		var s strings.Builder
		keys := make([]int, 0, len(subs))
		for k := range subs {
			p, _ := strconv.Atoi(k)
			keys = append(keys, p)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, err := subs[strconv.Itoa(k)].String()
			if err != nil {
				return nil, scrubMoovError(err)
			}
			s.WriteString(v)
		}
		return splitParts(parts, s.String()), nil
	}
	out := map[string]any{}
	for k, sf := range subs {
		if n == Mastercard && id == 48 {
			if k == "1" {
				v, _ := sf.String()
				out["tcc"] = v
				continue
			}
			inner, ok := sf.(*field.Composite)
			if !ok {
				continue
			}
			for tag, se := range inner.GetSubfields() {
				v, _ := se.String()
				out[tag] = v
			}
			continue
		}
		v, err := sf.String()
		if err != nil {
			return nil, scrubMoovError(err)
		}
		out[k] = v
	}
	return out, nil
}
