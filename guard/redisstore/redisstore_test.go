package redisstore

import (
	"context"
	"crypto/rand"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/otpkit/otp/guard/storetest"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redisAddrVar names the environment variable with the address of a Redis
// or Valkey server for the tests; .ci/run starts one and sets it.
const redisAddrVar = "OTP_TEST_REDIS_ADDR"

// serverAddr returns the server's address, or skips the test without one,
// except under CI, where it must run.
func serverAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv(redisAddrVar)
	if addr == "" {
		msg := redisAddrVar + " is not set: skipping (.ci/run starts a server and sets it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return addr
}

// freshPrefix is a prefix of the test's own, whose keys are deleted after it.
func freshPrefix(t *testing.T, addr string) string {
	prefix := "otp-test:" + rand.Text()[:12] + ":"
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return prefix
}

func TestStoreConformance(t *testing.T) {
	t.Parallel()
	addr := serverAddr(t)
	prefix := freshPrefix(t, addr)
	storetest.Run(t, func(t *testing.T) guard.Store {
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		s, err := New(c, prefix)
		require.NoError(t, err)
		return s
	})
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	_, err := New(nil, "otp:")
	assert.ErrorIs(t, err, guard.ErrInvalidConfig)
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer c.Close()
	for _, p := range []string{"{otp}:", "otp}", "a{"} {
		_, err := New(c, p)
		assert.ErrorIs(t, err, guard.ErrInvalidConfig, p)
	}
	s, err := New(c, "")
	require.NoError(t, err)
	_, err = s.Load(context.Background(), "")
	assert.ErrorIs(t, err, guard.ErrInvalidConfig, "an empty account has no hash tag")
}

// TestKeysShareOneTag: whatever the account holds, its keys have one hash
// tag (the text between the first '{' and the next '}'), so one slot, and
// distinct accounts have distinct tags.
func TestKeysShareOneTag(t *testing.T) {
	t.Parallel()
	s := &Store{prefix: "app:"}
	seen := map[string]string{}
	for _, a := range []string{"alice", "Alice", "{alice}", "}", "{", "a}b{c", "alice ", "\x00", "jos\u00e9", "jose\u0301"} {
		k, err := s.keys(a)
		require.NoError(t, err)
		var tags []string
		for _, key := range []string{k.state, k.writes, k.recovery, k.used} {
			require.True(t, strings.HasPrefix(key, "app:{"), key)
			open := strings.IndexByte(key, '{')
			end := strings.IndexByte(key[open:], '}')
			require.Greater(t, end, 1, key)
			tags = append(tags, key[open+1:open+end])
		}
		assert.Equal(t, tags[0], tags[1], a)
		assert.Equal(t, tags[0], tags[2], a)
		assert.Equal(t, tags[0], tags[3], a)
		if other, dup := seen[tags[0]]; dup {
			t.Errorf("accounts %q and %q share the tag %q", a, other, tags[0])
		}
		seen[tags[0]] = a
	}
}

var encodings = []guard.State{
	{},
	{Next: math.MaxUint64, Drift: math.MinInt64, Failures: 100, NotBefore: time.UnixMilli(253402300799999), Devices: math.MaxUint64, Write: math.MaxUint64},
	{Drift: math.MaxInt64, NotBefore: time.UnixMilli(-1), Write: 1},
	{Next: 37037037, Failures: 4, NotBefore: time.UnixMilli(1_111_111_110_999), Devices: 2, Write: 0x0123456789abcdef},
}

func TestEncodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, st := range encodings {
		got, err := decode(encode(st))
		require.NoError(t, err)
		assert.True(t, st.Equal(got), "%+v became %+v", st, got)
	}
	for _, bad := range []string{"", "1 2 3 4 5", "1 2 3 4 5 6 7", "01 0 0 0 0 0", "+1 0 0 0 0 0", "-1 0 0 0 0 0", "1  0 0 0 0", "x 0 0 0 0 0", "18446744073709551616 0 0 0 0 0"} {
		_, err := decode(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// FuzzDecode: decode accepts only what encode writes, and gives back what
// was encoded.
func FuzzDecode(f *testing.F) {
	for _, st := range encodings {
		f.Add(encode(st))
	}
	f.Add("1 2 3 4 5 x")
	f.Fuzz(func(t *testing.T, v string) {
		st, err := decode(v)
		if err != nil {
			return
		}
		if encode(st) != v {
			t.Fatalf("decode(%q) = %+v, which encodes as %q", v, st, encode(st))
		}
	})
}
