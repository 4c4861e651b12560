// Package guard keeps the state that RFC 6238 §5.2 and RFC 4226 §7.3 ask of
// a one-time password verifier, per account, in a store that every server
// of a service shares: each code is accepted once, and guessing is slowed
// and then locked out (NIST SP 800-63B §5.2.2).
//
// # Use
//
// Give a [Guard] a [Store] (see Stores below, or another that passes
// [github.com/otpkit/otp/guard/storetest]) and verify every code through
// it, with a stable account identifier:
//
//	g := &guard.Guard{Store: store}
//	err := g.VerifyTOTP(ctx, userID, key.TOTP(), code)
//
// nil means the code was right and is now used up, on every server. A
// wrong or replayed code is a [*FailureError], counted, that says how long
// until the next attempt is checked; an attempt during that wait, or once
// the account is locked, is refused unchecked ([ErrThrottled],
// [ErrLocked]). Recovery codes ([GenerateRecoveryCodes],
// [Guard.UseRecoveryCode]) share the count; so do passwords and other
// factors checked through [Guard.CheckFactor], and trusted devices
// ([Guard.TrustDevice]) get counts of their own. Each account's clock
// drift is learned ([Guard.VerifyTOTP], [Guard.ResyncTOTP]).
//
// # Stores
//
// Which store when, and what each survives:
//
//   - [MemoryStore]: one process (tests, command-line tools); a restart
//     forgets everything, reopening the window's codes.
//   - [SQLStore] on SQLite ([NewSQLStore]): one machine, any number of
//     processes; survives crashes, each commit fsync'd.
//   - [SQLStore] on PostgreSQL ([NewSQLStore]) or MySQL 8 and MariaDB 10.6+
//     ([NewMySQLStore]): many machines; survives crashes with the
//     engine's durable defaults, and a failover keeps what reached a
//     synchronous standby.
//   - Redis 7 or Valkey, Redis Cluster too
//     ([github.com/otpkit/otp/guard/redisstore]): many machines; survives
//     crashes only with appendonly yes and appendfsync always.
//
// A store that loses writes loses them silently: codes accepted in that
// time are accepted again while in their window, and failures counted in
// it are forgotten.
//
// # Errors
//
//   - A counted failure: [*FailureError], wrapping [otp.ErrInvalidCode],
//     [otp.ErrReplayed] or [ErrFailed] (a check of the caller's), and
//     [ErrLocked] when it locked the account.
//   - Refused unchecked and uncounted: [ErrThrottled] (a [*ThrottleError]
//     with the wait) and [ErrLocked].
//   - Nothing committed: [*StoreError] wraps what the [Store] returned, and
//     [ErrConflict] means concurrent attempts kept the state changing.
//   - Nobody knows: [ErrOutcomeUnknown] (an [*OutcomeError]), the store
//     failed after a write was sent and a reload could not settle it.
//   - The program's own values: [*ConfigError], for [ErrInvalidConfig] (and
//     [otp.ErrInvalidConfig]); a TOTP's or HOTP's bad setting is package
//     otp's [otp.ConfigError].
//
// No error message holds a code, a secret or an account.
package guard

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"github.com/otpkit/otp"
)

