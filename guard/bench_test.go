package guard

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// benchmarkGuard measures one accepted code per account, so that every
// iteration does the whole attempt: a load, the otp.TOTP check and a committed
// update. Compare with BenchmarkTOTPVerify for what the Guard adds.
func benchmarkGuard(b *testing.B, store Store) {
	now := at1111111109
	g := &Guard{Store: store, Now: func() time.Time { return now }}
	code, err := guardTOTP.Generate(now)
	if err != nil {
		b.Fatal(err)
	}
	accounts := make([]string, b.N)
	for i := range accounts {
		accounts[i] = "user" + strconv.Itoa(i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := g.VerifyTOTP(ctx, accounts[i], guardTOTP, code); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGuardVerifyTOTPMemory(b *testing.B) {
	benchmarkGuard(b, NewMemoryStore())
}
