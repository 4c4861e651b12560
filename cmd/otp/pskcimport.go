package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/pskc"
)

// pskcFlags are otp import's flags for a PSKC file.
type pskcFlags struct {
	file       string // the document: a path, or "-"
	psk        string // "@FILE" or "-"
	passphrase string // "@FILE" or "-"
	issuer     string
}

// maxKeyInput bounds what -psk and -passphrase read: a key file holds a
// line, not a document.
const maxKeyInput = 4096

// check refuses the combinations that cannot work before anything is read:
// a secret on the command line above all.
func (pf pskcFlags) check() error {
	switch {
	case pf.file == "":
		return errors.New("-psk, -passphrase and -issuer go with -pskc FILE")
	case pf.psk != "" && pf.passphrase != "":
		return errors.New("give -psk or -passphrase, the one the file is encrypted with, not both")
	}
	for _, f := range []struct{ name, value string }{{"-psk", pf.psk}, {"-passphrase", pf.passphrase}} {
		if f.value == "" {
			continue
		}
		if f.value != "-" && (!strings.HasPrefix(f.value, "@") || f.value == "@") {
			return fmt.Errorf("%s takes @FILE or '-', never the secret itself: other users of the machine see a command's arguments, and the shell keeps them", f.name)
		}
		if f.value == "-" && pf.file == "-" {
			return fmt.Errorf("-pskc - and %s - cannot both be standard input: give one as a file", f.name)
		}
	}
	if pf.issuer != "" {
		probe := otp.Key{Issuer: pf.issuer, Account: "account", Secret: make([]byte, 20)}
		if err := probe.Validate(); err != nil {
			return fmt.Errorf("-issuer: %w", err)
		}
	}
	return nil
}

// name is the document's name in messages.
func (pf pskcFlags) name() string {
	if pf.file == "-" {
		return "standard input"
	}
	return pf.file
}

