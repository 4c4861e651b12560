package main

import (
	"encoding/base32"
	"encoding/hex"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oathtoolOracle returns oathtool's path for a fuzz target's oracle, or ""
// when it is missing (the targets then check what they can without it).
func oathtoolOracle(t testing.TB) string {
	path, err := exec.LookPath("oathtool")
	if err != nil {
		return ""
	}
	return path
}

// oathtoolOut runs oathtool and returns its output and exit status (-1
// when a signal ended it).
func oathtoolOut(t *testing.T, path string, args ...string) (string, int) {
	out, err := exec.Command(path, args...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	require.NoError(t, err)
	return string(out), 0
}

// argvSafe reports whether s can be passed to oathtool as it is.
func argvSafe(s string) bool { return !strings.Contains(s, "\x00") }

var durationSeeds = []string{"30", "30s", "1m", "2h", "1h30m", "1h 30m", " 30 ", "30 s", "1:30", "1:30:15", "1:-5", "0:-5",
	"1:", "1h:30", "2m:5", "P1Y2M3W4D", "P0DT30S", "P1DT2H", "P0001-02-03T00:00:30", "P00000000T000030", "PT30S", "T1H",
	"T013000", "T1:2:3", "1W", "1w", "1y2M3W4d5h6m7s", "7s6m", "0", "P0D", "0x10", "4294967326", "99999999999999999999",
	"9223372036854775807", "9223372036854775807s", "106751991167300d", "", "-5", "s", "1s1s", "1d 2d"}

// FuzzParseDuration checks parseDuration against oathtool's -s: the same
// steps taken, with the same value, and the same refused.
func FuzzParseDuration(f *testing.F) {
	for _, s := range durationSeeds {
		f.Add(s)
	}
	oathtool := oathtoolOracle(f)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseDuration(s)
		if err == nil {
			assert.GreaterOrEqual(t, v, int64(0))
		}
		if oathtool == "" || !argvSafe(s) {
			return
		}
		out, status := oathtoolOut(t, oathtool, "--totp", "-v", "-N", "@0", "-s", s, "00")
		switch {
		case err != nil:
			assert.Equal(t, 1, status, "oathtool takes %q: %s", s, out)
		case v == 0:
			assert.Equal(t, -1, status, "oathtool divides by the step of 0 of %q", s)
		default:
			assert.Contains(t, out, "Step size (seconds): "+strconv.FormatInt(v, 10)+"\n", "%q", s)
		}
	})
}

var timeSeeds = []string{"@0", "@1700000000", "@-2", "@1.9", "@-1.5", "@-0.5", "@ 5", "@+5", "@1e3", "@.5", "@99999999999999",
	"@67768036191676799", "@67768036191676800", "2024-01-01", "2024-01-01 10:00", "2024-01-01 10:00:00 UTC",
	"2024-01-01T10:00:00Z", "2024-01-01 10:00:00 +0100", "2024-01-01 10:00:00+01:00", "2024-01-01 10:00:00 -05",
	"2024-1-1 1:2:3 UTC", "2024-02-29 UTC", "2023-02-29 UTC", "2024-01-01 24:00:00 UTC", "2024-01-01 10:00:60 UTC",
	"69-01-01 UTC", "68-12-31 UTC", "0001-01-01 UTC", "10000-01-01 UTC", "2024-01-01 10:00:00.5 UTC",
	"2024-01-01 10:00:00,5 gmt", " 2024-01-01   10:00:00   UTC ", "2106-02-07 06:28:16 UTC", "2038-01-19 03:14:08 Z",
	"0-1-1", "0-1-1T", "2024-01-01T", "2024-01-01 T10:00", "9-01-01 UTC"}

// FuzzParseTime checks parseTime against oathtool's -N: every time it
// takes, oathtool takes with the same value, and the verbose header's date
// is oathtool's. (parse_datetime takes many more forms, which parseTime
// refuses.)
func FuzzParseTime(f *testing.F) {
	for _, s := range timeSeeds {
		f.Add(s)
	}
	oathtool := oathtoolOracle(f)
	now := time.Now()
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseTime(s, now, time.Local)
		if err != nil {
			return
		}
		assert.NotEqual(t, int64(badTime), v)
		date, dateOK := utcString(v)
		trimmed := strings.ToLower(strings.Trim(s, cWhite))
		if oathtool == "" || !argvSafe(s) || trimmed == "" || trimmed == "now" || trimmed == "today" {
			return // those depend on the clock
		}
		out, status := oathtoolOut(t, oathtool, "--totp", "-v", "-N", s, "00")
		if !dateOK {
			assert.Equal(t, 1, status, "oathtool's gmtime takes %q", s)
			assert.NotContains(t, out, "Current time:")
			return
		}
		assert.Equal(t, 0, status, "oathtool refuses %q", s)
		assert.Contains(t, out, "Current time: "+date+" ("+strconv.FormatInt(v, 10)+")\n", "%q", s)
	})
}

// FuzzDecodeOathBase32 checks the -b decoder against oathtool's, and that
// what the standard encoder writes decodes back.
func FuzzDecodeOathBase32(f *testing.F) {
	for _, s := range []string{"", "MY", "MY======", "MY======MY======", "gezd gnbv", "GEZDGNBVGY3TQOJQ", "MZXW6===", "MZXW6=",
		"MZXW6YQ", "MZXW6YQ=", "A", "AB", "ABC", "ABCD", "ABCDE", "ABCDEF", "ABCDEFG", "18", "ſ", "MZ\tXW", "MZXW6YTB", "MZ=XW6YT"} {
		f.Add(s)
	}
	oathtool := oathtoolOracle(f)
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := decodeOathBase32(s)
		if ok {
			again, ok := decodeOathBase32(base32.StdEncoding.EncodeToString(got))
			require.True(t, ok)
			assert.Equal(t, got, again)
		}
		if oathtool == "" || !argvSafe(s) || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "@") {
			return
		}
		out, status := oathtoolOut(t, oathtool, "-b", "-v", "--", s)
		if !ok {
			assert.Equal(t, 1, status, "oathtool decodes %q: %s", s, out)
			return
		}
		assert.True(t, strings.HasPrefix(out, "Hex secret: "+hex.EncodeToString(got)+"\n"), "%q: oathtool says %s", s, out)
	})
}

// FuzzStrtol checks the C number readers on what gengetopt reads with
// them: the value of a whole string, as oathtool's -c and -w take it.
func FuzzStrtol(f *testing.F) {
	for _, s := range []string{"0", "", " 1", "+1", "-1", "0x10", "0X1f", "010", "08", "0x", "-0x8000000000000000",
		"9223372036854775808", "18446744073709551616", "4294967302", " ", "1 ", "\t7"} {
		f.Add(s)
	}
	oathtool := oathtoolOracle(f)
	f.Fuzz(func(t *testing.T, s string) {
		u, uend := strtoull(s)
		_, lend := strtol(s)
		assert.Equal(t, uend, lend, "both read the same characters")
		if oathtool == "" || !argvSafe(s) {
			return
		}
		// The counter, as oathtool's verbose output shows it.
		out, status := oathtoolOut(t, oathtool, "-v", "-c", s, "00")
		if uend != len(s) {
			assert.Equal(t, 1, status, "oathtool takes -c %q", s)
			return
		}
		assert.Contains(t, out, "Start counter: 0x"+strings.ToUpper(strconv.FormatUint(u, 16))+" ("+strconv.FormatUint(u, 10)+")\n", "-c %q", s)
	})
}
