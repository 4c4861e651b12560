package guard

import (
	"context"
	"errors"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that tests move by hand, safe for concurrent use.
type fakeClock struct{ nanos atomic.Int64 }

func newFakeClock(at time.Time) *fakeClock {
	c := &fakeClock{}
	c.nanos.Store(at.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.nanos.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.nanos.Add(int64(d)) }

// guardTOTP is the otp.TOTP of the Guard tests: the RFC secret, Skew 1.
var guardTOTP = otp.TOTP{Secret: rfc4226Secret, Skew: 1}

// rfc4226Secret is the secret of the RFC 4226 and RFC 6238 SHA-1 vectors.
var rfc4226Secret = []byte("12345678901234567890")

// at1111111109 is a time of RFC 6238's vectors: step 37037036.
var at1111111109 = time.Unix(1111111109, 0)

// wrongCode returns a code that is valid at no step of t's window at at.
func wrongCode(t *testing.T, tp otp.TOTP, at time.Time) string {
	t.Helper()
	for i := 0; ; i++ {
		code := strconv.Itoa(100000 + i*7919%900000)
		if _, err := tp.Verify(code, at, 0); errors.Is(err, otp.ErrInvalidCode) {
			return code
		}
	}
}

func mustCode(t *testing.T, tp otp.TOTP, at time.Time) string {
	t.Helper()
	code, err := tp.Generate(at)
	require.NoError(t, err)
	return code
}

func TestPolicyDelays(t *testing.T) {
	t.Parallel()
	p, err := Policy{}.resolve()
	require.NoError(t, err)
	want := map[int]time.Duration{
		1: 0, 2: 0, 3: 0, 4: time.Second, 5: 2 * time.Second, 6: 4 * time.Second,
		13: 512 * time.Second, 14: 15 * time.Minute, 99: 15 * time.Minute,
	}
	for failures, d := range want {
		t.Run(strconv.Itoa(failures), func(t *testing.T) {
			assert.Equal(t, d, p.delayAfter(failures))
		})
	}
}

func TestPolicyDelayNeverOverflows(t *testing.T) {
	t.Parallel()
	p, err := Policy{MaxDelay: math.MaxInt64}.resolve()
	require.NoError(t, err)
	for failures := 4; failures <= MaxLockAfter; failures++ {
		d := p.delayAfter(failures)
		require.Positive(t, d, failures)
		require.GreaterOrEqual(t, d, p.delayAfter(failures-1), failures)
	}
}

func TestPolicyRejects(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]Policy{
		"negative FreeFailures": {FreeFailures: -1},
		"negative Delay":        {Delay: -time.Second},
		"negative MaxDelay":     {MaxDelay: -1},
		"negative LockAfter":    {LockAfter: -1},
		"LockAfter above 100":   {LockAfter: 101},
	} {
		t.Run(name, func(t *testing.T) {
			g := &Guard{Store: NewMemoryStore(), Policy: p}
			err := g.VerifyTOTP(context.Background(), "alice", guardTOTP, "123456")
			assert.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

func TestGuardTOTPLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	state := func() State {
		s, err := g.State(ctx, "alice")
		require.NoError(t, err)
		s.Write = 0 // a random tag per write
		return s
	}

	code := mustCode(t, guardTOTP, clock.Now())
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, code))
	assert.Equal(t, State{Next: 37037037}, state())

	// The same code again is a replay, and a replay is a failure.
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, code), otp.ErrReplayed)
	assert.Equal(t, 1, state().Failures)

	bad := wrongCode(t, guardTOTP, clock.Now())
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, bad), otp.ErrInvalidCode)
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, "12345"), otp.ErrInvalidCode, "malformed counts too")
	s := state()
	assert.Equal(t, 3, s.Failures)
	assert.True(t, s.NotBefore.IsZero(), "three failures are free")

	// The fourth failure sets a one-second wait; an attempt during it, even
	// with the right code, is refused unchecked and not counted.
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, bad), otp.ErrInvalidCode)
	assert.Equal(t, clock.Now().Add(time.Second), state().NotBefore)
	clock.Advance(500 * time.Millisecond)
	err := g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now().Add(30*time.Second)))
	var te *ThrottleError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, ErrThrottled)
	assert.Equal(t, 500*time.Millisecond, te.RetryAfter)
	assert.Equal(t, 4, state().Failures)

	// After the wait a good code is checked, accepted, and clears it all.
	clock.Advance(30 * time.Second)
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())))
	assert.Equal(t, State{Next: 37037038}, state())
}

