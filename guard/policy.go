package guard

import (
	"cmp"
	"strconv"
	"time"
)

// Policy says how a [Guard] slows down and stops guessing. A zero field
// means its default.
//
// # What the defaults mean
//
// An attacker who has the password gets 4 guesses in a row (3 free
// failures, and the 4th sets the first wait), then waits 1s, 2s, 4s, ...
// 512s, then 15 minutes before each further guess; after 100 failures in a
// row the account is locked until [Guard.Reset]. Reaching the lock takes
// 1,023s + 86 × 15 min, about 21.8 hours. However many sessions,
// connections or servers they use, the delay and the count are per account,
// in the [Store]: at most 100 codes are checked between two successes of the
// real user. With 6 digits and a TOTP Skew of 1 (3 codes valid at a time)
// each guess wins with probability 3/10^6, so those 100 win with
// probability under 0.03%.
//
// Each success clears the count (NIST SP 800-63B §5.2.2 limits
// consecutive failures), so an attacker who knows the password and keeps
// just under the lock gets about 99 guesses per login of the real user: a
// user who logs in daily and is attacked all year faces about a 10% risk.
// Tell users about failed attempts (the failures are in [Guard.State]
// before a success clears them) and ask them to change a password that
// someone is clearly using.
//
// A user who mistypes loses nothing for the first 3 mistakes, waits 1s
// after the 4th, 2s after the 5th, and 4s after the 6th; any success clears
// the count. Only someone who fails 100 times in a row is locked out, and
// needs an administrator to call Reset after checking who is asking: an
// attacker with the password can lock the owner out this way, recovery
// codes included, since they share the count.
type Policy struct {
	FreeFailures int           // failures allowed before delays start; default 3
	Delay        time.Duration // first delay, doubling each further failure; default 1s
	MaxDelay     time.Duration // cap of the delay; default 15m
	LockAfter    int           // consecutive failures that lock until Reset; default 100, at most 100
}

// Defaults of [Policy].
const (
	DefaultFreeFailures = 3
	DefaultDelay        = time.Second
	DefaultMaxDelay     = 15 * time.Minute
	// MaxLockAfter is NIST SP 800-63B §5.2.2's limit on consecutive failed
	// attempts, and the default and largest Policy.LockAfter.
	MaxLockAfter = 100
)

// resolve applies the defaults and refuses what cannot be used.
func (p Policy) resolve() (Policy, error) {
	if p.FreeFailures < 0 || p.Delay < 0 || p.MaxDelay < 0 || p.LockAfter < 0 {
		return p, &ConfigError{Field: "Policy", Reason: "negative field"}
	}
	if p.LockAfter > MaxLockAfter {
		return p, &ConfigError{Field: "Policy.LockAfter", Reason: strconv.Itoa(p.LockAfter) + " is above NIST SP 800-63B's " + strconv.Itoa(MaxLockAfter)}
	}
	p.FreeFailures = cmp.Or(p.FreeFailures, DefaultFreeFailures)
	p.Delay = cmp.Or(p.Delay, DefaultDelay)
	p.MaxDelay = cmp.Or(p.MaxDelay, DefaultMaxDelay)
	p.LockAfter = cmp.Or(p.LockAfter, MaxLockAfter)
	return p, nil
}

// delayAfter returns the wait that the failures-th consecutive failure
// sets: none for the free ones, then Delay doubling up to MaxDelay.
func (p Policy) delayAfter(failures int) time.Duration {
	n := failures - p.FreeFailures - 1
	if n < 0 {
		return 0
	}
	d := p.Delay
	for ; n > 0 && d <= p.MaxDelay/2; n-- {
		d *= 2
	}
	if n > 0 {
		return p.MaxDelay
	}
	return min(d, p.MaxDelay)
}

// refuse returns why an attempt at now is refused unchecked, or nil.
func (p Policy) refuse(s State, now time.Time) error {
	if s.Failures >= p.LockAfter {
		return ErrLocked
	}
	if now.Before(s.NotBefore) {
		return &ThrottleError{RetryAfter: s.NotBefore.Sub(now)}
	}
	return nil
}

// failed returns the state after a failed attempt at now. NotBefore is
// rounded up to a whole millisecond, so that every store can keep it
// exactly and no wait ends early.
func (p Policy) failed(s State, now time.Time) State {
	s.Failures = min(s.Failures+1, p.LockAfter)
	s.NotBefore = time.Time{}
	if d := p.delayAfter(s.Failures); d > 0 {
		s.NotBefore = ceilMillisecond(now.Add(d))
	}
	return s
}

func ceilMillisecond(t time.Time) time.Time {
	t = t.Round(0) // drop the monotonic reading
	if r := t.Truncate(time.Millisecond); !r.Equal(t) {
		return r.Add(time.Millisecond)
	}
	return t
}

// failure is the error of a failed attempt whose state s is committed.
func (p Policy) failure(err error, s State, now time.Time) *FailureError {
	return &FailureError{
		Err:        err,
		Failures:   s.Failures,
		RetryAfter: max(s.NotBefore.Sub(now), 0),
		Locked:     s.Failures >= p.LockAfter,
	}
}
