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
	"hash"
)

// mac is HMAC (RFC 2104, FIPS 198-1) of 8-byte counters under one key.
//
// It has two paths, and only two. The fast path (pathState) exists because
// a code is one 8-byte message per key, where crypto/hmac's fixed costs
// dominate: measured for SHA-1 by BenchmarkMACKey and BenchmarkMAC (2-core
// AMD EPYC VM, go1.26.8), crypto/hmac takes 256 ns and 6 allocations
// (544 B) to set up a key, then 142 ns a code; the fast path takes 111 ns
// and no allocation, then 96 ns a code. Everything else is crypto/hmac
// itself (pathStd).
//
// As FIPS 198-1 §6 allows, the fast path computes the hash states after the
// K^ipad and K^opad blocks once per key; each code then restores them,
// writes exactly one block padded here (FIPS 180-4 §5.1) and reads the
// chaining value back: two compressions, on the stack, no allocation.
//
// The chaining value is read out of the hash's marshaled state, whose layout
// is the hash packages' compatibility promise rather than their documented
// API: a self-test at package init ([stateLayoutHolds]) checks the fast
// path against crypto/hmac for each Algorithm, and crypto/hmac is used
// instead wherever they disagree, or a state ever fails to restore. In
// FIPS 140-3 mode the validated module does the work, through crypto/hmac.
type mac struct {
	alg  Algorithm
	path macPath
	key  []byte // kept to fall back to crypto/hmac should a state not read back
	// inner and outer are the marshaled hash states after K^ipad and
	// K^opad, of stateLen bytes.
	inner, outer [maxStateLen]byte
	stateLen     int
	// innerBlock and outerBlock are the final blocks of the inner and outer
	// hash, padded once: a code writes only the counter and the inner
	// digest into them.
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
	pathStd                  // crypto/hmac
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
// same MAC as crypto/hmac with this toolchain, checked once at package init.
var stateLayoutHolds = checkStateLayout()

func checkStateLayout() (holds [SHA512 + 1]bool) {
	if fipsMode {
		return holds // pathStd only: leave the non-validated hashes alone
	}
	key := []byte("otp: self-test of the marshaled hash state layout")
	for alg := range SHA512 + 1 {
		var state mac
		state.initPath(pathState, alg, key)
		holds[alg] = state.path == pathState && agreesWithHMAC(&state, newStdMAC(alg, key), 0x0123456789abcdef)
	}
	return holds
}

// agreesWithHMAC reports that pathState m computes the same MAC of counter
// as crypto/hmac, without m's fallback.
func agreesWithHMAC(m *mac, ref *stdMAC, counter uint64) bool {
	var got, want [sha512.Size]byte
	n := ref.sum(&want, counter)
	return m.stateSum(&got, counter) && got == want && n == m.alg.size()
}

// choosePath picks the fastest path that is sound for this process.
func choosePath(fips, layoutHolds bool) macPath {
	if fips || !layoutHolds {
		return pathStd
	}
	return pathState
}

func (m *mac) init(alg Algorithm, key []byte) {
	m.initPath(choosePath(fipsMode, stateLayoutHolds[alg]), alg, key)
}

func (m *mac) initPath(path macPath, alg Algorithm, key []byte) {
	m.alg, m.path, m.key = alg, path, key
	if path == pathState && m.precompute(key) {
		return
	}
	m.path = pathStd
	m.std = newStdMAC(alg, key)
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
		m.initPath(pathStd, m.alg, m.key)
	}
	return m.std.sum(dst, counter)
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
