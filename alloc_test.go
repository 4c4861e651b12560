//go:build !race

package otp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestVerifyAllocatesNothing: on a decoded secret, Verify makes no
// allocation, hit or miss, TOTP or HOTP (in FIPS 140-3 mode crypto/hmac
// does the work, and allocates). The race detector moves values to the
// heap, so the test is built without it; CI runs it so.
func TestVerifyAllocatesNothing(t *testing.T) {
	if fipsMode {
		t.Skip("FIPS 140-3 mode verifies through crypto/hmac")
	}
	tp := TOTP{Secret: rfc4226Secret, Skew: 1}
	hit := mustHOTP(t, HOTP{Secret: rfc4226Secret}, 37037036)
	h := HOTP{Secret: rfc4226Secret, LookAhead: 10}
	for name, verify := range map[string]func(){
		"TOTP hit":  func() { _, _ = tp.Verify(hit, at1111111109, 0) },
		"TOTP miss": func() { _, _ = tp.Verify("000000", at1111111109, 0) },
		"HOTP miss": func() { _, _ = h.Verify("000000", 0) },
	} {
		assert.Zero(t, testing.AllocsPerRun(20, verify), name)
	}
}
