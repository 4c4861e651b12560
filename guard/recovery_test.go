package guard

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateRecoveryCodes(t *testing.T) {
	t.Parallel()
	codes, err := GenerateRecoveryCodes(0)
	require.NoError(t, err)
	assert.Len(t, codes, DefaultRecoveryCodes)

	codes, err = GenerateRecoveryCodes(MaxRecoveryCodes)
	require.NoError(t, err)
	format := regexp.MustCompile(`^[` + recoveryAlphabet + `]{4}(-[` + recoveryAlphabet + `]{4}){3}$`)
	seen := map[string]bool{}
	used := map[rune]bool{}
	for _, c := range codes {
		assert.Regexp(t, format, c)
		assert.False(t, seen[c], "codes repeat")
		seen[c] = true
		for _, r := range strings.ReplaceAll(c, "-", "") {
			used[r] = true
		}
	}
	// 1,600 uniform draws from 31 characters miss one with odds under 10^-20.
	assert.Len(t, used, len(recoveryAlphabet), "every character of the alphabet is drawn")
	for _, lookalike := range "0O1IL" {
		assert.NotContains(t, recoveryAlphabet, string(lookalike))
	}

	for _, n := range []int{-1, MaxRecoveryCodes + 1} {
		_, err := GenerateRecoveryCodes(n)
		assert.ErrorIs(t, err, ErrInvalidConfig, n)
	}
}

func TestHashRecoveryCodeNormalises(t *testing.T) {
	t.Parallel()
	const code = "7KQM-X3HB-9TZC-RW2D"
	want, err := HashRecoveryCode("alice", code)
	require.NoError(t, err)
	assert.Regexp(t, `^rc1:[0-9a-f]{64}$`, want)
	for _, typed := range []string{"7kqm-x3hb-9tzc-rw2d", "7KQM X3HB 9TZC RW2D", "7KQMX3HB9TZCRW2D", " 7kqm\tx3hb -9tzc- rw2d "} {
		got, err := HashRecoveryCode("alice", typed)
		require.NoError(t, err, typed)
		assert.Equal(t, want, got, typed)
	}
	other, err := HashRecoveryCode("bob", code)
	require.NoError(t, err)
	assert.NotEqual(t, want, other, "the account is part of the hash")

	for name, bad := range map[string]string{
		"empty":            "",
		"short":            "7KQM-X3HB-9TZC-RW2",
		"long":             "7KQM-X3HB-9TZC-RW2DD",
		"letter O":         "7KQM-X3HB-9TZC-RWOD",
		"digit 0":          "7KQM-X3HB-9TZC-RW0D",
		"digit 1":          "7KQM-X3HB-9TZC-RW1D",
		"letter I":         "7KQM-X3HB-9TZC-RWID",
		"letter L":         "7KQM-X3HB-9TZC-RWLD",
		"non-ASCII":        "7KQM-X3HB-9TZC-RW2Ď",
		"full-width digit": "７KQM-X3HB-9TZC-RW2D",
		"a otp.TOTP code":  "123456",
		"endless hyphens":  strings.Repeat("-", 1000) + "7KQMX3HB9TZCRW2D",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := HashRecoveryCode("alice", bad)
			assert.ErrorIs(t, err, otp.ErrInvalidCode)
		})
	}
}

func FuzzHashRecoveryCode(f *testing.F) {
	f.Add("7KQM-X3HB-9TZC-RW2D")
	f.Add("7kqm x3hb 9tzc rw2d")
	f.Add("")
	f.Add("0000-0000-0000-0000")
	f.Fuzz(func(t *testing.T, code string) {
		h, err := HashRecoveryCode("alice", code)
		if err != nil {
			require.ErrorIs(t, err, otp.ErrInvalidCode)
			return
		}
		// What parses is a code of the alphabet, and the canonical form
		// hashes the same.
		norm, ok := normalizeRecoveryCode(code)
		require.True(t, ok)
		canonical := string(norm[0:4]) + "-" + string(norm[4:8]) + "-" + string(norm[8:12]) + "-" + string(norm[12:16])
		h2, err := HashRecoveryCode("alice", canonical)
		require.NoError(t, err)
		require.Equal(t, h, h2)
	})
}

func TestUseRecoveryCodeOnEveryStore(t *testing.T) {
	t.Parallel()
	storeKinds(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		clock := newFakeClock(at1111111109)
		g := &Guard{Store: s, Now: clock.Now, Policy: Policy{LockAfter: 6}}
		codes, err := GenerateRecoveryCodes(3)
		require.NoError(t, err)
		require.NoError(t, g.SetRecoveryCodes(ctx, "alice", codes))
		left := func() int {
			n, err := g.RecoveryCodesLeft(ctx, "alice")
			require.NoError(t, err)
			return n
		}
		assert.Equal(t, 3, left())

		require.NoError(t, g.UseRecoveryCode(ctx, "alice", strings.ToLower(codes[1])))
		assert.Equal(t, 2, left())
		assert.ErrorIs(t, g.UseRecoveryCode(ctx, "alice", codes[1]), otp.ErrInvalidCode, "used once")
		assert.ErrorIs(t, g.UseRecoveryCode(ctx, "bob", codes[0]), otp.ErrInvalidCode, "another account's code")
		assert.ErrorIs(t, g.UseRecoveryCode(ctx, "alice", "not a code"), otp.ErrInvalidCode)
		st, err := g.State(ctx, "alice")
		require.NoError(t, err)
		st.Write = 0 // a random tag per write
		assert.Equal(t, 2, st.Failures, "wrong and malformed recovery codes count")

		// A recovery code clears the failures, as a good otp.TOTP code does.
		require.NoError(t, g.UseRecoveryCode(ctx, "alice", codes[0]))
		st, err = g.State(ctx, "alice")
		require.NoError(t, err)
		st.Write = 0 // a random tag per write
		assert.Equal(t, State{}, st)

		// Regenerating replaces the whole set.
		fresh, err := GenerateRecoveryCodes(2)
		require.NoError(t, err)
		require.NoError(t, g.SetRecoveryCodes(ctx, "alice", fresh))
		assert.Equal(t, 2, left())
		assert.ErrorIs(t, g.UseRecoveryCode(ctx, "alice", codes[2]), otp.ErrInvalidCode)

		// otp.TOTP and recovery failures share one count and one lock.
		for range 5 {
			clock.Advance(time.Hour)
			assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, wrongCode(t, guardTOTP, clock.Now())), otp.ErrInvalidCode)
		}
		clock.Advance(time.Hour)
		assert.ErrorIs(t, g.UseRecoveryCode(ctx, "alice", fresh[0]), ErrLocked)
		assert.Equal(t, 2, left(), "a locked account consumes nothing")
	})
}

