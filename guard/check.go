package guard

import (
	"context"
	"errors"
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
// unchecked while key waits or is locked, then check runs once, and its
// outcome is committed with a compare-and-swap, again from a fresh load
// on a conflict, without running check again. check says whether the
// factor was right; an error from it is the server's, returned as it is
// and counted as nothing.
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

func (g *Guard) checkOnce(ctx context.Context, key string, clears bool, check func(context.Context) (bool, error)) error {
	p, err := g.setup(key)
	if err != nil {
		return err
	}
	a, err := g.admit(ctx, p, key, false)
	if err != nil {
		return err
	}
	right, err := check(ctx)
	if err != nil {
		return err
	}
	if right && !clears {
		return nil
	}
	for try := range maxTries {
		var next State
		if right {
			next = unlocked(a.throttle)
		} else {
			next = p.failed(a.throttle, a.now)
		}
		if a.throttle.Equal(next) {
			return nil
		}
		ok, err := g.update(ctx, a.bucket, a.throttle, &next, try)
		switch {
		case err != nil:
			return err
		case ok && right:
			return nil
		case ok:
			return p.failure(ErrFailed, next, a.now)
		}
		if a.throttle, err = g.load(ctx, a.bucket, false); err != nil {
			return err
		}
	}
	if right {
		return nil // the factor was right; only clearing the count lost
	}
	return errors.Join(ErrConflict, ErrFailed)
}
