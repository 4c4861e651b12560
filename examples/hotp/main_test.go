package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The RFC 4226 Appendix D secret, whose codes for counters 0-9 the RFC
// lists; those after it were checked with oathtool.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

type result struct {
	exit           int
	stdout, stderr string
}

// drive runs the program with args on the given answers, one a line, with
// the RFC key and the PNG in a test directory unless args say otherwise.
func drive(t *testing.T, args []string, answers ...string) result {
	t.Helper()
	if !hasFlag(args, "-secret") {
		args = append([]string{"-secret", rfcSecret}, args...)
	}
	if !hasFlag(args, "-png") {
		args = append([]string{"-png", filepath.Join(t.TempDir(), "qr.png")}, args...)
	}
	var stdout, stderr bytes.Buffer
	in := strings.NewReader(strings.Join(answers, "\n") + "\n")
	exit := run(args, in, &stdout, &stderr)
	return result{exit, stdout.String(), stderr.String()}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// codes are the RFC key's codes by counter.
func codes(t *testing.T, counters ...uint64) []string {
	t.Helper()
	secret, err := otp.DecodeSecret(rfcSecret)
	require.NoError(t, err)
	var out []string
	for _, c := range counters {
		code, err := otp.HOTP{Secret: secret}.Generate(c)
		require.NoError(t, err)
		out = append(out, code)
	}
	return out
}

// The non-interactive mode: a simulated token follows the steps.
func TestHOTPSimulated(t *testing.T) {
	t.Parallel()
	r := drive(t, []string{"-simulate"})
	require.Equal(t, 0, r.exit, r.stdout+r.stderr)
	assert.Empty(t, r.stderr)
	for _, want := range []string{
		"otpauth://hotp/Example%20Corp:bob?secret=" + rfcSecret + "&issuer=Example%20Corp&counter=0",
		"The server expects counter 0 next, and forgives up to 5 unused codes.",
		"Step 2. Log in",
		"Code: 755224\nCode accepted at counter 0.\nThe server now expects counter 1",
		"Step 3. Run ahead within the window: get 3 new codes",
		"(The simulated token makes 3 codes that are not used.)\nCode: 338314\n" +
			"Code accepted at counter 4: the token was 3 ahead, and the look-ahead window caught up.\n" +
			"The server now expects counter 5",
		"Step 4. Run past the window: get 6 new codes",
		"(The simulated token makes 6 codes that are not used.)\nCode: 481090\n" +
			"Not the code of counter 5, nor of the 5 after it (the look-ahead window).\n",
		"Next code: 868912\nResynchronised: the two codes are those of counters 11 and 12, 6 ahead of the server.\n" +
			"The server now expects counter 13.",
		"go run ./examples/hotp -secret " + rfcSecret + " -counter 13 -simulate\n",
	} {
		assert.Contains(t, r.stdout, want)
	}
	assert.NotContains(t, r.stdout, "████", "no QR code without an app to scan it")
}

// A person with an app follows the steps and types the codes the app
// shows; an app that counts a press before showing its first code (as
// some do) starts one ahead, which the look-ahead absorbs.
func TestHOTPInteractive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answers []string
		says    []string
	}{
		{"the app starts at the key's counter", codes(t, 0, 4, 11, 12), []string{
			"Code accepted at counter 0.\n",
			"Code accepted at counter 4: the token was 3 ahead",
			"Resynchronised: the two codes are those of counters 11 and 12, 6 ahead of the server.",
			"Done. The server expects counter 13 next."}},
		{"the app starts one ahead", codes(t, 1, 5, 12, 13), []string{
			"Code accepted at counter 1: the token was 1 ahead",
			"Code accepted at counter 5: the token was 3 ahead",
			"Resynchronised: the two codes are those of counters 12 and 13, 6 ahead of the server.",
			"Done. The server expects counter 14 next."}},
		{"step 4 with fewer presses needs no resynchronisation", codes(t, 0, 4, 7), []string{
			"Code accepted at counter 7: the token was 2 ahead",
			"Done. The server expects counter 8 next."}},
		{"a wrong pair, then the right one", append([]string{codes(t, 0)[0], codes(t, 4)[0], "111111", "222222"}, codes(t, 11, 12)...), []string{
			"Refused: these are not the codes of two counters in a row from 5 to 1005. Try again (2 left).",
			"Resynchronised: the two codes are those of counters 11 and 12"}},
		{"the pair in the wrong order", append(codes(t, 0, 4, 12, 11), codes(t, 13, 14)...), []string{
			"Refused: these are not the codes of two counters in a row",
			"Resynchronised: the two codes are those of counters 13 and 14"}},
		{"the code just accepted, typed again, was used already", codes(t, 0, 0, 4, 11, 12), []string{
			"Code: Code accepted at counter 0.\n",
			"Code: That code was used already (counter 0): the server takes each code once, and now expects counter 1.\n" +
				"Get a new code and type that one. Try again (2 left).\nCode: Code accepted at counter 4",
			"Resynchronised: the two codes are those of counters 11 and 12"}},
		{"a skipped code was used already too", codes(t, 0, 4, 2, 11, 12), []string{
			"That code was used already (counter 2): the server takes each code once, and now expects counter 5.\n",
			"Resynchronised: the two codes are those of counters 11 and 12"}},
		{"a mistyped code, then one the window takes", append([]string{"111111"}, codes(t, 0, 4, 11, 12)...), []string{
			"Code: Not the code of counter 0, nor of the 5 after it (the look-ahead window).\n",
			"Next code: The two codes are not a pair, but the second is in the look-ahead window by itself.\n" +
				"Code accepted at counter 0.\n",
			"Done. The server expects counter 13 next."}},
		{"codes as phones show and paste them", []string{"755 224", "３３８３１４", "481\t090", "868\u00a0912"}, []string{
			"Code accepted at counter 0.", "Code accepted at counter 4", "Resynchronised"}},
		{"answers that cannot be codes get a hint and cost no try", []string{"", "75522", "75522x", "755224", "338314", "481090", "868912"}, []string{
			"Not checked: no code typed: type the 6 digits the app shows.",
			"Not checked: that is 5 digits, and the app shows 6.",
			"Not checked: character 6, 'x' (U+0078), is not a digit",
			"Code accepted at counter 0."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := drive(t, nil, tt.answers...)
			assert.Equal(t, 0, r.exit, r.stdout+r.stderr)
			assert.Empty(t, r.stderr)
			for _, s := range tt.says {
				assert.Contains(t, r.stdout, s)
			}
		})
	}
}

