// Command hotp walks through counter-based codes (RFC 4226), as hardware
// tokens and some authenticator apps make them. It enrols a key in your
// app with a QR code and then asks for codes as a server would, showing the
// two ways the server's counter catches up with a token that made codes
// nobody used: the look-ahead window, and past it, resynchronisation with
// two consecutive codes (RFC 4226 §7.4).
//
//	go run ./examples/hotp             # with an authenticator app
//	go run ./examples/hotp -simulate   # a simulated token types the codes
//
// It reads its answers from a pipe as well, one a line. The exit status is
// 0 when every login worked, 1 when one was refused or the input ended
// first, and 2 for bad flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/examples/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const (
	// lookAhead is how many unused codes a login forgives. RFC 4226 §7.4
	// asks for a window "as low as possible, while still ensuring that
	// usability is not impacted": each counter in it is one more code a
	// guess can hit.
	lookAhead = 5
	// resyncWindow is how many counters a resynchronisation searches for
	// two codes in a row. It may be much larger: a guessed pair matches
	// with a chance of 1 in 10^12 per counter, not 1 in 10^6. It is still
	// bounded, so that no one can make the server search for ever.
	resyncWindow = 1000
	// maxTries is how many codes (or pairs) one login may try.
	maxTries = 3
	// digits is the code length every authenticator app supports.
	digits = otp.DefaultDigits

	issuer, account = "Example Corp", "bob"
)

// config is what the flags set.
type config struct {
	secret, pngPath string
	counter         uint64
	light, simulate bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hotp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: go run ./examples/hotp [flags]\n\n"+
			"Enrol a counter-based (HOTP) key in your authenticator app and log in with its\n"+
			"codes, running ahead of the server and catching up.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.secret, "secret", "", "use this base32 secret (the key your app already has) instead of a new one")
	fs.Uint64Var(&c.counter, "counter", 0, "the counter the server expects next (a new key's starts at 0)")
	fs.StringVar(&c.pngPath, "png", "", "write the QR code as PNG to this `path` (mode 0600); default: a new temporary file, removed at exit")
	fs.BoolVar(&c.light, "light", false, "draw the QR code for a terminal with a light background")
	fs.BoolVar(&c.simulate, "simulate", false, "no app: a simulated token makes and types the codes")
	return c, cli.ParseFlags(fs, args)
}

// run is the program; main only wires it to the process. Errors go to
// stderr, the dialogue to stdout.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	}
	exit := cli.CatchExit()
	defer exit.Run()
	err = walkthrough(cfg, cli.NewPrompter(stdin, stdout, exit), exit)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, cli.ErrInputEnded):
		fmt.Fprintln(stderr, "hotp: stopped: the input ended before the walkthrough did")
	default:
		fmt.Fprintln(stderr, "hotp:", err)
	}
	return 1
}

func walkthrough(cfg config, p *cli.Prompter, exit *cli.Exit) error {
	key, err := newKey(cfg)
	if err != nil {
		return err
	}
	var tok token = person{p}
	if cfg.simulate {
		tok = &simulated{hotp: key.HOTP(), counter: key.Counter, out: p.Out()}
		fmt.Fprintf(p.Out(), "Step 1. A simulated token takes the key, in place of an app:\n\n    %s\n", key.URI())
	} else if err := enrol(cfg, key, p.Out(), exit); err != nil {
		return err
	}
	srv := &server{hotp: key.HOTP(), next: key.Counter, out: p.Out()}
	srv.hotp.LookAhead = lookAhead
	fmt.Fprintf(p.Out(), "\nThe server expects counter %d next, and forgives up to %d unused codes.\n", srv.next, lookAhead)
	for i, st := range steps {
		fmt.Fprintf(p.Out(), "\nStep %d. %s\n", i+2, st.say)
		tok.skip(st.unused)
		if err := srv.login(tok); err != nil {
			return err
		}
	}
	fmt.Fprintf(p.Out(), "\nDone. The server expects counter %d next. To go on with this key later:\n\n    %s\n",
		srv.next, rerunCommand(cfg, key, srv.next))
	return nil
}

