package guard

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// phoneCode is the code an authenticator whose clock is off by offset
// shows at the server's time now.
func phoneCode(t *testing.T, now time.Time, offset time.Duration) string {
	t.Helper()
	return mustCode(t, guardTOTP, now.Add(offset))
}

// stepCode is guardTOTP's code of a step.
func stepCode(t *testing.T, step int64) string { return mustCodeAtStep(t, uint64(step)) }

// probeWindow reports which steps from centre-3 to centre+3 a login with
// state s would accept, each tried on a copy of s of its own.
func probeWindow(t *testing.T, s State, now time.Time, centre int64) []int64 {
	t.Helper()
	var accepted []int64
	for d := int64(-3); d <= 3; d++ {
		store := NewMemoryStore()
		_, err := store.Update(context.Background(), "probe", State{}, s)
		require.NoError(t, err)
		g := &Guard{Store: store, Now: fixedClock(now)}
		if g.VerifyTOTP(context.Background(), "probe", guardTOTP, stepCode(t, centre+d)) == nil {
			accepted = append(accepted, d)
		}
	}
	return accepted
}

func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

// TestDriftFollowedForAYear: a phone that drifts one step a week, logging
// in weekly at Skew 1, is accepted every time, and at every login the
// window holds exactly the 3 steps around where the phone was last seen.
func TestDriftFollowedForAYear(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	for week := range 52 {
		now := clock.Now()
		server, err := guardTOTP.Step(now)
		require.NoError(t, err)
		st, err := g.State(ctx, "alice")
		require.NoError(t, err)
		centre := int64(server) + st.Drift
		assert.Equal(t, []int64{-1, 0, 1}, probeWindow(t, st, now, centre), "week %d: the window", week)

		offset := time.Duration(week) * 30 * time.Second // one step more each week
		require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, phoneCode(t, now, offset)), "week %d", week)
		st, err = g.State(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, int64(week), st.Drift, "week %d: the drift learned", week)
		clock.Advance(7 * 24 * time.Hour)
	}
	// Followed, and the window never grew: the server's own step, 51 steps
	// behind the phone, is refused.
	now := clock.Now()
	server, err := guardTOTP.Step(now)
	require.NoError(t, err)
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, stepCode(t, int64(server))), otp.ErrInvalidCode)
}

// TestDriftOfTenRefusesTheServersStep: at a learned drift of +10 steps, a
// code of the server's own current step is refused.
func TestDriftOfTenRefusesTheServersStep(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := NewMemoryStore()
	_, err := store.Update(ctx, "alice", State{}, State{Drift: 10})
	require.NoError(t, err)
	g := &Guard{Store: store, Now: fixedClock(at1111111109)}
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, at1111111109)), otp.ErrInvalidCode)
	assert.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, at1111111109.Add(10*30*time.Second))))
}

// TestResyncAPhoneHoursOff: a phone 3 hours 7 minutes off is refused,
// resynchronised with two consecutive codes, then logs in normally, and
// nothing is accepted twice.
func TestResyncAPhoneHoursOff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	const off = 3*time.Hour + 7*time.Minute
	now := clock.Now()
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, phoneCode(t, now, off)), otp.ErrInvalidCode)

	first, second := phoneCode(t, now, off), phoneCode(t, now, off+30*time.Second)
	require.NoError(t, g.ResyncTOTP(ctx, "alice", guardTOTP, first, second))
	st, err := g.State(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, int64(off/(30*time.Second))+1, st.Drift, "the second code's offset")
	assert.Zero(t, st.Failures, "the resync cleared the earlier failure")

	// The same two codes again: used.
	assert.ErrorIs(t, g.ResyncTOTP(ctx, "alice", guardTOTP, first, second), otp.ErrInvalidCode)
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, second), otp.ErrReplayed)
	clock.Advance(time.Minute)
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, phoneCode(t, clock.Now(), off)), "a normal login after the resync")
	clock.Advance(time.Hour)
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, phoneCode(t, clock.Now(), off)), "and later")
}