func TestHOTPRefused(t *testing.T) {
	t.Parallel()
	far := codes(t, 2000, 2001) // past the resynchronisation window
	tests := []struct {
		name    string
		args    []string
		answers []string
		says    string
		errs    string
	}{
		{"three wrong codes and pairs", nil, []string{"000000", "000001", "111111", "111112", "222222", "222223"},
			"Try again (1 left).", "hotp: login refused: 3 wrong codes\n"},
		{"a token past the resynchronisation window", nil, []string{far[0], far[1], far[0], far[1], far[0], far[1]},
			"Refused: these are not the codes of two counters in a row from 0 to 1000. Try again (2 left).", "hotp: login refused: 3 wrong codes\n"},
		{"the input ends", nil, []string{codes(t, 0)[0]},
			"Code accepted at counter 0.", "hotp: stopped: the input ended before the walkthrough did\n"},
		{"the input ends at the next code", nil, []string{"000000"},
			"Next code: \n", "hotp: stopped: the input ended before the walkthrough did\n"},
		{"a counter at the end of its range", []string{"-simulate", "-counter", "18446744073709551614"}, nil,
			"Code accepted at counter 18446744073709551614.", "hotp: login refused: 3 wrong codes\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := drive(t, tt.args, tt.answers...)
			assert.Equal(t, 1, r.exit)
			assert.Contains(t, r.stdout, tt.says)
			assert.NotContains(t, r.stdout, "Done.")
			assert.Equal(t, tt.errs, r.stderr)
		})
	}
}

