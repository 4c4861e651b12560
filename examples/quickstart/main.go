// Command quickstart walks through two-factor authentication with TOTP in a
// terminal: it enrols an account in an authenticator app with a QR code,
// then logs in with a user name, a password and the app's code.
//
//	go run ./examples/quickstart
//
// It also reads its answers from a pipe, one a line, which is how its test
// drives it.
package main

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otpkit/otp"
	"golang.org/x/term"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, time.Now))
}

// maxTries is how many codes one login may try before it is refused.
const maxTries = 3

// config is what the flags set.
type config struct {
	issuer, account, password, pngPath, secret string
	lightBackground                            bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.issuer, "issuer", "Example Corp", "the service name the app shows")
	fs.StringVar(&c.account, "account", "alice", "the user name to enrol and log in as")
	fs.StringVar(&c.password, "password", "correct horse battery staple", "the demo account's password")
	fs.StringVar(&c.pngPath, "png", filepath.Join(os.TempDir(), "otp-quickstart.png"), "where to write the QR code as PNG")
	fs.StringVar(&c.secret, "secret", "", "use this base32 secret instead of a new one")
	fs.BoolVar(&c.lightBackground, "light", false, "draw the QR code for a terminal with a light background")
	return c, fs.Parse(args)
}

// run is the program; main only wires it to the process.
func run(args []string, stdin io.Reader, stdout io.Writer, now func() time.Time) int {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return 2
	}
	key, err := enrol(cfg, stdout)
	if err != nil {
		fmt.Fprintln(stdout, "error:", err)
		return 1
	}
	p := &prompter{in: bufio.NewReader(stdin), out: stdout, stdin: stdin}
	if err := login(cfg, key, p, now); err != nil {
		fmt.Fprintln(stdout, err)
		return 1
	}
	return 0
}

// enrol makes (or takes) the key and shows it every way an app can take it.
func enrol(cfg config, out io.Writer) (*otp.Key, error) {
	key, err := otp.GenerateKey(cfg.issuer, cfg.account)
	if err != nil {
		return nil, err
	}
	if cfg.secret != "" {
		if key.Secret, err = otp.DecodeSecret(cfg.secret); err != nil {
			return nil, err
		}
	}
	code, err := key.QR()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Step 1. Enrol %q in your authenticator app.\n\n", cfg.account)
	if cfg.lightBackground {
		fmt.Fprint(out, code.StringLightBackground())
	} else {
		fmt.Fprint(out, code.String())
	}
	fmt.Fprintf(out, "\nScan the code above, or type the secret by hand:\n\n    %s\n\n", otp.FormatSecret(key.Secret))
	fmt.Fprintf(out, "Key URI: %s\n", key.URI())
	if err := os.WriteFile(cfg.pngPath, code.PNG(8), 0o600); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "QR code also written to %s (if the terminal one does not scan).\n\n", cfg.pngPath)
	return key, nil
}

// login asks for the user name, password and code, and then asks for the
// same code once more to show that a code is accepted only once.
func login(cfg config, key *otp.Key, p *prompter, now func() time.Time) error {
	fmt.Fprintln(p.out, "Step 2. Log in.")
	user, err := p.line("User name: ")
	if err != nil {
		return err
	}
	password, err := p.password("Password: ")
	if err != nil {
		return err
	}
	// A real service stores a slow salted hash (see examples/webserver);
	// comparing digests in constant time is the part that carries over.
	wantUser, wantPass := sha256.Sum256([]byte(cfg.account)), sha256.Sum256([]byte(cfg.password))
	gotUser, gotPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(password))
	if subtle.ConstantTimeCompare(wantUser[:], gotUser[:])&subtle.ConstantTimeCompare(wantPass[:], gotPass[:]) != 1 {
		return errors.New("login refused: wrong user name or password")
	}

	totp := key.TOTP()
	totp.Skew = 1   // one step of clock drift either way, as RFC 6238 §5.2 advises
	var last uint64 // stored with the account in a real service
	if last, err = askCode(totp, last, p, now); err != nil {
		return err
	}
	fmt.Fprintln(p.out, "Logged in: two-factor authentication works.")

	fmt.Fprintln(p.out, "\nStep 3. Replay protection: log in again with the same code.")
	if _, err := verifyOnce(totp, last, p, now); err == nil {
		return errors.New("a replayed code was accepted")
	}
	fmt.Fprintln(p.out, "Done.")
	return nil
}

// askCode asks for a code up to maxTries times and returns the new last step.
func askCode(totp otp.TOTP, last uint64, p *prompter, now func() time.Time) (uint64, error) {
	for try := 1; try <= maxTries; try++ {
		step, err := verifyOnce(totp, last, p, now)
		if err == nil {
			return step, nil
		}
		if errors.Is(err, io.EOF) {
			return last, err
		}
		if try < maxTries {
			fmt.Fprintf(p.out, "Try again (%d left).\n", maxTries-try)
		}
	}
	return last, fmt.Errorf("login refused: %d wrong codes", maxTries)
}

// verifyOnce reads one code and verifies it, saying what happened.
func verifyOnce(totp otp.TOTP, last uint64, p *prompter, now func() time.Time) (uint64, error) {
	left, err := totp.Remaining(now())
	if err != nil {
		return last, err
	}
	code, err := p.line(fmt.Sprintf("Code from the app (the current one changes in %ds): ", int(left.Seconds()+0.999)))
	if err != nil {
		return last, err
	}
	code = strings.ReplaceAll(code, " ", "") // apps show "123 456"
	step, err := totp.Verify(code, now(), last)
	switch {
	case err == nil:
		fmt.Fprintln(p.out, "Code accepted.")
	case errors.Is(err, otp.ErrReplayed):
		fmt.Fprintln(p.out, "Code refused: it was already used. Wait for the next one.")
	case errors.Is(err, otp.ErrInvalidCode):
		fmt.Fprintln(p.out, "Code refused: wrong code.")
	default:
		fmt.Fprintln(p.out, "Code refused:", err)
	}
	return step, err
}

// prompter asks questions on out and reads answers from in, without echo
// for passwords when in is a terminal.
type prompter struct {
	in    *bufio.Reader
	out   io.Writer
	stdin io.Reader
}

func (p *prompter) line(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	s, err := p.in.ReadString('\n')
	if err != nil && (s == "" || !errors.Is(err, io.EOF)) {
		return "", fmt.Errorf("no answer: %w", err)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

func (p *prompter) password(prompt string) (string, error) {
	f, ok := p.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return p.line(prompt)
	}
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(p.out)
	return string(b), err
}
