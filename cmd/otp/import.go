package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/otpkit/otp"
)

const importAbout = `Reads the otpauth-migration:// URIs of a Google Authenticator export
("Transfer accounts > Export accounts": read each QR code with a phone's
camera app, or "zbarimg --raw" on a screenshot) on standard input, one a
line, and prints each account's otpauth:// key URI, for any other app or for
otp show, qr and code. Blank lines, '#' comments, repeats and zbarimg's
"QR-Code:" prefix are skipped. Progress goes to standard error ("code 2 of 3
read, 1 missing"); an export with codes missing is an error once the
accounts read are printed.

With -pskc FILE it reads instead the PSKC file (RFC 6030) in which a
hardware token's vendor ships the seeds, FILE '-' for standard input, and
prints a key URI for each HOTP and TOTP key. Give the key the vendor sent
apart as -psk @FILE (hex digits, or the raw 16, 24 or 32 bytes) or
-passphrase @FILE (its first line), or as '-' to type it unechoed: never
as an argument. A key that cannot be a key URI (an OCRA key, hexadecimal
codes, a check digit) is named on standard error by its position, id and
serial, and makes the exit status 1 once the others are printed. The
account is the key's user id, else the token's serial; -issuer fills in
the issuer where the file has none. With -json each key also names its
token: key id, serial, manufacturer and model.

Everything printed holds secrets.`

// An importer reads keys from one input format. It reports what it reads
// to progress, and returns the keys it could read even with an error,
// which says what it could not. Each input format is one importer chosen
// by a flag of otp import; the Google Authenticator export is the default.
type importer func(e *env, progress io.Writer) ([]imported, error)

// imported is one key read, with the token that holds it when the input
// says (PSKC does, a Google Authenticator export does not).
type imported struct {
	key   *otp.Key
	token *tokenInfo
}