func TestHOTPShowsEnrolment(t *testing.T) {
	t.Parallel()
	pngPath := filepath.Join(t.TempDir(), "qr.png")
	r := drive(t, []string{"-png", pngPath}, codes(t, 0, 4, 11, 12)...)
	require.Equal(t, 0, r.exit, r.stderr)
	assert.Contains(t, r.stdout, "Step 1. Enrol \"bob\" in your authenticator app: scan this QR code.")
	assert.Contains(t, r.stdout, "████", "the QR code in half blocks")
	assert.Regexp(t, "[█▀▄ ]\n\\(Drawn for a dark terminal background. If yours is light and the code does not scan, run again with -light.\\)\n", r.stdout)
	assert.Contains(t, r.stdout, "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ")
	assert.Contains(t, r.stdout, "Key URI: otpauth://hotp/Example%20Corp:bob?secret="+rfcSecret+"&issuer=Example%20Corp&counter=0\n")
	assert.Contains(t, r.stdout, "The QR code is also in "+pngPath+" (readable only by you; kept).")
	assert.Contains(t, r.stdout, "To run this again with the key your app now holds:\n\n    go run ./examples/hotp -secret "+rfcSecret+"\n")
	fi, err := os.Lstat(pngPath)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	light := drive(t, []string{"-light"}, codes(t, 0, 4, 11, 12)...)
	assert.Contains(t, light.stdout, "\n(Drawn for a light terminal background, as -light asks. On a dark one, run again without -light.)\n")
}

// The command printed at the end goes on where the server left off.
func TestHOTPRerunGoesOn(t *testing.T) {
	t.Parallel()
	first := drive(t, nil, codes(t, 0, 4, 11, 12)...)
	m := regexp.MustCompile(`\n    go run \./examples/hotp (.*)\n$`).FindStringSubmatch(first.stdout)
	require.NotNil(t, m, first.stdout)
	args := strings.Fields(m[1])
	assert.Equal(t, []string{"-secret", rfcSecret, "-counter", "13"}, args)
	again := drive(t, args, codes(t, 13, 17, 24, 25)...)
	require.Equal(t, 0, again.exit, again.stdout+again.stderr)
	assert.Contains(t, again.stdout, "The server expects counter 13 next")
	assert.Contains(t, again.stdout, "otpauth://hotp/Example%20Corp:bob?secret="+rfcSecret+"&issuer=Example%20Corp&counter=13")
	assert.Contains(t, again.stdout, "Code accepted at counter 13.")
}

func TestHOTPArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		exit int
		errs string
	}{
		{"an extra argument", []string{"now"}, 2, "unexpected argument \"now\": this program takes flags only\nUsage: go run ./examples/hotp"},
		{"an unknown flag", []string{"-nope"}, 2, "flag provided but not defined: -nope"},
		{"a bad counter", []string{"-counter", "-1"}, 2, "invalid value \"-1\" for flag -counter"},
		{"help", []string{"-h"}, 0, "Usage: go run ./examples/hotp"},
		{"a bad secret", []string{"-secret", "not base32!"}, 1, "hotp: otp: invalid secret"},
		{"the counter 2^64-1, whose code never verifies", []string{"-counter", "18446744073709551615"}, 1, "Counter: 2^64-1 is past the last usable counter"},
		{"a PNG path that cannot be written, before the secret is shown", []string{"-png", "/no/such/dir/x.png"}, 1,
			"hotp: cannot write /no/such/dir/x.png: no such file or directory\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := drive(t, tt.args)
			assert.Equal(t, tt.exit, r.exit)
			assert.Empty(t, r.stdout)
			assert.Contains(t, r.stderr, tt.errs)
			assert.NotContains(t, r.stderr, rfcSecret)
		})
	}
}

func TestHOTPNewKey(t *testing.T) {
	t.Parallel()
	key, err := newKey(config{counter: 13})
	require.NoError(t, err)
	assert.Equal(t, otp.TypeHOTP, key.Type)
	assert.Equal(t, uint64(13), key.Counter)
	assert.Len(t, key.Secret, otp.DefaultSecretSize)
	assert.NoError(t, key.Validate())

	key, err = newKey(config{secret: "gezd gnbv gy3t qojq gezd gnbv gy3t qojq"})
	require.NoError(t, err)
	assert.Equal(t, "otpauth://hotp/Example%20Corp:bob?secret="+rfcSecret+"&issuer=Example%20Corp&counter=0", key.URI())

	// A secret no app should be enrolled with is refused, as ParseURI
	// would refuse it.
	_, err = newKey(config{secret: "AAAA"})
	assert.ErrorIs(t, err, otp.ErrInvalidConfig)
}
