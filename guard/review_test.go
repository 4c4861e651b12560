package guard

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests from the security review of branch review. Each fails on the code
// it was written against; the report names the line and the fix.

// TestReviewWrongFactorNeverSucceeds: a CheckFactor or Check whose check
// said no, whose commit conflicted with attempts that locked the account
// in the same millisecond, must not return nil (checkOnce's "nothing to
// write" shortcut takes the failure for an unchanged state).
func TestReviewWrongFactorNeverSucceeds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	no := func(context.Context) (bool, error) { return false, nil }
	for name, tt := range map[string]struct {
		policy Policy
		before State // the account's state when the victim is admitted
		others int   // wrong attempts that commit while the victim's check runs
	}{
		"LockAfter 3": {Policy{LockAfter: 3}, State{}, 3},
		"defaults":    {Policy{}, State{Failures: MaxLockAfter - 1}, 1},
	} {
		for _, clears := range []bool{false, true} {
			t.Run(name+"/clears="+map[bool]string{false: "CheckFactor", true: "Check"}[clears], func(t *testing.T) {
				t.Parallel()
				store := NewMemoryStore()
				_, err := store.Update(ctx, "alice", State{}, tt.before)
				require.NoError(t, err)
				g := &Guard{Store: store, Policy: tt.policy, Now: fixedClock(at1111111109)}
				victim := func(context.Context) (bool, error) {
					for range tt.others { // other sessions, at the same instant
						_ = checkEither(g, ctx, "alice", clears, no)
					}
					return false, nil
				}
				err = checkEither(g, ctx, "alice", clears, victim)
				require.Error(t, err, "a wrong factor was reported right")
				assert.True(t, errors.Is(err, ErrFailed) || errors.Is(err, ErrLocked), "got %v", err)
			})
		}
	}
}

// tickingClock advances a millisecond at every reading.
type tickingClock struct{ fakeClock }

func (c *tickingClock) Now() time.Time { return time.Unix(0, c.nanos.Add(int64(time.Millisecond))) }

// TestReviewConcurrentChecksStopAtTheLock: checks admitted together (a
// slow password hash makes the window wide) are each answered as checked,
// past the lock: no more than LockAfter of them may be.
func TestReviewConcurrentChecksStopAtTheLock(t *testing.T) {
	t.Parallel()
	const sessions, lockAfter = 8, 4
	clock := &tickingClock{}
	clock.nanos.Store(at1111111109.UnixNano())
	g := &Guard{Store: NewMemoryStore(), Policy: Policy{LockAfter: lockAfter}, Now: clock.Now}

	var mu sync.Mutex
	cond := sync.NewCond(&mu)
	arrived, gone := 0, 0 // sessions in their check, and sessions done without one
	var answered, checked atomic.Int64
	var wg sync.WaitGroup
	for range sessions {
		wg.Go(func() {
			called := false
			_, err := g.CheckFactor(context.Background(), "alice", func(context.Context) (bool, error) {
				called = true
				checked.Add(1)
				mu.Lock()
				arrived++
				cond.Broadcast()
				for arrived+gone < sessions {
					cond.Wait()
				}
				mu.Unlock()
				return false, nil
			})
			if !called {
				mu.Lock()
				gone++
				cond.Broadcast()
				mu.Unlock()
			}
			var fe *FailureError
			if errors.As(err, &fe) || err == nil {
				answered.Add(1) // the attacker learns the check's answer
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, answered.Load(), int64(lockAfter), "checks answered")
	assert.LessOrEqual(t, checked.Load(), int64(lockAfter), "checks run")
}

// TestReviewRevokedTokenOnAStaleGuard: a server whose Guard remembers the
// account from before another server revoked its devices still honours a
// revoked token: its wrong codes are checked in the device's bucket, also
// while the account is locked.
func TestReviewRevokedTokenOnAStaleGuard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := NewMemoryStore()
	now := fixedClock(at1111111109)
	one := &Guard{Store: store, Now: now, DeviceKey: deviceKey, Policy: Policy{LockAfter: 3}}
	two := &Guard{Store: store, Now: now, DeviceKey: deviceKey, Policy: Policy{LockAfter: 3}}
	require.NoError(t, one.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, at1111111109)))
	stolen, err := one.TrustDevice(ctx, "alice")
	require.NoError(t, err)
	thief := WithDevice(ctx, stolen)

	require.NoError(t, two.RevokeDevices(ctx, "alice"))
	wrong := wrongCode(t, guardTOTP, at1111111109)
	for range 3 {
		assert.ErrorIs(t, two.VerifyTOTP(ctx, "alice", guardTOTP, wrong), otp.ErrInvalidCode)
	}
	require.ErrorIs(t, two.VerifyTOTP(ctx, "alice", guardTOTP, wrong), ErrLocked, "the untrusted bucket is locked")

	err = one.VerifyTOTP(thief, "alice", guardTOTP, wrong)
	assert.ErrorIs(t, err, ErrLocked, "a revoked token is untrusted, and untrusted is locked")
	assert.NotErrorIs(t, err, otp.ErrInvalidCode, "the guess was checked")
}