// read is the PSKC importer. A key that cannot be a key URI is named on
// progress, and the others still returned.
func (pf pskcFlags) read(e *env, progress io.Writer) ([]imported, error) {
	opts, err := pf.options(e)
	if err != nil {
		return nil, err
	}
	data, err := pf.document(e)
	if err != nil {
		return nil, err
	}
	c, err := pskc.Parse(data, opts)
	switch {
	case errors.Is(err, pskc.ErrKeyRequired):
		return nil, fmt.Errorf("%s: %w: give its key with -psk or -passphrase", pf.name(), err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", pf.name(), err)
	case len(c.Keys) == 0:
		return nil, fmt.Errorf("%s: no keys in the document", pf.name())
	}
	if c.Signed {
		fmt.Fprintf(progress, "otp import: warning: %s carries an XML signature, which otp does not check (pskctool --verify does)\n", pf.name())
	}
	var keys []imported
	for i, k := range c.Keys {
		key, err := pf.convert(i, k)
		if err != nil {
			fmt.Fprintf(progress, "otp import: key %d%s skipped: %v\n", i+1, tokenName(k), err)
			continue
		}
		if !k.ExpiryDate.IsZero() && e.now().After(k.ExpiryDate) {
			fmt.Fprintf(progress, "otp import: warning: key %d%s expired on %s\n", i+1, tokenName(k), k.ExpiryDate.UTC().Format("2006-01-02"))
		}
		keys = append(keys, imported{key: key, token: &tokenInfo{KeyID: k.ID, Serial: k.Serial, Manufacturer: k.Manufacturer, Model: k.Model}})
	}
	if skipped := len(c.Keys) - len(keys); skipped > 0 {
		return keys, fmt.Errorf("%s: %d of %d keys skipped", pf.name(), skipped, len(c.Keys))
	}
	return keys, nil
}

// convert makes the i'th key (from 0) of the document a key URI's key, with
// -issuer where the file names none, and a name of its position where it
// names neither user nor token.
func (pf pskcFlags) convert(i int, k *pskc.Key) (*otp.Key, error) {
	c := *k
	if c.Issuer == "" {
		c.Issuer = pf.issuer
	}
	if c.UserID == "" && c.DeviceUserID == "" && c.Serial == "" && c.ID == "" {
		c.ID = "PSKC key " + strconv.Itoa(i+1)
	}
	return c.OTP()
}

// tokenName names a key in messages by what the document says of it, never
// its secret. Both come from the file, so they are quoted.
func tokenName(k *pskc.Key) string {
	var parts []string
	if k.ID != "" {
		parts = append(parts, "id "+strconv.Quote(k.ID))
	}
	if k.Serial != "" {
		parts = append(parts, "serial "+strconv.Quote(k.Serial))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// document reads the PSKC file, or standard input, up to a byte past
// pskc.MaxDocumentSize, so that Parse refuses a larger one.
func (pf pskcFlags) document(e *env) ([]byte, error) {
	r := e.in
	if pf.file != "-" {
		f, err := os.Open(pf.file)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", pf.file, pathless(err))
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, pskc.MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", pf.name(), pathless(err))
	}
	return data, nil
}

// options reads the key that -psk or -passphrase names.
func (pf pskcFlags) options(e *env) (pskc.Options, error) {
	var opts pskc.Options
	switch {
	case pf.psk != "":
		data, err := readSecret(e, "-psk", pf.psk, "the pre-shared key, in hex")
		if err != nil {
			return opts, err
		}
		opts.PreSharedKey, err = decodePSK(data)
		return opts, err
	case pf.passphrase != "":
		data, err := readSecret(e, "-passphrase", pf.passphrase, "the passphrase")
		if err != nil {
			return opts, err
		}
		line, _, _ := strings.Cut(string(data), "\n")
		opts.Passphrase = strings.TrimSuffix(line, "\r")
		if opts.Passphrase == "" {
			return opts, errors.New("-passphrase: empty")
		}
	}
	return opts, nil
}

// readSecret reads what a secret's flag names: the file of "@FILE", or
// standard input for "-". Its errors name the flag and the file, never
// what they hold.
func readSecret(e *env, flagName, arg, what string) ([]byte, error) {
	if arg == "-" {
		return readStdinSecret(e, flagName, what)
	}
	f, err := os.Open(arg[1:])
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read %s: %w", flagName, arg[1:], pathless(err))
	}
	defer f.Close()
	return readBounded(f, flagName)
}

// readStdinSecret reads a secret from standard input: all of it, or from
// a terminal, with echo off, a line, so that Enter ends it.
func readStdinSecret(e *env, flagName, what string) ([]byte, error) {
	if e.terminal != nil {
		if restore, ok := e.terminal(); ok {
			defer restore()
			fmt.Fprintf(e.err, "%s (not shown), then Enter: ", what)
			line, err := bufio.NewReader(io.LimitReader(e.in, maxKeyInput+1)).ReadString('\n')
			if err != nil && err != io.EOF {
				return nil, fmt.Errorf("%s: cannot read it: %w", flagName, err)
			}
			return checkKeyInput(flagName, []byte(line))
		}
	}
	return readBounded(e.in, flagName)
}

func readBounded(r io.Reader, flagName string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxKeyInput+1))
	if err != nil {
		return nil, fmt.Errorf("%s: cannot read it: %w", flagName, pathless(err))
	}
	return checkKeyInput(flagName, data)
}

func checkKeyInput(flagName string, data []byte) ([]byte, error) {
	switch {
	case len(data) > maxKeyInput:
		return nil, fmt.Errorf("%s: more than %d bytes: not a key file", flagName, maxKeyInput)
	case len(data) == 0:
		return nil, fmt.Errorf("%s: empty", flagName)
	}
	return data, nil
}

// decodePSK reads a pre-shared key file as vendors ship it: hex digits
// (spaces, colons, hyphens, line ends and a 0x prefix allowed), else the
// raw key of 16, 24 or 32 bytes. Text of hex digits is always hex, so that
// the usual 32 digits are a 16-byte key and never 32 raw bytes.
func decodePSK(data []byte) ([]byte, error) {
	text := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n', ':', '-':
			return -1
		}
		return r
	}, string(data))
	text = strings.TrimPrefix(strings.TrimPrefix(text, "0x"), "0X")
	if key, err := hex.DecodeString(text); err == nil && text != "" {
		if !pskSize(len(key)) {
			return nil, fmt.Errorf("-psk: %d hex digits make %d bytes: a pre-shared key has 16, 24 or 32", len(text), len(key))
		}
		return key, nil
	}
	if pskSize(len(data)) {
		return data, nil
	}
	return nil, errors.New("-psk: neither hex digits nor a raw key of 16, 24 or 32 bytes")
}

func pskSize(n int) bool { return n == 16 || n == 24 || n == 32 }
