package program

import (
	"bytes"
	"io"
	"sync"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"

	"github.com/authswitch/authswitch/spec"
)

// CEL holds values in interfaces, so handing it a string boxes (allocates)
// it. The strings rules compare most are drawn from small sets; these
// tables hold them boxed once.

var (
	valuesOnce sync.Once
	mccValues  [10000]ref.Val // "0000" … "9999"
	enumValues map[string]ref.Val
)

func initValues() {
	var all bytes.Buffer
	for i := 0; i < 10000; i++ {
		all.WriteByte(byte('0' + i/1000))
		all.WriteByte(byte('0' + i/100%10))
		all.WriteByte(byte('0' + i/10%10))
		all.WriteByte(byte('0' + i%10))
	}
	digits := all.String()
	for i := range mccValues {
		mccValues[i] = types.String(digits[4*i : 4*i+4])
	}
	enumValues = make(map[string]ref.Val)
	add := func(s string) { enumValues[s] = types.String(s) }
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			add(string([]rune{a, b})) // every alpha-2 country code
		}
	}
	for _, c := range spec.Currencies() {
		add(c.Alpha)
	}
	for n := spec.NetworkUnknown; n <= spec.Mastercard; n++ {
		add(n.String())
	}
	for t := spec.TxnUnsupported; t <= spec.TxnAccountVerification; t++ {
		add(t.String())
	}
	for e := spec.EntryUnknown; e <= spec.EntryEcommerce; e++ {
		add(e.String())
	}
	add("")
}

// mccValue returns a merchant category code as a CEL string.
func mccValue(mcc string) ref.Val {
	valuesOnce.Do(initValues)
	if len(mcc) == 4 {
		n := 0
		for i := 0; i < 4; i++ {
			c := mcc[i]
			if c < '0' || c > '9' {
				return types.String(mcc)
			}
			n = n*10 + int(c-'0')
		}
		return mccValues[n]
	}
	return types.String(mcc)
}

// enumerated returns s as a CEL string, boxed once when it is one of the
// enumerated values.
func enumerated(s string) ref.Val {
	valuesOnce.Do(initValues)
	if v, ok := enumValues[s]; ok {
		return v
	}
	return types.String(s)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
