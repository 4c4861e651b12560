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
	"crypto/fips140"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding"
	"encoding/binary"
	"errors"
	"hash"
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

// newHash is the constructor crypto/hmac takes.
func (a Algorithm) newHash() hash.Hash {
	switch a {
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	}
	return sha512.New()
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
	if err := checkFIPSOnly(secret, alg); err != nil {
		return params{}, err
	}
	if digits == 0 {
		digits = 6
	}
	if err := checkDigits(digits); err != nil {
		return params{}, err
	}
	return params{alg: alg, digits: digits}, nil
}

// checkFIPSOnly refuses, under GODEBUG=fips140=only, what crypto/hmac
// panics on there: SHA-1, and keys shorter than 112 bits.
// [crypto/fips140.WithoutEnforcement] lifts both, as it does for crypto/hmac.
func checkFIPSOnly(secret []byte, alg Algorithm) error {
	if !fips140.Enforced() {
		return nil
	}
	if alg == SHA1 {
		return &ConfigError{Field: "Algorithm", Reason: "SHA1 is not allowed in FIPS 140-only mode"}
	}
	if len(secret) < 112/8 {
		return &ConfigError{Field: "Secret", Reason: "shorter than 112 bits, which FIPS 140-only mode refuses"}
	}
	return nil
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

// mac is HMAC (RFC 2104, FIPS 198-1) of 8-byte counters under one key.
//
// It is not crypto/hmac because a code is one 8-byte message per key, where
// crypto/hmac's fixed costs dominate. Measured for SHA-1 by BenchmarkMACKey
// and BenchmarkMAC (2-core AMD EPYC VM, go1.26.8): crypto/hmac takes 256 ns
// and 6 allocations (544 B) to set up a key, then 142 ns a code; this takes
// 111 ns and no allocation, then 96 ns a code. A Skew 1 window of three
// codes costs 400 ns here against 680 ns (and the two sha1.Sum calls of the
// layout-free path below, 640 ns).
//
// As FIPS 198-1 §6 allows, the hash states after the K^ipad and K^opad
// blocks are computed once per key; each code then restores them, writes
// exactly one block padded here (FIPS 180-4 §5.1) and reads the chaining
// value back: two compressions, on the stack, no allocation.
//
// The chaining value is read out of the hash's marshaled state, whose layout
// is the hash packages' compatibility promise rather than their documented
// API: a self-test at package init ([stateLayoutHolds]) checks it against a
// layout-free path, which is used instead if they ever disagree. In FIPS
// 140-3 mode the validated module does the work, through crypto/hmac.
type mac struct {
	alg  Algorithm
	path macPath
	key  []byte // kept to rebuild on the layout-free path should a state not read back
	// inner and outer are where the inner and outer hash start: on
	// pathState their marshaled states after K^ipad and K^opad, of stateLen
	// bytes; on pathSum K^ipad and K^opad themselves.
	inner, outer [maxStateLen]byte
	stateLen     int
	// innerBlock and outerBlock are the final blocks of the inner and outer
	// hash on pathState, padded once: a code writes only the counter and the
	// inner digest into them.
	innerBlock, outerBlock [sha512.BlockSize]byte
	std                    *stdMAC // on pathStd
	// scratch receives each state read back, zeroed once per key, not
	// once per compression.
	scratch [maxStateLen]byte
}

// macPath is how a mac computes.
type macPath uint8

const (
	pathState macPath = iota // precomputed states, two compressions a code
	pathSum                  // layout-free: two Sum calls over K^pad || message
	pathStd                  // crypto/hmac, the validated module in FIPS 140-3 mode
)

// stateHeader is the length of the identifier that starts a marshaled
// SHA-1, SHA-256 or SHA-512 state, before the chaining value, big-endian.
const stateHeader = 4

// maxStateLen is the length of a marshaled SHA-512 state, the longest:
// header, chaining value, pending block, 64-bit length.
const maxStateLen = stateHeader + sha512.Size + sha512.BlockSize + 8

// fipsMode is fixed for the life of the process (crypto/fips140.Enabled).
var fipsMode = fips140.Enabled()

// stateLayoutHolds reports, for each Algorithm, that pathState computes the
// same MAC as pathSum with this toolchain, checked once at package init.
var stateLayoutHolds = checkStateLayout()

func checkStateLayout() (holds [SHA512 + 1]bool) {
	if fipsMode {
		return holds // pathStd only: leave the non-validated hashes alone
	}
	key := []byte("otp: self-test of the marshaled hash state layout")
	for alg := range SHA512 + 1 {
		var state, sum mac
		state.initPath(pathState, alg, key)
		sum.initPath(pathSum, alg, key)
		holds[alg] = state.path == pathState && statesAgree(&state, &sum, 0x0123456789abcdef)
	}
	return holds
}

// statesAgree reports that pathState m computes the same MAC of counter as
// pathSum ref, without m's fallback to the layout-free path.
func statesAgree(m, ref *mac, counter uint64) bool {
	var got, want [sha512.Size]byte
	n := ref.sumTwice(&want, counter)
	return m.stateSum(&got, counter) && got == want && n == m.alg.size()
}

// choosePath picks the fastest path that is sound for this process.
func choosePath(fips, layoutHolds bool) macPath {
	switch {
	case fips:
		return pathStd
	case layoutHolds:
		return pathState
	}
	return pathSum
}

func (m *mac) init(alg Algorithm, key []byte) {
	m.initPath(choosePath(fipsMode, stateLayoutHolds[alg]), alg, key)
}

func (m *mac) initPath(path macPath, alg Algorithm, key []byte) {
	m.alg, m.path, m.key = alg, path, key
	if path == pathStd {
		m.std = newStdMAC(alg, key)
		return
	}
	if path == pathState && m.precompute(key) {
		return
	}
	m.path = pathSum
	xorPads(alg, key, m.inner[:], m.outer[:])
}

// ipadBlock and opadBlock are RFC 2104's ipad and opad, a block long.
var ipadBlock, opadBlock = filledBlock(0x36), filledBlock(0x5c)

func filledBlock(b byte) (block [sha512.BlockSize]byte) {
	for i := range block {
		block[i] = b
	}
	return block
}

// xorPads writes K^ipad and K^opad (RFC 2104 §2), a block each, into ipad
// and opad.
func xorPads(alg Algorithm, key, ipad, opad []byte) {
	bs := alg.blockSize()
	var k [sha512.BlockSize]byte
	if len(key) > bs {
		alg.sum((*[sha512.Size]byte)(k[:]), key)
	} else {
		copy(k[:], key)
	}
	subtle.XORBytes(ipad[:bs], k[:bs], ipadBlock[:bs])
	subtle.XORBytes(opad[:bs], k[:bs], opadBlock[:bs])
}

// precompute sets inner and outer to the hash states after K^ipad and
// K^opad, and pads the final blocks: the counter after K^ipad, the inner
// digest after K^opad.
func (m *mac) precompute(key []byte) bool {
	bs, size := m.alg.blockSize(), m.alg.size()
	var ipad, opad [sha512.BlockSize]byte
	xorPads(m.alg, key, ipad[:], opad[:])
	in, okIn := compress(m.alg, m.inner[:0], nil, ipad[:bs])
	out, okOut := compress(m.alg, m.outer[:0], nil, opad[:bs])
	if !okIn || !okOut || len(in) != len(out) || len(in) > maxStateLen || len(in) < stateHeader+size {
		return false
	}
	m.stateLen = len(in)
	padFinalBlock(m.innerBlock[:bs], 8)
	padFinalBlock(m.outerBlock[:bs], size)
	return true
}

// padFinalBlock pads a message of one block and then n bytes, which
// block[:n] will hold, so that it ends in block (FIPS 180-4 §5.1.1, §5.1.2):
// a 1 bit, zeros, and the message length in bits, big-endian, in the last
// 8 bytes (SHA-512's 128-bit length field has its high half zero).
func padFinalBlock(block []byte, n int) {
	clear(block)
	block[n] = 0x80
	binary.BigEndian.PutUint64(block[len(block)-8:], uint64(len(block)+n)*8)
}

// sum writes the HMAC of the big-endian counter into dst and returns its
// length.
func (m *mac) sum(dst *[sha512.Size]byte, counter uint64) int {
	if m.path == pathState {
		if m.stateSum(dst, counter) {
			return m.alg.size()
		}
		m.initPath(pathSum, m.alg, m.key)
	}
	if m.path == pathStd {
		return m.std.sum(dst, counter)
	}
	return m.sumTwice(dst, counter)
}

// stateSum is two compressions: the counter's block onto the inner state,
// the inner digest's block onto the outer state.
func (m *mac) stateSum(dst *[sha512.Size]byte, counter uint64) bool {
	bs, size := m.alg.blockSize(), m.alg.size()
	binary.BigEndian.PutUint64(m.innerBlock[:], counter)
	return m.chain(m.outerBlock[:size], m.inner[:m.stateLen], m.innerBlock[:bs]) &&
		m.chain(dst[:size], m.outer[:m.stateLen], m.outerBlock[:bs])
}

// chain continues the hash at state over block and copies the chaining
// value after it into cv.
func (m *mac) chain(cv, state, block []byte) bool {
	after, ok := compress(m.alg, m.scratch[:0], state, block)
	if !ok || len(after) != len(state) {
		return false
	}
	copy(cv, after[stateHeader:])
	return true
}

// sumTwice is the layout-free path: one Sum over K^ipad || counter, one
// over K^opad || inner digest.
func (m *mac) sumTwice(dst *[sha512.Size]byte, counter uint64) int {
	bs := m.alg.blockSize()
	var msg [sha512.BlockSize + sha512.Size]byte
	copy(msg[:], m.inner[:bs])
	binary.BigEndian.PutUint64(msg[bs:], counter)
	n := m.alg.sum(dst, msg[:bs+8])
	copy(msg[:], m.outer[:bs])
	copy(msg[bs:], dst[:n])
	return m.alg.sum(dst, msg[:bs+n])
}

// compress continues the hash whose marshaled state is state (the initial
// state when empty) over block, whole blocks only, and appends the state
// after it to dst.
func compress(alg Algorithm, dst, state, block []byte) ([]byte, bool) {
	switch alg {
	case SHA1:
		return compressSHA1(dst, state, block)
	case SHA256:
		return compressSHA256(dst, state, block)
	}
	return compressSHA512(dst, state, block)
}

// compressSHA1, compressSHA256 and compressSHA512 are one function written
// three times: each names its New, so that the compiler devirtualizes the
// calls and keeps the digest on the stack.

func compressSHA1(dst, state, block []byte) ([]byte, bool) {
	h := sha1.New()
	u, uok := h.(encoding.BinaryUnmarshaler)
	a, aok := h.(encoding.BinaryAppender)
	if !uok || !aok || len(state) > 0 && u.UnmarshalBinary(state) != nil {
		return dst, false
	}
	h.Write(block)
	after, err := a.AppendBinary(dst)
	return after, err == nil
}

func compressSHA256(dst, state, block []byte) ([]byte, bool) {
	h := sha256.New()
	u, uok := h.(encoding.BinaryUnmarshaler)
	a, aok := h.(encoding.BinaryAppender)
	if !uok || !aok || len(state) > 0 && u.UnmarshalBinary(state) != nil {
		return dst, false
	}
	h.Write(block)
	after, err := a.AppendBinary(dst)
	return after, err == nil
}

func compressSHA512(dst, state, block []byte) ([]byte, bool) {
	h := sha512.New()
	u, uok := h.(encoding.BinaryUnmarshaler)
	a, aok := h.(encoding.BinaryAppender)
	if !uok || !aok || len(state) > 0 && u.UnmarshalBinary(state) != nil {
		return dst, false
	}
	h.Write(block)
	after, err := a.AppendBinary(dst)
	return after, err == nil
}

// stdMAC is crypto/hmac, kept apart from mac so that handing its buffers
// to interface methods moves only it to the heap, not every mac.
type stdMAC struct {
	h   hash.Hash
	msg [8]byte
	out [sha512.Size]byte
}

func newStdMAC(alg Algorithm, key []byte) *stdMAC {
	return &stdMAC{h: hmac.New(alg.newHash, key)}
}

func (s *stdMAC) sum(dst *[sha512.Size]byte, counter uint64) int {
	binary.BigEndian.PutUint64(s.msg[:], counter)
	s.h.Reset()
	s.h.Write(s.msg[:])
	return copy(dst[:], s.h.Sum(s.out[:0]))
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

// generate returns the code of counter: the one allocation of Generate.
func generate(secret []byte, p params, counter uint64) string {
	var m mac
	m.init(p.alg, secret)
	var code [10]byte
	formatCode(&code, m.value(counter, p.digits), p.digits)
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
