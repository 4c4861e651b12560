package guard

import (
	"context"
	"errors"
	"time"

	"github.com/otpkit/otp"
)

// State is what a [Guard] keeps for one account. The zero State is an
// account that never tried a code: nothing accepted yet, no failures, no
// wait.
type State struct {
	// Next is the lowest HOTP counter or TOTP time step that may still be
	// accepted: what [otp.HOTP.Verify] and [otp.TOTP.Verify] take and
	// return. Everything below it was used, or skipped over.
	Next uint64
	// Drift is how many TOTP steps the account's authenticator runs ahead
	// of the server (negative: behind), learned from the codes it accepted:
	// the Guard centres the next window there.
	Drift int64
	// Failures counts consecutive failed attempts; a success clears it.
	Failures int
	// NotBefore is when the next attempt may be checked (zero: now).
	NotBefore time.Time
	// Devices is the generation of the account's trusted-device tokens:
	// [Guard.RevokeDevices] adds one, which revokes every token issued
	// before.
	Devices uint64
	// Write tags the write that stored this state, a random number each
	// time (zero: never written), so that a Guard whose Update failed can
	// tell by a reload whether its write landed.
	Write uint64
}

// Equal reports whether s and o hold the same values. NotBefore is
// compared with [time.Time.Equal], so the location and any monotonic clock
// reading do not matter.
func (s State) Equal(o State) bool {
	return s.Next == o.Next && s.Drift == o.Drift && s.Failures == o.Failures &&
		s.NotBefore.Equal(o.NotBefore) && s.Devices == o.Devices && s.Write == o.Write
}

// Store keeps a [State] per account for a [Guard]. An account never written
// has the zero State.
//
// Update is a compare-and-swap: it writes new only if the stored state still
// equals old (as [State.Equal] says), and reports whether it did. Every
// process that shares the store must see every successful Update: that is
// what makes a code accepted once across all servers of a service.
// Accounts are compared byte for byte. [MemoryStore] serves one process;
// [SQLStore] serves many. Package [github.com/otpkit/otp/guard/storetest]
// checks an implementation against this contract.
type Store interface {
	Load(ctx context.Context, account string) (State, error)
	Update(ctx context.Context, account string, old, new State) (bool, error)
}

// Errors of a [Guard], for errors.Is.
var (
	// ErrThrottled means the attempt came before [State.NotBefore]: it was
	// refused without checking the code and was not counted. The error is a
	// [*ThrottleError] that says how long to wait.
	ErrThrottled = errors.New("guard: too many failed attempts, wait before trying again")
	// ErrLocked means [Policy.LockAfter] attempts failed in a row: every
	// attempt is refused unchecked until [Guard.Reset].
	ErrLocked = errors.New("guard: account locked after too many failed attempts")
	// ErrConflict means the account's state kept changing under concurrent
	// attempts and the Guard gave up after a bounded number of tries,
	// committing nothing.
	ErrConflict = errors.New("guard: account state kept changing, attempt not made")
	// ErrInvalidConfig is wrapped by every [ConfigError].
	ErrInvalidConfig = errors.New("guard: invalid configuration")
)

// ThrottleError is an attempt refused, unchecked and uncounted, because it
// came during the delay that earlier failures set. It unwraps to
// [ErrThrottled].
type ThrottleError struct {
	RetryAfter time.Duration // how long until the next attempt is checked
}

func (e *ThrottleError) Error() string {
	return "guard: too many failed attempts, retry after " + e.RetryAfter.Round(time.Millisecond).String()
}

// Unwrap returns [ErrThrottled].
func (e *ThrottleError) Unwrap() error { return ErrThrottled }

// FailureError is an attempt that was checked, failed, and was counted. Err
// says why: [otp.ErrInvalidCode] or [otp.ErrReplayed] for a code,
// [ErrFailed] for a check of the caller's. RetryAfter says how long until
// the next attempt is checked (zero: at once), so a caller can answer with
// the wait without loading the state again; Locked says this failure
// locked the account.
type FailureError struct {
	Err        error
	Failures   int           // consecutive failures, this one included
	RetryAfter time.Duration // zero when the next attempt is checked at once
	Locked     bool          // this failure reached Policy.LockAfter
}

func (e *FailureError) Error() string {
	switch {
	case e.Locked:
		return e.Err.Error() + "; account now locked"
	case e.RetryAfter > 0:
		return e.Err.Error() + "; retry after " + e.RetryAfter.Round(time.Millisecond).String()
	}
	return e.Err.Error()
}

// Unwrap returns Err, and [ErrLocked] when the failure locked the account.
func (e *FailureError) Unwrap() []error {
	if e.Locked {
		return []error{e.Err, ErrLocked}
	}
	return []error{e.Err}
}

// ErrFailed is the Err of a [FailureError] for a check of the caller's
// (see [Guard.Check]) that said no.
var ErrFailed = errors.New("guard: check failed")

// StoreError is a [Store] that failed. The attempt is neither a success
// nor a counted failure: nothing was committed.
type StoreError struct {
	Op  string // "load", "update", "consume recovery", ...
	Err error
}

func (e *StoreError) Error() string { return "guard: store " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the store's error.
func (e *StoreError) Unwrap() error { return e.Err }

// ConfigError reports a value the program set that cannot be used: a field
// of [Guard] or [Policy], or an argument such as an empty account. It means
// a bug or a bad setting on the server, never the user's fault, and
// counts as nothing.
type ConfigError struct {
	Field  string // such as "Policy.LockAfter" or "account"
	Reason string
}

func (e *ConfigError) Error() string { return "guard: invalid " + e.Field + ": " + e.Reason }

// Unwrap returns [ErrInvalidConfig] and [otp.ErrInvalidConfig], so that
// one errors.Is finds a bad setting of the Guard or of its TOTP or HOTP.
func (e *ConfigError) Unwrap() []error { return []error{ErrInvalidConfig, otp.ErrInvalidConfig} }

// ErrOutcomeUnknown means the store failed after the write was sent, and
// a reload could not tell whether it landed: the attempt may have been
// accepted, or counted, or neither. The error is an [*OutcomeError].
//
// Treat it as a refusal that is nobody's fault: do not log the user in,
// say that something went wrong, and ask for the next code rather than
// the same one (if the write landed, the same code is now used up, and
// typing it again would count as a failure).
var ErrOutcomeUnknown = errors.New("guard: store failed after the write was sent, outcome unknown")

// OutcomeError is a write whose outcome is unknown; it unwraps to
// [ErrOutcomeUnknown] and to what the store returned.
type OutcomeError struct {
	Err error
}

func (e *OutcomeError) Error() string { return ErrOutcomeUnknown.Error() + ": " + e.Err.Error() }

// Unwrap returns [ErrOutcomeUnknown] and the store's error.
func (e *OutcomeError) Unwrap() []error { return []error{ErrOutcomeUnknown, e.Err} }