func TestUseRecoveryCodeRefusedUncheckedWhileThrottled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	codes, err := GenerateRecoveryCodes(1)
	require.NoError(t, err)
	require.NoError(t, g.SetRecoveryCodes(ctx, "alice", codes))
	for range 4 {
		require.ErrorIs(t, g.UseRecoveryCode(ctx, "alice", "2222-2222-2222-2222"), otp.ErrInvalidCode)
	}
	assert.ErrorIs(t, g.UseRecoveryCode(ctx, "alice", codes[0]), ErrThrottled)
	n, err := g.RecoveryCodesLeft(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a throttled attempt does not spend the code")
}

func TestUseRecoveryCodeConcurrent(t *testing.T) {
	t.Parallel()
	storeKinds(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		g := &Guard{Store: s, Policy: racePolicy}
		codes, err := GenerateRecoveryCodes(2)
		require.NoError(t, err)
		require.NoError(t, g.SetRecoveryCodes(ctx, "alice", codes))
		var mu sync.Mutex
		counts := map[string]int{}
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				err := g.UseRecoveryCode(ctx, "alice", codes[0])
				mu.Lock()
				counts[outcome(err)]++
				mu.Unlock()
			})
		}
		wg.Wait()
		assert.Equal(t, map[string]int{"ok": 1, "invalid": 19}, counts)
		n, err := g.RecoveryCodesLeft(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	})
}

func TestUseRecoveryCodeNeedsRecoveryStore(t *testing.T) {
	t.Parallel()
	g := &Guard{Store: struct{ Store }{NewMemoryStore()}}
	assert.ErrorIs(t, g.UseRecoveryCode(context.Background(), "alice", "7KQM-X3HB-9TZC-RW2D"), ErrInvalidConfig)
}

// countingStore counts how many recovery codes a store was asked to check.
type countingStore struct {
	Store
	RecoveryStore
	consumes atomic.Int64
}

func (c *countingStore) ConsumeRecoveryHash(ctx context.Context, account, hash string) (bool, error) {
	c.consumes.Add(1)
	return c.RecoveryStore.ConsumeRecoveryHash(ctx, account, hash)
}

// TestUseRecoveryCodeNeverChecksUncounted sends bursts of wrong recovery
// codes at an account that is one failure from a wait, and one from the
// lock: exactly one guess of each burst may reach the store.
func TestUseRecoveryCodeNeverChecksUncounted(t *testing.T) {
	t.Parallel()
	storeKinds(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		for name, failures := range map[string]int{"before a wait": 10, "before the lock": 99} {
			account := "alice " + name
			counting := &countingStore{Store: s, RecoveryStore: s.(RecoveryStore)}
			g := &Guard{Store: counting}
			ok, err := s.Update(ctx, account, State{}, State{Failures: failures})
			require.NoError(t, err)
			require.True(t, ok)
			var wg sync.WaitGroup
			for range 30 {
				wg.Go(func() {
					err := g.UseRecoveryCode(ctx, account, "2222-2222-2222-2222")
					assert.True(t, errors.Is(err, otp.ErrInvalidCode) || errors.Is(err, ErrThrottled) || errors.Is(err, ErrLocked), "%v", err)
				})
			}
			wg.Wait()
			assert.Equal(t, int64(1), counting.consumes.Load(), name)
			st, err := g.State(ctx, account)
			require.NoError(t, err)
			st.Write = 0 // a random tag per write
			assert.Equal(t, failures+1, st.Failures, name)
		}
	})
}

func TestSetRecoveryCodesConcurrentReplacements(t *testing.T) {
	t.Parallel()
	storeKinds(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		g := &Guard{Store: s}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				codes, err := GenerateRecoveryCodes(10)
				assert.NoError(t, err)
				assert.NoError(t, g.SetRecoveryCodes(ctx, "alice", codes))
			})
		}
		wg.Wait()
		n, err := g.RecoveryCodesLeft(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, 10, n, "one whole set survives, never a union")
	})
}

func TestIsRecoveryCode(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{
		"7KQM-X3HB-9TZC-RW2D": true, "7kqm x3hb 9tzc rw2d": true, "7KQMX3HB9TZCRW2D": true,
		"123456": false, "": false, "7KQM-X3HB-9TZC-RW0D": false, "7KQM-X3HB-9TZC-RW2DD": false,
	} {
		assert.Equal(t, want, IsRecoveryCode(code), code)
	}
}