// newKey makes a new HOTP key for the account, or, with -secret, takes the
// key your app already has. Either way the server goes on from -counter.
func newKey(cfg config) (*otp.Key, error) {
	if cfg.secret == "" {
		key, err := otp.GenerateHOTPKey(issuer, account)
		if err != nil {
			return nil, err
		}
		key.Counter = cfg.counter
		if err := key.Validate(); err != nil { // such as the counter 2^64-1, whose code never verifies
			return nil, err
		}
		return key, nil
	}
	secret, err := otp.DecodeSecret(cfg.secret)
	if err != nil {
		return nil, err
	}
	key := &otp.Key{Type: otp.TypeHOTP, Issuer: issuer, Account: account, Secret: secret, Digits: digits, Counter: cfg.counter}
	if err := key.Validate(); err != nil {
		return nil, err
	}
	return key, nil
}

// enrol shows the key every way an app can take it.
func enrol(cfg config, key *otp.Key, out io.Writer, exit *cli.Exit) error {
	qr, err := key.QR()
	if err != nil {
		return err
	}
	// The file first, so that a path that cannot be written fails before
	// the secret is on the screen.
	pngPath, lasts, err := cli.SavePNG(qr, cfg.pngPath, exit)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Step 1. Enrol %q in your authenticator app: scan this QR code.\n"+
		"It is a counter-based key: the app makes a new code each time you ask for one.\n\n", account)
	cli.ShowQR(out, qr, cfg.light)
	fmt.Fprintf(out, "\nOr type the secret by hand (choose \"counter-based\"):\n\n    %s\n\n", otp.FormatSecret(key.Secret))
	fmt.Fprintf(out, "Key URI: %s\n", key.URI())
	fmt.Fprintf(out, "The QR code is also in %s (readable only by you; %s).\n", pngPath, lasts)
	fmt.Fprintf(out, "To run this again with the key your app now holds:\n\n    %s\n", rerunCommand(cfg, key, key.Counter))
	return nil
}

// rerunCommand is the command line that goes on with the same key, the
// server expecting counter next.
func rerunCommand(cfg config, key *otp.Key, next uint64) string {
	args := []string{"go", "run", "./examples/hotp", "-secret", otp.EncodeSecret(key.Secret)}
	if next != 0 {
		args = append(args, "-counter", fmt.Sprint(next))
	}
	if cfg.light {
		args = append(args, "-light")
	}
	if cfg.simulate {
		args = append(args, "-simulate")
	}
	return cli.ShellCommand(args...)
}

// steps are the logins after enrolment, each after some codes that the
// token made and nobody used.
var steps = []struct {
	unused int
	say    string
}{
	{0, "Log in: get a new code (tap the app's refresh button, or press the token's),\nand type it."},
	{lookAhead - 2, fmt.Sprintf("Run ahead within the window: get %d new codes without typing them,\nthen one more, and type that one.", lookAhead-2)},
	{lookAhead + 1, fmt.Sprintf("Run past the window: get %d new codes without typing them,\nthen one more, and type that one. The server will ask for the next as well.", lookAhead+1)},
}

// token is whoever holds the key and makes the codes.
type token interface {
	skip(n int)                         // n codes are made and not used
	code(prompt string) (string, error) // the next code, as typed
}

// person is someone with an authenticator app, who follows the steps.
type person struct{ p *cli.Prompter }

func (person) skip(int) {}

func (u person) code(prompt string) (string, error) { return u.p.Code(prompt, digits) }

// simulated is a token that makes its codes itself and types them.
type simulated struct {
	hotp    otp.HOTP
	counter uint64
	out     io.Writer
}

func (s *simulated) skip(n int) {
	s.counter += uint64(n)
	if n > 0 {
		fmt.Fprintf(s.out, "(The simulated token makes %d codes that are not used.)\n", n)
	}
}

func (s *simulated) code(prompt string) (string, error) {
	code, err := s.hotp.Generate(s.counter)
	if err != nil {
		return "", err
	}
	s.counter++
	fmt.Fprintf(s.out, "%s%s\n", prompt, code)
	return code, nil
}

// server is what a service keeps for the account: the key, and the counter
// it expects next (stored with the account in a real service).
type server struct {
	hotp otp.HOTP
	next uint64
	out  io.Writer
}

