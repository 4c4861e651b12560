// Command quickstart walks through two-factor authentication with TOTP in a
// terminal, as a user meets it on a website: it enrols an account in an
// authenticator app with a QR code, has you choose the account's password,
// logs in with the user name, the password and the app's code, and shows
// that a code is accepted only once.
//
//	go run ./examples/quickstart
//
// The password is yours to choose at enrolment (typed twice, hidden). The
// program prints the command that runs it again with the same key, so that
// the entry your app now holds keeps working. The QR code is also written
// to a PNG file that only you can read: the -png path, or a new temporary
// file that is removed when the program ends.
//
// It reads its answers from a pipe as well, one a line, which is how its
// tests drive it. The exit status is 0 when the login worked and the
// replayed code was refused, 1 when the login was refused or the input
// ended first, and 2 for bad flags.
package main

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/examples/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, time.Now))
}

// maxTries is how many passwords, and then how many codes, one login may
// try before it is refused. A real service also counts failures across
// logins (see examples/webserver).
const maxTries = 3

const (
	defaultIssuer  = "Example Corp"
	defaultAccount = "alice"
)

// config is what the flags set.
type config struct {
	issuer, account, pngPath, secret string
	light                            bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./examples/quickstart [flags]\n\n"+
			"Enrol an account in your authenticator app, choose its password, and log in\n"+
			"with the password and the app's code.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.issuer, "issuer", defaultIssuer, "the service name the app shows")
	fs.StringVar(&c.account, "account", defaultAccount, "the user name to enrol and log in as")
	fs.StringVar(&c.pngPath, "png", "", "write the QR code as PNG to this `path` (mode 0600); default: a new temporary file, removed at exit")
	fs.StringVar(&c.secret, "secret", "", "use this base32 secret (the key your app already has) instead of a new one")
	fs.BoolVar(&c.light, "light", false, "draw the QR code for a terminal with a light background")
	return c, cli.ParseFlags(fs, args)
}

// run is the program; main only wires it to the process. Errors go to
// stderr, the dialogue to stdout.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, now func() time.Time) int {
	cfg, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	}
	exit := cli.CatchExit()
	defer exit.Run()
	err = walkthrough(cfg, cli.NewPrompter(stdin, stdout, exit), exit, now)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, cli.ErrInputEnded):
		fmt.Fprintln(stderr, "quickstart: stopped: the input ended before the walkthrough did")
	default:
		fmt.Fprintln(stderr, "quickstart:", err)
	}
	return 1
}

// session is one run of the walkthrough.
type session struct {
	p    *cli.Prompter
	out  io.Writer
	key  *otp.Key
	totp otp.TOTP
	now  func() time.Time
}

func walkthrough(cfg config, p *cli.Prompter, exit *cli.Exit, now func() time.Time) error {
	key, err := enrol(cfg, p.Out(), exit)
	if err != nil {
		return err
	}
	s := &session{p: p, out: p.Out(), key: key, totp: key.TOTP(), now: now}
	s.totp.Skew = 1 // one step of clock drift either way, as RFC 6238 §5.2 advises
	password, err := s.choosePassword()
	if err != nil {
		return err
	}
	used, next, err := s.login(password)
	if err != nil {
		return err
	}
	return s.replay(used, next)
}

// enrol makes (or takes) the key and shows it every way an app can take it.
func enrol(cfg config, out io.Writer, exit *cli.Exit) (*otp.Key, error) {
	key, err := otp.GenerateKey(cfg.issuer, cfg.account)
	if err != nil {
		return nil, err
	}
	if cfg.secret != "" {
		if key.Secret, err = otp.DecodeSecret(cfg.secret); err != nil {
			return nil, err
		}
	}
	qr, err := key.QR()
	if err != nil {
		return nil, err
	}
	// The file first, so that a path that cannot be written fails before
	// the secret is on the screen.
	pngPath, lasts, err := cli.SavePNG(qr, cfg.pngPath, exit)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "Step 1. Enrol %q in your authenticator app: scan this QR code.\n\n", cfg.account)
	cli.ShowQR(out, qr, cfg.light)
	fmt.Fprintf(out, "\nOr type the secret by hand:\n\n    %s\n\n", otp.FormatSecret(key.Secret))
	fmt.Fprintf(out, "Key URI: %s\n", key.URI())
	fmt.Fprintf(out, "The QR code is also in %s (readable only by you; %s).\n", pngPath, lasts)
	fmt.Fprintf(out, "To run this again with the key your app now holds:\n\n    %s\n\n", rerunCommand(cfg, key))
	return key, nil
}

// rerunCommand is the command line that runs the walkthrough again with
// the same key and names.
func rerunCommand(cfg config, key *otp.Key) string {
	args := []string{"go", "run", "./examples/quickstart", "-secret", otp.EncodeSecret(key.Secret)}
	if cfg.issuer != defaultIssuer {
		args = append(args, "-issuer", cfg.issuer)
	}
	if cfg.account != defaultAccount {
		args = append(args, "-account", cfg.account)
	}
	if cfg.light {
		args = append(args, "-light")
	}
	return cli.ShellCommand(args...)
}

