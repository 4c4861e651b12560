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
// [TOTP.Verify] and [HOTP.Verify] take and return one kind of value: the
// lowest time step or counter that may still be accepted, which the caller
// stores per account and passes back as next on the following call. A
// match before next is [ErrReplayed], so each code is accepted once. On
// any error Verify returns next unchanged, so
//
//	next, err = t.Verify(code, time.Now(), next)
//
// is always safe to write. Codes are compared in constant time and the
// whole window is always computed, so timing tells nothing about which
// step matched.
//
// # Deployment
//
// A service should verify through package [github.com/otpkit/otp/guard]
// rather than call Verify itself: its Guard keeps each account's next step
// and failed attempts in a Store that every server shares (SQL databases,
// Redis, or memory in one process), so that a code is accepted once across
// all of them (RFC 6238 §5.2), guessing is slowed and then locked out per
// account (RFC 4226 §7.3, NIST SP 800-63B §5.2.2), and each account's
// clock drift is followed. It also keeps recovery codes, and throttles
// passwords and other factors the same way.
//
// # Steam Guard codes
//
// Steam accounts use codes of their own, five characters such as "FR8RV"
// made from the same HMAC and truncation. [TOTP] and [HOTP] make and
// check them with Format set to [Steam], with every guarantee above, the
// letters read in either case. [ParseURI] reads a Steam account's key URI
// as a [Key] of that format, which [Key.TOTP] carries.
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
//     names the field or argument: a field of [HOTP], [TOTP] or [Key] (see
//     [Key.Validate]), an argument such as
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
	"errors"
	"hash"
	"strconv"
)

// Algorithm is the hash function under HMAC.
type Algorithm int

const (
	SHA1   Algorithm = iota // the RFC default and the only one every app supports
	SHA256                  // RFC 6238 option; not supported by Google Authenticator
	SHA512                  // RFC 6238 option; not supported by Google Authenticator
)

// hashes holds what the package knows of each Algorithm, in one place.
// Hashing itself goes through [Algorithm.sum] and [compress], whose switches
// call each hash by name: a call through a function value here would move
// the digests to the heap.
var hashes = [...]struct {
	name            string // as key URIs spell it
	size, blockSize int    // bytes: the digest, and the block HMAC pads the key to
	newHash         func() hash.Hash
}{
	SHA1:   {"SHA1", sha1.Size, sha1.BlockSize, sha1.New},
	SHA256: {"SHA256", sha256.Size, sha256.BlockSize, sha256.New},
	SHA512: {"SHA512", sha512.Size, sha512.BlockSize, sha512.New},
}

// known reports whether a is one of the Algorithm constants.
func (a Algorithm) known() bool { return a >= 0 && int(a) < len(hashes) }

// String returns "SHA1", "SHA256" or "SHA512", the spelling of key URIs.
func (a Algorithm) String() string {
	if a.known() {
		return hashes[a].name
	}
	return "Algorithm(" + strconv.Itoa(int(a)) + ")"
}

// ParseAlgorithm parses "SHA1", "SHA256" or "SHA512", in any ASCII case and
// with an optional hyphen after "SHA" ("sha-256"). Nothing else is read as
// an algorithm: no Unicode case folding ("ſha256"), no hyphen elsewhere.
func ParseAlgorithm(s string) (Algorithm, error) {
	if len(s) > 3 && s[0]|0x20 == 's' && s[1]|0x20 == 'h' && s[2]|0x20 == 'a' {
		digits := s[3:]
		if digits[0] == '-' {
			digits = digits[1:]
		}
		for a := range Algorithm(len(hashes)) {
			if digits == hashes[a].name[3:] {
				return a, nil
			}
		}
	}
	return 0, &ConfigError{Field: "Algorithm", Reason: "unsupported algorithm"}
}

// size returns the digest size in bytes, or 0 for an unknown Algorithm.
func (a Algorithm) size() int {
	if !a.known() {
		return 0
	}
	return hashes[a].size
}

// blockSize returns the hash block size in bytes, which HMAC pads the key
// to. a must be known.
func (a Algorithm) blockSize() int { return hashes[a].blockSize }

// newHash is the constructor crypto/hmac takes. a must be known.
func (a Algorithm) newHash() hash.Hash { return hashes[a].newHash() }

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
	// ErrReplayed means the code matches, but at a counter or step that
	// was already used (below next): RFC 6238 §5.2 accepts a code only once.
	ErrReplayed = errors.New("otp: code already used")
	// ErrInvalidConfig is wrapped by every [ConfigError]: a value the
	// program set cannot be used.
	ErrInvalidConfig = errors.New("otp: invalid configuration")
)

// ConfigError reports a value the program set that cannot be used: a field
// of [HOTP], [TOTP] or [Key], or an argument. It never holds the secret.
type ConfigError struct {
	Field  string // the struct field, such as "Digits", or the argument, such as "at"
	Reason string
}

func (e *ConfigError) Error() string { return "otp: invalid " + e.Field + ": " + e.Reason }

// Unwrap returns [ErrInvalidConfig].
func (e *ConfigError) Unwrap() error { return ErrInvalidConfig }
