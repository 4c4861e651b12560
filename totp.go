package otp

import (
	"math"
	"strconv"
	"time"
)

// TOTP generates and verifies time-based one-time passwords (RFC 6238).
// The zero value of every field but Secret means the RFC default: SHA1,
// 6 decimal digits, 30-second steps counted from the Unix epoch, no skew.
type TOTP struct {
	// Secret is the raw key, not its base32 text:
	// TOTP{Secret: []byte("JBSWY3DPEHPK3PXP")} makes codes no app shows.
	// Decode what a key URI or a person gives with [DecodeSecret] (or take
	// [Key.TOTP] of [ParseURI]'s key).
	Secret    []byte
	Algorithm Algorithm // SHA1 when zero
	// Digits is the code length: 6..10 for Decimal (DefaultDigits when
	// zero), 5 for Steam (when zero too).
	Digits int
	Format CodeFormat    // Decimal when zero; Steam for Steam Guard codes
	Period time.Duration // 30s when zero; a whole number of seconds, 1s..MaxPeriod
	Epoch  time.Time     // T0; the zero Time means the Unix epoch
	// Skew is how many steps before and after the current one Verify also
	// accepts, for clock drift and slow typing. RFC 6238 §5.2 recommends at
	// most 1. At most MaxWindow.
	Skew int
	// LookBehind and LookAhead widen the window on one side only: Verify
	// accepts Skew+LookBehind steps before the current one and
	// Skew+LookAhead after it, each at most MaxWindow. LookBehind 1 with
	// Skew 0 accepts a code typed just after it changed, and no code from
	// a clock running ahead.
	LookBehind, LookAhead int
}

// DefaultPeriod is the time step of RFC 6238 and of every authenticator app.
const DefaultPeriod = 30 * time.Second

// MaxPeriod is the longest time step accepted anywhere a period is checked
// ([TOTP], [Key.Validate], [ParseURI]): one day, KeePassXC's limit. A key of
// period=9223372036 (292 years) would make one code for a lifetime, a
// password in all but name; no issuer uses more than minutes.
const MaxPeriod = 24 * time.Hour

// clock is a checked TOTP time base.
type clock struct {
	period uint64 // seconds
	epoch  time.Time
}

// hotp is the HOTP that makes t's codes: RFC 6238 §4 defines TOTP as
// HOTP(K, T), with the time step T as the counter.
func (t TOTP) hotp() HOTP {
	return HOTP{Secret: t.Secret, Algorithm: t.Algorithm, Digits: t.Digits, Format: t.Format}
}

// check applies t's defaults and refuses what cannot be used.
func (t TOTP) check() (params, clock, error) {
	p, err := t.hotp().check()
	if err != nil {
		return p, clock{}, err
	}
	c, err := t.clock()
	return p, c, err
}

func (t TOTP) clock() (clock, error) {
	period := periodOrDefault(t.Period)
	if err := checkPeriod(period); err != nil {
		return clock{}, err
	}
	epoch := t.Epoch
	if epoch.IsZero() {
		epoch = time.Unix(0, 0)
	}
	return clock{period: uint64(period / time.Second), epoch: epoch}, nil
}

// periodOrDefault is the rule for a zero Period.
func periodOrDefault(d time.Duration) time.Duration {
	if d == 0 {
		return DefaultPeriod
	}
	return d
}

// checkPeriod is the rule for a period: a whole number of seconds, at
// least one and at most MaxPeriod.
func checkPeriod(d time.Duration) error {
	switch {
	case d < time.Second || d%time.Second != 0:
		return &ConfigError{Field: "Period", Reason: seconds(d) + " is not a positive whole number of seconds"}
	case d > MaxPeriod:
		return &ConfigError{Field: "Period", Reason: seconds(d) + " is longer than MaxPeriod (" + seconds(MaxPeriod) + ")"}
	}
	return nil
}

// seconds writes d for an error, only when there is one: Verify, which
// checks the period each call, allocates nothing.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'g', -1, 64) + "s"
}

// periodOfSeconds returns n seconds as a period, or the reason checkPeriod
// gives for refusing it.
func periodOfSeconds(n uint64) (time.Duration, *ConfigError) {
	if n > math.MaxInt64/uint64(time.Second) {
		return 0, &ConfigError{Field: "Period", Reason: "longer than MaxPeriod"} // and than a time.Duration holds
	}
	d := time.Duration(n) * time.Second
	if err := checkPeriod(d); err != nil {
		return 0, err.(*ConfigError)
	}
	return d, nil
}

