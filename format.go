package otp

import "strconv"

// CodeFormat is how a code writes the 31-bit value that RFC 4226 §5.3
// truncates the HMAC to. Every format keeps that value modulo the number
// of codes it has, so formats differ only in their characters and length.
type CodeFormat int

const (
	// Decimal is RFC 4226's format: Digits decimal digits (DefaultDigits
	// when zero), the value mod 10^Digits. The zero value, and every app's.
	Decimal CodeFormat = iota
	// Steam is Steam Guard's format: 5 characters of
	// "23456789BCDFGHJKMNPQRTVWXY", the value mod 26^5 written in base 26,
	// least significant character first. Digits must be 0 or 5. Verify
	// reads the letters in either case.
	Steam
)

// maxDigits is the longest code of any format: 10 decimal digits, as many
// as a 31-bit value has.
const maxDigits = 10

// codec is what the package knows of a CodeFormat: its characters, their
// order, and the lengths it allows.
type codec struct {
	name string // as String spells it
	// encoder is the value of a key URI's encoder parameter that means
	// this format; none for Decimal, the default.
	encoder  string
	alphabet string // each character is worth its index: the base is len(alphabet)
	// leastFirst puts the least significant character first; decimal
	// writes the most significant first.
	leastFirst bool
	// digits is the length when Digits is zero; minDigits..maxDigits are
	// the lengths allowed.
	digits, minDigits, maxDigits int
	// values maps each byte of a code to its value plus one, both cases of
	// a letter alike; 0 is a byte outside the alphabet.
	values [256]uint8
	// mods[n] is the number of codes of n characters, the modulus of the
	// truncated value, for each length n the format allows, and 0 for the
	// others: the length rule is one lookup. It is capped at 2^31, above
	// every 31-bit value, so that a 10-digit code keeps the whole value.
	mods [maxDigits + 1]uint32
}

const decimalDigits = "0123456789"

// formats holds the facts of each CodeFormat, in one place.
var formats = [...]codec{
	// RFC 4226 §5.3 asks for at least 6 digits, and a 31-bit value has at
	// most 10.
	Decimal: newCodec("Decimal", "", decimalDigits, false, DefaultDigits, DefaultDigits, maxDigits),
	// As the Steam mobile app shows them: five characters of 26, without
	// vowels and without 0, 1, L, S and Z.
	Steam: newCodec("Steam", "steam", "23456789BCDFGHJKMNPQRTVWXY", true, 5, 5, 5),
}

func newCodec(name, encoder, alphabet string, leastFirst bool, digits, minDigits, maxDigits int) codec {
	c := codec{name: name, encoder: encoder, alphabet: alphabet, leastFirst: leastFirst,
		digits: digits, minDigits: minDigits, maxDigits: maxDigits}
	for i := 0; i < len(alphabet); i++ {
		ch := alphabet[i]
		c.values[ch] = uint8(i + 1)
		if 'A' <= ch && ch <= 'Z' {
			c.values[ch+'a'-'A'] = uint8(i + 1)
		}
	}
	n := uint64(1)
	for length := range c.mods {
		if minDigits <= length && length <= maxDigits {
			c.mods[length] = uint32(min(n, 1<<31))
		}
		n = min(n*uint64(len(alphabet)), 1<<31)
	}
	return c
}

// known reports whether f is one of the CodeFormat constants.
func (f CodeFormat) known() bool { return f >= 0 && int(f) < len(formats) }

// String returns "Decimal" or "Steam".
func (f CodeFormat) String() string {
	if f.known() {
		return formats[f].name
	}
	return "CodeFormat(" + strconv.Itoa(int(f)) + ")"
}

// encoderName is the value of the encoder parameter that a key URI of f
// carries: none for Decimal, and for a format the package does not know,
// one that ParseURI refuses.
func (f CodeFormat) encoderName() string {
	if f.known() {
		return formats[f].encoder
	}
	return f.String()
}

// formatOfEncoder returns the format that a key URI's encoder parameter
// names, in any ASCII case.
func formatOfEncoder(name string) (CodeFormat, bool) {
	for f := range CodeFormat(len(formats)) {
		if enc := formats[f].encoder; enc != "" && equalFoldASCII(name, enc) {
			return f, true
		}
	}
	return 0, false
}

// equalFoldASCII reports whether s is lower, a lower-case word, in any
// ASCII case. Unlike strings.EqualFold it folds no other letter: "ſteam"
// (a long s) is not "steam".
func equalFoldASCII(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// DefaultDigits is the code length when Digits is zero: RFC 4226's, and
// the only one every authenticator app shows. (Steam codes have 5.)
const DefaultDigits = 6

// digitsOrDefault is the rule for a zero Digits: the format's own length.
func digitsOrDefault(f CodeFormat, digits int) int {
	if digits == 0 && f.known() {
		return formats[f].digits
	}
	return digits
}

// checkDigits is the rule for the code length of format c.
func checkDigits(c *codec, digits int) error {
	if uint(digits) < uint(len(c.mods)) && c.mods[digits] != 0 {
		return nil
	}
	if c.minDigits == c.maxDigits {
		return &ConfigError{Field: "Digits", Reason: strconv.Itoa(digits) + " is not " + c.lengths()}
	}
	return &ConfigError{Field: "Digits", Reason: strconv.Itoa(digits) + " is outside " + c.lengths()}
}

// lengths says which code lengths c allows, for error messages.
func (c *codec) lengths() string {
	if c.minDigits == c.maxDigits {
		return strconv.Itoa(c.minDigits) + ", the length of " + c.name + " codes"
	}
	return strconv.Itoa(c.minDigits) + ".." + strconv.Itoa(c.maxDigits)
}

// format writes the code of v, a value below c.mods[n], as n characters
// into dst[:n].
func (c *codec) format(dst *[maxDigits]byte, v uint32, n int) {
	if c.alphabet == decimalDigits {
		// By the constant 10, which compiles to a multiply: a division by
		// len(c.alphabet) costs Generate 5 ns more.
		for i := n - 1; i >= 0; i-- {
			dst[i] = byte('0' + v%10)
			v /= 10
		}
		return
	}
	base := uint32(len(c.alphabet))
	for i := range n {
		pos := n - 1 - i
		if c.leastFirst {
			pos = i
		}
		dst[pos] = c.alphabet[v%base]
		v /= base
	}
}

// parse reads a code of exactly n characters of c's alphabet, letters in
// either case, and refuses anything else before any HMAC work is done. Its
// value is below c.mods[n] unless n is 10 decimal digits, which can reach
// 34 bits.
func (c *codec) parse(code string, n int) (value uint64, ok bool) {
	if len(code) != n {
		return 0, false
	}
	base := uint64(len(c.alphabet))
	for i := range n {
		pos := i
		if c.leastFirst {
			pos = n - 1 - i
		}
		d := c.values[code[pos]]
		if d == 0 {
			return 0, false
		}
		value = value*base + uint64(d-1)
	}
	return value, true
}
