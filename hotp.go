package otp

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"math"
	"strconv"
)

// HOTP generates and verifies counter-based one-time passwords (RFC 4226).
// The zero values of Algorithm and Digits mean SHA1 and 6.
type HOTP struct {
	// Secret is the raw key, not its base32 text: decode what a key URI or
	// a person gives with [DecodeSecret] (or take [Key.HOTP] of
	// [ParseURI]'s key).
	Secret    []byte
	Algorithm Algorithm // SHA1 when zero
	Digits    int       // DefaultDigits when zero; 6..10 allowed
	// LookAhead is how many counters after the expected one Verify also
	// accepts, to resynchronise with a token pressed without logging in
	// (RFC 4226 §7.4). At most MaxWindow.
	LookAhead int
}

// DefaultDigits is the code length when Digits is zero: RFC 4226's, and
// the only one every authenticator app shows.
const DefaultDigits = 6

// digitsOrDefault is the rule for a zero Digits.
func digitsOrDefault(digits int) int {
	if digits == 0 {
		return DefaultDigits
	}
	return digits
}

// checkDigits is the rule for the code length: RFC 4226 §5.3 asks for at
// least 6 digits, and its 31-bit value has at most 10.
func checkDigits(digits int) error {
	if digits < 6 || digits > 10 {
		return &ConfigError{Field: "Digits", Reason: strconv.Itoa(digits) + " is outside 6..10"}
	}
	return nil
}

// params are the checked settings shared by HOTP and TOTP.
type params struct {
	alg    Algorithm
	digits int
}

// checkParams applies the defaults (SHA1, 6 digits) and rejects what
// cannot be used.
func checkParams(secret []byte, alg Algorithm, digits int) (params, error) {
	if len(secret) == 0 {
		return params{}, &ConfigError{Field: "Secret", Reason: "empty"}
	}
	if !alg.known() {
		return params{}, &ConfigError{Field: "Algorithm", Reason: "unknown value " + strconv.Itoa(int(alg))}
	}
	if err := checkFIPSOnly(secret, alg); err != nil {
		return params{}, err
	}
	digits = digitsOrDefault(digits)
	if err := checkDigits(digits); err != nil {
		return params{}, err
	}
	return params{alg: alg, digits: digits}, nil
}

// MaxWindow caps HOTP.LookAhead, and each side of a TOTP window (Skew plus
// LookBehind, Skew plus LookAhead). Every extra step in the
// window adds 10^-Digits to the chance that a guessed code is accepted;
// a window of 100 on each side already makes that about 1 in 5,000 for six
// digits, so larger windows are refused as unsafe.
const MaxWindow = 100

// checkWindow is the rule for a window: not negative, at most MaxWindow.
func checkWindow(field string, n int) error {
	if n < 0 {
		return &ConfigError{Field: field, Reason: "negative"}
	}
	if n > MaxWindow {
		return &ConfigError{Field: field, Reason: strconv.Itoa(n) + " is above MaxWindow (" + strconv.Itoa(MaxWindow) + ")"}
	}
	return nil
}

// check applies h's defaults and refuses what cannot be used.
func (h HOTP) check() (params, error) { return checkParams(h.Secret, h.Algorithm, h.Digits) }

// Generate returns the code for counter.
func (h HOTP) Generate(counter uint64) (string, error) {
	p, err := h.check()
	if err != nil {
		return "", err
	}
	return h.code(p, counter), nil
}

// Verify checks code against the counters counter .. counter+LookAhead and
// returns the counter to expect next: the matched one plus one. Store it and
// pass it as counter next time. If the code occurs more than once in the
// window the latest match wins, which burns every counter up to it.
//
// On any error Verify returns counter unchanged. A malformed code (wrong
// length, anything but ASCII digits) fails with [ErrInvalidCode] before any
// HMAC work. The window never runs past counter 2^64-2, so the returned
// counter never wraps.
func (h HOTP) Verify(code string, counter uint64) (next uint64, err error) {
	p, err := h.check()
	if err != nil {
		return counter, err
	}
	if err := checkWindow("LookAhead", h.LookAhead); err != nil {
		return counter, err
	}
	if counter == math.MaxUint64 {
		return counter, ErrInvalidCode // its next would wrap
	}
	n := h.LookAhead + 1
	if room := math.MaxUint64 - 1 - counter; room < uint64(h.LookAhead) {
		n = int(room) + 1
	}
	offset, err := h.match(p, code, counter, n)
	if err != nil {
		return counter, err
	}
	return counter + uint64(offset) + 1, nil
}

// code returns the code of counter: the one allocation of Generate.
func (h HOTP) code(p params, counter uint64) string {
	var m mac
	m.init(p.alg, h.Secret)
	var code [10]byte
	formatCode(&code, m.value(counter, p.digits), p.digits)
	return string(code[:p.digits])
}

// match checks code against the n counters from first on and returns the
// offset of the latest that matches, or [ErrInvalidCode]. A malformed code
// costs no HMAC.
func (h HOTP) match(p params, code string, first uint64, n int) (offset int, err error) {
	want, ok := parseCode(code, p.digits)
	if !ok {
		return 0, ErrInvalidCode
	}
	var m mac
	m.init(p.alg, h.Secret)
	if offset, ok = m.matchLast(want, p.digits, first, n); !ok {
		return 0, ErrInvalidCode
	}
	return offset, nil
}

// value returns the HOTP value of counter (RFC 4226 §5.3): the truncated
// MAC mod 10^digits.
func (m *mac) value(counter uint64, digits int) uint32 {
	var sum [sha512.Size]byte
	v := truncate(sum[:m.sum(&sum, counter)])
	if digits < 10 { // 31 bits never reach 10^10
		v %= pow10[digits]
	}
	return v
}

var pow10 = [10]uint32{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// truncate is RFC 4226 §5.3 dynamic truncation: 31 bits read at the offset
// that the digest's last nibble names.
func truncate(digest []byte) uint32 {
	off := digest[len(digest)-1] & 0x0f
	return binary.BigEndian.Uint32(digest[off:]) & 0x7fffffff
}

// formatCode writes v mod 10^digits, zero-padded, into dst[:digits].
func formatCode(dst *[10]byte, v uint32, digits int) {
	for i := digits - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// parseCode reads a code of exactly digits ASCII digits, and refuses
// anything else before any HMAC work is done.
func parseCode(code string, digits int) (value uint64, ok bool) {
	if len(code) != digits {
		return 0, false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		value = value*10 + uint64(c-'0')
	}
	return value, true
}

// matchLast computes the value of each of the n counters from first on and
// reports the offset of the last one equal to want. It does the same work
// whichever counter matches, so its timing reveals nothing about the match.
func (m *mac) matchLast(want uint64, digits int, first uint64, n int) (offset int, ok bool) {
	// A value has 31 bits; want, up to 10 digits, may have 34.
	wantHigh, wantLow := int32(want>>32), int32(uint32(want))
	found := 0
	for i := range n {
		got := m.value(first+uint64(i), digits)
		eq := subtle.ConstantTimeEq(wantHigh, 0) & subtle.ConstantTimeEq(wantLow, int32(got))
		found |= eq
		offset = subtle.ConstantTimeSelect(eq, i, offset)
	}
	return offset, found == 1
}