func TestGuardLocksAfterLockAfter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now, Policy: Policy{LockAfter: 5}}
	for range 5 {
		assert.ErrorIs(t, g.VerifyTOTP(ctx, "bob", guardTOTP, wrongCode(t, guardTOTP, clock.Now())), otp.ErrInvalidCode)
		clock.Advance(time.Hour)
	}
	// Locked: even the right code, a day later, is refused unchecked.
	clock.Advance(24 * time.Hour)
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "bob", guardTOTP, mustCode(t, guardTOTP, clock.Now())), ErrLocked)
	s, err := g.State(ctx, "bob")
	require.NoError(t, err)
	s.Write = 0 // a random tag per write
	assert.Equal(t, 5, s.Failures)

	require.NoError(t, g.Reset(ctx, "bob"))
	code := mustCode(t, guardTOTP, clock.Now())
	assert.NoError(t, g.VerifyTOTP(ctx, "bob", guardTOTP, code))

	// Reset unlocks but keeps the last step: the code just used stays used.
	require.ErrorIs(t, g.VerifyTOTP(ctx, "bob", guardTOTP, wrongCode(t, guardTOTP, clock.Now())), otp.ErrInvalidCode)
	require.NoError(t, g.Reset(ctx, "bob"))
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "bob", guardTOTP, code), otp.ErrReplayed)
	s, err = g.State(ctx, "bob")
	require.NoError(t, err)
	s.Write = 0 // a random tag per write
	assert.Equal(t, 1, s.Failures)
}

func TestGuardAccountsAreSeparate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(at1111111109)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	code := mustCode(t, guardTOTP, clock.Now())
	require.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, code))
	assert.NoError(t, g.VerifyTOTP(ctx, "bob", guardTOTP, code), "bob's step is his own")
}

// TestGuardSteamTOTP: a Guard takes otp.Steam codes as it takes decimal ones,
// through otp.TOTP.Verify: once each, in either case, a malformed one counted.
func TestGuardSteamTOTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secret, err := otp.DecodeSecret("63BEDWCQZKTQWPESARIERL5DTTQFCJTK")
	require.NoError(t, err)
	steam := otp.TOTP{Secret: secret, Format: otp.Steam, Skew: 1}
	clock := newFakeClock(time.Unix(1511200518, 0)) // the otp.Steam app showed FR8RV (testdata/steam.json)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}

	require.NoError(t, g.VerifyTOTP(ctx, "erin", steam, "fr8rv"))
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "erin", steam, "FR8RV"), otp.ErrReplayed, "the same code in the other case")
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "erin", steam, "FR8RA"), otp.ErrInvalidCode, "A is not a otp.Steam character")
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "erin", steam, "124875"), otp.ErrInvalidCode, "the decimal code of the step")
	s, err := g.State(ctx, "erin")
	require.NoError(t, err)
	s.Write = 0 // a random tag per write
	assert.Equal(t, State{Next: 1511200518/30 + 1, Failures: 3}, s)

	clock.Advance(196 * time.Second) // the app's second code, 9P3VP
	require.NoError(t, g.VerifyTOTP(ctx, "erin", steam, "9p3vp"))
	s, err = g.State(ctx, "erin")
	require.NoError(t, err)
	s.Write = 0 // a random tag per write
	assert.Equal(t, State{Next: 1511200714/30 + 1}, s)
}

func TestGuardHOTP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := &Guard{Store: NewMemoryStore()}
	h := otp.HOTP{Secret: rfc4226Secret, LookAhead: 2}
	require.NoError(t, g.Enroll(ctx, "carol", 5))
	code7, err := h.Generate(7)
	require.NoError(t, err)
	require.NoError(t, g.VerifyHOTP(ctx, "carol", h, code7))
	s, err := g.State(ctx, "carol")
	require.NoError(t, err)
	s.Write = 0 // a random tag per write
	assert.Equal(t, State{Next: 8}, s)
	assert.ErrorIs(t, g.VerifyHOTP(ctx, "carol", h, code7), otp.ErrInvalidCode, "a used counter is behind the window")
}

func TestGuardConfigErrorsCountNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := NewMemoryStore()
	g := &Guard{Store: store}
	err := g.VerifyTOTP(ctx, "dave", otp.TOTP{Secret: rfc4226Secret, Digits: 4}, "1234")
	assert.ErrorIs(t, err, otp.ErrInvalidConfig)
	s, err := g.State(ctx, "dave")
	require.NoError(t, err)
	s.Write = 0 // a random tag per write
	assert.Equal(t, State{}, s)

	assert.ErrorIs(t, (&Guard{}).VerifyTOTP(ctx, "dave", guardTOTP, "123456"), ErrInvalidConfig, "nil Store")
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "", guardTOTP, "123456"), ErrInvalidConfig, "empty account")
}

// scriptedStore fails or conflicts as a test says, and counts its calls.
type scriptedStore struct {
	MemoryStore
	loadErr, updateErr error
	conflict           bool
	updates            atomic.Int64
}

func (s *scriptedStore) Load(ctx context.Context, account string) (State, error) {
	if s.loadErr != nil {
		return State{}, s.loadErr
	}
	return s.MemoryStore.Load(ctx, account)
}

func (s *scriptedStore) Update(ctx context.Context, account string, old, new State) (bool, error) {
	s.updates.Add(1)
	if s.updateErr != nil || s.conflict {
		return false, s.updateErr
	}
	return s.MemoryStore.Update(ctx, account, old, new)
}

func TestGuardStoreFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	broken := errors.New("disk on fire")
	code := mustCode(t, guardTOTP, time.Now())
	tests := map[string]struct {
		store *scriptedStore
		want  error
	}{
		"load fails":         {&scriptedStore{loadErr: broken}, broken},
		"update fails":       {&scriptedStore{updateErr: broken}, broken},
		"always conflicting": {&scriptedStore{conflict: true}, ErrConflict},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			g := &Guard{Store: tt.store}
			err := g.VerifyTOTP(ctx, "erin", guardTOTP, code)
			require.Error(t, err, "a store that fails never makes a success")
			assert.ErrorIs(t, err, tt.want)
			assert.NotErrorIs(t, err, otp.ErrInvalidCode)
			assert.LessOrEqual(t, tt.store.updates.Load(), int64(maxTries))
			switch name {
			case "load fails":
				var se *StoreError
				assert.ErrorAs(t, err, &se)
			case "update fails":
				// Every write fails, the fence that would prove nothing
				// landed too: nobody can say what the store holds.
				assert.ErrorIs(t, err, ErrOutcomeUnknown)
			}
		})
	}
}

func TestGuardContextCancelledDuringBackoff(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &Guard{Store: &scriptedStore{conflict: true}}
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "erin", guardTOTP, "123456"), context.Canceled)
}

// raceAttempts runs one attempt per code from n goroutines at once and
// returns how many ended in each error (nil counted under "ok").
func raceAttempts(g *Guard, account string, codes []string) map[string]int {
	var mu sync.Mutex
	counts := map[string]int{}
	var start, done sync.WaitGroup
	start.Add(1)
	for _, code := range codes {
		done.Go(func() {
			start.Wait()
			err := g.VerifyTOTP(context.Background(), account, guardTOTP, code)
			mu.Lock()
			counts[outcome(err)]++
			mu.Unlock()
		})
	}
	start.Done()
	done.Wait()
	return counts
}

// outcome names an attempt's result for the concurrency tests.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, otp.ErrReplayed):
		return "replayed"
	case errors.Is(err, otp.ErrInvalidCode):
		return "invalid"
	case errors.Is(err, ErrThrottled):
		return "throttled"
	case errors.Is(err, ErrLocked):
		return "locked"
	}
	return "error: " + err.Error()
}

// racePolicy lets a race of up to 100 wrong codes be counted without any
// being throttled.
var racePolicy = Policy{FreeFailures: 100, LockAfter: 100}

func TestGuardConcurrentGoroutines(t *testing.T) {
	t.Parallel()
	now := at1111111109
	t.Run("one code, accepted once", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: NewMemoryStore(), Now: func() time.Time { return now }, Policy: racePolicy}
		code := mustCode(t, guardTOTP, now)
		codes := make([]string, 50)
		for i := range codes {
			codes[i] = code
		}
		got := raceAttempts(g, "alice", codes)
		assert.Equal(t, map[string]int{"ok": 1, "replayed": 49}, got)
		s, err := g.State(context.Background(), "alice")
		require.NoError(t, err)
		assert.Equal(t, 49, s.Failures)
	})
	t.Run("wrong codes, each counted", func(t *testing.T) {
		t.Parallel()
		g := &Guard{Store: NewMemoryStore(), Now: func() time.Time { return now }, Policy: racePolicy}
		codes := make([]string, 80)
		for i := range codes {
			codes[i] = wrongCode(t, guardTOTP, now)
		}
		assert.Equal(t, map[string]int{"invalid": 80}, raceAttempts(g, "bob", codes))
		s, err := g.State(context.Background(), "bob")
		require.NoError(t, err)
		assert.Equal(t, 80, s.Failures)
	})
}

