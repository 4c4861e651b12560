package otp

import (
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"math"
	"strconv"
)

// HOTP generates and verifies counter-based one-time passwords (RFC 4226).
// The zero values of Algorithm, Digits and Format mean SHA1, 6 and decimal.
type HOTP struct {
	// Secret is the raw key, not its base32 text: decode what a key URI or
	// a person gives with [DecodeSecret] (or take [Key.HOTP] of
	// [ParseURI]'s key).
	Secret    []byte
	Algorithm Algorithm // SHA1 when zero
	// Digits is the code length: 6..10 for Decimal (DefaultDigits when
	// zero), 5 for Steam (when zero too).
	Digits int
	Format CodeFormat // Decimal when zero
	// LookAhead is how many counters after the expected one Verify also
	// accepts, to resynchronise with a token pressed without logging in
	// (RFC 4226 §7.4). At most MaxWindow.
	LookAhead int
}

// params are the checked settings shared by HOTP and TOTP.
type params struct {
	alg    Algorithm
	codec  *codec
	digits int
	mod    uint32 // the number of codes: the truncated value is kept modulo it
}

// checkParams applies the defaults (SHA1, decimal, the format's length)
// and rejects what cannot be used.
func checkParams(secret []byte, alg Algorithm, format CodeFormat, digits int) (params, error) {
	if len(secret) == 0 {
		return params{}, &ConfigError{Field: "Secret", Reason: "empty"}
	}
	if !alg.known() {
		return params{}, &ConfigError{Field: "Algorithm", Reason: "unknown value " + strconv.Itoa(int(alg))}
	}
	if err := checkFIPSOnly(secret, alg); err != nil {
		return params{}, err
	}
	if !format.known() {
		return params{}, &ConfigError{Field: "Format", Reason: "unknown value " + strconv.Itoa(int(format))}
	}
	c := &formats[format]
	digits = digitsOrDefault(format, digits)
	if err := checkDigits(c, digits); err != nil {
		return params{}, err
	}
	return params{alg: alg, codec: c, digits: digits, mod: c.mods[digits]}, nil
}

// MaxWindow caps HOTP.LookAhead, and each side of a TOTP window (Skew plus
// LookBehind, Skew plus LookAhead). Every extra step in the window adds
// 10^-Digits (26^-5 for Steam codes) to the chance that a guessed code is
// accepted; a window of 100 on each side already makes that about 1 in
// 5,000 for six digits, so larger windows are refused as unsafe.
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
func (h HOTP) check() (params, error) {
	return checkParams(h.Secret, h.Algorithm, h.Format, h.Digits)
}

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
// On any error Verify returns counter unchanged. A malformed code (the
// wrong length, or a character outside the format's: anything but ASCII
// digits for Decimal) fails with [ErrInvalidCode] before any HMAC work. The window never runs past counter 2^64-2, so the returned
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
	var code [maxDigits]byte
	p.codec.format(&code, m.value(counter, p.mod), p.digits)
	return string(code[:p.digits])
}

// match checks code against the n counters from first on and returns the
// offset of the latest that matches, or [ErrInvalidCode]. A malformed code
// costs no HMAC.
func (h HOTP) match(p params, code string, first uint64, n int) (offset int, err error) {
	want, ok := p.codec.parse(code, p.digits)
	if !ok {
		return 0, ErrInvalidCode
	}
	var m mac
	m.init(p.alg, h.Secret)
	if offset, ok = m.matchLast(want, p.mod, first, n); !ok {
		return 0, ErrInvalidCode
	}
	return offset, nil
}

// value returns the HOTP value of counter (RFC 4226 §5.3): the truncated
// MAC mod mod, which is 10^Digits for decimal codes.
func (m *mac) value(counter uint64, mod uint32) uint32 {
	var sum [sha512.Size]byte
	return truncate(sum[:m.sum(&sum, counter)]) % mod
}

// truncate is RFC 4226 §5.3 dynamic truncation: 31 bits read at the offset
// that the digest's last nibble names.
func truncate(digest []byte) uint32 {
	off := digest[len(digest)-1] & 0x0f
	return binary.BigEndian.Uint32(digest[off:]) & 0x7fffffff
}

// matchLast computes the value of each of the n counters from first on and
// reports the offset of the last one equal to want. It does the same work
// whichever counter matches, so its timing reveals nothing about the match.
func (m *mac) matchLast(want uint64, mod uint32, first uint64, n int) (offset int, ok bool) {
	// A value has 31 bits; want, up to 10 decimal digits, may have 34.
	wantHigh, wantLow := int32(want>>32), int32(uint32(want))
	found := 0
	for i := range n {
		got := m.value(first+uint64(i), mod)
		eq := subtle.ConstantTimeEq(wantHigh, 0) & subtle.ConstantTimeEq(wantLow, int32(got))
		found |= eq
		offset = subtle.ConstantTimeSelect(eq, i, offset)
	}
	return offset, found == 1
}
