package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/otpkit/otp/guard"
)

// The delay between login attempts for one user name follows the Guard's
// default schedule for codes, so that a wrong password and a wrong code
// leave the same wait and the wait tells nothing about which failed. But
// it never locks: a stranger who types wrong passwords for a name can
// slow its owner down, never shut them out, and an owner's browser that
// has signed in before has a bucket of its own (see deviceBucket), which
// strangers cannot fill.
const (
	freeLoginFailures = guard.DefaultFreeFailures
	firstLoginDelay   = guard.DefaultDelay
	maxLoginDelay     = guard.DefaultMaxDelay
)

// loginDelayAfter is the wait after failures failed logins in a row: none
// for the first few, then doubling up to maxLoginDelay.
func loginDelayAfter(failures int64) time.Duration {
	extra := failures - freeLoginFailures
	switch {
	case extra <= 0:
		return 0
	case extra > 20: // past the cap long before, and 1<<extra stays small
		return maxLoginDelay
	}
	return min(firstLoginDelay<<(extra-1), maxLoginDelay)
}

// throttleKey names the delay state of one user name, as typed, in one
// bucket: "" for every browser the owner has not logged in with, or a
// device token's hash. It exists for names that have no account too, so
// that a wait tells nothing about whether the account exists.
func throttleKey(scope, name, bucket string) string {
	sum := sha256.Sum256([]byte(scope + "\x00" + name + "\x00" + bucket))
	return hex.EncodeToString(sum[:])
}

// attempt is what counting a login attempt decided.
type attempt struct {
	refused time.Duration // > 0: not checked, and not counted; retry after this
	wait    time.Duration // the wait that applies if this attempt fails
}

// countAttempt counts an attempt as failed before it is checked, and
// clearAttempts undoes that on success. Counting first, in one
// compare-and-swap with the check of the wait, means that parallel
// requests, to this process or another, cannot all slip through before
// the first of them is counted.
func (a *app) countAttempt(ctx context.Context, key string) (attempt, error) {
	for {
		now := a.now()
		old, err := a.db.loginDelay(ctx, key)
		if err != nil {
			return attempt{}, err
		}
		if wait := old.notBefore.Sub(now); wait > 0 {
			return attempt{refused: wait}, nil
		}
		next := delay{failures: old.failures + 1}
		wait := loginDelayAfter(next.failures)
		if wait > 0 {
			next.notBefore = now.Add(wait)
		}
		swapped, err := a.db.swapLoginDelay(ctx, key, old, next, now)
		if err != nil {
			return attempt{}, err
		}
		if swapped {
			return attempt{wait: wait}, nil
		}
		if err := ctx.Err(); err != nil {
			return attempt{}, err
		}
	}
}

func (a *app) clearAttempts(ctx context.Context, key string) error {
	return a.db.clearLoginDelay(ctx, key)
}

// uncountAttempt takes back one attempt that countAttempt counted, for a
// sign-up that succeeded: only refused ones count towards the delay. A
// wait that the count set stays.
func (a *app) uncountAttempt(ctx context.Context, key string) error {
	for {
		old, err := a.db.loginDelay(ctx, key)
		if err != nil || old.failures == 0 {
			return err
		}
		next := delay{failures: old.failures - 1, notBefore: old.notBefore}
		swapped, err := a.db.swapLoginDelay(ctx, key, old, next, a.now())
		if err != nil || swapped {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}
