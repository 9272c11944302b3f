package load

// The few encodings the patcher writes. They cover only what varies per
// request (digits, upper-case letters and space, track 2), and a test proves
// the frames they produce decode, through spec, to the values written.

// putBCD writes digits as packed BCD into dst, left-padding an odd count
// with a zero nibble. dst must be (len(digits)+1)/2 long.
func putBCD(dst []byte, digits []byte) {
	i, j := 0, 0
	if len(digits)%2 == 1 {
		dst[0] = digits[0] - '0'
		i, j = 1, 1
	}
	for ; i < len(digits); i, j = i+2, j+1 {
		dst[j] = (digits[i]-'0')<<4 | (digits[i+1] - '0')
	}
}

// putTrack2Nibbles packs Visa track 2 characters ('0'–'9', '=' as nibble
// D), left-padding an odd count with a zero nibble.
func putTrack2Nibbles(dst []byte, s []byte) {
	nib := func(c byte) byte {
		if c == '=' {
			return 0xD
		}
		return c - '0'
	}
	i, j := 0, 0
	if len(s)%2 == 1 {
		dst[0] = nib(s[0])
		i, j = 1, 1
	}
	for ; i < len(s); i, j = i+2, j+1 {
		dst[j] = nib(s[i])<<4 | nib(s[i+1])
	}
}

// putEBCDIC writes digits, upper-case letters, space and '=' in EBCDIC
// code page 037.
func putEBCDIC(dst []byte, s []byte) {
	for i, c := range s {
		dst[i] = ebcdic[c]
	}
}

var ebcdic = func() (t [256]byte) {
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(0xF0 + c - '0')
	}
	for c := 'A'; c <= 'I'; c++ {
		t[c] = byte(0xC1 + c - 'A')
	}
	for c := 'J'; c <= 'R'; c++ {
		t[c] = byte(0xD1 + c - 'J')
	}
	for c := 'S'; c <= 'Z'; c++ {
		t[c] = byte(0xE2 + c - 'S')
	}
	t[' '] = 0x40
	t['='] = 0x7E
	return t
}()

// putDecimal writes v as exactly len(dst) ASCII digits, zero-filled on the
// left (higher digits are dropped).
func putDecimal(dst []byte, v uint64) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// putBase36 writes v as exactly len(dst) upper-case base-36 characters.
func putBase36(dst []byte, v uint64) {
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = digits[v%36]
		v /= 36
	}
}