// TestResyncNeedsConsecutiveCodes: two codes a step apart are refused, and
// counted, as any failure.
func TestResyncNeedsConsecutiveCodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109)}
	const off = 2 * time.Hour
	first, third := phoneCode(t, at1111111109, off), phoneCode(t, at1111111109, off+60*time.Second)
	err := g.ResyncTOTP(ctx, "alice", guardTOTP, first, third)
	var fe *FailureError
	require.ErrorAs(t, err, &fe)
	assert.ErrorIs(t, err, otp.ErrInvalidCode)
	st, err := g.State(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, st.Failures)
	assert.Zero(t, st.Drift)

	// Refused unchecked while throttled, like any attempt.
	for range 3 {
		_ = g.ResyncTOTP(ctx, "alice", guardTOTP, "000000", "000000")
	}
	second := phoneCode(t, at1111111109, off+30*time.Second)
	assert.ErrorIs(t, g.ResyncTOTP(ctx, "alice", guardTOTP, first, second), ErrThrottled)
}

// TestResyncBeyondRange: a pair outside ResyncRange is not found.
func TestResyncBeyondRange(t *testing.T) {
	t.Parallel()
	g := &Guard{Store: NewMemoryStore(), Now: fixedClock(at1111111109), ResyncRange: time.Hour}
	first, second := phoneCode(t, at1111111109, 2*time.Hour), phoneCode(t, at1111111109, 2*time.Hour+30*time.Second)
	assert.ErrorIs(t, g.ResyncTOTP(context.Background(), "alice", guardTOTP, first, second), otp.ErrInvalidCode)
}

var deviceKey = []byte("0123456789abcdef0123456789abcdef")

// TestTrustedDeviceAgainstAnAttacker: an attacker who knows the password
// guesses from unlimited parallel untrusted sessions for 48 simulated
// hours while the owner logs in daily from a trusted device. The owner is
// never delayed or refused, the attacker gets at most LockAfter guesses
// checked, and a stolen token, once revoked, buys nothing.
func TestTrustedDeviceAgainstAnAttacker(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := at1111111109
	clock := newFakeClock(start)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now, DeviceKey: deviceKey}
	require.NoError(t, g.VerifyTOTP(ctx, "victim", guardTOTP, mustCode(t, guardTOTP, clock.Now())))
	token, err := g.TrustDevice(ctx, "victim")
	require.NoError(t, err)
	owner := WithDevice(ctx, token)
	stolen, err := g.TrustDevice(ctx, "victim") // a second device, whose token leaks
	require.NoError(t, err)

	var checked, guess atomic.Int64
	nextLogin := start.Add(time.Hour)
	for clock.Now().Before(start.Add(48 * time.Hour)) {
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				err := g.VerifyTOTP(ctx, "victim", guardTOTP, attackerGuess(guardTOTP, clock.Now(), &guess))
				if errors.Is(err, otp.ErrInvalidCode) {
					checked.Add(1)
				}
			})
		}
		wg.Wait()
		if now := clock.Now(); !now.Before(nextLogin) {
			require.NoError(t, g.VerifyTOTP(owner, "victim", guardTOTP, mustCode(t, guardTOTP, now)), "the owner's daily login at %v", now.Sub(start))
			nextLogin = nextLogin.Add(24 * time.Hour)
		}
		clock.Advance(time.Minute)
	}
	assert.LessOrEqual(t, checked.Load(), int64(MaxLockAfter), "untrusted guesses checked in 48 hours")
	assert.Positive(t, checked.Load())

	// The stolen token is a device of its own: its guesses are checked,
	// up to its own bucket's limits, until the owner revokes every token.
	thief := WithDevice(ctx, stolen)
	assert.ErrorIs(t, g.VerifyTOTP(thief, "victim", guardTOTP, attackerGuess(guardTOTP, clock.Now(), &guess)), otp.ErrInvalidCode)
	require.NoError(t, g.RevokeDevices(ctx, "victim"))
	assert.ErrorIs(t, g.VerifyTOTP(thief, "victim", guardTOTP, mustCode(t, guardTOTP, clock.Now())), ErrLocked, "a revoked token is untrusted, and untrusted is locked")
	assert.ErrorIs(t, g.VerifyTOTP(owner, "victim", guardTOTP, mustCode(t, guardTOTP, clock.Now())), ErrLocked, "revocation covers the owner's token too, until a full login")
}