// Guard verifies codes with the state that RFC 6238 §5.2 and RFC 4226 §7.3
// ask of a verifier, kept per account in a [Store] that every server of a
// service shares: each code is accepted once, and failed attempts are
// throttled and finally locked out by the [Policy].
//
// An attempt loads the account's [State]; is refused unchecked while the
// account is locked ([ErrLocked]) or waiting ([ErrThrottled]); checks the
// code from State.Next; and commits the outcome with one compare-and-swap
// [Store.Update]: a success moves Next past the matched step and clears the
// failures, a wrong or replayed code adds a failure. If another attempt
// committed in between, it starts again from the load. So a result is only
// returned for an outcome that was committed: N concurrent attempts on one
// account count exactly N, however many processes make them, and a code is
// accepted by exactly one of them.
//
// The account is the key of that state, compared byte for byte: pass a
// canonical identifier that never changes (a user ID, not a name the user
// types), or "Alice" and "alice" would each get their own count and each
// accept the same code once. It may not hold control characters, which
// the Guard's own keys use. The application keeps its users and their
// secrets; the Guard keeps only this state. Configuration errors (of the
// TOTP, HOTP or Policy) are returned as they are and count as nothing.
//
// A Guard remembers the last state it saw of recently used accounts, so
// that an attempt usually commits without reading first; a state changed
// by another server makes that commit fail, and the attempt starts again
// from a load. Use a Guard by pointer and do not copy it.
type Guard struct {
	Store  Store
	Policy Policy           // zero value: the defaults
	Now    func() time.Time // nil: time.Now

	// DeviceKey signs trusted-device tokens ([Guard.TrustDevice]): 32
	// random bytes or more, the same on every server, kept secret. Without
	// it every client is untrusted.
	DeviceKey []byte
	// DeviceTTL is how long a trusted-device token is valid; 0 means
	// [DefaultDeviceTTL].
	DeviceTTL time.Duration
	// ResyncRange is how far from the server's clock [Guard.ResyncTOTP]
	// searches, each way; 0 means [DefaultResyncRange].
	ResyncRange time.Duration

	seen stateCache
}

// maxTries bounds how often an attempt starts again after a conflicting
// update before it gives up with [ErrConflict].
const maxTries = 32

// verdict is what a right code changes: the next step or counter, and the
// drift it matched at.
type verdict struct {
	next  uint64
	drift int64
}

// applied is s after the right code: its new position, and with
// clearsFailures (the failures were counted in s itself, not in a
// device's bucket) no failures or wait.
func (v verdict) applied(s State, clearsFailures bool) State {
	s.Next, s.Drift = v.next, v.drift
	if clearsFailures {
		s = unlocked(s)
	}
	return s
}

// verifier checks a code against the account's state at now.
type verifier func(s State, now time.Time) (verdict, error)

// VerifyTOTP checks code against t (with its Skew) at the Guard's Now, for
// account, in a window centred on the account's learned [State.Drift]. It
// returns nil once the success is committed; a [*FailureError] wrapping
// [otp.ErrInvalidCode] or [otp.ErrReplayed] once the failure is committed;
// [ErrThrottled] (a [*ThrottleError]) or [ErrLocked] for an attempt refused
// unchecked; a [*StoreError] or [ErrConflict] when nothing was committed;
// and [ErrOutcomeUnknown] when the store failed after the write was sent
// and a reload could not tell whether it landed.
//
// # Clock drift
//
// Each accepted code records the offset, in steps, between the step it
// matched and the server's: the next window is centred there. A phone
// whose clock drifts slowly is followed for ever, while the window never
// grows: at a learned drift of +10 steps, the code of the server's own
// step is refused. A phone far off (a wrong time zone) is brought back by
// [Guard.ResyncTOTP].
func (g *Guard) VerifyTOTP(ctx context.Context, account string, t otp.TOTP, code string) error {
	return g.attempt(ctx, account, func(s State, now time.Time) (verdict, error) {
		return verifyTOTPAt(t, code, now, s)
	})
}

// verifyTOTPAt checks code in the window centred s.Drift steps from now.
func verifyTOTPAt(t otp.TOTP, code string, now time.Time, s State) (verdict, error) {
	server, err := t.Step(now)
	if err != nil {
		return verdict{}, err
	}
	next, err := t.Verify(code, shift(t, now, s.Drift), s.Next)
	if err != nil {
		return verdict{}, err
	}
	return verdict{next: next, drift: int64(next-1) - int64(server)}, nil
}

// shift returns now moved by steps of t's period, or now itself when that
// would leave time.Time's range or go before the epoch: a drift no clock
// has gets the server's own window.
func shift(t otp.TOTP, now time.Time, steps int64) time.Time {
	period := periodOf(t)
	if steps > math.MaxInt64/int64(period) || steps < math.MinInt64/int64(period) {
		return now
	}
	at := now.Add(time.Duration(steps) * period)
	if _, err := t.Step(at); err != nil { // before the epoch: package otp's rule
		return now
	}
	return at
}

