package main

import (
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestOathtoolRandom runs random command lines through otp code and through
// Debian's oathtool, and compares standard output and exit status byte for
// byte. The seed is fixed so that a failure reproduces; the command line is
// the subtest's name.
func TestOathtoolRandom(t *testing.T) {
	t.Parallel()
	oathtool := tool(t, "oathtool", "oathtool")
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4226, 6238))
	for i := range 400 {
		g := lineGen{rng: rng, dir: dir, n: i}
		args, stdin := g.commandLine(t, oathtool)
		want := execResult(t, oathtool, stdin, args...)
		got := runOTP(t, stdin, append([]string{"code"}, args...)...)
		if !assert.Equal(t, want.stdout, got.stdout, "oathtool %s", quote(args)) ||
			!assert.Equal(t, want.status, got.status, "oathtool %s\noathtool said: %s\notp said: %s", quote(args), want.stderr, got.stderr) {
			continue
		}
		assert.NotContains(t, got.stderr, stdinKey(args, stdin), "an error shows the key")
	}
}

func quote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

// stdinKey returns the key when it came on standard input, to check that
// no error shows it; otherwise a string no output holds.
func stdinKey(args []string, stdin string) string {
	if stdin == "" {
		return "\x00no key on stdin"
	}
	k, _, _ := strings.Cut(stdin, "\n")
	if len(k) < 4 {
		return "\x00short key"
	}
	return k
}

// lineGen makes one random oathtool command line.
type lineGen struct {
	rng *rand.Rand
	dir string
	n   int
}

func (g lineGen) pick(choices ...string) string { return choices[g.rng.IntN(len(choices))] }

func (g lineGen) chance(p float64) bool { return g.rng.Float64() < p }

// commandLine returns the arguments and standard input of one run. Most
// are valid; some are wrong in one way oathtool refuses.
func (g lineGen) commandLine(t *testing.T, oathtool string) ([]string, string) {
	var opts []string
	totp := g.chance(0.6)
	if totp {
		opts = append(opts, g.pick("--totp", "--totp=SHA1", "--totp=SHA256", "--totp=sha512", "--totp=SHA512", "--to=sha256"))
	} else if g.chance(0.2) {
		opts = append(opts, "--hotp")
	}
	key, b32 := g.key()
	if b32 {
		opts = append(opts, g.pick("-b", "--base32", "--b"))
	}
	if g.chance(0.5) {
		opts = append(opts, g.option("d", "digits", strconv.Itoa(6+g.rng.IntN(3)))...)
	}
	window := 0
	if g.chance(0.6) {
		window = g.rng.IntN(12)
		opts = append(opts, g.option("w", "window", strconv.Itoa(window))...)
	}
	if totp {
		opts = append(opts, g.totpOptions()...)
	} else if g.chance(0.8) {
		opts = append(opts, g.option("c", "counter", g.counter())...)
	}
	if g.chance(0.3) {
		opts = append(opts, g.pick("-v", "--verbose", "--verb"))
	}
	opts = g.breakOne(opts)
	keyArg, stdin := g.keyArg(key)
	operands := []string{keyArg}
	if g.chance(0.4) {
		operands = append(operands, g.otpFor(t, oathtool, opts, key, window))
	}
	g.rng.Shuffle(len(opts), func(i, j int) { opts[i], opts[j] = opts[j], opts[i] })
	return g.arrange(fixPairs(opts), operands), stdin
}

// option writes an option with its value in one of getopt's forms.
func (g lineGen) option(short, long, value string) []string {
	switch g.rng.IntN(4) {
	case 0:
		return []string{"-" + short + value}
	case 1:
		return []string{"-" + short + "\x00" + value}
	case 2:
		return []string{"--" + long + "=" + value}
	}
	return []string{"--" + long + "\x00" + value}
}

// fixPairs keeps an option and its separate value together through the
// shuffle: they are joined by a NUL until now.
func fixPairs(opts []string) []string {
	var out []string
	for _, o := range opts {
		out = append(out, strings.Split(o, "\x00")...)
	}
	return out
}

// arrange puts the operands before, among or after the options, as GNU
// getopt permutes them.
func (g lineGen) arrange(opts, operands []string) []string {
	switch g.rng.IntN(3) {
	case 0:
		return append(operands, opts...)
	case 1:
		return append(append([]string{}, opts...), operands...)
	}
	mid := g.rng.IntN(len(opts) + 1)
	out := append([]string{}, opts[:mid]...)
	out = append(out, operands...)
	return append(out, opts[mid:]...)
}

