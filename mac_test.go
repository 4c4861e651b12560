package otp

import (
	"crypto/fips140"
	"crypto/hmac"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var algorithms = []Algorithm{SHA1, SHA256, SHA512}

// macPaths are every way a mac computes, each forced in turn.
var macPaths = []struct {
	name string
	path macPath
}{{"state", pathState}, {"std", pathStd}}

// referenceMAC is crypto/hmac's HMAC of the big-endian counter.
func referenceMAC(alg Algorithm, key []byte, counter uint64) []byte {
	h := hmac.New(alg.newHash, key)
	h.Write(binary.BigEndian.AppendUint64(nil, counter))
	return h.Sum(nil)
}

// testCounters are the edges of the 64-bit counter and a few random values,
// different for each key.
func testCounters(rng *rand.Rand) []uint64 {
	counters := []uint64{0, 1, 1<<32 - 1, 1 << 32, 1 << 63, math.MaxUint64 - 1, math.MaxUint64}
	for range 5 {
		counters = append(counters, rng.Uint64())
	}
	return counters
}

// testKey is n bytes from rng, so that no two key lengths share a prefix.
func testKey(rng *rand.Rand, n int) []byte {
	key := make([]byte, n)
	for i := range key {
		key[i] = byte(rng.Uint32())
	}
	return key
}

// assertMatchesHMAC checks every key length from 1 to 300 bytes (below, at
// and above the block size of every algorithm) and many counters per key
// against crypto/hmac. init is how the mac under test is set up.
func assertMatchesHMAC(t *testing.T, alg Algorithm, minKey int, init func(m *mac, key []byte)) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(alg), 300))
	for n := minKey; n <= 300; n++ {
		key := testKey(rng, n)
		var m mac
		init(&m, key)
		for _, counter := range testCounters(rng) {
			var got [64]byte
			size := m.sum(&got, counter)
			if !assert.Equal(t, referenceMAC(alg, key, counter), got[:size], "key of %d bytes, counter %d", n, counter) {
				return
			}
		}
	}
}

func TestMACMatchesCryptoHMAC(t *testing.T) {
	t.Parallel()
	for _, p := range macPaths {
		for _, alg := range algorithms {
			t.Run(p.name+"/"+alg.String(), func(t *testing.T) {
				t.Parallel()
				assertMatchesHMAC(t, alg, 1, func(m *mac, key []byte) {
					m.initPath(p.path, alg, key)
					require.Equal(t, p.path, m.path, "the path is kept, not replaced by a fallback")
				})
			})
		}
	}
}

func TestMACStateLayoutSelfTest(t *testing.T) {
	t.Parallel()
	for _, alg := range algorithms {
		t.Run(alg.String(), func(t *testing.T) {
			t.Parallel()
			if fipsMode {
				t.Skip("FIPS 140-3 mode uses crypto/hmac only")
			}
			assert.True(t, stateLayoutHolds[alg], "this toolchain's marshaled state must take the fast path")

			key := []byte("a key for the self-test's own test")
			var state mac
			state.initPath(pathState, alg, key)
			ref := newStdMAC(alg, key)
			require.True(t, agreesWithHMAC(&state, ref, 42))

			// A chaining value read from the wrong place is what a changed
			// layout looks like: the self-test must see it.
			state.outer[stateHeader] ^= 1
			assert.False(t, agreesWithHMAC(&state, ref, 42))
		})
	}
}

func TestChoosePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fips, layoutHolds bool
		want              macPath
	}{
		{false, true, pathState},
		{false, false, pathStd},
		{true, true, pathStd},
		{true, false, pathStd},
	}
	for _, tt := range tests {
		t.Run("fips="+strconv.FormatBool(tt.fips)+"/layout="+strconv.FormatBool(tt.layoutHolds), func(t *testing.T) {
			assert.Equal(t, tt.want, choosePath(tt.fips, tt.layoutHolds))
		})
	}
}

// TestMACStateThatDoesNotReadBack covers a state that the hash refuses to
// restore: the mac falls back to crypto/hmac and still computes the right
// MAC.
func TestMACStateThatDoesNotReadBack(t *testing.T) {
	t.Parallel()
	for _, alg := range algorithms {
		t.Run(alg.String(), func(t *testing.T) {
			t.Parallel()
			key := []byte("12345678901234567890")
			var m mac
			m.initPath(pathState, alg, key)
			require.Equal(t, pathState, m.path)
			m.inner[0] ^= 0xff // the state's identifier

			var got [64]byte
			size := m.sum(&got, 7)
			assert.Equal(t, referenceMAC(alg, key, 7), got[:size])
			assert.Equal(t, pathStd, m.path)
		})
	}
}

// fips140ModeEnv tells a re-executed test binary which GODEBUG fips140 mode
// its parent started it in.
const fips140ModeEnv = "OTP_TEST_FIPS140_MODE"

// TestFIPS140 runs TestFIPS140Mode, and in "on" mode the RFC vectors, in a
// child process of this test binary started with GODEBUG=fips140=on and
// =only: the mode is fixed when a process starts.
func TestFIPS140(t *testing.T) {
	t.Parallel()
	if os.Getenv(fips140ModeEnv) != "" {
		t.Skip("already the child")
	}
	for _, tt := range []struct{ mode, run string }{
		{"on", "^(TestFIPS140Mode|TestHOTPRFC4226Vectors|TestTOTPRFC6238Vectors)$"},
		{"only", "^TestFIPS140Mode$"},
	} {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run="+tt.run, "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "GODEBUG=fips140="+tt.mode, fips140ModeEnv+"="+tt.mode)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			for _, name := range strings.Split(strings.Trim(tt.run, "^()$"), "|") {
				assert.Contains(t, string(out), "--- PASS: "+name+" ", "%s", out)
			}
		})
	}
}

