package otp_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otpkit/otp"
	_ "modernc.org/sqlite"
)

func ExampleGuard() {
	ctx := context.Background()
	guard := &otp.Guard{Store: otp.NewMemoryStore()} // SQLStore when more than one process serves
	t := otp.TOTP{Secret: secret, Skew: 1}

	code, _ := t.Generate(time.Now())
	fmt.Println(guard.VerifyTOTP(ctx, "alice@example.com", t, code))

	// The same code again, from this or any other session: refused, and
	// counted as a failure.
	err := guard.VerifyTOTP(ctx, "alice@example.com", t, code)
	fmt.Println(errors.Is(err, otp.ErrReplayed))

	// Three failures are free; the fourth makes the next attempt wait,
	// unchecked, however right its code.
	for range 3 {
		guard.VerifyTOTP(ctx, "alice@example.com", t, "000000")
	}
	err = guard.VerifyTOTP(ctx, "alice@example.com", t, "000000")
	var throttled *otp.ThrottleError
	if errors.As(err, &throttled) {
		fmt.Println("retry after", throttled.RetryAfter.Round(time.Second))
	}
	// Output:
	// <nil>
	// true
	// retry after 1s
}

func ExampleSQLStore() {
	dir, _ := os.MkdirTemp("", "otp-example")
	defer os.RemoveAll(dir)
	dsn := "file:" + filepath.Join(dir, "otp.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	db, err := sql.Open("sqlite", dsn) // or "pgx" with a postgres:// URL
	if err != nil {
		panic(err)
	}
	defer db.Close()

	ctx := context.Background()
	store, err := otp.NewSQLStore(db, "otp_guard")
	if err != nil {
		panic(err)
	}
	if err := store.CreateTable(ctx); err != nil {
		panic(err)
	}
	guard := &otp.Guard{Store: store}

	t := otp.TOTP{Secret: secret, Skew: 1}
	code, _ := t.Generate(time.Now())
	fmt.Println(guard.VerifyTOTP(ctx, "alice@example.com", t, code))
	fmt.Println(guard.VerifyTOTP(ctx, "alice@example.com", t, code))
	// Output:
	// <nil>
	// otp: code already used
}

func ExampleGuard_UseRecoveryCode() {
	ctx := context.Background()
	guard := &otp.Guard{Store: otp.NewMemoryStore()}

	// At enrolment: show the codes once, keep only their hashes.
	codes, _ := otp.GenerateRecoveryCodes(0)
	guard.SetRecoveryCodes(ctx, "alice@example.com", codes)

	// The phone is lost: the user types one code, in any case and spacing.
	typed := strings.ToLower(strings.ReplaceAll(codes[3], "-", " "))
	fmt.Println(guard.UseRecoveryCode(ctx, "alice@example.com", typed))
	fmt.Println(guard.UseRecoveryCode(ctx, "alice@example.com", typed))
	left, _ := guard.RecoveryCodesLeft(ctx, "alice@example.com")
	fmt.Println(len(codes[3]), left)
	// Output:
	// <nil>
	// otp: invalid code
	// 19 9
}
