package guard

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/otpkit/otp"
)

// DefaultResyncRange is how far from the server's clock [Guard.ResyncTOTP]
// searches, each way, when [Guard.ResyncRange] is zero: a day and an hour,
// so that a phone set to any time zone is found.
const DefaultResyncRange = 25 * time.Hour

// maxResyncSteps bounds the search, whatever the range and period: at
// 30-second steps, DefaultResyncRange is 3,000 steps each way.
const maxResyncSteps = 10_000

// ResyncTOTP brings back an account whose authenticator's clock is far
// off: first and second are two codes of consecutive steps, as the app
// shows them one after the other, both newer than anything accepted. They
// are searched for within ResyncRange of the server's clock (each way), and
// on success the account's drift is set to where they matched, and its
// next step past the second, so that normal logins follow.
//
// A resync is an attempt like any other: refused unchecked while the
// account waits or is locked, and a failure counts, so it is no way around
// the throttle. Its results are those of [Guard.VerifyTOTP].
//
// # False accepts
//
// A guessed pair matches one of the N = 2×ResyncRange/Period+1 candidate
// steps with probability about N×10^(-2×Digits): with the defaults (30 s,
// 6 digits, 25 hours) N = 6,001, so about 6×10^-9 per attempt, and under
// 6×10^-7 for the 100 attempts before the lock: below one guess of a
// single six-digit code (10^-6).
func (g *Guard) ResyncTOTP(ctx context.Context, account string, t otp.TOTP, first, second string) error {
	return g.attempt(ctx, account, func(s State, now time.Time) (verdict, error) {
		return g.resync(t, first, second, now, s)
	})
}

// resync searches the range for the latest step s at or after next where
// first is the code of s and second that of s+1, comparing every
// candidate in constant time.
func (g *Guard) resync(t otp.TOTP, first, second string, now time.Time, s State) (verdict, error) {
	server, err := t.Step(now)
	if err != nil {
		return verdict{}, err
	}
	period := periodOf(t)
	width := g.ResyncRange
	if width <= 0 {
		width = DefaultResyncRange
	}
	span := min(uint64(width/period), maxResyncSteps)
	lo := max(server-min(server, span), s.Next)
	hi := server + span
	if lo > hi {
		return verdict{}, otp.ErrInvalidCode
	}
	h := otp.HOTP{Secret: t.Secret, Algorithm: t.Algorithm, Digits: t.Digits, Format: t.Format}
	if t.Format == otp.Steam { // typed in either case
		first, second = strings.ToUpper(first), strings.ToUpper(second)
	}
	prev, err := h.Generate(lo)
	if err != nil {
		return verdict{}, err
	}
	found, at := 0, uint64(0)
	for step := lo; step < hi; step++ {
		next, err := h.Generate(step + 1)
		if err != nil {
			return verdict{}, err
		}
		eq := subtle.ConstantTimeCompare([]byte(prev), []byte(first)) & subtle.ConstantTimeCompare([]byte(next), []byte(second))
		found |= eq
		at = uint64(subtle.ConstantTimeSelect(eq, int(step-lo), int(at)))
		prev = next
	}
	if found == 0 {
		return verdict{}, otp.ErrInvalidCode
	}
	matched := lo + at + 1 // the second code's step
	return verdict{next: matched + 1, drift: int64(matched) - int64(server)}, nil
}