// TestDeviceTokensThatCountAsNone: forged, expired, other accounts' and
// malformed tokens are untrusted.
func TestDeviceTokensThatCountAsNone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now, DeviceKey: deviceKey, DeviceTTL: time.Hour}
	good, err := g.TrustDevice(ctx, "alice")
	require.NoError(t, err)
	bobs, err := g.TrustDevice(ctx, "bob")
	require.NoError(t, err)
	other := &Guard{Store: NewMemoryStore(), DeviceKey: []byte("another key, 32 bytes long......")}
	forged, err := other.TrustDevice(ctx, "alice")
	require.NoError(t, err)
	st, err := g.State(ctx, "alice")
	require.NoError(t, err)
	id, ok := g.deviceOf(WithDevice(ctx, good), "alice", st.Devices, clock.Now())
	require.True(t, ok, "the good token, so that the refusals below mean something")
	require.NotEmpty(t, id)
	flipped := []byte(good)
	flipped[10] ^= 1
	for name, token := range map[string]string{
		"empty": "", "garbage": "%%%", "forged": forged, "bob's": bobs, "tampered": string(flipped),
		"truncated": good[:len(good)-2], "long": good + good,
	} {
		_, ok := g.deviceOf(WithDevice(ctx, token), "alice", st.Devices, clock.Now())
		assert.False(t, ok, name)
	}
	clock.Advance(time.Hour)
	_, ok = g.deviceOf(WithDevice(ctx, good), "alice", st.Devices, clock.Now())
	assert.False(t, ok, "expired")
	_, err = (&Guard{Store: NewMemoryStore()}).TrustDevice(ctx, "alice")
	assert.ErrorIs(t, err, ErrInvalidConfig, "no DeviceKey")
}

// TestTrustedDeviceFailuresThrottleOnlyItself: a device's own failures
// delay it, and not the account's other clients.
func TestTrustedDeviceFailuresThrottleOnlyItself(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now, DeviceKey: deviceKey}
	token, err := g.TrustDevice(ctx, "alice")
	require.NoError(t, err)
	dev := WithDevice(ctx, token)
	for range 4 {
		assert.ErrorIs(t, g.VerifyTOTP(dev, "alice", guardTOTP, wrongCode(t, guardTOTP, clock.Now())), otp.ErrInvalidCode)
	}
	assert.ErrorIs(t, g.VerifyTOTP(dev, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())), ErrThrottled)
	st, err := g.State(ctx, "alice")
	require.NoError(t, err)
	assert.Zero(t, st.Failures, "the account's untrusted bucket is untouched")
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())), "an untrusted client is not delayed by the device")
}

// TestCheckFactorGatesTheLogin: the password through the same account's
// state: refused unchecked while throttled, a wrong one counted, a right
// one followed by a wrong code is the same single failure, and only the
// last factor's success clears the count.
func TestCheckFactorGatesTheLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	var calls atomic.Int64
	password := func(right bool) func(context.Context) (bool, error) {
		return func(context.Context) (bool, error) { calls.Add(1); return right, nil }
	}
	failures := func() int {
		st, err := g.State(ctx, "alice")
		require.NoError(t, err)
		return st.Failures
	}
	for range 2 {
		_, err := g.CheckFactor(ctx, "alice", password(false))
		var fe *FailureError
		require.ErrorAs(t, err, &fe)
		assert.ErrorIs(t, err, ErrFailed)
	}
	lctx, err := g.CheckFactor(ctx, "alice", password(true))
	require.NoError(t, err)
	assert.Equal(t, 3, failures(), "a right password is counted until the login ends")
	err = g.VerifyTOTP(lctx, "alice", guardTOTP, wrongCode(t, guardTOTP, clock.Now()))
	assert.ErrorIs(t, err, otp.ErrInvalidCode)
	assert.Equal(t, 3, failures(), "a wrong code after a right password is that one failure, not a second")
	err = g.VerifyTOTP(lctx, "alice", guardTOTP, wrongCode(t, guardTOTP, clock.Now()))
	assert.Equal(t, 4, failures(), "the counted attempt is used once: a second code counts on its own")
	var fe *FailureError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, time.Second, fe.RetryAfter, "the fourth failure of either factor sets the wait")

	before := calls.Load()
	_, err = g.CheckFactor(ctx, "alice", password(true))
	assert.ErrorIs(t, err, ErrThrottled)
	_, err = g.CheckFactor(ctx, "alice", password(false))
	assert.ErrorIs(t, err, ErrThrottled, "the same answer, right or wrong")
	assert.Equal(t, before, calls.Load(), "refused before the check runs")

	clock.Advance(time.Second)
	lctx, err = g.CheckFactor(ctx, "alice", password(true))
	require.NoError(t, err)
	require.NoError(t, g.VerifyTOTP(lctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())))
	assert.Zero(t, failures(), "the last factor's success clears the count")

	require.NoError(t, g.Check(ctx, "bob", password(true)), "Check: a whole login")
	sctx, err := g.CheckFactor(ctx, "carol", password(true))
	require.NoError(t, err)
	assert.True(t, g.Forgive(sctx))
	assert.False(t, g.Forgive(sctx), "once")
	st, err := g.State(ctx, "carol")
	require.NoError(t, err)
	assert.Zero(t, st.Failures, "forgiven")
}

