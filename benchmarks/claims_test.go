package benchmarks

import (
	"errors"
	"testing"
	"time"

	"github.com/otpkit/otp"
	pquerna "github.com/pquerna/otp"
	ptotp "github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeComparison backs the README's comparison table with the same
// inputs given to both libraries (pquerna/otp pinned at v1.5.0).
func TestReadmeComparison(t *testing.T) {
	t.Run("an issuer with & survives the round trip", func(t *testing.T) {
		pk, err := ptotp.Generate(ptotp.GenerateOpts{Issuer: "AT&T", AccountName: "bob"})
		require.NoError(t, err)
		back, err := pquerna.NewKeyFromURL(pk.URL())
		require.NoError(t, err)
		assert.Equal(t, "AT", back.Issuer(), "pquerna writes & unescaped and reads back a truncated issuer")

		ok, err := otp.GenerateKey("AT&T", "bob")
		require.NoError(t, err)
		parsed, err := otp.ParseURI(ok.URI())
		require.NoError(t, err)
		assert.Equal(t, "AT&T", parsed.Issuer)
	})

	t.Run("a bad digits, algorithm or period is an error, not a default", func(t *testing.T) {
		const uri = "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=abc&algorithm=SHA3&period=-5"
		pk, err := pquerna.NewKeyFromURL(uri)
		require.NoError(t, err)
		assert.Equal(t, pquerna.DigitsSix, pk.Digits(), "pquerna silently uses the default")
		assert.Equal(t, pquerna.AlgorithmSHA1, pk.Algorithm())
		assert.Equal(t, uint64(30), pk.Period())

		_, err = otp.ParseURI(uri)
		assert.ErrorIs(t, err, otp.ErrInvalidURI)
	})

	t.Run("parameters after a # are not read as parameters", func(t *testing.T) {
		// Browsers, net/url and urllib end the query at '#': a parser that
		// read on would show another issuer than they do.
		uri := "otpauth://totp/Evil:alice?secret=JBSWY3DPEHPK3PXP&x=#&issuer=Good"
		pk, err := pquerna.NewKeyFromURL(uri)
		require.NoError(t, err)
		assert.Equal(t, "Evil", pk.Issuer(), "pquerna drops the fragment, as net/url does")

		_, err = otp.ParseURI(uri)
		assert.ErrorIs(t, err, otp.ErrInvalidURI, "otp refuses it, so that no two parsers disagree")
	})

	t.Run("MD5 is refused", func(t *testing.T) {
		pk, err := pquerna.NewKeyFromURL("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5")
		require.NoError(t, err)
		assert.Equal(t, pquerna.AlgorithmMD5, pk.Algorithm())

		_, err = otp.ParseAlgorithm("MD5")
		assert.Error(t, err)
	})

	t.Run("a secret shorter than 128 bits is refused", func(t *testing.T) {
		pk, err := ptotp.Generate(ptotp.GenerateOpts{Issuer: "x", AccountName: "y", SecretSize: 1})
		require.NoError(t, err)
		assert.Len(t, pk.Secret(), 2, "pquerna generates a one-byte secret")

		_, err = otp.GenerateSecret(1)
		assert.ErrorIs(t, err, otp.ErrInvalidConfig)
	})

	t.Run("verification returns the step, so a code is accepted once", func(t *testing.T) {
		code, err := ptotp.GenerateCodeCustom(secret32, at, popts)
		require.NoError(t, err)
		for range 2 {
			ok, err := ptotp.ValidateCustom(code, secret32, at, popts)
			require.NoError(t, err)
			assert.True(t, ok, "pquerna returns a bool: the caller cannot tell a replay")
		}

		key, err := otp.DecodeSecret(secret32)
		require.NoError(t, err)
		tp := otp.TOTP{Secret: key, Skew: 1}
		last, err := tp.Verify(code, at, 0)
		require.NoError(t, err)
		_, err = tp.Verify(code, at, last)
		assert.True(t, errors.Is(err, otp.ErrReplayed))
	})

	t.Run("a Steam account's key URI gives Steam codes", func(t *testing.T) {
		// As SteamDesktopAuthenticator writes it, and as KeePassXC does; the
		// Steam app showed FR8RV at this time (KeePassXC's tests/TestTotp.cpp).
		steamAt := time.Unix(1511200518, 0)
		for uri, pquernaCode := range map[string]string{
			"otpauth://totp/Steam:alice?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Steam":                        "124875",
			"otpauth://totp/Valve:alice?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Valve&digits=5&encoder=steam": "24875",
		} {
			pk, err := pquerna.NewKeyFromURL(uri)
			require.NoError(t, err)
			code, err := ptotp.GenerateCodeCustom(pk.Secret(), steamAt,
				ptotp.ValidateOpts{Period: uint(pk.Period()), Digits: pk.Digits(), Algorithm: pk.Algorithm()})
			require.NoError(t, err)
			assert.Equal(t, pquernaCode, code, "pquerna makes digits, which Steam refuses, with no error")

			k, err := otp.ParseURI(uri)
			require.NoError(t, err)
			code, err = k.TOTP().Generate(steamAt)
			require.NoError(t, err)
			assert.Equal(t, "FR8RV", code)
		}
	})

	t.Run("a time before the epoch is an error", func(t *testing.T) {
		_, err := otp.TOTP{Secret: []byte("12345678901234567890")}.Generate(time.Unix(-100, 0))
		assert.ErrorIs(t, err, otp.ErrInvalidConfig)
	})
}
