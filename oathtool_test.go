package otp

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCrossCheckOathtool compares Generate with oathtool (OATH Toolkit), an
// independent C implementation, on random algorithms, digits, key lengths,
// counters, periods, epochs and times. The seed is fixed so that a failure
// can be reproduced.
func TestCrossCheckOathtool(t *testing.T) {
	t.Parallel()
	oathtool := requireTool(t, "oathtool", "oathtool")
	rng := rand.New(rand.NewPCG(4226, 6238))
	oath := func(args ...string) string {
		out, err := exec.Command(oathtool, args...).Output()
		require.NoError(t, err, "oathtool %s", strings.Join(args[:len(args)-1], " "))
		return strings.TrimSpace(string(out))
	}
	algs := []Algorithm{SHA1, SHA256, SHA512}
	counters := []uint64{0, 1, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64, math.MaxUint64 - 1, math.MaxUint64}

	for i := range 150 {
		key := randomKey(rng)
		alg := algs[i%3]
		digits := 6 + rng.IntN(3) // oathtool takes 6..8
		counter := rng.Uint64() >> rng.IntN(64)
		if i < len(counters) {
			counter = counters[i]
		}
		if alg != SHA1 {
			counter >>= 2 // oathtool reaches these through 1-second steps: times below 2^62
		}
		name := fmt.Sprintf("hotp/%s/%dd/key%d/c%d", alg, digits, len(key), counter)
		t.Run(name, func(t *testing.T) {
			got, err := HOTP{Secret: key, Algorithm: alg, Digits: digits}.Generate(counter)
			require.NoError(t, err)
			assert.Equal(t, oath(hotpArgs(alg, digits, counter, key)...), got)
		})
	}

	for i := range 150 {
		key := randomKey(rng)
		alg := algs[i%3]
		digits := 6 + rng.IntN(3)
		period := []int64{30, 60, 1, 15, 45, 90, 3600}[rng.IntN(7)]
		epoch := rng.Int64N(2_000_000_000)
		now := epoch + rng.Int64N(5_000_000_000) // up to year 2200 and beyond
		name := fmt.Sprintf("totp/%s/%dd/key%d/p%d/t0=%d/t=%d", alg, digits, len(key), period, epoch, now)
		t.Run(name, func(t *testing.T) {
			tp := TOTP{Secret: key, Algorithm: alg, Digits: digits, Period: time.Duration(period) * time.Second, Epoch: time.Unix(epoch, 0)}
			got, err := tp.Generate(time.Unix(now, 0))
			require.NoError(t, err)
			want := oath("--totp="+alg.String(), "--digits="+strconv.Itoa(digits), "--time-step-size="+strconv.FormatInt(period, 10)+"s",
				"--start-time=@"+strconv.FormatInt(epoch, 10), "--now=@"+strconv.FormatInt(now, 10), hex.EncodeToString(key))
			assert.Equal(t, want, got)
		})
	}
}

// randomKey returns a key of 1 to 200 bytes, so that keys shorter than,
// equal to and longer than every hash block size all occur.
func randomKey(rng *rand.Rand) []byte {
	key := make([]byte, 1+rng.IntN(200))
	for i := range key {
		key[i] = byte(rng.Uint32())
	}
	return key
}

// hotpArgs returns oathtool's arguments for an HOTP code. Its --hotp mode
// knows only SHA-1; for SHA-256 and SHA-512 the counter becomes a TOTP time
// in 1-second steps from T0 = 0, which is the same computation.
func hotpArgs(alg Algorithm, digits int, counter uint64, key []byte) []string {
	d := "--digits=" + strconv.Itoa(digits)
	if alg == SHA1 {
		return []string{"--hotp", d, "--counter=" + strconv.FormatUint(counter, 10), hex.EncodeToString(key)}
	}
	return []string{"--totp=" + alg.String(), d, "--time-step-size=1s", "--start-time=@0",
		"--now=@" + strconv.FormatUint(counter, 10), hex.EncodeToString(key)}
}