// TestRightPasswordLooksLikeAWrongOne: after a right password and a wrong
// code, the state (failures, wait) and the answer are those of a wrong
// password at the same time, however long the password check took.
func TestRightPasswordLooksLikeAWrongOne(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	run := func(right bool) (State, *FailureError) {
		clock := newFakeClock(at1111111109)
		g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
		for range 3 {
			_, _ = g.CheckFactor(ctx, "alice", func(context.Context) (bool, error) { return false, nil })
		}
		slowHash := func(context.Context) (bool, error) { clock.Advance(2 * time.Second); return right, nil }
		lctx, err := g.CheckFactor(ctx, "alice", slowHash)
		if err == nil {
			err = g.VerifyTOTP(lctx, "alice", guardTOTP, "000000")
		}
		var fe *FailureError
		require.ErrorAs(t, err, &fe)
		st, err := g.State(ctx, "alice")
		require.NoError(t, err)
		st.Write = 0
		return st, fe
	}
	wrongState, wrongErr := run(false)
	rightState, rightErr := run(true)
	assert.Equal(t, wrongState, rightState)
	assert.Equal(t, wrongErr.RetryAfter, rightErr.RetryAfter)
	assert.Equal(t, wrongErr.Failures, rightErr.Failures)
}

// conflictOnce is a store whose first Update of each key conflicts.
type conflictOnce struct {
	MemoryStore
	mu   sync.Mutex
	done map[string]bool
}

func (c *conflictOnce) Update(ctx context.Context, key string, old, new State) (bool, error) {
	c.mu.Lock()
	first := !c.done[key]
	if c.done == nil {
		c.done = map[string]bool{}
	}
	c.done[key] = true
	c.mu.Unlock()
	if first {
		bumped := old
		bumped.Write = newWriteID()
		_, _ = c.MemoryStore.Update(ctx, key, old, bumped) // another server got in first
		return false, nil
	}
	return c.MemoryStore.Update(ctx, key, old, new)
}

func TestCheckRunsOnceOnAConflict(t *testing.T) {
	t.Parallel()
	g := &Guard{Store: &conflictOnce{}}
	var calls atomic.Int64
	err := g.Check(context.Background(), "alice", func(context.Context) (bool, error) { calls.Add(1); return false, nil })
	assert.ErrorIs(t, err, ErrFailed)
	assert.Equal(t, int64(1), calls.Load())
	st, err := g.State(context.Background(), "alice")
	require.NoError(t, err)
	assert.Equal(t, 1, st.Failures, "counted once, after the conflict")
}

// landedThenFailed writes, then reports an error, as a connection lost
// after the commit does; loadFails makes the reload fail too.
type landedThenFailed struct {
	MemoryStore
	lost, loadFails bool
	failed          atomic.Bool // the first Update fails; the others work
}

func (s *landedThenFailed) Update(ctx context.Context, key string, old, new State) (bool, error) {
	if s.failed.Swap(true) {
		return s.MemoryStore.Update(ctx, key, old, new)
	}
	if s.lost {
		return false, errors.New("connection refused") // never sent
	}
	ok, _ := s.MemoryStore.Update(ctx, key, old, new)
	return ok, errors.New("connection reset")
}

func (s *landedThenFailed) Load(ctx context.Context, key string) (State, error) {
	if s.loadFails {
		return State{}, errors.New("connection refused")
	}
	return s.MemoryStore.Load(ctx, key)
}

