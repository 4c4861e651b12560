package guard_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
)

// secret is the RFC 4226 and RFC 6238 SHA-1 test secret.
var secret = []byte("12345678901234567890")

func ExampleGuard() {
	ctx := context.Background()
	g := &guard.Guard{Store: guard.NewMemoryStore()} // SQLStore when more than one process serves
	t := otp.TOTP{Secret: secret, Skew: 1}

	code, _ := t.Generate(time.Now())
	fmt.Println(g.VerifyTOTP(ctx, "alice@example.com", t, code))

	// The same code again, from this or any other session: refused, and
	// counted as a failure.
	err := g.VerifyTOTP(ctx, "alice@example.com", t, code)
	fmt.Println(errors.Is(err, otp.ErrReplayed))

	// Three failures are free; the fourth makes the next attempt wait,
	// unchecked, however right its code.
	for range 3 {
		g.VerifyTOTP(ctx, "alice@example.com", t, "000000")
	}
	err = g.VerifyTOTP(ctx, "alice@example.com", t, "000000")
	var throttled *guard.ThrottleError
	if errors.As(err, &throttled) {
		fmt.Println("retry after", throttled.RetryAfter.Round(time.Second))
	}
	// Output:
	// <nil>
	// true
	// retry after 1s
}

func ExampleGuard_UseRecoveryCode() {
	ctx := context.Background()
	g := &guard.Guard{Store: guard.NewMemoryStore()}

	// At enrolment: show the codes once, keep only their hashes.
	codes, _ := guard.GenerateRecoveryCodes(0)
	g.SetRecoveryCodes(ctx, "alice@example.com", codes)

	// The phone is lost: the user types one code, in any case and spacing.
	typed := strings.ToLower(strings.ReplaceAll(codes[3], "-", " "))
	fmt.Println(g.UseRecoveryCode(ctx, "alice@example.com", typed))
	fmt.Println(g.UseRecoveryCode(ctx, "alice@example.com", typed))
	left, _ := g.RecoveryCodesLeft(ctx, "alice@example.com")
	fmt.Println(len(codes[3]), left)
	// Output:
	// <nil>
	// otp: invalid code
	// 19 9
}

// The whole login as one attempt: the password through CheckFactor under
// the account's key, and the code with the context it returns, so that a
// right password and a wrong one get the same answers.
func ExampleGuard_CheckFactor() {
	ctx := context.Background()
	g := &guard.Guard{Store: guard.NewMemoryStore()}
	t := otp.TOTP{Secret: secret, Skew: 1}
	passwordIs := func(right bool) func(context.Context) (bool, error) {
		return func(context.Context) (bool, error) { return right, nil } // a real check hashes the password
	}
	login := func(right bool, code string) error {
		lctx, err := g.CheckFactor(ctx, "user-42", passwordIs(right))
		if err == nil {
			err = g.VerifyTOTP(lctx, "user-42", t, code)
		}
		return err
	}
	code, _ := t.Generate(time.Now())
	fmt.Println(login(true, code))

	for range 4 { // wrong passwords, and a right one with a wrong code: one failure each
		login(false, "000000")
	}
	err := login(true, code)
	fmt.Println(errors.Is(err, guard.ErrThrottled), "(checked nothing)")
	// Output:
	// <nil>
	// true (checked nothing)
}

// Trusted devices: the owner's browser gets a token after a full login,
// and its attempts are throttled apart from everyone else's.
func ExampleGuard_TrustDevice() {
	ctx := context.Background()
	g := &guard.Guard{Store: guard.NewMemoryStore(), DeviceKey: []byte("32 random bytes, from a secret..")}
	t := otp.TOTP{Secret: secret, Skew: 1}

	token, _ := g.TrustDevice(ctx, "user-42") // after a full login: set it as a cookie
	for range 4 {                             // someone with the password guesses
		g.VerifyTOTP(ctx, "user-42", t, "000000")
	}
	code, _ := t.Generate(time.Now())
	err := g.VerifyTOTP(ctx, "user-42", t, code) // untrusted: made to wait
	fmt.Println(errors.Is(err, guard.ErrThrottled))
	fmt.Println(g.VerifyTOTP(guard.WithDevice(ctx, token), "user-42", t, code))
	// Output:
	// true
	// <nil>
}

// A phone whose clock is far off, here by a wrong time zone: two
// consecutive codes bring it back, and normal logins follow its clock.
func ExampleGuard_ResyncTOTP() {
	ctx := context.Background()
	now := time.Unix(1111111109, 0)
	g := &guard.Guard{Store: guard.NewMemoryStore(), Now: func() time.Time { return now }}
	t := otp.TOTP{Secret: secret, Skew: 1}
	phone := now.Add(-5 * time.Hour)

	first, _ := t.Generate(phone)
	second, _ := t.Generate(phone.Add(30 * time.Second))
	fmt.Println(g.ResyncTOTP(ctx, "user-42", t, first, second))
	state, _ := g.State(ctx, "user-42")
	fmt.Println("drift", state.Drift, "steps")

	now = now.Add(time.Minute)
	code, _ := t.Generate(phone.Add(time.Minute))
	fmt.Println(g.VerifyTOTP(ctx, "user-42", t, code))
	// Output:
	// <nil>
	// drift -599 steps
	// <nil>
}

// What a counted failure says: how long until the next attempt is checked.
func ExampleFailureError() {
	ctx := context.Background()
	g := &guard.Guard{Store: guard.NewMemoryStore()}
	t := otp.TOTP{Secret: secret, Skew: 1}
	var err error
	for range 4 {
		err = g.VerifyTOTP(ctx, "user-42", t, "000000")
	}
	var failed *guard.FailureError
	if errors.As(err, &failed) {
		fmt.Println(failed.Failures, failed.RetryAfter.Round(time.Second), errors.Is(err, otp.ErrInvalidCode))
	}
	// Output: 4 1s true
}
