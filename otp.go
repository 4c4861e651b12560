// Package otp implements HOTP (RFC 4226) and TOTP (RFC 6238) one-time
// passwords, with otpauth:// key URIs and QR codes for enrolling
// authenticator apps.
//
// # Enrolment
//
// [GenerateKey] makes a TOTP [Key] with a fresh random secret
// ([GenerateHOTPKey] a counter-based one). Show the user [Key.QR], and under
// it, for people who cannot scan, the secret as [FormatSecret] writes it for
// typing; store the secret on the server. Ask the user for a first code
// before switching two-factor authentication on.
//
// Secrets are raw bytes everywhere in this package ([HOTP.Secret],
// [TOTP.Secret], [Key.Secret]), never base32 text: [DecodeSecret] turns
// what people and key URIs write into bytes, [EncodeSecret] and
// [FormatSecret] turn bytes into text.
//
// # Verification
//
// [TOTP.Verify] accepts a code at most once: it returns the time step that
// matched, which the caller stores and passes back as last on the next call.
// On any error it returns last unchanged, so
//
//	last, err = t.Verify(code, time.Now(), last)
//
// is always safe to write. [HOTP.Verify] likewise returns the next counter.
// Codes are compared in constant time and the whole window is always
// computed, so timing tells nothing about which step matched.
//
// # Errors
//
// Each concern has one sentinel, for errors.Is, and at most one error type,
// for errors.As, that says where the problem is. Which concern an error
// belongs to depends on where the bad value came from: the person typing a
// code, the program's own settings, or text from outside.
//
//   - The code: [ErrInvalidCode] (wrong, or malformed) and [ErrReplayed]
//     (right, but its step was used). These are the user's; count them.
//   - The program's own values: [*ConfigError], for [ErrInvalidConfig],
//     names the field or argument: a field of [HOTP], [TOTP], [Key] (see
//     [Key.Validate]), [Guard] or [Policy], an argument such as
//     GenerateSecret's size or a time before the Epoch ("at"). They mean
//     a bug or a bad setting on the server, never the user's fault.
//   - A secret's text: [*SecretError], for [ErrInvalidSecret], from
//     [DecodeSecret]. A key URI's secret that is not base32, and a key
//     URI's or an export's secret shorter than 80 bits, are one too,
//     inside the [*URIError] or [*MigrationError] that says where.
//   - A key URI: [*URIError], for [ErrInvalidURI], names the part.
//   - A Google Authenticator export: [*MigrationError], for
//     [ErrInvalidMigration], names the entry; a key that [MigrationURIs]
//     cannot write also holds the key's [*ConfigError].
//   - A QR code: [ErrQRTooLong] when the text does not fit.
//   - A [Guard]'s refusals: [ErrThrottled] (a [*ThrottleError] with the
//     wait), [ErrLocked] and [ErrConflict]; a [*StoreError] wraps what the
//     [Store] returned.
//
// So an empty TOTP.Secret is a *ConfigError (the program's value) while
// DecodeSecret("") is a *SecretError (text from outside), and a key URI
// with digits=5 is a *URIError, not an ErrInvalidConfig: the URI came from
// outside. No error message ever contains a secret, a code or a whole key
// URI.
package otp

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// Algorithm is the hash function under HMAC.
type Algorithm int

const (
	SHA1   Algorithm = iota // the RFC default and the only one every app supports
	SHA256                  // RFC 6238 option; not supported by Google Authenticator
	SHA512                  // RFC 6238 option; not supported by Google Authenticator
)