// periodOf is t's time step, with the zero Period's default.
func periodOf(t otp.TOTP) time.Duration {
	if t.Period == 0 {
		return otp.DefaultPeriod
	}
	return t.Period
}

// VerifyHOTP checks code against h (with its LookAhead) from the counter
// the account expects next, and on success stores the counter after the
// matched one. Its results are those of [Guard.VerifyTOTP]. Start a new
// HOTP account with [Guard.Enroll] at the key's initial counter.
func (g *Guard) VerifyHOTP(ctx context.Context, account string, h otp.HOTP, code string) error {
	return g.attempt(ctx, account, func(s State, _ time.Time) (verdict, error) {
		next, err := h.Verify(code, s.Next)
		return verdict{next: next, drift: s.Drift}, err
	})
}

// attempt runs one verification as the Guard's doc describes.
func (g *Guard) attempt(ctx context.Context, account string, verify verifier) error {
	p, err := g.setup(account)
	if err != nil {
		return err
	}
	if la := attemptOf(ctx, account); la != nil && la.take(g.now()) {
		return g.lastFactor(ctx, la, verify)
	}
	fresh := false       // whether to skip the remembered state
	checked := uint64(0) // the Next of the state last checked against
	for try := range maxTries {
		a, err := g.admit(ctx, p, account, !fresh)
		if err != nil {
			return err
		}
		fresh = true
		if a.main.Next < checked {
			// Only Enroll moves Next back: a new secret. The code was
			// meant for the old one, which must not start over.
			return ErrConflict
		}
		checked = a.main.Next
		v, verr := verify(a.main, a.now)
		switch {
		case verr == nil:
			ok, err := g.commitSuccess(ctx, &a, v, try)
			if ok || err != nil {
				return err
			}
		case errors.Is(verr, otp.ErrInvalidCode), errors.Is(verr, otp.ErrReplayed):
			if ok, err := g.commitFailure(ctx, p, &a, verr, try); ok || err != nil {
				return err
			}
		default:
			return verr // the server's configuration, not the user's guess
		}
	}
	return ErrConflict
}

// lastFactor checks the last factor of a login that CheckFactor counted
// already: a wrong code is that count, and nothing more is written; a
// right one commits the new position and clears the count. The code is
// checked at the attempt's time, as the password was.
func (g *Guard) lastFactor(ctx context.Context, la *loginAttempt, verify verifier) error {
	checked := la.next // as CheckFactor saw it: an Enroll since is a new secret
	for try := range maxTries {
		main, err := g.load(ctx, la.key, false)
		if err != nil {
			return err
		}
		if main.Next < checked {
			return ErrConflict // Enroll: a new secret, see attempt
		}
		checked = main.Next
		v, verr := verify(main, la.now)
		switch {
		case verr == nil:
		case errors.Is(verr, otp.ErrInvalidCode), errors.Is(verr, otp.ErrReplayed):
			return la.failure(verr)
		default:
			return verr
		}
		next := v.applied(main, la.bucket == la.key)
		ok, err := g.update(ctx, la.key, main, &next, try)
		if err != nil {
			return err
		}
		if ok {
			if la.bucket != la.key {
				g.uncount(ctx, la.bucket, la.before, la.counted, true)
			}
			return nil
		}
	}
	return ErrConflict
}

// admission is an attempt let through: the account's state, the bucket
// whose failures throttle it (the account's own, or a trusted device's),
// and the time.
type admission struct {
	account  string
	main     State
	bucket   string // == account for an untrusted client
	throttle State  // the bucket's state: main itself when untrusted
	now      time.Time
}

func (a *admission) trusted() bool { return a.bucket != a.account }