// TestGuardAuthQuake replays the 2024 attack on Microsoft's MFA: an
// attacker with the password opens as many sessions as they like and
// guesses in parallel, waiting exactly as long as each refusal says, with
// a clock that runs as fast as they can try. The default Policy must hold
// them to 100 checked codes, and then the account stays locked for the
// rest of the day.
func TestGuardAuthQuake(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	start := at1111111109
	clock := newFakeClock(start)
	g := &Guard{Store: NewMemoryStore(), Now: clock.Now}
	const sessions = 64
	var attempts, checked, guess atomic.Int64
	for clock.Now().Before(start.Add(24 * time.Hour)) {
		var wait atomic.Int64 // the shortest RetryAfter seen, in nanoseconds
		wait.Store(int64(time.Minute))
		var wg sync.WaitGroup
		for range sessions {
			wg.Go(func() {
				code := attackerGuess(guardTOTP, clock.Now(), &guess)
				err := g.VerifyTOTP(ctx, "victim", guardTOTP, code)
				attempts.Add(1)
				var te *ThrottleError
				var fe *FailureError
				switch {
				case errors.As(err, &fe):
					assert.ErrorIs(t, err, otp.ErrInvalidCode)
					checked.Add(1)
				case errors.As(err, &te):
					for w := wait.Load(); int64(te.RetryAfter) < w && !wait.CompareAndSwap(w, int64(te.RetryAfter)); w = wait.Load() {
					}
				default:
					assert.ErrorIs(t, err, ErrLocked)
				}
			})
		}
		wg.Wait()
		clock.Advance(time.Duration(wait.Load()))
	}
	t.Logf("%d attempts in 24 simulated hours, %d codes checked", attempts.Load(), checked.Load())
	assert.Equal(t, int64(MaxLockAfter), checked.Load())
	assert.Greater(t, attempts.Load(), int64(50_000))
	assert.ErrorIs(t, g.VerifyTOTP(ctx, "victim", guardTOTP, mustCode(t, guardTOTP, clock.Now())), ErrLocked)
}

// attackerGuess returns the attacker's next guess, skipping any that
// happens to be right: the test counts checked guesses, and a lucky one
// (3 in a million) would end the attack early.
func attackerGuess(tp otp.TOTP, at time.Time, n *atomic.Int64) string {
	for {
		code := strconv.Itoa(int(n.Add(1)%1_000_000 + 1_000_000))[1:]
		if _, err := tp.Verify(code, at, 0); err != nil {
			return code
		}
	}
}

// guardModel is the Guard written out the plainest way, one attempt at a
// time: the oracle of FuzzGuardModel. The account's position (next,
// drift) is one; its failures are counted per bucket: the untrusted
// clients', and a trusted device's.
type guardModel struct {
	policy            Policy
	next              uint64
	drift             int64
	untrusted, device modelBucket
	devices           uint64 // the generation the device's token has; revoked when behind
	generation        uint64
}

type modelBucket struct {
	failures  int
	notBefore time.Time
}

func (b *modelBucket) attempt(p Policy, now time.Time, result string) string {
	switch {
	case b.failures >= p.LockAfter:
		return "locked"
	case now.Before(b.notBefore):
		return "throttled"
	case result == "ok":
		b.failures, b.notBefore = 0, time.Time{}
		return result
	}
	b.failures++
	b.notBefore = time.Time{}
	if extra := b.failures - p.FreeFailures - 1; extra >= 0 {
		d := p.MaxDelay
		if extra < 40 {
			d = min(p.Delay<<extra, p.MaxDelay)
		}
		b.notBefore = now.Add(d)
	}
	return result
}

