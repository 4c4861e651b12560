package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 4226's test secret, "12345678901234567890", in hex and base32.
const (
	rfcHex    = "3132333435363738393031323334353637383930"
	rfcBase32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
)

func TestCode(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	require.NoError(t, os.WriteFile(keyFile, []byte(rfcBase32+"\n755224\n"), 0o600))
	tests := []struct {
		name   string
		stdin  string
		args   []string
		status int
		stdout string
	}{
		{"RFC 4226 counter 0", "", []string{rfcHex}, 0, "755224\n"},
		{"RFC 4226 window", "", []string{"-c", "1", "-w", "2", rfcHex}, 0, "287082\n359152\n969429\n"},
		{"base32, lower case and spaces", "", []string{"-b", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"}, 0, "755224\n"},
		{"RFC 6238 SHA1 at 59", "", []string{"--totp", "-N", "@59", "-d8", rfcHex}, 0, "94287082\n"},
		{"RFC 6238 past 2038", "", []string{"--totp", "--now=2603-10-11 11:33:20 UTC", "--digits=8", rfcHex}, 0, "65353130\n"},
		{"key on stdin", rfcHex + "\n", []string{"-"}, 0, "755224\n"},
		{"key and code from one file", "", []string{"-b", "@" + keyFile, "@" + keyFile}, 0, "0\n"},
		{"validation position", "", []string{"-w", "5", rfcHex, "969429"}, 0, "3\n"},
		{"validation miss", "", []string{"-w", "5", rfcHex, "000000"}, 2, ""},
		{"TOTP validation behind", "", []string{"--totp", "-N", "@89", "-w", "2", rfcHex, "287082"}, 0, "1\n"},
		{"verbose", "", []string{"-v", "-c", "255", "00"}, 0, "Hex secret: 00\nBase32 secret: AA======\nDigits: 6\nWindow size: 0\nStart counter: 0xFF (255)\n\n105833\n"},
		{"digits 5 refused", "", []string{"-d", "5", rfcHex}, 1, ""},
		{"digits 5 allowed", "", []string{"--allow-digits", "-d", "5", rfcHex}, 0, "55224\n"},
		{"digits 10 allowed", "", []string{"--allow-digits", "-d10", rfcHex}, 0, "1284755224\n"},
		{"allow-digits is not abbreviated", "", []string{"--allow", "-d", "5", rfcHex}, 1, ""},
		{"odd hex", "", []string{"123"}, 1, ""},
		{"too many parameters", "", []string{rfcHex, "1", "2"}, 1, ""},
		{"option twice", "", []string{"-v", "-v", rfcHex}, 1, ""},
		{"help", "", []string{"-h"}, 0, codeUsage},
		{"no key: help", "", nil, 0, codeUsage},
		{"nothing on stdin", "", []string{"-"}, 1, ""},
		{"negative window", "", []string{"-w", "-1", rfcHex}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, tt.stdin, append([]string{"code"}, tt.args...)...)
			assert.Equal(t, tt.status, got.status, got.stderr)
			assert.Equal(t, tt.stdout, got.stdout)
			assert.NotContains(t, got.stderr, rfcHex)
			assert.NotContains(t, got.stderr, rfcBase32)
		})
	}
}

// Called through a link named oathtool, otp is otp code.
func TestOathtoolName(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"oathtool", "/usr/local/bin/oathtool", "./oathtool"} {
		got := runAs(t, name, "", "-c", "1", rfcHex)
		assert.Equal(t, 0, got.status)
		assert.Equal(t, "287082\n", got.stdout)
	}
	got := runAs(t, "oathtool", "", "--bogus")
	assert.Equal(t, 1, got.status)
	assert.Contains(t, got.stderr, "oathtool: unrecognized option '--bogus'")
}

func TestCodeErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	secret := "DEADBEEFDEADBEEFCAFE"
	for _, args := range [][]string{
		{"-b", secret + "1"},
		{secret + "1"},
		{"-d", "7", secret, "123456"},
		{"--totp", "-N", "bogus", secret},
		{"-w", "1", secret, "000000"},
	} {
		got := runOTP(t, "", append([]string{"code"}, args...)...)
		assert.NotEqual(t, 0, got.status)
		assert.NotContains(t, got.stderr, secret, "%q", args)
		assert.NotContains(t, got.stderr, "deadbeef", "%q", args)
	}
}
