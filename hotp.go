package otp

import "math"

// HOTP generates and verifies counter-based one-time passwords (RFC 4226).
// The zero values of Algorithm and Digits mean SHA1 and 6.
type HOTP struct {
	// Secret is the raw key, not its base32 text: decode what a key URI or
	// a person gives with [DecodeSecret] (or take [Key.HOTP] of
	// [ParseURI]'s key).
	Secret    []byte
	Algorithm Algorithm // SHA1 when zero
	Digits    int       // 6 when zero; 6..10 allowed
	// LookAhead is how many counters after the expected one Verify also
	// accepts, to resynchronise with a token pressed without logging in
	// (RFC 4226 §7.4). At most MaxWindow.
	LookAhead int
}

// Generate returns the code for counter.
func (h HOTP) Generate(counter uint64) (string, error) {
	p, err := checkParams(h.Secret, h.Algorithm, h.Digits)
	if err != nil {
		return "", err
	}
	return generate(h.Secret, p, counter), nil
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
	p, err := checkParams(h.Secret, h.Algorithm, h.Digits)
	if err != nil {
		return counter, err
	}
	if err := checkWindow("LookAhead", h.LookAhead); err != nil {
		return counter, err
	}
	want, ok := parseCode(code, p.digits)
	if !ok || counter == math.MaxUint64 {
		return counter, ErrInvalidCode
	}
	n := h.LookAhead + 1
	if room := math.MaxUint64 - 1 - counter; room < uint64(h.LookAhead) {
		n = int(room) + 1
	}
	var m mac
	m.init(p.alg, h.Secret)
	offset, ok := m.matchLast(want, p.digits, counter, n)
	if !ok {
		return counter, ErrInvalidCode
	}
	return counter + uint64(offset) + 1, nil
}
