package guard

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// right and wrong are checks of a first factor.
func right(context.Context) (bool, error) { return true, nil }
func wrong(context.Context) (bool, error) { return false, nil }

func failuresOf(t *testing.T, g *Guard, key string) int {
	t.Helper()
	st, err := g.State(context.Background(), key)
	require.NoError(t, err)
	return st.Failures
}

// TestReview3LastFactorReplayAcrossEnroll: a login whose password was
// counted before another server re-enrolled the account (Next back to 0)
// accepts, as its last factor, a code of the old secret that was used
// already. The normal attempt refuses this (ErrConflict, see
// TestReviewReplayAcrossEnroll); lastFactor starts its "checked" at 0
// instead of at the Next that CheckFactor's admission saw.
func TestReview3LastFactorReplayAcrossEnroll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109)}
	code := mustCode(t, guardTOTP, at1111111109)
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, code), "the old secret's code, used")
	lctx, err := g.CheckFactor(ctx, "alice", func(context.Context) (bool, error) {
		// While the password hashes, another server re-enrols alice.
		require.NoError(t, g.Enroll(ctx, "alice", 0))
		return true, nil
	})
	require.NoError(t, err)
	err = g.VerifyTOTP(lctx, "alice", guardTOTP, code) // the old secret, as the caller read it
	assert.Error(t, err, "a used code of the old secret accepted again by a login that began before Enroll")
}

// TestReview3ForgiveErasesAnotherAttemptsFailure: Forgive (and the
// uncount after a check's server error) takes back "one failure fewer"
// when the state changed since the count, even when the change was a
// success that cleared the count: the failure taken back is then another
// attempt's. An attacker can cause the server error at will (cancel the
// request while its password waits for a hash slot).
func TestReview3ForgiveErasesAnotherAttemptsFailure(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"forgive", "server error"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109)}
			between := func() {
				require.NoError(t, g.Check(ctx, "alice", right), "the owner logs in: the count is cleared")
				_, err := g.CheckFactor(ctx, "alice", wrong)
				require.ErrorIs(t, err, ErrFailed, "the attacker's guess, counted")
			}
			switch how {
			case "forgive":
				sctx, err := g.CheckFactor(ctx, "alice", right)
				require.NoError(t, err)
				between()
				require.True(t, g.Forgive(sctx))
			case "server error":
				_, err := g.CheckFactor(ctx, "alice", func(context.Context) (bool, error) {
					between()
					return false, context.Canceled
				})
				require.ErrorIs(t, err, context.Canceled)
			}
			assert.Equal(t, 1, failuresOf(t, g, "alice"), "the attacker's failure must stay counted")
		})
	}
}

// TestReview3LastFactorChecksAtAStaleTime: the carried attempt verifies
// the code at CheckFactor's time however long ago that was, so a context
// kept (a login that asks for the code on a second round trip of one
// stream, say) accepts a code whose window ended minutes ago, and refuses
// the code the phone shows now.
func TestReview3LastFactorChecksAtAStaleTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	old := mustCode(t, guardTOTP, clock.Now())
	lctx, err := g.CheckFactor(ctx, "alice", right)
	require.NoError(t, err)
	clock.Advance(10 * time.Minute)
	err = g.VerifyTOTP(lctx, "alice", guardTOTP, old)
	assert.Error(t, err, "a code 20 steps old accepted")
}

// TestReview3CarriedAttemptHolds: what held up, kept as a regression
// test: the carried attempt is used once, by one goroutine, only under its
// own key, and only once per code.
func TestReview3CarriedAttemptHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("shared by goroutines", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109), Policy: Policy{FreeFailures: 50}}
		lctx, err := g.CheckFactor(ctx, "alice", right)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() { _ = g.VerifyTOTP(lctx, "alice", guardTOTP, wrongCode(t, guardTOTP, at1111111109)) })
		}
		wg.Wait()
		assert.Equal(t, 8, failuresOf(t, g, "alice"), "one carried count and seven of their own")
	})
	t.Run("other key", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109)}
		lctx, err := g.CheckFactor(ctx, "alice", right)
		require.NoError(t, err)
		assert.ErrorIs(t, g.VerifyTOTP(lctx, "bob", guardTOTP, wrongCode(t, guardTOTP, at1111111109)), otp.ErrInvalidCode)
		assert.Equal(t, 1, failuresOf(t, g, "bob"), "counted under bob")
		require.NoError(t, g.VerifyTOTP(lctx, "bob", guardTOTP, mustCode(t, guardTOTP, at1111111109)))
		assert.Equal(t, 1, failuresOf(t, g, "alice"), "bob's success clears nothing of alice's")
		assert.ErrorIs(t, g.UseRecoveryCode(lctx, "bob", "2222-2222-2222-2222"), otp.ErrInvalidCode)
		assert.Equal(t, 1, failuresOf(t, g, "bob"), "counted under bob")
	})
	t.Run("wrong code then forgive", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109)}
		lctx, err := g.CheckFactor(ctx, "alice", right)
		require.NoError(t, err)
		assert.ErrorIs(t, g.VerifyTOTP(lctx, "alice", guardTOTP, wrongCode(t, guardTOTP, at1111111109)), otp.ErrInvalidCode)
		assert.False(t, g.Forgive(lctx))
		assert.Equal(t, 1, failuresOf(t, g, "alice"))
	})
	t.Run("one code, carried and normal at once", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109)}
		code := mustCode(t, guardTOTP, at1111111109)
		var accepted atomic.Int64
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Go(func() {
				c := ctx
				if i%2 == 0 {
					var err error
					if c, err = g.CheckFactor(ctx, "alice", right); err != nil {
						return
					}
				}
				if err := g.VerifyTOTP(c, "alice", guardTOTP, code); err == nil {
					accepted.Add(1)
				} else if !errors.Is(err, otp.ErrReplayed) && !errors.Is(err, ErrThrottled) && !errors.Is(err, ErrConflict) {
					t.Errorf("unexpected %v", err)
				}
			})
		}
		wg.Wait()
		assert.Equal(t, int64(1), accepted.Load())
	})
	t.Run("device bucket", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109), DeviceKey: deviceKey}
		token, err := g.TrustDevice(ctx, "alice")
		require.NoError(t, err)
		dev := WithDevice(ctx, token)
		_, err = g.CheckFactor(ctx, "alice", wrong) // an untrusted failure
		require.ErrorIs(t, err, ErrFailed)
		lctx, err := g.CheckFactor(dev, "alice", right)
		require.NoError(t, err)
		require.NoError(t, g.VerifyTOTP(lctx, "alice", guardTOTP, mustCode(t, guardTOTP, at1111111109)))
		assert.Equal(t, 1, failuresOf(t, g, "alice"), "a device's login leaves the untrusted count alone")
		forged := WithDevice(ctx, token[:len(token)-1]+"A")
		lctx, err = g.CheckFactor(forged, "alice", right)
		require.NoError(t, err)
		assert.ErrorIs(t, g.VerifyTOTP(lctx, "alice", guardTOTP, wrongCode(t, guardTOTP, at1111111109)), otp.ErrInvalidCode)
		assert.Equal(t, 2, failuresOf(t, g, "alice"), "a forged token counts in the account's bucket")
	})
}