// elapsed returns the whole seconds and the nanoseconds from the epoch to at.
// It works on Unix seconds, not time.Duration, which would saturate after
// 292 years.
func (c clock) elapsed(at time.Time) (secs uint64, nanos int, err error) {
	if at.Before(c.epoch) {
		return 0, 0, &ConfigError{Field: "at", Reason: at.UTC().Format(time.RFC3339Nano) + " is before the epoch " + c.epoch.UTC().Format(time.RFC3339Nano)}
	}
	secs = uint64(at.Unix()) - uint64(c.epoch.Unix())
	nanos = at.Nanosecond() - c.epoch.Nanosecond()
	if nanos < 0 {
		secs--
		nanos += int(time.Second)
	}
	return secs, nanos, nil
}

func (c clock) step(at time.Time) (uint64, error) {
	secs, _, err := c.elapsed(at)
	return secs / c.period, err
}

// Step returns the time step of at: T = floor((at - T0) / Period).
func (t TOTP) Step(at time.Time) (uint64, error) {
	c, err := t.clock()
	if err != nil {
		return 0, err
	}
	return c.step(at)
}

// Remaining returns how long the code of at stays current, which an
// application can show next to a code it displays.
func (t TOTP) Remaining(at time.Time) (time.Duration, error) {
	c, err := t.clock()
	if err != nil {
		return 0, err
	}
	secs, nanos, err := c.elapsed(at)
	if err != nil {
		return 0, err
	}
	into := time.Duration(secs%c.period)*time.Second + time.Duration(nanos)
	return time.Duration(c.period)*time.Second - into, nil
}

// window returns how many steps before and after the current one Verify
// checks.
func (t TOTP) window() (behind, ahead uint64, err error) {
	if err := checkWindow("Skew", t.Skew); err != nil {
		return 0, 0, err
	}
	for _, side := range [...]struct {
		field string
		n     int
	}{{"LookBehind", t.LookBehind}, {"LookAhead", t.LookAhead}} {
		switch {
		case side.n < 0:
			return 0, 0, &ConfigError{Field: side.field, Reason: "negative"}
		case side.n > MaxWindow-t.Skew: // not Skew+n, which can overflow
			return 0, 0, &ConfigError{Field: side.field, Reason: "Skew+" + side.field + " is above MaxWindow (" + strconv.Itoa(MaxWindow) + ")"}
		}
	}
	return uint64(t.Skew + t.LookBehind), uint64(t.Skew + t.LookAhead), nil
}

// Generate returns the code for the time step of at.
func (t TOTP) Generate(at time.Time) (string, error) {
	p, c, err := t.check()
	if err != nil {
		return "", err
	}
	step, err := c.step(at)
	if err != nil {
		return "", err
	}
	return t.hotp().code(p, step), nil
}

// Verify checks code against the steps from Skew+LookBehind before to
// Skew+LookAhead after the step of at, and returns the step to accept
// from next time: the matched step plus one (the latest match, if the code
// occurs twice in the window).
//
// A match at a step below next is refused with [ErrReplayed]: store what
// Verify returns and pass it as next on the next call, so that each code is
// accepted once (RFC 6238 §5.2). A next of 0 means no code was accepted
// yet. [HOTP.Verify] takes and returns its counter the same way, so a
// stored position means one thing for both: the lowest counter or step
// that may still be accepted.
//
// On any error Verify returns next unchanged, so
//
//	next, err = t.Verify(code, time.Now(), next)
//
// is always safe to write. A malformed code (the wrong length, or a
// character outside the format's: anything but ASCII digits for Decimal)
// fails with [ErrInvalidCode] before any HMAC work. The window never
// reaches before step 0.
func (t TOTP) Verify(code string, at time.Time, next uint64) (uint64, error) {
	p, c, err := t.check()
	if err != nil {
		return next, err
	}
	behind, ahead, err := t.window()
	if err != nil {
		return next, err
	}
	now, err := c.step(at)
	if err != nil {
		return next, err
	}
	// A step is at most about 2^63 (Unix seconds are an int64), so
	// neither the window's end nor matched+1 can wrap.
	first := now - min(now, behind)
	end := now + ahead
	offset, err := t.hotp().match(p, code, first, int(end-first)+1)
	if err != nil {
		return next, err
	}
	matched := first + uint64(offset)
	if matched < next {
		return next, ErrReplayed
	}
	return matched + 1, nil
}
