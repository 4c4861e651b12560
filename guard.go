package otp

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"
)

// State is what a [Guard] keeps for one account. The zero State is an
// account that never tried a code: no step used yet, no failures, no wait.
type State struct {
	// Last is, for TOTP, the last accepted time step (0: none yet), and for
	// HOTP the next counter expected.
	Last uint64
	// Failures counts consecutive failed attempts; a success clears it.
	Failures int
	// NotBefore is when the next attempt may be checked (zero: now).
	NotBefore time.Time
}

// Equal reports whether s and o hold the same values. NotBefore is
// compared with [time.Time.Equal], so the location and any monotonic clock
// reading do not matter.
func (s State) Equal(o State) bool {
	return s.Last == o.Last && s.Failures == o.Failures && s.NotBefore.Equal(o.NotBefore)
}

// Store keeps a [State] per account for a [Guard]. An account never written
// has the zero State.
//
// Update is a compare-and-swap: it writes new only if the stored state still
// equals old (as [State.Equal] says), and reports whether it did. Every
// process that shares the store must see every successful Update: that is
// what makes a code accepted once across all servers of a service.
// [MemoryStore] serves one process; [SQLStore] serves many.
type Store interface {
	Load(ctx context.Context, account string) (State, error)
	Update(ctx context.Context, account string, old, new State) (bool, error)
}

// Errors of a [Guard], for errors.Is.
var (
	// ErrThrottled means the attempt came before [State.NotBefore]: it was
	// refused without checking the code and was not counted. The error is a
	// [*ThrottleError] that says how long to wait.
	ErrThrottled = errors.New("otp: too many failed attempts, wait before trying again")
	// ErrLocked means [Policy.LockAfter] attempts failed in a row: every
	// attempt is refused unchecked until [Guard.Reset].
	ErrLocked = errors.New("otp: account locked after too many failed attempts")
	// ErrConflict means the account's state kept changing under concurrent
	// attempts and the Guard gave up after a bounded number of tries,
	// committing nothing.
	ErrConflict = errors.New("otp: account state kept changing, attempt not made")
)

// ThrottleError is an attempt refused, unchecked and uncounted, because it
// came during the delay that earlier failures set. It unwraps to
// [ErrThrottled].
type ThrottleError struct {
	RetryAfter time.Duration // how long until the next attempt is checked
}

func (e *ThrottleError) Error() string {
	return "otp: too many failed attempts, retry after " + e.RetryAfter.Round(time.Millisecond).String()
}

// Unwrap returns [ErrThrottled].
func (e *ThrottleError) Unwrap() error { return ErrThrottled }

// StoreError is a [Store] that failed. The attempt is neither a success nor
// a failure: nothing was committed.
type StoreError struct {
	Op  string // "load" or "update"
	Err error
}

func (e *StoreError) Error() string { return "otp: guard store " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }

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

// Guard verifies codes with the state that RFC 6238 §5.2 and RFC 4226 §7.3
// ask of a verifier, kept per account in a [Store] that every server of a
// service shares: each code is accepted once, and failed attempts are
// throttled and finally locked out by the [Policy].
//
// An attempt loads the account's [State]; is refused unchecked while the
// account is locked ([ErrLocked]) or waiting ([ErrThrottled]); checks the
// code against State.Last; and commits the outcome with one
// compare-and-swap [Store.Update]: a success sets Last and clears the
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
// secrets; the Guard keeps only this state. Configuration errors (of the TOTP, HOTP or Policy) are
// returned as they are and count as nothing.
type Guard struct {
	Store  Store
	Policy Policy           // zero value: the defaults
	Now    func() time.Time // nil: time.Now
}

// maxTries bounds how often an attempt starts again after a conflicting
// update before it gives up with [ErrConflict].
const maxTries = 32

// check verifies a code against the state's Last and returns the new Last.
type check func(last uint64, now time.Time) (uint64, error)

// VerifyTOTP checks code against t (with its Skew) at the Guard's Now, for
// account. It returns nil once the success is committed; [ErrInvalidCode]
// or [ErrReplayed] once the failure is committed; [ErrThrottled] (a
// [*ThrottleError]) or [ErrLocked] for an attempt refused unchecked; and a
// [*StoreError] or [ErrConflict] when nothing could be committed.
func (g *Guard) VerifyTOTP(ctx context.Context, account string, t TOTP, code string) error {
	return g.attempt(ctx, account, func(last uint64, now time.Time) (uint64, error) {
		return t.Verify(code, now, last)
	})
}

// VerifyHOTP checks code against h (with its LookAhead) from the counter
// the account expects next, and on success stores the counter after the
// matched one. Its results are those of [Guard.VerifyTOTP]. Start a new
// HOTP account with [Guard.Enroll] at the key's initial counter.
func (g *Guard) VerifyHOTP(ctx context.Context, account string, h HOTP, code string) error {
	return g.attempt(ctx, account, func(last uint64, _ time.Time) (uint64, error) {
		return h.Verify(code, last)
	})
}

// attempt runs one verification as the Guard's doc describes.
func (g *Guard) attempt(ctx context.Context, account string, verify check) error {
	p, err := g.setup(account)
	if err != nil {
		return err
	}
	for try := range maxTries {
		old, now, err := g.admit(ctx, p, account)
		if err != nil {
			return err
		}
		last, verr := verify(old.Last, now)
		var next State
		switch {
		case verr == nil:
			next = State{Last: last}
		case errors.Is(verr, ErrInvalidCode), errors.Is(verr, ErrReplayed):
			next = p.failed(old, now)
		default:
			return verr // the server's configuration, not the user's guess
		}
		ok, err := g.update(ctx, account, old, next, try)
		if err != nil {
			return err
		}
		if ok {
			return verr
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
// keeps Last, so that a code accepted before stays refused. Call it when an
// administrator unlocks the account after checking who is asking. When the
// account gets a new secret, call [Guard.Enroll] instead.
func (g *Guard) Reset(ctx context.Context, account string) error {
	return g.change(ctx, account, unlocked)
}

// Enroll starts the account afresh for a newly enrolled secret: no
// failures, no wait, and Last set to counter, which is 0 for TOTP and the
// key's initial Counter for HOTP. The old secret's used steps need no
// protection once its codes no longer verify, and keeping them would refuse
// a new TOTP secret's codes whose steps run lower (a longer Period or a
// later Epoch).
func (g *Guard) Enroll(ctx context.Context, account string, counter uint64) error {
	return g.change(ctx, account, func(State) State { return State{Last: counter} })
}

// unlocked is s without failures or wait.
func unlocked(s State) State { return State{Last: s.Last} }

// State returns the account's stored state, for an administrator's page or
// to tell a user how long to wait.
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