// login asks for codes until one is accepted, at most maxTries times. A
// code outside the look-ahead window may be a wrong one or a token that
// ran further ahead; then the next code tells which.
func (s *server) login(tok token) error {
	for try := 1; try <= maxTries; try++ {
		code, err := tok.code("Code: ")
		if err != nil {
			return err
		}
		next, err := s.hotp.Verify(code, s.next)
		if err == nil {
			s.accept(next)
			return nil
		}
		if !errors.Is(err, otp.ErrInvalidCode) {
			return err
		}
		if used, ok, err := s.usedAlready(code); err != nil || ok {
			if ok {
				fmt.Fprintf(s.out, "That code was used already (counter %d): the server takes each code once, and now "+
					"expects counter %d.\nGet a new code and type that one.%s\n", used, s.next, triesLeft(try))
			}
			if err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(s.out, "Not the code of counter %d, nor of the %d after it (the look-ahead window).\n"+
			"If the token has run further ahead, its next code will show where it is.\n", s.next, lookAhead)
		second, err := tok.code("Next code: ")
		if err != nil {
			return err
		}
		ok, err := s.resync(code, second)
		if err != nil || ok {
			return err
		}
		// Not a pair: the first may have been mistyped, and the second a
		// code the window takes by itself, as it would at the first prompt.
		if next, err := s.hotp.Verify(second, s.next); err == nil {
			fmt.Fprintln(s.out, "The two codes are not a pair, but the second is in the look-ahead window by itself.")
			s.accept(next)
			return nil
		} else if !errors.Is(err, otp.ErrInvalidCode) {
			return err
		}
		fmt.Fprintf(s.out, "Refused: these are not the codes of two counters in a row from %d to %d.%s\n",
			s.next, s.next+s.resyncSpan(), triesLeft(try))
	}
	return fmt.Errorf("login refused: %d wrong codes", maxTries)
}

// usedBack is how many counters before the expected one usedAlready looks
// at: the codes someone might type again, such as the one just accepted.
const usedBack = lookAhead

// usedAlready reports whether code is that of one of the usedBack counters
// before the expected one, and which (the latest, if several). Those
// counters are used up, by a login or skipped by a later code: the code is
// refused all the same, but the person learns why, instead of being asked
// for the next code as if the token had run ahead.
func (s *server) usedAlready(code string) (uint64, bool, error) {
	back := min(s.next, usedBack)
	if back == 0 {
		return 0, false, nil
	}
	h := s.hotp
	h.LookAhead = int(back) - 1 // the window ends at s.next-1
	next, err := h.Verify(code, s.next-back)
	if err != nil {
		return 0, false, notInvalid(err)
	}
	return next - 1, true, nil
}

func (s *server) accept(next uint64) {
	matched := next - 1
	if ahead := matched - s.next; ahead > 0 {
		fmt.Fprintf(s.out, "Code accepted at counter %d: the token was %d ahead, and the look-ahead window caught up.\n", matched, ahead)
	} else {
		fmt.Fprintf(s.out, "Code accepted at counter %d.\n", matched)
	}
	s.next = next
	fmt.Fprintf(s.out, "The server now expects counter %d: this code and every one before it are used up.\n", s.next)
}

// resync looks for first and second as the codes of two consecutive
// counters among the resyncWindow counters from the expected one (RFC 4226
// §7.4). Like Verify, it computes every counter of the window whatever
// matched, and the latest match wins.
func (s *server) resync(first, second string) (bool, error) {
	one := s.hotp
	one.LookAhead = 0
	var next uint64
	found := false
	for c := s.next; c < s.next+s.resyncSpan(); c++ {
		_, err1 := one.Verify(first, c)
		after, err2 := one.Verify(second, c+1)
		if err1 == nil && err2 == nil {
			next, found = after, true
		} else if err := errors.Join(notInvalid(err1), notInvalid(err2)); err != nil {
			return false, err
		}
	}
	if found {
		fmt.Fprintf(s.out, "Resynchronised: the two codes are those of counters %d and %d, %d ahead of the server.\n",
			next-2, next-1, next-2-s.next)
		s.next = next
		fmt.Fprintf(s.out, "The server now expects counter %d.\n", s.next)
	}
	return found, nil
}

// resyncSpan is how many counters a resynchronisation can search from the
// expected one: resyncWindow, short of the last counter Verify takes,
// 2^64-2.
func (s *server) resyncSpan() uint64 {
	if s.next >= math.MaxUint64-1 {
		return 0
	}
	return min(resyncWindow, math.MaxUint64-1-s.next)
}

// notInvalid is err unless it only says the code did not match.
func notInvalid(err error) error {
	if errors.Is(err, otp.ErrInvalidCode) {
		return nil
	}
	return err
}

// triesLeft is the note after a failed try.
func triesLeft(try int) string {
	if try >= maxTries {
		return ""
	}
	return fmt.Sprintf(" Try again (%d left).", maxTries-try)
}
