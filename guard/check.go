package guard

import (
	"context"
)

// Any factor through the same Guard: a password, a PIN, an e-mail code.
//
// # A login without an oracle
//
// Gate the whole login on one per-account state before any factor is
// checked: call [Guard.CheckFactor] with the password under the same
// account key as the code, then [Guard.VerifyTOTP]. While the account
// waits or is locked, both refuse before checking anything, so a right
// password and a wrong one get the same answer; a wrong password and a
// wrong code are each a counted [*FailureError]; only the last factor's
// success clears the count. Answer every refusal alike (one status, one
// body, RetryAfter from the error), including for names that have no
// account: check those under their name too, with a check that says no.

// Check runs check as one throttled attempt under key, an account or any
// name the caller chooses, with the Guard's Policy and Store: refused
// unchecked while key waits or is locked; else counted as a failure with a
// compare-and-swap first, and only then is check run, once. A right answer
// takes its count back. So however many attempts come at once, none is
// checked uncounted, and none once the lock is reached. check says
// whether the factor was right; an error from it is the server's,
// returned as it is and counted as nothing.
//
// A success clears the failures, as a right code does: use Check when the
// factor is the whole login (a password-only account, an e-mail code).
// For a factor that another follows under the same key, use
// [Guard.CheckFactor]. A failure is a [*FailureError] wrapping [ErrFailed].
func (g *Guard) Check(ctx context.Context, key string, check func(context.Context) (bool, error)) error {
	return g.checkOnce(ctx, key, true, check)
}

// CheckFactor is [Guard.Check] for the first factors of a login: a success
// commits nothing, so the failures counted under key are cleared only by
// the login's last factor. Otherwise a right password would reopen the
// guessing of the code that follows it.
func (g *Guard) CheckFactor(ctx context.Context, key string, check func(context.Context) (bool, error)) error {
	return g.checkOnce(ctx, key, false, check)
}

// checkOnce counts the attempt as a failure first, then runs check, as
// [Guard.UseRecoveryCode] does: so no check runs uncounted, however many
// are let in at once, and none runs once the account is locked. A right
// answer then takes its own count back (and for Check clears the rest).
func (g *Guard) checkOnce(ctx context.Context, key string, clears bool, check func(context.Context) (bool, error)) error {
	p, err := g.setup(key)
	if err != nil {
		return err
	}
	for try := range maxTries {
		a, err := g.admit(ctx, p, key, false)
		if err != nil {
			return err
		}
		counted := p.failed(a.throttle, a.now)
		ok, err := g.update(ctx, a.bucket, a.throttle, &counted, try)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		right, err := check(ctx)
		switch {
		case err != nil:
			g.uncount(ctx, a.bucket, a.throttle, counted, false)
			return err // the server's, not the user's: counts as nothing
		case !right:
			return p.failure(ErrFailed, counted, a.now)
		}
		g.uncount(ctx, a.bucket, a.throttle, counted, clears)
		return nil
	}
	return ErrConflict
}

// uncount takes back the failure that counted committed over before: the
// state as it was if nothing else was written since, else one failure
// fewer and the wait as it is (another attempt's stays). With all, it
// clears every failure, as a login's last factor does.
func (g *Guard) uncount(ctx context.Context, key string, before, counted State, all bool) {
	cur := counted
	for try := range maxTries {
		var next State
		switch {
		case all:
			next = unlocked(cur)
		case cur.Equal(counted):
			next = before
		default:
			next = cur
			next.Failures = max(cur.Failures-1, 0)
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