// String returns "SHA1", "SHA256" or "SHA512", the spelling of key URIs.
func (a Algorithm) String() string {
	switch a {
	case SHA1:
		return "SHA1"
	case SHA256:
		return "SHA256"
	case SHA512:
		return "SHA512"
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// ParseAlgorithm parses "SHA1", "SHA256" or "SHA512", in any ASCII case and
// with an optional hyphen after "SHA" ("sha-256"). Nothing else is read as
// an algorithm: no Unicode case folding ("ſha256"), no hyphen elsewhere.
func ParseAlgorithm(s string) (Algorithm, error) {
	if len(s) > 3 && s[0]|0x20 == 's' && s[1]|0x20 == 'h' && s[2]|0x20 == 'a' {
		switch strings.TrimPrefix(s[3:], "-") {
		case "1":
			return SHA1, nil
		case "256":
			return SHA256, nil
		case "512":
			return SHA512, nil
		}
	}
	return 0, &ConfigError{Field: "Algorithm", Reason: "unsupported algorithm"}
}

// size returns the digest size in bytes, or 0 for an unknown Algorithm.
func (a Algorithm) size() int {
	switch a {
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case SHA512:
		return sha512.Size
	}
	return 0
}

// blockSize returns the hash block size in bytes, which HMAC pads the key to.
func (a Algorithm) blockSize() int {
	if a == SHA512 {
		return sha512.BlockSize
	}
	return sha1.BlockSize // SHA-1 and SHA-256 share 64
}

// sum hashes data into dst and returns the digest length.
func (a Algorithm) sum(dst *[sha512.Size]byte, data []byte) int {
	switch a {
	case SHA1:
		s := sha1.Sum(data)
		return copy(dst[:], s[:])
	case SHA256:
		s := sha256.Sum256(data)
		return copy(dst[:], s[:])
	default:
		s := sha512.Sum512(data)
		return copy(dst[:], s[:])
	}
}

// Errors that callers branch on with errors.Is.
var (
	// ErrInvalidCode means the code is malformed or matches no counter or
	// step in the window.
	ErrInvalidCode = errors.New("otp: invalid code")
	// ErrReplayed means the code matches, but at a step that was already
	// used (at or before last): RFC 6238 §5.2 accepts a code only once.
	ErrReplayed = errors.New("otp: code already used")
	// ErrInvalidConfig is wrapped by every [ConfigError]: a value the
	// program set cannot be used.
	ErrInvalidConfig = errors.New("otp: invalid configuration")
	// ErrInvalidSecret is wrapped by every [SecretError]: a secret's text
	// cannot be used.
	ErrInvalidSecret = errors.New("otp: invalid secret")
)

// MaxWindow caps TOTP.Skew and HOTP.LookAhead. Every extra step in the
// window adds 10^-Digits to the chance that a guessed code is accepted;
// a window of 100 on each side already makes that about 1 in 5,000 for six
// digits, so larger windows are refused as unsafe.
const MaxWindow = 100

// ConfigError reports a value the program set that cannot be used: a field
// of [HOTP], [TOTP], [Key], [Guard] or [Policy], or an argument. It never
// holds the secret.
type ConfigError struct {
	Field  string // the struct field, such as "Digits", or the argument, such as "at"
	Reason string
}

func (e *ConfigError) Error() string { return "otp: invalid " + e.Field + ": " + e.Reason }

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }

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
	if alg.size() == 0 {
		return params{}, &ConfigError{Field: "Algorithm", Reason: "unknown value " + strconv.Itoa(int(alg))}
	}
	if digits == 0 {
		digits = 6
	}
	if err := checkDigits(digits); err != nil {
		return params{}, err
	}
	return params{alg: alg, digits: digits}, nil
}

func checkDigits(digits int) error {
	if digits < 6 || digits > 10 {
		return &ConfigError{Field: "Digits", Reason: strconv.Itoa(digits) + " is outside 6..10"}
	}
	return nil
}

func checkWindow(field string, n int) error {
	if n < 0 {
		return &ConfigError{Field: field, Reason: "negative"}
	}
	if n > MaxWindow {
		return &ConfigError{Field: field, Reason: strconv.Itoa(n) + " is above MaxWindow (" + strconv.Itoa(MaxWindow) + ")"}
	}
	return nil
}

// mac is HMAC (RFC 2104) over one key, laid out so that each counter costs
// two hash calls on stack memory and no allocation: inner holds K^ipad
// followed by the 8-byte counter, outer holds K^opad followed by the inner
// digest.
type mac struct {
	alg   Algorithm
	bs    int
	inner [sha512.BlockSize + 8]byte
	outer [sha512.BlockSize + sha512.Size]byte
}

func (m *mac) init(alg Algorithm, key []byte) {
	m.alg = alg
	m.bs = alg.blockSize()
	var hashed [sha512.Size]byte
	if len(key) > m.bs {
		key = hashed[:alg.sum(&hashed, key)]
	}
	for i := range m.bs {
		var k byte
		if i < len(key) {
			k = key[i]
		}
		m.inner[i] = k ^ 0x36
		m.outer[i] = k ^ 0x5c
	}
}

// code returns the HOTP value (RFC 4226 §5.3) of counter, digits long,
// written as ASCII decimal into dst.
func (m *mac) code(dst *[10]byte, counter uint64, digits int) {
	binary.BigEndian.PutUint64(m.inner[m.bs:], counter)
	var sum [sha512.Size]byte
	n := m.alg.sum(&sum, m.inner[:m.bs+8])
	copy(m.outer[m.bs:], sum[:n])
	n = m.alg.sum(&sum, m.outer[:m.bs+n])
	formatCode(dst, truncate(sum[:n]), digits)
}

// generate returns the code of counter: the one allocation of Generate.
func generate(secret []byte, p params, counter uint64) string {
	var m mac
	m.init(p.alg, secret)
	var code [10]byte
	m.code(&code, counter, p.digits)
	return string(code[:p.digits])
}

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

// parseCode copies a code of exactly digits ASCII digits into dst, and
// refuses anything else before any HMAC work is done.
func parseCode(dst *[10]byte, code string, digits int) bool {
	if len(code) != digits {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c < '0' || c > '9' {
			return false
		}
		dst[i] = c
	}
	return true
}

// matchLast computes the code of each of the n counters from first on and
// reports the offset of the last one equal to want. It does the same work
// whichever counter matches, so its timing reveals nothing about the match.
func (m *mac) matchLast(want *[10]byte, digits int, first uint64, n int) (offset int, ok bool) {
	var got [10]byte
	found := 0
	for i := range n {
		m.code(&got, first+uint64(i), digits)
		eq := subtle.ConstantTimeCompare(got[:digits], want[:digits])
		found |= eq
		offset = subtle.ConstantTimeSelect(eq, i, offset)
	}
	return offset, found == 1
}