// TestReviewSlowClockCapOpensTheWait: a server whose clock runs a minute
// slow caps the wait in its own frame and commits it, which ends the wait
// for a server with the right time.
func TestReviewSlowClockCapOpensTheWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := NewMemoryStore()
	clock := newFakeClock(at1111111109)
	policy := Policy{Delay: 30 * time.Second}
	right := &Guard{Store: store, Policy: policy, Now: clock.Now}
	slow := &Guard{Store: store, Policy: policy, Now: func() time.Time { return clock.Now().Add(-time.Minute) }}
	wrong := wrongCode(t, guardTOTP, clock.Now())
	for range 4 { // the fourth sets a 30s wait
		assert.ErrorIs(t, right.VerifyTOTP(ctx, "alice", guardTOTP, wrong), otp.ErrInvalidCode)
	}
	assert.ErrorIs(t, slow.VerifyTOTP(ctx, "alice", guardTOTP, wrong), ErrThrottled)
	clock.Advance(time.Second)
	assert.ErrorIs(t, right.VerifyTOTP(ctx, "alice", guardTOTP, wrong), ErrThrottled,
		"29s are left of the wait that this server set; a server a minute slow ended it")
}

// inFlightStore fails the Update it is armed for with a deadline while the
// statement is still on its way: the test lands it later, as a database
// does once the row lock that held it back is released.
type inFlightStore struct {
	MemoryStore
	armed   bool
	pending func() bool
}

func (s *inFlightStore) Update(ctx context.Context, key string, old, new State) (bool, error) {
	if s.armed {
		s.armed = false
		s.pending = func() bool { ok, _ := s.MemoryStore.Update(ctx, key, old, new); return ok }
		return false, context.DeadlineExceeded
	}
	return s.MemoryStore.Update(ctx, key, old, new)
}

// TestReviewNothingCommittedMeansNothingLands: a reload that still shows
// the old state does not prove that the write will not land: a StoreError
// ("nothing was committed") must come with a state that the late write can
// no longer replace.
func TestReviewNothingCommittedMeansNothingLands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &inFlightStore{armed: true}
	g := &Guard{Store: store, Now: fixedClock(at1111111109)}
	code := mustCode(t, guardTOTP, at1111111109)
	err := g.VerifyTOTP(ctx, "alice", guardTOTP, code)
	var se *StoreError
	require.ErrorAs(t, err, &se)
	require.NotErrorIs(t, err, ErrOutcomeUnknown)
	require.NotNil(t, store.pending)
	assert.False(t, store.pending(), "the code was accepted after the caller was told nothing was committed")
}

// consumeLost spends the hash, then loses the answer.
type consumeLost struct{ MemoryStore }

func (s *consumeLost) ConsumeRecoveryHash(ctx context.Context, account, hash string) (bool, error) {
	_, _ = s.MemoryStore.ConsumeRecoveryHash(ctx, account, hash)
	return false, errors.New("connection reset")
}

// TestReviewRecoveryConsumeOutcome: a recovery code spent by a consume
// whose answer was lost is not "nothing committed".
func TestReviewRecoveryConsumeOutcome(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := &Guard{Store: &consumeLost{}, Now: fixedClock(at1111111109)}
	codes, err := GenerateRecoveryCodes(2)
	require.NoError(t, err)
	require.NoError(t, g.SetRecoveryCodes(ctx, "alice", codes))
	err = g.UseRecoveryCode(ctx, "alice", codes[0])
	require.Error(t, err)
	left, lerr := g.RecoveryCodesLeft(ctx, "alice")
	require.NoError(t, lerr)
	require.Equal(t, 1, left, "the code is spent")
	assert.ErrorIs(t, err, ErrOutcomeUnknown, "the code was spent while the error says nothing was committed")
}