// tokenInfo is what otp import -json prints of a hardware token: what an
// administrator matches the token in hand with.
type tokenInfo struct {
	KeyID        string `json:"key_id,omitempty"`
	Serial       string `json:"serial,omitempty"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
}

// importedKey is what otp import -json prints for each key.
type importedKey struct {
	Type      string              `json:"type"`
	Issuer    string              `json:"issuer"`
	Account   string              `json:"account"`
	Secret    string              `json:"secret"`
	Algorithm string              `json:"algorithm"`
	Digits    int                 `json:"digits"`
	Period    int64               `json:"period,omitempty"`
	Counter   *uint64             `json:"counter,omitempty"`
	URI       string              `json:"uri"`
	Extra     map[string][]string `json:"extra,omitempty"`
	Token     *tokenInfo          `json:"token,omitempty"`
}

func importCmd(args []string, e *env) int {
	fs := flagSet("import")
	asJSON := fs.Bool("json", false, "print a JSON array of the keys instead of their URIs")
	withQR := fs.Bool("qr", false, "print each account's name and QR code under its URI")
	light := fs.Bool("light", false, "with -qr: draw QR codes for a terminal with a light background")
	var pf pskcFlags
	fs.StringVar(&pf.file, "pskc", "", "read the PSKC (RFC 6030) hardware token file `FILE` ('-': standard input)")
	fs.StringVar(&pf.psk, "psk", "", "with -pskc: the pre-shared key, as `@FILE` or '-' (hex digits or raw bytes)")
	fs.StringVar(&pf.passphrase, "passphrase", "", "with -pskc: the passphrase, as `@FILE` or '-' (its first line)")
	fs.StringVar(&pf.issuer, "issuer", "", "with -pskc: the issuer `NAME` of keys the file gives none")
	if st := parseFlags(fs, "[flags] < EXPORT-URIS\n   or: otp import -pskc FILE [-psk @FILE|- | -passphrase @FILE|-] [flags]", importAbout, args, 0, 0, e); st >= 0 {
		return st
	}
	var read importer = readMigrations
	if pf.file != "" || pf.psk != "" || pf.passphrase != "" || pf.issuer != "" {
		if err := pf.check(); err != nil {
			fmt.Fprintf(e.err, "otp import: %v\n", err)
			return 2
		}
		read = pf.read
	}
	keys, err := read(e, e.err)
	if len(keys) > 0 {
		if perr := printKeys(e, keys, *asJSON, *withQR, *light); perr != nil {
			err = errors.Join(err, perr)
		}
	}
	if err != nil {
		fmt.Fprintf(e.err, "otp import: %v\n", err)
		return 1
	}
	return 0
}

// printKeys prints keys as key URIs, optionally with QR codes, or as JSON.
func printKeys(e *env, keys []imported, asJSON, withQR, light bool) error {
	if asJSON {
		list := make([]importedKey, len(keys))
		for i, ik := range keys {
			k := ik.key
			list[i] = importedKey{Type: k.Type.String(), Issuer: k.Issuer, Account: k.Account,
				Secret: otp.EncodeSecret(k.Secret), Algorithm: k.Algorithm.String(), Digits: k.Digits,
				URI: k.URI(), Extra: k.Extra, Token: ik.token}
			if k.Type == otp.TypeHOTP {
				c := k.Counter
				list[i].Counter = &c
			} else {
				list[i].Period = int64(k.Period.Seconds())
			}
		}
		writeJSON(e.out, list)
		return nil
	}
	var problems []error
	for i, ik := range keys {
		k := ik.key
		if withQR {
			fmt.Fprintf(e.out, "Account %d: %s\n", i+1, label(k))
		}
		fmt.Fprintln(e.out, k.URI())
		if !withQR {
			continue
		}
		code, err := k.QR()
		if err != nil {
			problems = append(problems, fmt.Errorf("account %d, %s: %w: use the key URI instead", i+1, label(k), err))
			continue
		}
		printQR(e, code, light)
	}
	return errors.Join(problems...)
}

// readMigrations reads Google Authenticator export URIs from standard
// input. A line that is not one is reported and the others still read; so
// are the QR codes missing from an export of several.
func readMigrations(e *env, progress io.Writer) ([]imported, error) {
	lines, err := readLines(e)
	if err != nil {
		return nil, err
	}
	var keys []imported
	var problems []error
	batches := batchTracker{}
	for _, l := range lines {
		m, err := otp.ParseMigrationURI(l.text)
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d: %w", l.num, err))
			continue
		}
		fmt.Fprintln(progress, batches.add(m))
		for _, k := range m.Keys {
			keys = append(keys, imported{key: k})
		}
	}
	problems = append(problems, batches.missing()...)
	if len(keys) == 0 && len(problems) == 0 {
		return nil, errors.New("no otpauth-migration:// URIs on input")
	}
	return keys, errors.Join(problems...)
}

// batchTracker records which QR codes of each export have been read.
type batchTracker map[int32]*batch

type batch struct {
	size int
	read map[int]bool
}

// add records m and returns the progress line to print.
func (b batchTracker) add(m *otp.Migration) string {
	if m.BatchSize < 2 { // a single code, or a writer that leaves the size out
		return "code 1 of 1 read"
	}
	bt := b[m.BatchID]
	if bt == nil {
		bt = &batch{size: m.BatchSize, read: map[int]bool{}}
		b[m.BatchID] = bt
	}
	bt.read[m.BatchIndex] = true
	return fmt.Sprintf("code %d of %d read, %d missing", len(bt.read), bt.size, max(bt.size-len(bt.read), 0))
}

func (b batchTracker) missing() []error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(b)) {
		bt := b[id]
		if len(bt.read) >= bt.size {
			continue
		}
		var missing []string
		for i := range bt.size {
			if !bt.read[i] {
				missing = append(missing, fmt.Sprint(i+1))
			}
		}
		errs = append(errs, fmt.Errorf("an export of %d QR codes is missing code %s: read those too", bt.size, strings.Join(missing, ", ")))
	}
	return errs
}
