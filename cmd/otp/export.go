package main

import (
	"cmp"
	"errors"
	"fmt"
	"strconv"

	"github.com/otpkit/otp"
)

const exportAbout = `Reads otpauth:// key URIs on standard input, one a line, and prints the
otpauth-migration:// URIs and QR codes that Google Authenticator's "Transfer
accounts > Import accounts" scans. Blank lines, '#' comments and zbarimg's
"QR-Code:" prefix are skipped. A key the app cannot hold (a Steam Guard key,
a 60-second period, 7 digits, FreeOTP's image) stops the export with an error
naming its line: nothing is changed silently. -png PREFIX writes
PREFIX-1.png, PREFIX-2.png, ... (new files, mode 0600). Everything printed
holds secrets.`

// perCodeDefault is how many accounts the app itself puts in a QR code.
const perCodeDefault = 10

func exportCmd(args []string, e *env) int {
	fs := flagSet("export")
	perCode := fs.Int("per-code", perCodeDefault, "accounts in each QR code")
	prefix := fs.String("png", "", "write each QR code to `PREFIX`-N.png instead of the terminal")
	light := fs.Bool("light", false, "draw QR codes for a terminal with a light background")
	if st := parseFlags(fs, "[flags] < KEY-URIS", exportAbout, args, 0, 0, e); st >= 0 {
		return st
	}
	if *perCode < 1 {
		fmt.Fprintln(e.err, "otp export: -per-code must be at least 1")
		return 2
	}
	if err := export(e, *perCode, *prefix, *light); err != nil {
		fmt.Fprintf(e.err, "otp export: %v\n", err)
		return 1
	}
	return 0
}

// export prints (or writes) the export QR codes of the key URIs on input.
// Any line that is not a key URI, or a key the app cannot hold, stops it
// before anything is printed: an export missing some accounts could pass
// for a whole one.
func export(e *env, perCode int, prefix string, light bool) error {
	lines, err := readLines(e)
	if err != nil {
		return err
	}
	var keys []*otp.Key
	var keyLines []int
	var problems []error
	for _, l := range lines {
		k, err := otp.ParseURI(l.text)
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d: %w", l.num, err))
			continue
		}
		keys, keyLines = append(keys, k), append(keyLines, l.num)
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	if len(keys) == 0 {
		return errors.New("no otpauth:// key URIs on input")
	}
	uris, err := otp.MigrationURIs(keys, perCode)
	var me *otp.MigrationError
	if errors.As(err, &me) && me.Index >= 0 && me.Index < len(keys) {
		return fmt.Errorf("line %d, %s: %w", keyLines[me.Index], label(keys[me.Index]), err)
	}
	if err != nil {
		return err
	}
	codes := make([]*otp.QR, len(uris))
	for i, u := range uris {
		if codes[i], err = otp.EncodeQR(u); err != nil {
			return fmt.Errorf("QR code %d: %w: use a smaller -per-code", i+1, err)
		}
	}
	per := cmp.Or(perCode, perCodeDefault)
	for i, u := range uris {
		fmt.Fprintf(e.out, "Google Authenticator import, QR code %d of %d (accounts from %s):\n%s\n", i+1, len(uris), label(keys[i*per]), u)
		if prefix == "" {
			printQR(e, codes[i], light)
			continue
		}
		name := prefix + "-" + strconv.Itoa(i+1) + ".png"
		if err := writeNew(name, codes[i].PNG(8)); err != nil {
			return err
		}
		fmt.Fprintf(e.err, "wrote %s\n", name)
	}
	return nil
}

// label names an account as the apps show it.
func label(k *otp.Key) string {
	if k.Issuer == "" {
		return k.Account
	}
	return k.Issuer + " (" + k.Account + ")"
}