// TestOutcomeOfAFailedUpdate: the Guard reloads after a failed Update and
// reports what happened: its write landed, or did not, or nobody knows.
func TestOutcomeOfAFailedUpdate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	code := mustCode(t, guardTOTP, at1111111109)
	t.Run("landed", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: &landedThenFailed{}, Now: fixedClock(at1111111109)}
		require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, code), "the write is there: a success")
		g2 := &Guard{Store: &landedThenFailed{}, Now: fixedClock(at1111111109)}
		err := g2.VerifyTOTP(ctx, "alice", guardTOTP, wrongCode(t, guardTOTP, at1111111109))
		var fe *FailureError
		assert.ErrorAs(t, err, &fe, "a failure that landed is reported counted")
	})
	t.Run("not landed", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: &landedThenFailed{lost: true}, Now: fixedClock(at1111111109)}
		err := g.VerifyTOTP(ctx, "alice", guardTOTP, code)
		var se *StoreError
		assert.ErrorAs(t, err, &se)
		assert.NotErrorIs(t, err, ErrOutcomeUnknown)
	})
	t.Run("unknown", func(t *testing.T) {
		t.Parallel()
		store := &landedThenFailed{}
		g := &Guard{Store: store, Now: fixedClock(at1111111109)}
		g.seen.put("alice", State{}) // so that the attempt reaches Update
		store.loadFails = true
		err := g.VerifyTOTP(ctx, "alice", guardTOTP, code)
		assert.ErrorIs(t, err, ErrOutcomeUnknown)
		var oe *OutcomeError
		assert.ErrorAs(t, err, &oe)
	})
}

// TestWaitBoundedByPolicy: a wait written by a server whose clock runs a
// minute fast is cut to the Policy's delay for the failures counted, and
// then runs out.
func TestWaitBoundedByPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	store := NewMemoryStore()
	fast := clock.Now().Add(time.Minute + 4*time.Millisecond)
	_, err := store.Update(ctx, "alice", State{}, State{Failures: 4, NotBefore: fast}) // 4 failures: a 1s delay
	require.NoError(t, err)
	g := &Guard{Store: store, Now: clock.Now}
	err = g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now()))
	var te *ThrottleError
	require.ErrorAs(t, err, &te)
	assert.LessOrEqual(t, te.RetryAfter, time.Second)
	clock.Advance(time.Second)
	assert.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())))
}

func TestAccountWithControlCharactersRefused(t *testing.T) {
	t.Parallel()
	g := &Guard{Store: NewMemoryStore()}
	assert.ErrorIs(t, g.VerifyTOTP(context.Background(), "alice\x1fdevice\x1fab", guardTOTP, "123456"), ErrInvalidConfig)
}

func TestTrusted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := &Guard{Store: NewMemoryStore(), DeviceKey: deviceKey}
	token, err := g.TrustDevice(ctx, "alice")
	require.NoError(t, err)
	for name, tt := range map[string]struct {
		ctx     context.Context
		account string
		want    bool
	}{
		"its account":   {WithDevice(ctx, token), "alice", true},
		"no token":      {ctx, "alice", false},
		"other account": {WithDevice(ctx, token), "bob", false},
		"garbage":       {WithDevice(ctx, "x"), "alice", false},
	} {
		got, err := g.Trusted(tt.ctx, tt.account)
		require.NoError(t, err, name)
		assert.Equal(t, tt.want, got, name)
	}
	require.NoError(t, g.RevokeDevices(ctx, "alice"))
	got, err := g.Trusted(WithDevice(ctx, token), "alice")
	require.NoError(t, err)
	assert.False(t, got, "revoked")
}

// FuzzDeviceToken: whatever a cookie holds, reading it never panics, and
// a token is trusted only if it is one signed with the Guard's key for the
// account (checked here by HMAC computed apart from the Guard's code), of
// its generation and not expired.
func FuzzDeviceToken(f *testing.F) {
	g := &Guard{Store: NewMemoryStore(), DeviceKey: deviceKey, Now: fixedClock(at1111111109)}
	good, err := g.TrustDevice(context.Background(), "alice")
	require.NoError(f, err)
	f.Add(good)
	f.Add("")
	f.Add(good[:10])
	f.Add(good + "A")
	f.Fuzz(func(t *testing.T, token string) {
		_, ok := g.deviceOf(WithDevice(context.Background(), token), "alice", 0, at1111111109)
		if !ok {
			return
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		require.NoError(t, err)
		require.Len(t, raw, 1+16+8+8+32)
		body := raw[:1+16+8+8]
		m := hmac.New(sha256.New, deviceKey)
		m.Write([]byte("otp/guard device token v1\x00"))
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(len("alice"))))
		m.Write([]byte("alice"))
		m.Write(body)
		require.True(t, hmac.Equal(m.Sum(nil), raw[len(body):]), "a token not signed for alice is trusted")
		require.Equal(t, uint64(0), binary.BigEndian.Uint64(body[17:25]), "of another generation")
		require.Greater(t, int64(binary.BigEndian.Uint64(body[25:33])), at1111111109.Unix(), "expired")
	})
}
