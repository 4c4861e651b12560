package main

import (
	"bufio"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/otpkit/otp"
)

const codeUsage = `Usage: otp code [OPTION]... KEY [OTP]
Generate and validate OATH one-time passwords, exactly as oathtool 2.6 does
(the same options, output and exit status; invoked as "oathtool" through a
link, otp behaves as this command).

KEY is a hex secret, or base32 with -b. OTP, when given, is checked: its
position in the window is printed (exit 0), or nothing (exit 2).
KEY and OTP may each be '-', a line read from standard input (not echoed
on a terminal), or '@FILE', a line of FILE. Use one of those for secrets:
an argument is seen by every user of the machine (ps) and kept in the
shell's history.

      --hotp                 event-based HOTP mode (the default)
      --totp[=MODE]          time-based TOTP mode: SHA1 (the default), SHA256
                               or SHA512
  -b, --base32               KEY is base32, not hex
  -c, --counter=COUNTER      HOTP counter (default 0)
  -s, --time-step-size=DURATION  TOTP step: 30, 30s, 1m, 2h, 1h30m, P1DT2H
                               (default 30s)
  -S, --start-time=TIME      TOTP epoch (default 1970-01-01 00:00:00 UTC)
  -N, --now=TIME             time to use instead of now; TIME is now, @EPOCH,
                               YYYY-MM-DD [HH:MM[:SS]] [UTC|Z|+HH:MM] (local
                               time without a zone)
  -d, --digits=DIGITS        digits in a code: 6, 7 or 8 (default 6, or the
                               length of OTP)
  -w, --window=WIDTH         generate WIDTH more codes, or check OTP against
                               WIDTH more counters (HOTP) or steps either side (TOTP)
  -v, --verbose              print the secret and the settings first
      --allow-digits         take any DIGITS from 1 to 10 (oathtool refuses
                               them; most servers and apps do too)
  -h, --help                 print this help
  -V, --version              print the version

Examples:
  otp code -b - < key.txt                   the HOTP code of counter 0
  otp code --totp -b @key.txt               the TOTP code now
  otp code --totp -w 1 -b @key.txt 123456   is 123456 valid now or next?
`

// oathtoolOptions are oathtool 2.6's options, and one of ours that needs
// its whole name, so that no abbreviation oathtool refuses comes to mean it.
var oathtoolOptions = []option{
	{long: "help", short: 'h'},
	{long: "version", short: 'V'},
	{long: "hotp"},
	{long: "totp", arg: optionalArg},
	{long: "base32", short: 'b'},
	{long: "counter", short: 'c', arg: requiredArg},
	{long: "time-step-size", short: 's', arg: requiredArg},
	{long: "start-time", short: 'S', arg: requiredArg},
	{long: "now", short: 'N', arg: requiredArg},
	{long: "digits", short: 'd', arg: requiredArg},
	{long: "window", short: 'w', arg: requiredArg},
	{long: "verbose", short: 'v'},
	{long: "allow-digits", exact: true},
}

// codeConfig is a command line of otp code, parsed as oathtool parses it.
type codeConfig struct {
	help, version, base32, verbose, allowDigits bool
	totp                                        bool
	totpMode                                    string
	counter                                     uint64
	counterGiven                                bool
	step, start, now                            string
	digits                                      int32
	digitsGiven                                 bool
	window                                      int32
	inputs                                      []string
}

// codeFailure is an error that ends otp code with an exit status.
type codeFailure struct {
	status int
	msg    string
}

func (e *codeFailure) Error() string { return e.msg }

func fail(format string, args ...any) error {
	return &codeFailure{1, fmt.Sprintf(format, args...)}
}

// parseCodeArgs reads args as oathtool's gengetopt parser does: each option
// at most once, numbers as C's strtol reads them, and -h or -V ending the
// parsing where they stand.
func parseCodeArgs(prog string, args []string, posixly bool) (codeConfig, error) {
	c := codeConfig{totpMode: "SHA1", step: "30s", start: "1970-01-01 00:00:00 UTC", now: "now"}
	parsed, operands, perr := getopt(prog, args, oathtoolOptions, posixly)
	seen := map[string]bool{}
	for _, p := range parsed {
		name := p.opt.long
		if seen[name] {
			if p.opt.short != 0 {
				return c, fail("%s: `--%s' (`-%c') option given more than once", prog, name, p.opt.short)
			}
			return c, fail("%s: `--%s' option given more than once", prog, name)
		}
		seen[name] = true
		if err := c.set(prog, p); err != nil {
			return c, err
		}
		if c.help || c.version {
			return c, nil
		}
	}
	if perr != nil {
		return c, &codeFailure{1, perr.Error()}
	}
	c.inputs = operands
	return c, nil
}

