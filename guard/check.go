package guard

import (
	"context"
	"sync/atomic"
	"time"
)

// Any factor through the same Guard: a password, a PIN, an e-mail code.
//
// # A login without an oracle
//
// A login is one attempt, counted once, whatever its factors: call
// [Guard.CheckFactor] with the password under the account's key, and pass
// the context it returns to the login's last factor ([Guard.VerifyTOTP],
// [Guard.VerifyHOTP], [Guard.UseRecoveryCode]) under the same key:
//
//	ctx, err := g.CheckFactor(ctx, userID, checkPassword)
//	if err == nil {
//		err = g.VerifyTOTP(ctx, userID, totp, code)
//	}
//
// While the account waits or is locked, CheckFactor refuses before the
// password is checked, so a right password and a wrong one get the same
// answer. Otherwise the attempt is counted as a failure first, at one time,
// before anything is checked; a wrong password is that failure, and a
// wrong code after a right password is the same failure, not a second one:
// the same count, the same wait, the same writes. Only the last factor's
// success clears the count. Answer every refusal alike (one status, one
// body, RetryAfter from the error), including for names that have no
// account: check those under their name too, with a check that says no.

// Check runs check as one throttled attempt under key, an account or any
// name the caller chooses, with the Guard's Policy and Store: refused
// unchecked while key waits or is locked; else counted as a failure with a
// compare-and-swap first, and only then is check run, once. So however
// many attempts come at once, none is checked uncounted, and none once the
// lock is reached. check says whether the factor was right; an error from
// it is the server's, returned as it is and counted as nothing.
//
// A right answer clears the failures, as a right code does: use Check when
// the factor is the whole login (a password-only account, an e-mail code).
// For a factor that another follows, use [Guard.CheckFactor]. A failure is
// a [*FailureError] wrapping [ErrFailed].
func (g *Guard) Check(ctx context.Context, key string, check func(context.Context) (bool, error)) error {
	la, err := g.countAndCheck(ctx, key, check)
	if err != nil {
		return err
	}
	g.uncount(ctx, la.bucket, la.before, la.counted, true)
	return nil
}

// CheckFactor is [Guard.Check] for the first factors of a login: a right
// answer keeps the attempt's count, and the context returned carries the
// attempt to the login's next factor under the same key, which counts
// nothing more, clears the count when it is right, and fails with this
// count when it is wrong. So a right password followed by a wrong code
// looks, in every answer and every write, like a wrong password.
//
// Without a next factor (a sign-up form, say), [Guard.Forgive] takes the
// count back. The context carries the attempt for a minute: the next
// factor is checked at the attempt's time, so one that comes later is an
// attempt of its own.
func (g *Guard) CheckFactor(ctx context.Context, key string, check func(context.Context) (bool, error)) (context.Context, error) {
	la, err := g.countAndCheck(ctx, key, check)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, attemptCtxKey{}, la), nil
}

// Forgive takes back the count of the attempt that ctx carries from
// [Guard.CheckFactor], if no factor after it has, and if nothing else was
// written since (else the count stays: the state no longer says which
// failure is this one). It reports whether there was an attempt to take
// back.
func (g *Guard) Forgive(ctx context.Context) bool {
	la := attemptOf(ctx, "")
	if la == nil || !la.used.CompareAndSwap(false, true) {
		return false
	}
	g.uncount(ctx, la.bucket, la.before, la.counted, false)
	return true
}

// loginAttempt is an attempt counted by CheckFactor, carried to the
// login's next factor.
type loginAttempt struct {
	key, bucket     string
	before, counted State  // the bucket's state before the count, and with it
	next            uint64 // the account's Next when it was admitted
	now             time.Time
	policy          Policy
	used            atomic.Bool // a next factor, or Forgive, took it
}

// maxCarry is how long a counted attempt waits for the login's next
// factor: the code is checked at the attempt's time, so a context kept
// longer would make a code of long ago right. Past it the next factor is
// an attempt of its own.
const maxCarry = time.Minute

// take reports whether the attempt was still unused and fresh at now, and
// uses it.
func (la *loginAttempt) take(now time.Time) bool {
	return now.Sub(la.now) <= maxCarry && !la.used.Swap(true)
}

// failure is the error of a wrong next factor: this attempt's count.
func (la *loginAttempt) failure(why error) *FailureError {
	return la.policy.failure(why, la.counted, la.now)
}

type attemptCtxKey struct{}

// attemptOf returns the unused counted attempt that ctx carries for key
// ("" for any key), or nil.
func attemptOf(ctx context.Context, key string) *loginAttempt {
	la, _ := ctx.Value(attemptCtxKey{}).(*loginAttempt)
	if la == nil || la.used.Load() || key != "" && la.key != key {
		return nil
	}
	return la
}

// countAndCheck counts the attempt as a failure first, then runs check, as
// [Guard.UseRecoveryCode] does: so no check runs uncounted, however many
// are let in at once, and none runs once the account is locked. It
// returns the counted attempt when check said yes.
func (g *Guard) countAndCheck(ctx context.Context, key string, check func(context.Context) (bool, error)) (*loginAttempt, error) {
	p, err := g.setup(key)
	if err != nil {
		return nil, err
	}
	for try := range maxTries {
		a, err := g.admit(ctx, p, key, false)
		if err != nil {
			return nil, err
		}
		counted := p.failed(a.throttle, a.now)
		ok, err := g.update(ctx, a.bucket, a.throttle, &counted, try)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		right, err := check(ctx)
		switch {
		case err != nil:
			g.uncount(ctx, a.bucket, a.throttle, counted, false)
			return nil, err // the server's, not the user's: counts as nothing
		case !right:
			return nil, p.failure(ErrFailed, counted, a.now)
		}
		return &loginAttempt{key: key, bucket: a.bucket, before: a.throttle, counted: counted, next: a.main.Next, now: a.now, policy: p}, nil
	}
	return nil, ErrConflict
}

// uncount takes back the failure that counted committed over before, if
// nothing else was written since: then the state is as it was. Once
// anything else was, the count stays: the state no longer says which of
// its failures is this one (a success may have cleared it, and the one
// there another attempt's), and taking back the wrong one would uncount
// a guess. With all, it clears every failure, as a login's last factor
// does.
func (g *Guard) uncount(ctx context.Context, key string, before, counted State, all bool) {
	cur := counted
	for try := range maxTries {
		next := before
		switch {
		case all:
			next = unlocked(cur)
		case !cur.Equal(counted):
			return
		}
		if ok, err := g.update(ctx, key, cur, &next, try); ok || err != nil {
			return
		}
		var err error
		if cur, err = g.load(ctx, key, false); err != nil {
			return
		}
	}
}