// loadHook runs hook once, at the first Load of a key it matches.
type loadHook struct {
	MemoryStore
	match func(key string) bool
	hook  func()
}

func (s *loadHook) Load(ctx context.Context, key string) (State, error) {
	st, err := s.MemoryStore.Load(ctx, key)
	if s.hook != nil && s.match(key) {
		h := s.hook
		s.hook = nil
		h()
	}
	return st, err
}

// TestReviewTrustedSuccessAfterItsBucketLocked: an untrusted attempt whose
// state changed before its commit starts again and is refused once the
// account locked; a trusted device's right code is accepted although its
// bucket locked between the check and the commit, so parallel guesses
// with a stolen token are each checked and any right one wins, past the
// bucket's LockAfter.
func TestReviewTrustedSuccessAfterItsBucketLocked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, trusted := range map[string]bool{"untrusted (control)": false, "trusted": true} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			store := &loadHook{}
			g := &Guard{Store: store, Now: fixedClock(at1111111109), DeviceKey: deviceKey, Policy: Policy{LockAfter: 3}}
			token, err := g.TrustDevice(ctx, "alice")
			require.NoError(t, err)
			client := ctx
			if trusted {
				client = WithDevice(ctx, token)
			}
			wrong := wrongCode(t, guardTOTP, at1111111109)
			store.match = func(key string) bool { return strings.Contains(key, "\x1f") == trusted }
			store.hook = func() { // the other parallel guesses commit first
				for range 3 {
					_ = g.VerifyTOTP(client, "alice", guardTOTP, wrong)
				}
			}
			g.seen.forget("alice")
			err = g.VerifyTOTP(client, "alice", guardTOTP, mustCode(t, guardTOTP, at1111111109))
			assert.ErrorIs(t, err, ErrLocked, "a right guess admitted before the lock committed")
		})
	}
}

// enrollDuring lets another server re-enrol the account just before the
// first Update, which then conflicts.
type enrollDuring struct {
	MemoryStore
	done bool
}

func (s *enrollDuring) Update(ctx context.Context, key string, old, new State) (bool, error) {
	if !s.done && old.Next != 0 {
		s.done = true
		_, _ = s.MemoryStore.Update(ctx, key, old, State{Devices: old.Devices, Write: newWriteID()})
		return false, nil
	}
	return s.MemoryStore.Update(ctx, key, old, new)
}

// TestReviewReplayAcrossEnroll: an attempt with the old secret that began
// before Enroll and starts again after it accepts a code the old secret
// already used.
func TestReviewReplayAcrossEnroll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := &enrollDuring{done: true}
	g := &Guard{Store: store, Now: fixedClock(at1111111109)}
	code := mustCode(t, guardTOTP, at1111111109)
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, code))
	store.done = false
	err := g.VerifyTOTP(ctx, "alice", guardTOTP, code) // the replay, racing the re-enrolment
	assert.Error(t, err, "a used code of the old secret accepted again")
}

// TestReviewUncountedCheckRevealsNothing: a check whose failure could not
// be counted (the state kept changing) must not tell the caller that the
// factor was wrong: that answer is a guess checked for free.
func TestReviewUncountedCheckRevealsNothing(t *testing.T) {
	t.Parallel()
	g := &Guard{Store: &scriptedStore{conflict: true}, Now: fixedClock(at1111111109)}
	_, err := g.CheckFactor(context.Background(), "alice", func(context.Context) (bool, error) { return false, nil })
	require.ErrorIs(t, err, ErrConflict)
	assert.NotErrorIs(t, err, ErrFailed, "an uncounted guess's answer")
}

// checkEither is Check, or CheckFactor without its context.
func checkEither(g *Guard, ctx context.Context, key string, clears bool, check func(context.Context) (bool, error)) error {
	if clears {
		return g.Check(ctx, key, check)
	}
	_, err := g.CheckFactor(ctx, key, check)
	return err
}