// set applies one option.
func (c *codeConfig) set(prog string, p parsedOption) error {
	var err error
	switch p.opt.long {
	case "help":
		c.help = true
	case "version":
		c.version = true
	case "hotp": // a flag that is on by default: oathtool ignores it
	case "totp":
		c.totp = true
		if p.hasArg {
			c.totpMode = p.value
		}
	case "base32":
		c.base32 = true
	case "verbose":
		c.verbose = true
	case "allow-digits":
		c.allowDigits = true
	case "counter":
		var end int
		c.counter, end = strtoull(p.value)
		c.counterGiven = true
		err = wholeNumber(prog, p.value, end)
	case "digits":
		c.digits, err = cInt(prog, p.value)
		c.digitsGiven = true
	case "window":
		c.window, err = cInt(prog, p.value)
	case "time-step-size":
		c.step = p.value
	case "start-time":
		c.start = p.value
	case "now":
		c.now = p.value
	}
	return err
}

// cInt reads an int option as gengetopt does: strtol, kept in a C int.
func cInt(prog, s string) (int32, error) {
	v, end := strtol(s)
	return int32(v), wholeNumber(prog, s, end)
}

func wholeNumber(prog, s string, end int) error {
	if end != len(s) {
		return fail("%s: invalid numeric value: %s", prog, s)
	}
	return nil
}

// codeCmd runs otp code, or otp as oathtool.
func codeCmd(prog string, args []string, e *env) int {
	c, err := parseCodeArgs(prog, args, os.Getenv("POSIXLY_CORRECT") != "")
	switch {
	case err != nil:
		return e.failed(err)
	case c.help:
		fmt.Fprint(e.out, codeUsage)
		return 0
	case c.version:
		fmt.Fprintln(e.out, "otp code (github.com/otpkit/otp), for oathtool (OATH Toolkit) 2.6 command lines")
		return 0
	case len(c.inputs) == 0:
		fmt.Fprint(e.out, codeUsage)
		return 0
	}
	out := bufio.NewWriter(e.out)
	err = c.run(out, e)
	if ferr := out.Flush(); err == nil && ferr != nil {
		err = fail("otp code: writing: %v", ferr)
	}
	if err != nil {
		return e.failed(err)
	}
	return 0
}

// failed prints err and returns its exit status.
func (e *env) failed(err error) int {
	fmt.Fprintln(e.err, err)
	var cf *codeFailure
	if errors.As(err, &cf) {
		return cf.status
	}
	return 1
}

// run does what oathtool's main does once the options are read, in the
// same order, so that what reaches standard output before an error does
// too.
func (c *codeConfig) run(out *bufio.Writer, e *env) error {
	in := inputReader{stdin: e.in, terminal: e.terminal}
	inputs := make([]string, 0, 2)
	for i := 0; i < len(c.inputs) && i < 2; i++ {
		s, err := in.read(c.inputs[i], i == 0)
		if err != nil {
			return err
		}
		inputs = append(inputs, s)
	}
	secret, err := c.decodeKey(inputs[0])
	if err != nil {
		return err
	}
	digits, err := c.codeDigits(inputs)
	if err != nil {
		return err
	}
	if len(c.inputs) > 2 {
		return fail("otp code: too many parameters")
	}
	if c.verbose {
		fmt.Fprintf(out, "Hex secret: %s\n", hex.EncodeToString(secret))
		fmt.Fprintf(out, "Base32 secret: %s\n", base32.StdEncoding.EncodeToString(secret))
		if len(inputs) == 2 {
			fmt.Fprintf(out, "OTP: %s\n", inputs[1])
		}
		fmt.Fprintf(out, "Digits: %d\n", digits)
		fmt.Fprintf(out, "Window size: %d\n", c.window)
	}
	g := generator{secret: secret, allowDigits: c.allowDigits}
	if !c.totp {
		if c.verbose {
			fmt.Fprintf(out, "Start counter: 0x%X (%d)\n\n", c.counter, c.counter)
		}
		return c.hotp(out, g, digits, inputs)
	}
	return c.runTOTP(out, g, digits, inputs, e.now())
}

