package integration

// Findings of the second security review (branch review2) on the MySQL
// store. Each test here fails on the code as reviewed.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMySQLTrustedDeviceOfLongAccount: the MySQL store takes accounts of
// up to 512 bytes, but a trusted device's bucket is the account and 46
// more bytes (guard.deviceBucket), so an account of 467 to 512 bytes,
// which signs in, gets a configuration error from every attempt made with
// its device token: its owner's trusted browser is locked out of the
// login for good, while any other browser gets in.
func TestMySQLTrustedDeviceOfLongAccount(t *testing.T) {
	t.Parallel()
	s := newMySQLDB(t).created(t)
	ctx := context.Background()
	key, err := otp.GenerateKey("Example", "x")
	require.NoError(t, err)
	now := time.Unix(1_800_000_000, 0)
	g := &guard.Guard{Store: s, DeviceKey: make([]byte, 32), Now: fixedNow(now)}
	account := strings.Repeat("a", 500)
	code, err := key.TOTP().Generate(now)
	require.NoError(t, err)
	require.NoError(t, g.VerifyTOTP(ctx, account, key.TOTP(), code), "the account itself is taken")
	token, err := g.TrustDevice(ctx, account)
	require.NoError(t, err)
	later := now.Add(time.Minute)
	g.Now = fixedNow(later)
	code, err = key.TOTP().Generate(later)
	require.NoError(t, err)
	assert.NoError(t, g.VerifyTOTP(guard.WithDevice(ctx, token), account, key.TOTP(), code),
		"the same account from its trusted device")
}
