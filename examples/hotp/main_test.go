package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHOTPDemo(t *testing.T) {
	var out bytes.Buffer
	// The RFC 4226 Appendix D secret, whose codes the RFC lists (counter 11,
	// past the table, checked with oathtool).
	exit := run([]string{"-secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"}, &out)
	assert.Equal(t, 0, exit, out.String())
	for _, want := range []string{
		"otpauth://hotp/Example%20Corp:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20Corp&counter=0",
		"counter 0: 755224", "counter 1: 287082", "counter 2: 359152", "counter 3: 969429",
		"Login 1: code 755224 accepted at counter 0; server now expects 1.",
		"Login 2, after 3 stray presses (within the look-ahead of 5): code 338314 accepted at counter 4; server now expects 5.",
		"Replay of the first code 755224: refused.",
		"Login 3, after 6 stray presses (beyond the look-ahead): code 481090 refused; server still expects 5.",
	} {
		assert.Contains(t, out.String(), want)
	}
}

func TestHOTPDemoBadSecret(t *testing.T) {
	var out bytes.Buffer
	assert.Equal(t, 1, run([]string{"-secret", "not base32!"}, &out))
	assert.Contains(t, out.String(), "otp: invalid secret")
	assert.Equal(t, 2, run([]string{"-nope"}, &out))
}