// TestFIPS140Mode checks, in a process that TestFIPS140 started in FIPS
// 140-3 mode, that codes go through crypto/hmac and agree with it, and that
// what fips140=only forbids is an error, not a panic.
func TestFIPS140Mode(t *testing.T) {
	mode := os.Getenv(fips140ModeEnv)
	if mode == "" {
		return // a helper process of TestFIPS140, as os/exec's TestHelperProcess; it does nothing on its own
	}
	require.True(t, fips140.Enabled())
	require.Equal(t, mode == "only", fips140.Enforced())
	t.Run("pathStd", func(t *testing.T) {
		for _, alg := range algorithms {
			if mode == "only" && alg == SHA1 {
				continue // crypto/hmac would panic; checkParams refuses it first
			}
			var m mac
			m.init(alg, []byte("12345678901234567890"))
			assert.Equal(t, pathStd, m.path, alg)
		}
	})
	for _, alg := range algorithms {
		if mode == "only" && alg == SHA1 {
			continue
		}
		minKey := 1
		if mode == "only" {
			minKey = 112 / 8
		}
		t.Run("matches crypto/hmac/"+alg.String(), func(t *testing.T) {
			assertMatchesHMAC(t, alg, minKey, func(m *mac, key []byte) { m.init(alg, key) })
		})
	}
	t.Run("a malformed code costs no HMAC", func(t *testing.T) {
		// Here every key set up allocates (crypto/hmac.New), so a Verify
		// that allocates nothing computed no HMAC.
		for _, tp := range []TOTP{{Secret: rfc4226Secret, Algorithm: SHA256, Skew: 1}, {Secret: rfc4226Secret, Algorithm: SHA256, Format: Steam, Skew: 1}} {
			wrong := map[CodeFormat]string{Decimal: "000000", Steam: "22222"}[tp.Format]
			assert.Positive(t, testing.AllocsPerRun(10, func() { _, _ = tp.Verify(wrong, benchTime, 0) }), "%s: a well-formed code", tp.Format)
			for _, code := range []string{"", "00000", "0000000", "00000a", "FR8RA", "fr8r1", "FR8RVV"} {
				allocs := testing.AllocsPerRun(10, func() { _, _ = tp.Verify(code, benchTime, 0) })
				assert.Zero(t, allocs, "%s: %q", tp.Format, code)
			}
		}
	})
	if mode != "only" {
		return
	}
	t.Run("SHA1 refused", func(t *testing.T) {
		_, err := HOTP{Secret: rfc4226Secret}.Generate(0)
		assertConfigError(t, err, "Algorithm")
		_, err = TOTP{Secret: rfc4226Secret}.Verify("287082", benchTime, 0)
		assertConfigError(t, err, "Algorithm")
	})
	t.Run("key under 112 bits refused", func(t *testing.T) {
		_, err := HOTP{Secret: rfc4226Secret[:13], Algorithm: SHA256}.Verify("000000", 0)
		assertConfigError(t, err, "Secret")
	})
	t.Run("WithoutEnforcement allows SHA1", func(t *testing.T) {
		var code string
		var err error
		fips140.WithoutEnforcement(func() { code, err = HOTP{Secret: rfc4226Secret}.Generate(0) })
		require.NoError(t, err)
		assert.Equal(t, "755224", code, "RFC 4226 Appendix D, counter 0")
	})
}

// BenchmarkMAC is the cost of one code on each path, the key set up once:
// the numbers quoted at type mac.
func BenchmarkMAC(b *testing.B) {
	for _, p := range macPaths {
		for _, alg := range algorithms {
			b.Run(p.name+"/"+alg.String(), func(b *testing.B) {
				var m mac
				m.initPath(p.path, alg, benchSecret)
				var sum [64]byte
				var counter uint64
				b.ReportAllocs()
				for b.Loop() {
					m.sum(&sum, counter)
					counter++
				}
			})
		}
	}
}

// BenchmarkMACKey is the cost of setting up a key on each path, paid once
// per Verify or Generate.
func BenchmarkMACKey(b *testing.B) {
	for _, p := range macPaths {
		for _, alg := range algorithms {
			b.Run(p.name+"/"+alg.String(), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var m mac
					m.initPath(p.path, alg, benchSecret)
				}
			})
		}
	}
}

// TestVerifyTenDigitCodeAbove32Bits guards the numeric comparison: a
// 10-digit code can exceed 32 bits, and one that differs from the right
// code by exactly 2^32 must not match.
func TestVerifyTenDigitCodeAbove32Bits(t *testing.T) {
	t.Parallel()
	h := HOTP{Secret: rfc4226Secret, Digits: 10}
	right := mustHOTP(t, h, 0)
	v, err := strconv.ParseUint(right, 10, 64)
	require.NoError(t, err)
	require.Less(t, v, uint64(1)<<31)

	_, err = h.Verify(fmt.Sprintf("%010d", v+1<<32), 0)
	assert.ErrorIs(t, err, ErrInvalidCode)
	_, err = h.Verify("9999999999", 0)
	assert.ErrorIs(t, err, ErrInvalidCode)
	next, err := h.Verify(right, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), next)
}
