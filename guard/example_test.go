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
