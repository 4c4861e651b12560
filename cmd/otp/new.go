package main

import (
	"fmt"
	"time"

	"github.com/otpkit/otp"
)

const newAbout = `Makes a key with a new random secret and prints the secret in groups for
typing, its otpauth:// URI, and its QR code for an authenticator app to scan.
-png and -svg write the QR code to a new file (mode 0600; an existing file is
never replaced). Everything printed holds the secret.`

// keyFlags are the settings of a new key.
type keyFlags struct {
	hotp          bool
	algorithm     string
	digits        int
	period        time.Duration
	counter       uint64
	png, svg      string
	light, noText bool
}

func newCmd(args []string, e *env) int {
	var f keyFlags
	fs := flagSet("new")
	fs.BoolVar(&f.hotp, "hotp", false, "a counter-based (HOTP) key instead of a time-based one")
	fs.StringVar(&f.algorithm, "algorithm", "SHA1", "the HMAC hash: SHA1, SHA256 or SHA512 (most apps take only SHA1)")
	fs.IntVar(&f.digits, "digits", 6, "digits in a code: 6 to 10 (most apps show only 6)")
	fs.DurationVar(&f.period, "period", 30*time.Second, "TOTP time step, whole seconds")
	fs.Uint64Var(&f.counter, "counter", 0, "HOTP initial counter")
	qrFlags(fs, &f)
	if st := parseFlags(fs, "[flags] ISSUER ACCOUNT", newAbout, args, 2, 2, e); st >= 0 {
		return st
	}
	k, err := f.key(fs.Arg(0), fs.Arg(1))
	if err != nil {
		fmt.Fprintf(e.err, "otp new: %v\n", err)
		return 1
	}
	fmt.Fprintf(e.out, "Secret: %s\nURI: %s\n", otp.FormatSecret(k.Secret), k.URI())
	if err := writeQR(k.URI(), f, e); err != nil {
		fmt.Fprintf(e.err, "otp new: %v\n", err)
		return 1
	}
	return 0
}

// key makes the key the flags describe.
func (f keyFlags) key(issuer, account string) (*otp.Key, error) {
	alg, err := otp.ParseAlgorithm(f.algorithm)
	if err != nil {
		return nil, err
	}
	gen := otp.GenerateKey
	if f.hotp {
		gen = otp.GenerateHOTPKey
	}
	k, err := gen(issuer, account)
	if err != nil {
		return nil, err
	}
	k.Algorithm, k.Digits = alg, f.digits
	if f.hotp {
		k.Counter = f.counter
	} else {
		k.Period = f.period
	}
	if err := k.Validate(); err != nil {
		return nil, err
	}
	return k, nil
}