func (g lineGen) key() (key string, b32 bool) {
	size := []int{1, 5, 10, 16, 20, 32, 33, 64, 65, 128, 200}[g.rng.IntN(11)]
	raw := make([]byte, size)
	for i := range raw {
		raw[i] = byte(g.rng.Uint32())
	}
	if g.chance(0.5) {
		k := hex.EncodeToString(raw)
		if g.chance(0.3) {
			k = strings.ToUpper(k)
		}
		return k, false
	}
	k := base32.StdEncoding.EncodeToString(raw)
	if g.chance(0.5) {
		k = strings.TrimRight(k, "=")
	}
	if g.chance(0.3) {
		k = strings.ToLower(k)
	}
	if g.chance(0.3) {
		var b strings.Builder
		for i, r := range k {
			if i > 0 && i%4 == 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
		}
		k = b.String()
	}
	return k, true
}

// keyArg passes the key as an argument, on standard input or in a file.
func (g lineGen) keyArg(key string) (string, string) {
	switch g.rng.IntN(4) {
	case 0:
		return "-", key + "\n"
	case 1:
		path := filepath.Join(g.dir, fmt.Sprintf("key%d", g.n))
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			panic(err)
		}
		return "@" + path, ""
	}
	return key, ""
}

func (g lineGen) counter() string {
	c := g.rng.Uint64() >> (24 + g.rng.IntN(40)) // up to 2^40
	switch g.rng.IntN(6) {
	case 0:
		return "0x" + strconv.FormatUint(c, 16)
	case 1:
		return "18446744073709551615"
	}
	return strconv.FormatUint(c, 10)
}

func (g lineGen) totpOptions() []string {
	var opts []string
	if g.chance(0.7) {
		opts = append(opts, g.option("s", "time-step-size", g.pick("30", "30s", "1m", "2h", "60", "45s", "1m30s", "1h 1m", "90", "1", "15", "P0DT60S", "T0030", "1:30", "3600"))...)
	}
	if g.chance(0.5) {
		opts = append(opts, g.option("S", "start-time", g.time(2_000_000_000))...)
	}
	opts = append(opts, g.option("N", "now", g.time(20_000_000_000))...) // to the year 2603
	return opts
}

// time writes a time up to limit seconds after the epoch, in one of the
// forms both parsers take.
func (g lineGen) time(limit int64) string {
	sec := g.rng.Int64N(limit)
	switch g.rng.IntN(4) {
	case 0:
		return fmt.Sprintf("@%d", sec)
	case 1:
		return unixUTC(sec).Format("2006-01-02 15:04:05") + g.pick(" UTC", "Z", " +00:00", " utc")
	case 2:
		return unixUTC(sec).Format("2006-01-02T15:04:05") + g.pick("+01:00", "-0530", "Z")
	}
	return fmt.Sprintf("@%d", sec-limit/2)
}

// breakOne makes about one command line in ten wrong in one way.
func (g lineGen) breakOne(opts []string) []string {
	if !g.chance(0.1) {
		return opts
	}
	switch g.rng.IntN(7) {
	case 0:
		return append(opts, "-d\x00"+g.pick("5", "9", "x", "0x7"))
	case 1:
		return append(opts, "-vv")
	case 2:
		return append(opts, g.pick("--bogus", "-x", "--t", "--digits"))
	case 3:
		return append(opts, "-w\x00"+g.pick("", "1e3", " 3"))
	case 4:
		return append(opts, "-N\x00"+g.pick("@-1", "yesterday-ish", "2023-02-29 UTC"))
	case 5:
		return append(opts, "-s\x00"+g.pick("0x10", "1w", "PT30S", "2m:5"))
	}
	return append(opts, "--hotp=1")
}

// otpFor returns a code to validate: one the window holds (oathtool's
// own, from a wider window), or a miss.
func (g lineGen) otpFor(t *testing.T, oathtool string, opts []string, key string, window int) string {
	if g.chance(0.3) {
		return fmt.Sprintf("%06d", g.rng.IntN(1000000))
	}
	var gen []string
	for _, o := range opts {
		if !strings.HasPrefix(o, "-v") && !strings.HasPrefix(o, "--verb") && !strings.HasPrefix(o, "-w") && !strings.HasPrefix(o, "--window") {
			gen = append(gen, o)
		}
	}
	gen = append(fixPairs(gen), "-w", strconv.Itoa(window+3), "--", key)
	lines := strings.Fields(execResult(t, oathtool, "", gen...).stdout)
	if len(lines) == 0 {
		return "123456"
	}
	return lines[g.rng.IntN(len(lines))]
}
