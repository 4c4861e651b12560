package otp

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"strconv"
	"strings"
)

// DefaultSecretSize is the secret length GenerateSecret uses for 0: 160
// bits, the HMAC-SHA-1 output size RFC 4226 recommends.
const DefaultSecretSize = 20

// MaxSecretSize caps GenerateSecret; no authenticator app takes more.
const MaxSecretSize = 1024

// GenerateSecret returns size random bytes from crypto/rand. A size of 0
// means [DefaultSecretSize]; fewer than 16 bytes (128 bits, RFC 4226 R6) or
// more than [MaxSecretSize] is a [*ConfigError] for "size".
func GenerateSecret(size int) ([]byte, error) {
	if size == 0 {
		size = DefaultSecretSize
	}
	if size < 16 || size > MaxSecretSize {
		return nil, &ConfigError{Field: "size", Reason: strconv.Itoa(size) + " is outside 16.." + strconv.Itoa(MaxSecretSize) + " bytes"}
	}
	secret := make([]byte, size)
	rand.Read(secret) // never fails (Go 1.24 on): it crashes the program rather than return weak bytes
	return secret, nil
}

var rawBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeSecret returns secret in RFC 4648 base32, upper case, without
// padding: the form of key URIs and of secrets typed in by hand.
func EncodeSecret(secret []byte) string {
	return rawBase32.EncodeToString(secret)
}

// FormatSecret returns secret in base32 in groups of four characters
// ("GEZD GNBV GY3T ..."), for people to read and type when they cannot scan
// a QR code. DecodeSecret reads it back.
func FormatSecret(secret []byte) string {
	s := EncodeSecret(secret)
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// ErrInvalidSecret is wrapped by every [SecretError]: a secret's text cannot
// be used.
var ErrInvalidSecret = errors.New("otp: invalid secret")

// SecretError reports a secret's text that cannot be used: not base32
// ([DecodeSecret]), or, in a key URI or export, too short to enrol. It
// never holds the secret or any character of it.
type SecretError struct {
	Reason string
}

func (e *SecretError) Error() string { return "otp: invalid secret: " + e.Reason }

// Unwrap returns [ErrInvalidSecret].
func (e *SecretError) Unwrap() error { return ErrInvalidSecret }

// base32Value maps a byte to its 5-bit value, in upper or lower case.
// skipChar marks the characters people add for readability; badChar all else.
const (
	skipChar = 0xfe
	badChar  = 0xff
)

var base32Value = func() (t [256]byte) {
	for i := range t {
		t[i] = badChar
	}
	for i, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" {
		t[c] = byte(i)
		t[c|0x20] = byte(i) // lower case; digits map to themselves
	}
	t[' '], t['-'] = skipChar, skipChar
	return t
}()

// DecodeSecret decodes a base32 secret (RFC 4648) the way people and
// issuers write it: upper or lower case, with or without '=' padding, with
// spaces or hyphens between groups. It refuses every other character and
// lengths that no byte string encodes to, and never echoes the input.
func DecodeSecret(s string) ([]byte, error) {
	end := len(s)
	for end > 0 && (s[end-1] == '=' || s[end-1] == ' ') {
		end--
	}
	out := make([]byte, 0, end*5/8)
	var acc uint64
	bits, n := 0, 0
	for i := 0; i < end; i++ {
		v := base32Value[s[i]]
		switch v {
		case skipChar:
			continue
		case badChar:
			return nil, &SecretError{Reason: "character " + strconv.Itoa(i+1) + " is not base32"}
		}
		acc = acc<<5 | uint64(v)
		bits += 5
		n++
		if bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	switch n % 8 {
	case 1, 3, 6:
		return nil, &SecretError{Reason: "length is not possible in base32"}
	}
	if len(out) == 0 {
		return nil, &SecretError{Reason: "empty"}
	}
	return out, nil
}