// FuzzGuardModel drives a Guard and guardModel with the same attempts,
// from an untrusted client and from a trusted device, clock moves, resets
// and revocations, and requires the same answer and the same stored state
// after every one.
func FuzzGuardModel(f *testing.F) {
	f.Add([]byte{0, 1, 1, 3, 2, 2, 2, 2, 0, 4, 2, 0, 200, 1})
	f.Add([]byte{1, 2, 2, 2, 2, 2, 2, 2, 2, 1, 0, 10, 1, 4, 1})
	f.Add([]byte{0, 2, 2, 2, 2, 5, 6, 6, 6, 6, 5, 7, 5, 1, 8, 5})
	f.Add(bytes100(2))
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) == 0 {
			return
		}
		policies := []Policy{{}, {FreeFailures: 1, Delay: 2 * time.Second, MaxDelay: 10 * time.Second, LockAfter: 7}}
		policy := policies[int(ops[0])%len(policies)]
		p, err := policy.resolve()
		require.NoError(t, err)
		model := &guardModel{policy: p}
		clock := newFakeClock(at1111111109)
		g := &Guard{Store: NewMemoryStore(), Policy: policy, Now: clock.Now, DeviceKey: deviceKey, DeviceTTL: 1000 * time.Hour}
		ctx := context.Background()
		token, err := g.TrustDevice(ctx, "alice")
		require.NoError(t, err)
		for i := 1; i < len(ops); i++ {
			now := clock.Now()
			step, err := guardTOTP.Step(now)
			require.NoError(t, err)
			var code string
			trusted := false
			switch ops[i] % 9 {
			case 0: // the clock moves by up to about half an hour
				if i+1 < len(ops) {
					i++
					clock.Advance(time.Duration(ops[i]) * 7 * time.Second)
				}
				continue
			case 1: // the right code of now
				code = mustCode(t, guardTOTP, now)
			case 2:
				code = wrongCode(t, guardTOTP, now)
			case 3: // the code of the last accepted step
				if model.next == 0 {
					continue
				}
				code = mustCodeAtStep(t, model.next-1)
			case 4:
				require.NoError(t, g.Reset(ctx, "alice"))
				model.untrusted = modelBucket{} // next stays; a device's bucket too
				continue
			case 5:
				code, trusted = mustCode(t, guardTOTP, now), true
			case 6:
				code, trusted = wrongCode(t, guardTOTP, now), true
			case 7:
				require.NoError(t, g.RevokeDevices(ctx, "alice"))
				model.generation++
				continue
			case 8: // a new token for the device after a login: a bucket of its own
				token, err = g.TrustDevice(ctx, "alice")
				require.NoError(t, err)
				model.devices, model.device = model.generation, modelBucket{}
				continue
			}
			// Codes of different steps can be equal (one in a million), so
			// the expected result comes from the window, step by step.
			centre := uint64(int64(step) + model.drift)
			matched, found := windowMatch(t, code, centre)
			expect := "invalid"
			switch {
			case found && matched >= model.next:
				expect = "ok"
			case found:
				expect = "replayed"
			}
			bucket, actx := &model.untrusted, ctx
			if trusted {
				actx = WithDevice(ctx, token)
				if model.devices == model.generation {
					bucket = &model.device
				}
			}
			clearsUntrusted := bucket == &model.untrusted
			saved := model.untrusted
			want := bucket.attempt(p, now, expect)
			if want == "ok" {
				model.next = matched + 1
				model.drift = int64(matched) - int64(step)
				if !clearsUntrusted {
					model.untrusted = saved
				}
			}
			got := outcome(g.VerifyTOTP(actx, "alice", guardTOTP, code))
			require.Equal(t, want, got, "op %d", i)
			st, err := g.State(ctx, "alice")
			require.NoError(t, err)
			st.Write = 0 // a random tag per write
			require.True(t, st.Equal(State{Next: model.next, Drift: model.drift, Failures: model.untrusted.failures,
				NotBefore: model.untrusted.notBefore, Devices: model.generation}),
				"op %d: state %+v, model %+v", i, st, model)
		}
	})
}

func bytes100(b byte) []byte {
	out := make([]byte, 100)
	for i := range out {
		out[i] = b
	}
	return out
}

// mustCodeAtStep returns guardTOTP's code of a time step.
func mustCodeAtStep(t *testing.T, step uint64) string {
	t.Helper()
	code, err := otp.HOTP{Secret: guardTOTP.Secret}.Generate(step)
	require.NoError(t, err)
	return code
}

// windowMatch returns the latest step of guardTOTP's window around step
// whose code is code, if there is one.
func windowMatch(t *testing.T, code string, step uint64) (matched uint64, found bool) {
	t.Helper()
	for s := step - 1; s <= step+1; s++ {
		if mustCodeAtStep(t, s) == code {
			matched, found = s, true
		}
	}
	return matched, found
}
