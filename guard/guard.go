// Package guard keeps the state that RFC 6238 §5.2 and RFC 4226 §7.3 ask of
// a one-time password verifier, per account, in a store that every server
// of a service shares: each code is accepted once, and guessing is slowed
// and then locked out (NIST SP 800-63B §5.2.2).
//
// # Use
//
// Give a [Guard] a [Store] ([SQLStore] on SQLite, PostgreSQL or MySQL,
// [MemoryStore] in one process, or another that passes
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
// [Guard.UseRecoveryCode]) share the count.
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
//   - The program's own values: [*ConfigError], for [ErrInvalidConfig] (and
//     [otp.ErrInvalidConfig]); a TOTP's or HOTP's bad setting is package
//     otp's [otp.ConfigError].
//
// No error message holds a code, a secret or an account.
package guard

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

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
// accept the same code once. The application keeps its users and their
// secrets; the Guard keeps only this state. Configuration errors (of the
// TOTP, HOTP or Policy) are returned as they are and count as nothing.
type Guard struct {
	Store  Store
	Policy Policy           // zero value: the defaults
	Now    func() time.Time // nil: time.Now
}

// maxTries bounds how often an attempt starts again after a conflicting
// update before it gives up with [ErrConflict].
const maxTries = 32

// verifier checks a code against the account's state and returns the state
// to commit if it is right.
type verifier func(s State, now time.Time) (State, error)

// VerifyTOTP checks code against t (with its Skew) at the Guard's Now, for
// account. It returns nil once the success is committed; a
// [*FailureError] wrapping [otp.ErrInvalidCode] or [otp.ErrReplayed] once
// the failure is committed; [ErrThrottled] (a [*ThrottleError]) or
// [ErrLocked] for an attempt refused unchecked; and a [*StoreError] or
// [ErrConflict] when nothing could be committed.
func (g *Guard) VerifyTOTP(ctx context.Context, account string, t otp.TOTP, code string) error {
	return g.attempt(ctx, account, func(s State, now time.Time) (State, error) {
		next, err := t.Verify(code, now, s.Next)
		return State{Next: next}, err
	})
}

// VerifyHOTP checks code against h (with its LookAhead) from the counter
// the account expects next, and on success stores the counter after the
// matched one. Its results are those of [Guard.VerifyTOTP]. Start a new
// HOTP account with [Guard.Enroll] at the key's initial counter.
func (g *Guard) VerifyHOTP(ctx context.Context, account string, h otp.HOTP, code string) error {
	return g.attempt(ctx, account, func(s State, _ time.Time) (State, error) {
		next, err := h.Verify(code, s.Next)
		return State{Next: next}, err
	})
}

// attempt runs one verification as the Guard's doc describes.
func (g *Guard) attempt(ctx context.Context, account string, verify verifier) error {
	p, err := g.setup(account)
	if err != nil {
		return err
	}
	for try := range maxTries {
		old, now, err := g.admit(ctx, p, account)
		if err != nil {
			return err
		}
		next, verr := verify(old, now)
		var result error
		switch {
		case verr == nil:
		case errors.Is(verr, otp.ErrInvalidCode), errors.Is(verr, otp.ErrReplayed):
			next = p.failed(old, now)
			result = p.failure(verr, next, now)
		default:
			return verr // the server's configuration, not the user's guess
		}
		ok, err := g.update(ctx, account, old, next, try)
		if err != nil {
			return err
		}
		if ok {
			return result
		}
	}
	return ErrConflict
}

// admit loads the account's state and returns it with the time of the
// attempt, or why the attempt is refused unchecked.
func (g *Guard) admit(ctx context.Context, p Policy, account string) (State, time.Time, error) {
	old, err := g.Store.Load(ctx, account)
	if err != nil {
		return old, time.Time{}, &StoreError{Op: "load", Err: err}
	}
	now := g.now()
	return old, now, p.refuse(old, now)
}

// update commits next over old. On a conflict it waits a little, so that
// contending attempts spread out, and reports false.
func (g *Guard) update(ctx context.Context, account string, old, next State, try int) (bool, error) {
	ok, err := g.Store.Update(ctx, account, old, next)
	if err != nil {
		return false, &StoreError{Op: "update", Err: err}
	}
	if ok {
		return true, nil
	}
	return false, backoff(ctx, try)
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
// failures, no wait, and Next set to next, which is 0 for TOTP and the
// key's initial Counter for HOTP. The old secret's used steps need no
// protection once its codes no longer verify, and keeping them would refuse
// a new TOTP secret's codes whose steps run lower (a longer Period or a
// later Epoch).
func (g *Guard) Enroll(ctx context.Context, account string, next uint64) error {
	return g.change(ctx, account, func(State) State { return State{Next: next} })
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
		old, err := g.Store.Load(ctx, account)
		if err != nil {
			return &StoreError{Op: "load", Err: err}
		}
		next := edit(old)
		if old.Equal(next) {
			return nil
		}
		if ok, err := g.update(ctx, account, old, next, try); ok || err != nil {
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
	return g.Policy.resolve()
}

func (g *Guard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}