// decodeKey decodes KEY as hex, or with -b as base32.
func (c *codeConfig) decodeKey(key string) ([]byte, error) {
	if c.base32 {
		secret, ok := decodeOathBase32(key)
		if !ok {
			return nil, fail("otp code: base32 decoding failed: Base32 decoding failed")
		}
		return secret, nil
	}
	if len(key)%2 != 0 {
		return nil, fail("otp code: hex decoding of secret key failed")
	}
	secret, err := hex.DecodeString(key)
	if err != nil {
		return nil, fail("otp code: hex decoding of secret key failed")
	}
	return secret, nil
}

// codeDigits returns the code length: -d, or the length of OTP.
func (c *codeConfig) codeDigits(inputs []string) (int, error) {
	digits := 6
	if c.digitsGiven {
		digits = int(uint32(c.digits)) // oathtool keeps it unsigned
	}
	if !c.digitAllowed(digits) {
		if c.allowDigits {
			return 0, fail("otp code: digits must be from 1 to 10")
		}
		return 0, fail("otp code: only digits 6, 7 and 8 are supported (--allow-digits takes 1 to 10)")
	}
	if len(inputs) < 2 {
		return digits, nil
	}
	if !c.digitsGiven {
		return len(inputs[1]), nil
	}
	if int(c.digits) != len(inputs[1]) {
		return 0, fail("otp code: given one-time password has bad length %d != %d", c.digits, len(inputs[1]))
	}
	return digits, nil
}

func (c *codeConfig) digitAllowed(d int) bool {
	if c.allowDigits {
		return d >= 1 && d <= 10
	}
	return d >= 6 && d <= 8
}

// hotp generates or checks HOTP codes from the counter.
func (c *codeConfig) hotp(out *bufio.Writer, g generator, digits int, inputs []string) error {
	if c.window < 0 {
		return fail("otp code: a negative window is refused (oathtool would not stop)")
	}
	if len(inputs) == 1 {
		for i := uint64(0); i <= uint64(c.window); i++ {
			code, err := g.code(c.counter+i, digits)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, code)
		}
		return nil
	}
	return g.validate(out, inputs[1], uint64(c.window), func(i uint64) []uint64 {
		return []uint64{c.counter + i}
	}, fmt.Sprintf("%d .. %d", int64(c.counter), int64(c.counter)+int64(c.window)))
}

// runTOTP reads the times and generates or checks TOTP codes.
func (c *codeConfig) runTOTP(out *bufio.Writer, g generator, digits int, inputs []string, now time.Time) error {
	when, err := parseTime(c.now, now, time.Local)
	if err != nil {
		return fail("otp code: cannot parse time `%s'", c.now)
	}
	t0, err := parseTime(c.start, now, time.Local)
	if err != nil {
		return fail("otp code: cannot parse time `%s'", c.start)
	}
	step, err := parseDuration(c.step)
	if err != nil {
		return fail("otp code: cannot parse time `%s'", c.step)
	}
	switch strings.ToUpper(c.totpMode) {
	case "SHA256":
		g.alg = otp.SHA256
	case "SHA512":
		g.alg = otp.SHA512
	}
	if c.verbose {
		if err := c.verboseTOTP(out, g.alg, t0, step, when); err != nil {
			return err
		}
	}
	if c.window < 0 {
		return fail("otp code: a negative window is refused (oathtool would not stop)")
	}
	// liboath takes the step as a C unsigned int, and 0 as 30 seconds.
	libStep := int64(uint32(step))
	if libStep == 0 {
		libStep = 30
	}
	counter := func(at int64) uint64 { return uint64((at - t0) / libStep) }
	if len(inputs) == 1 {
		for i := int64(0); i <= int64(c.window); i++ {
			code, err := g.code(counter(when+i*step), digits)
			if err != nil {
				return err
			}
			fmt.Fprintln(out, code)
		}
		return nil
	}
	nts := counter(when)
	w := int64(c.window)
	return g.validate(out, inputs[1], uint64(c.window), func(i uint64) []uint64 {
		if i == 0 {
			return []uint64{nts}
		}
		return []uint64{nts + i, nts - i}
	}, fmt.Sprintf("%d .. %d", (when-t0)/step-w/2, (when-t0)/step+w/2))
}