// admit loads the account's state (or takes the one last seen, when
// cached), finds the client's bucket, and returns them with the time of
// the attempt, or why the attempt is refused unchecked.
func (g *Guard) admit(ctx context.Context, p Policy, account string, cached bool) (admission, error) {
	if presentsDevice(ctx) {
		// A device's attempt commits to its own bucket, so no later
		// compare-and-swap would notice a revocation or an Enroll that a
		// remembered state of the account missed.
		cached = false
	}
	main, err := g.load(ctx, account, cached)
	if err != nil {
		return admission{}, err
	}
	a := admission{account: account, main: main, bucket: account, throttle: main, now: g.now()}
	if id, ok := g.deviceOf(ctx, account, main.Devices, a.now); ok {
		a.bucket = deviceBucket(account, id)
		if a.throttle, err = g.load(ctx, a.bucket, false); err != nil {
			return admission{}, err
		}
	}
	if err := p.refuse(g.boundWait(p, a.throttle, a.now), a.now); err != nil {
		if cached {
			g.seen.forget(account) // refuse on what the store says, not on a memory
			return g.admit(ctx, p, account, false)
		}
		return admission{}, err
	}
	return a, nil
}

// commitSuccess commits a right code: the account's new position, and the
// bucket's failures cleared. It reports false on a conflict. A trusted
// device's bucket is fenced first (its write id renewed by a
// compare-and-swap), so that a success cannot land after failures that
// locked the device came in.
func (g *Guard) commitSuccess(ctx context.Context, a *admission, v verdict, try int) (bool, error) {
	if a.trusted() {
		fenced := a.throttle
		if ok, err := g.update(ctx, a.bucket, a.throttle, &fenced, try); !ok || err != nil {
			return ok, err
		}
		a.throttle = fenced
	}
	next := v.applied(a.main, !a.trusted())
	ok, err := g.update(ctx, a.account, a.main, &next, try)
	if !ok || err != nil || !a.trusted() || a.throttle.Failures == 0 {
		return ok, err
	}
	// The code is accepted, whatever this says: a device's failures that
	// stay counted only make its own next wait longer.
	cleared := unlocked(a.throttle)
	_, _ = g.update(ctx, a.bucket, a.throttle, &cleared, maxTries)
	return true, nil
}

// commitFailure counts a failure in the client's bucket. It reports false
// on a conflict, and once committed returns the failure to report as its
// error.
func (g *Guard) commitFailure(ctx context.Context, p Policy, a *admission, why error, try int) (bool, error) {
	failed := p.failed(a.throttle, a.now)
	ok, err := g.update(ctx, a.bucket, a.throttle, &failed, try)
	if !ok || err != nil {
		return ok, err
	}
	return true, p.failure(why, failed, a.now)
}

// load returns the state at key: the one last seen if cached allows it.
func (g *Guard) load(ctx context.Context, key string, cached bool) (State, error) {
	if cached {
		if s, ok := g.seen.get(key); ok {
			return s, nil
		}
	}
	s, err := g.Store.Load(ctx, key)
	if err != nil {
		return s, &StoreError{Op: "load", Err: err}
	}
	g.seen.put(key, s)
	return s, nil
}

// boundWait caps a wait that a server with a fast clock wrote: no wait
// lasts longer than the Policy's delay for the failures counted, from when
// this Guard first saw the write that set it. The cap lives in memory
// only: committed, a time from a slow clock would end everyone's wait.
func (g *Guard) boundWait(p Policy, s State, now time.Time) State {
	if s.NotBefore.IsZero() || s.Failures >= p.LockAfter {
		return s
	}
	limit := g.seen.firstSeen(s.Write, now).Add(p.delayAfter(s.Failures))
	if s.NotBefore.After(limit) {
		s.NotBefore = ceilMillisecond(limit)
	}
	return s
}

// update commits next over old, tagging next with a new write id, and
// returns whether it landed. On a conflict it waits a little, so that contending
// attempts spread out. When the store fails, a reload decides: the write
// is there (true), or the old state still is (a [*StoreError]: nothing
// committed), or nobody can tell ([ErrOutcomeUnknown]).
func (g *Guard) update(ctx context.Context, key string, old State, next *State, try int) (bool, error) {
	next.Write = newWriteID()
	ok, err := g.Store.Update(ctx, key, old, *next)
	if err != nil {
		return g.settle(ctx, key, old, *next, err)
	}
	if ok {
		g.seen.put(key, *next)
		return true, nil
	}
	g.seen.forget(key)
	if try >= maxTries {
		return false, nil
	}
	return false, backoff(ctx, try)
}

