// Command gauthmigrate moves accounts out of Google Authenticator and into
// it, through the QR codes of the app's "Transfer accounts" screens.
//
// Out of the app: on Transfer accounts > Export accounts, read each QR code
// (with a phone's camera app, or zbarimg on a screenshot) and give the
// otpauth-migration:// URIs to gauthmigrate, one a line. It prints each
// account's otpauth:// key URI and its QR code, for any other app to scan:
//
//	zbarimg --raw export-*.png | go run ./examples/gauthmigrate
//
// Into the app: with -export it reads otpauth:// key URIs, one a line, and
// prints the QR codes for Transfer accounts > Import accounts:
//
//	go run ./examples/gauthmigrate -export < keys.txt
//
// Blank lines and lines starting with '#' are skipped, and zbarimg's
// "QR-Code:" prefix is dropped. A key that Google Authenticator cannot hold
// (such as a Steam Guard key, a 60-second period, 7 digits, or FreeOTP's
// image parameter) stops the export with an error naming its line: nothing
// is changed silently.
//
// Everything it prints holds secrets: run it where no one else sees the
// screen, and clear the terminal afterwards.
package main

import (
	"bufio"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/otpkit/otp"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout))
}

// config is what the flags set.
type config struct {
	export, light bool
	perCode       int
}

func parseFlags(args []string, out io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("gauthmigrate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.BoolVar(&c.export, "export", false, "read otpauth:// key URIs and print QR codes for Google Authenticator to import")
	fs.IntVar(&c.perCode, "per-code", otp.DefaultMigrationBatch, "with -export: accounts in each QR code")
	fs.BoolVar(&c.light, "light", false, "draw QR codes for a terminal with a light background")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintln(out, "gauthmigrate reads standard input and takes no arguments")
		return c, errors.New("unexpected arguments")
	}
	return c, nil
}

// run is the program; main only wires it to the process.
func run(args []string, in io.Reader, out io.Writer) int {
	cfg, err := parseFlags(args, out)
	if err != nil {
		return 2
	}
	lines, err := readLines(in)
	if err == nil {
		p := printer{out: out, light: cfg.light}
		if cfg.export {
			err = exportKeys(lines, cfg.perCode, p)
		} else {
			err = importExports(lines, p)
		}
	}
	if err != nil {
		fmt.Fprintln(out, "error:", err)
		return 1
	}
	fmt.Fprintln(out, "Everything above holds secrets: clear the terminal when you are done.")
	return 0
}

// line is one input line worth reading, with its number for messages.
type line struct {
	num  int
	text string
}

// readLines returns the lines that hold a URI: trimmed, without zbarimg's
// "QR-Code:" prefix, skipping blank lines, comments and repeats (a code
// read twice).
func readLines(in io.Reader) ([]line, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 4096), 2*otp.MaxURILength) // longer is refused by the parsers anyway
	var lines []line
	seen := map[string]bool{}
	for num := 1; sc.Scan(); num++ {
		text := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "QR-Code:")
		if text == "" || strings.HasPrefix(text, "#") || seen[text] {
			continue
		}
		seen[text] = true
		lines = append(lines, line{num, text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	return lines, nil
}

// importExports prints every account of the export URIs in lines. A line
// that is not one is reported, and the others are still shown; so are the
// QR codes missing from an export of several.
func importExports(lines []line, p printer) error {
	var problems []error
	batches := batchTracker{}
	n := 0
	for _, l := range lines {
		m, err := otp.ParseMigrationURI(l.text)
		if err != nil {
			problems = append(problems, fmt.Errorf("line %d: %w", l.num, err))
			continue
		}
		batches.add(m)
		for _, k := range m.Keys {
			n++
			if err := p.account(n, k); err != nil {
				problems = append(problems, fmt.Errorf("line %d, %s: %w", l.num, label(k), err))
			}
		}
	}
	problems = append(problems, batches.missing()...)
	if n == 0 && len(problems) == 0 {
		return errors.New("no otpauth-migration:// URIs on input")
	}
	return errors.Join(problems...)
}

// batchTracker records which QR codes of each export have been read.
type batchTracker map[int32]*batch

type batch struct {
	size int
	read map[int]bool
}

func (b batchTracker) add(m *otp.Migration) {
	if m.BatchSize < 2 { // a single code, or a writer that leaves the size out
		return
	}
	if b[m.BatchID] == nil {
		b[m.BatchID] = &batch{size: m.BatchSize, read: map[int]bool{}}
	}
	b[m.BatchID].read[m.BatchIndex] = true
}

func (b batchTracker) missing() []error {
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(b)) {
		bt := b[id]
		if len(bt.read) < bt.size {
			var missing []string
			for i := range bt.size {
				if !bt.read[i] {
					missing = append(missing, fmt.Sprint(i+1))
				}
			}
			errs = append(errs, fmt.Errorf("an export of %d QR codes is missing code %s: read those too", bt.size, strings.Join(missing, ", ")))
		}
	}
	return errs
}

// exportKeys prints the export QR codes of the key URIs in lines. Any line
// that is not a key URI, or a key the app cannot hold, stops it before
// anything is printed: an export missing some accounts could pass for a
// whole one.
func exportKeys(lines []line, perCode int, p printer) error {
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
	if errors.As(err, &me) && me.Index >= 0 {
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
	per := cmp.Or(perCode, otp.DefaultMigrationBatch)
	for i, u := range uris {
		fmt.Fprintf(p.out, "Google Authenticator import, QR code %d of %d (accounts from %s):\n%s\n", i+1, len(uris), label(keys[i*per]), u)
		p.code(codes[i])
	}
	return nil
}

// printer shows accounts and QR codes on a terminal.
type printer struct {
	out   io.Writer
	light bool
}

// account shows the key URI and QR code of the nth account.
func (p printer) account(n int, k *otp.Key) error {
	fmt.Fprintf(p.out, "Account %d: %s\n%s\n", n, label(k), k.URI())
	code, err := k.QR()
	if err != nil {
		return fmt.Errorf("%w: use the key URI instead", err)
	}
	p.code(code)
	return nil
}

func (p printer) code(q *otp.QR) {
	if p.light {
		fmt.Fprintln(p.out, q.StringLightBackground())
	} else {
		fmt.Fprintln(p.out, q.String())
	}
}

// label names an account as the apps show it.
func label(k *otp.Key) string {
	if k.Issuer == "" {
		return k.Account
	}
	return k.Issuer + " (" + k.Account + ")"
}