// choosePassword has the user choose the account's password, typed twice,
// and returns its digest.
func (s *session) choosePassword() ([sha256.Size]byte, error) {
	fmt.Fprintf(s.out, "Step 2. Choose a password for %q (hidden as you type; twice, to be sure).\n", s.key.Account)
	for try := 1; try <= maxTries; try++ {
		first, err := s.p.Password("New password: ")
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		if first == "" {
			fmt.Fprintf(s.out, "An empty password will not do.%s\n", triesLeft(try))
			continue
		}
		again, err := s.p.Password("The same again: ")
		if err != nil {
			return [sha256.Size]byte{}, err
		}
		if again == first {
			return sha256.Sum256([]byte(first)), nil
		}
		fmt.Fprintf(s.out, "The two passwords differ.%s\n", triesLeft(try))
	}
	return [sha256.Size]byte{}, fmt.Errorf("no password chosen in %d tries", maxTries)
}

// login asks for the user name and password, then for the app's code, and
// returns the code and the lowest step still accepted after it.
func (s *session) login(password [sha256.Size]byte) (code string, next uint64, err error) {
	fmt.Fprintln(s.out, "\nStep 3. Log in.")
	if err := s.checkPassword(password); err != nil {
		return "", 0, err
	}
	// A real service stores with the account what Verify returns, the
	// lowest step still accepted; 0 means none used yet.
	code, next, err = s.askCode(0)
	if err != nil {
		return "", 0, err
	}
	fmt.Fprintf(s.out, "Logged in as %q: two-factor authentication works.\n", s.key.Account)
	return code, next, nil
}

func (s *session) checkPassword(password [sha256.Size]byte) error {
	// A real service stores a slow salted hash (see examples/webserver);
	// comparing digests in constant time is the part that carries over.
	wantUser := sha256.Sum256([]byte(s.key.Account))
	for try := 1; try <= maxTries; try++ {
		user, err := s.p.Line("User name: ")
		if err != nil {
			return err
		}
		typed, err := s.p.Password("Password: ")
		if err != nil {
			return err
		}
		gotUser, gotPass := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(typed))
		if subtle.ConstantTimeCompare(wantUser[:], gotUser[:])&subtle.ConstantTimeCompare(password[:], gotPass[:]) == 1 {
			return nil
		}
		fmt.Fprintf(s.out, "Wrong user name or password.%s\n", triesLeft(try))
	}
	return fmt.Errorf("login refused: %d wrong passwords", maxTries)
}

// askCode asks for a code until one is accepted, at most maxTries times,
// and returns it with the lowest step still accepted after it.
func (s *session) askCode(next uint64) (code string, after uint64, err error) {
	for try := 1; try <= maxTries; try++ {
		code, err := s.readCode()
		if err != nil {
			return "", next, err
		}
		after, err := s.totp.Verify(code, s.now(), next)
		switch {
		case err == nil:
			fmt.Fprintln(s.out, "Code accepted.")
			return code, after, nil
		case errors.Is(err, otp.ErrReplayed):
			fmt.Fprintf(s.out, "Code refused: it was used already; wait for the next one.%s\n", triesLeft(try))
		case errors.Is(err, otp.ErrInvalidCode):
			fmt.Fprintf(s.out, "Code refused: wrong code.%s\n", triesLeft(try))
		default:
			return "", next, err
		}
	}
	return "", next, fmt.Errorf("login refused: %d wrong codes", maxTries)
}

// replay asks for the code that logged in once more, as someone who saw it
// over the user's shoulder would type it, and shows it refused.
func (s *session) replay(used string, next uint64) error {
	fmt.Fprintf(s.out, "\nStep 4. Replay protection: type the code you logged in with, %s, again,\n"+
		"as someone who saw it over your shoulder would.\n", used)
	for try := 1; try <= maxTries; try++ {
		code, err := s.readCode()
		if err != nil {
			return err
		}
		after, err := s.totp.Verify(code, s.now(), next)
		switch {
		case errors.Is(err, otp.ErrReplayed):
			fmt.Fprintln(s.out, "Code refused: it was used already (otp.ErrReplayed). Each code logs in once,\n"+
				"so one seen over your shoulder is of no use.")
			fmt.Fprintln(s.out, "\nDone: enrolment, login and replay protection work.")
			return nil
		case errors.Is(err, otp.ErrInvalidCode) && code == used:
			fmt.Fprintf(s.out, "Code refused: %s has expired (its %v and one step of grace are over),\n"+
				"so it no longer matches at all. Until then, replay protection refuses it.\n", used, s.key.Period)
			fmt.Fprintln(s.out, "\nDone: enrolment and login work, and an old code is refused.")
			return nil
		case err == nil:
			fmt.Fprintf(s.out, "Code accepted: that is a new code (the app has moved on since you logged in),\n"+
				"so it logs in again. Type it once more to see a used code refused.\n")
			used, next = code, after
		case errors.Is(err, otp.ErrInvalidCode):
			fmt.Fprintf(s.out, "Code refused: wrong code. To see replay protection, type %s.\n", used)
		default:
			return err
		}
	}
	return fmt.Errorf("replay protection not shown: %s was not typed again", used)
}

// readCode asks for a code, saying how long the current one lasts.
func (s *session) readCode() (string, error) {
	left, err := s.totp.Remaining(s.now())
	if err != nil {
		return "", err
	}
	return s.p.Code(fmt.Sprintf("Code from the app (the current one changes in %ds): ", int(left.Seconds()+0.999)), s.key.Digits)
}

// triesLeft is the note after a failed try.
func triesLeft(try int) string {
	if try >= maxTries {
		return ""
	}
	return fmt.Sprintf(" Try again (%d left).", maxTries-try)
}