func (c *codeConfig) verboseTOTP(out *bufio.Writer, alg otp.Algorithm, t0, step, when int64) error {
	fmt.Fprintf(out, "TOTP mode: %s\n", alg)
	start, ok := utcString(t0)
	if !ok {
		return fail("otp code: gmtime_r")
	}
	fmt.Fprintf(out, "Step size (seconds): %d\n", step)
	fmt.Fprintf(out, "Start time: %s (%d)\n", start, t0)
	current, ok := utcString(when)
	if !ok {
		return fail("otp code: gmtime_r")
	}
	fmt.Fprintf(out, "Current time: %s (%d)\n", current, when)
	if step == 0 {
		return fail("otp code: a time step of 0 is refused (oathtool divides by it)")
	}
	n := (when - t0) / step
	fmt.Fprintf(out, "Counter: 0x%X (%d)\n\n", uint64(n), n)
	return nil
}

// generator makes the codes of one secret.
type generator struct {
	secret      []byte
	alg         otp.Algorithm
	allowDigits bool
}

// code returns the code of counter with digits digits. The 10-digit code
// is the whole 31-bit value that RFC 4226 truncates to (it is below
// 10^10), so that each shorter code is its tail, as oathtool computes it.
func (g generator) code(counter uint64, digits int) (string, error) {
	secret := g.secret
	if len(secret) == 0 {
		// HMAC pads a key with zero bytes, so the empty key oathtool
		// takes is the same key as one zero byte, which the library takes.
		secret = []byte{0}
	}
	code, err := otp.HOTP{Secret: secret, Algorithm: g.alg, Digits: 10}.Generate(counter)
	if err != nil {
		return "", fail("otp code: generating one-time password failed: %v", err)
	}
	return code[10-digits:], nil
}

// validate checks code against the counters that at(i) gives for each
// position i of the window, the first match winning as in oathtool, and
// prints the matching position. Every code of the window is computed and
// compared in constant time.
func (g generator) validate(out *bufio.Writer, code string, window uint64, at func(uint64) []uint64, span string) error {
	digits := len(code)
	if (!g.allowDigits && (digits < 6 || digits > 8)) || digits < 1 || digits > 10 {
		return fail("otp code: validating one-time password failed: a code has 6, 7 or 8 digits")
	}
	found := int64(-1)
	for i := uint64(0); i <= window; i++ {
		for _, counter := range at(i) {
			want, err := g.code(counter, digits)
			if err != nil {
				return err
			}
			if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && found < 0 {
				found = int64(i)
			}
		}
	}
	if found < 0 {
		return &codeFailure{2, "otp code: password not found in range " + span}
	}
	fmt.Fprintln(out, strconv.FormatInt(found, 10))
	return nil
}

// inputReader reads KEY and OTP arguments as oathtool does: '-' a line of
// standard input, '@FILE' (or, after "--", '-FILE') a line of FILE, the
// same file again its next line, anything else itself.
type inputReader struct {
	stdin    io.Reader
	terminal func() (restore func(), ok bool)
	buf      *bufio.Reader
	lastFile string
	file     *bufio.Reader
}

func (r *inputReader) read(arg string, secret bool) (string, error) {
	if arg == "" || (arg[0] != '-' && arg[0] != '@') {
		return cString(arg), nil
	}
	var src *bufio.Reader
	if arg == "-" {
		if r.buf == nil {
			r.buf = bufio.NewReader(r.stdin)
		}
		src = r.buf
		if secret && r.terminal != nil {
			if restore, ok := r.terminal(); ok {
				defer restore()
			}
		}
	} else {
		if arg != r.lastFile {
			data, err := os.ReadFile(arg[1:])
			if err != nil {
				return "", fail("otp code: open file for KEY/OTP: %v", pathless(err))
			}
			r.file, r.lastFile = bufio.NewReader(strings.NewReader(string(data))), arg
		}
		src = r.file
	}
	line, err := src.ReadString('\n')
	if err != nil && line == "" {
		return "", fail("otp code: read file for KEY/OTP: nothing to read")
	}
	return cString(strings.TrimSuffix(line, "\n")), nil
}

// cString is s as a C string sees it: up to its first NUL.
func cString(s string) string {
	s, _, _ = strings.Cut(s, "\x00")
	return s
}