// settle finds out whether a write whose Update failed landed. A reload
// that finds the old state does not prove it: the write may still be on
// its way. So the old state is fenced, written again with a new write id:
// once that lands, the late write can never match, and nothing was
// committed.
func (g *Guard) settle(ctx context.Context, key string, old, next State, updateErr error) (bool, error) {
	g.seen.forget(key)
	ctx = context.WithoutCancel(ctx)
	for range 2 {
		now, err := g.Store.Load(ctx, key)
		switch {
		case err != nil:
			return false, &OutcomeError{Err: errors.Join(updateErr, err)}
		case now.Equal(next):
			g.seen.put(key, next)
			return true, nil
		case !now.Equal(old):
			return false, &OutcomeError{Err: updateErr}
		}
		fence := old
		fence.Write = newWriteID()
		ok, err := g.Store.Update(ctx, key, old, fence)
		if err != nil {
			return false, &OutcomeError{Err: errors.Join(updateErr, err)}
		}
		if ok {
			g.seen.put(key, fence)
			return false, &StoreError{Op: "update", Err: updateErr}
		}
	}
	return false, &OutcomeError{Err: updateErr}
}

// newWriteID is a random tag, never zero (the zero State's).
func newWriteID() uint64 {
	for {
		if id := rand.Uint64(); id != 0 {
			return id
		}
	}
}

// backoff sleeps a random time that grows with try, up to 8ms, or until ctx
// is done.
func backoff(ctx context.Context, try int) error {
	ceiling := time.Duration(250<<min(try, 5)) * time.Microsecond
	timer := time.NewTimer(rand.N(ceiling) + 1)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// Reset unlocks the account: it clears the failures and the wait, and
// keeps Next, so that a code accepted before stays refused. Call it when an
// administrator unlocks the account after checking who is asking. When the
// account gets a new secret, call [Guard.Enroll] instead.
func (g *Guard) Reset(ctx context.Context, account string) error {
	return g.change(ctx, account, unlocked)
}

// Enroll starts the account afresh for a newly enrolled secret: no
// failures, no wait, no drift, and Next set to next, which is 0 for TOTP and the
// key's initial Counter for HOTP. The old secret's used steps need no
// protection once its codes no longer verify, and keeping them would refuse
// a new TOTP secret's codes whose steps run lower (a longer Period or a
// later Epoch).
func (g *Guard) Enroll(ctx context.Context, account string, next uint64) error {
	return g.change(ctx, account, func(s State) State { return State{Next: next, Devices: s.Devices} })
}

// unlocked is s without failures or wait.
func unlocked(s State) State {
	s.Failures, s.NotBefore = 0, time.Time{}
	return s
}

// State returns the account's stored state, for an administrator's page.
func (g *Guard) State(ctx context.Context, account string) (State, error) {
	if _, err := g.setup(account); err != nil {
		return State{}, err
	}
	s, err := g.Store.Load(ctx, account)
	if err != nil {
		return State{}, &StoreError{Op: "load", Err: err}
	}
	return s, nil
}

// change applies edit to the account's state with a compare-and-swap,
// starting again from a fresh load when another attempt got in first.
func (g *Guard) change(ctx context.Context, account string, edit func(State) State) error {
	if _, err := g.setup(account); err != nil {
		return err
	}
	for try := range maxTries {
		old, err := g.load(ctx, account, false)
		if err != nil {
			return err
		}
		next := edit(old)
		if old.Equal(next) {
			return nil
		}
		if ok, err := g.update(ctx, account, old, &next, try); ok || err != nil {
			return err
		}
	}
	return ErrConflict
}

// setup checks what every Guard operation needs and returns the Policy
// with its defaults.
func (g *Guard) setup(account string) (Policy, error) {
	if g.Store == nil {
		return Policy{}, &ConfigError{Field: "Guard.Store", Reason: "nil"}
	}
	if account == "" {
		return Policy{}, &ConfigError{Field: "account", Reason: "empty"}
	}
	if strings.ContainsFunc(account, unicode.IsControl) {
		return Policy{}, &ConfigError{Field: "account", Reason: "holds a control character"}
	}
	return g.Policy.resolve()
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}
