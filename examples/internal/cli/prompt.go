package cli

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// ErrInputEnded is returned by a prompt when the input ends before an
// answer: Ctrl-D at a terminal, or the end of a pipe.
var ErrInputEnded = errors.New("the input ended")

// Prompter asks questions on out and reads the answers from in, one a line.
// When in is a terminal, passwords are read without echo.
type Prompter struct {
	in   *bufio.Reader
	out  io.Writer
	tty  int // the terminal's file descriptor, or -1 when in is not one
	exit *Exit
}

// NewPrompter returns a Prompter. exit restores the terminal if the
// program is interrupted while a password is being typed.
func NewPrompter(in io.Reader, out io.Writer, exit *Exit) *Prompter {
	p := &Prompter{in: bufio.NewReader(in), out: out, tty: -1, exit: exit}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty = int(f.Fd())
	}
	return p
}

// Out is where the questions go.
func (p *Prompter) Out() io.Writer { return p.out }

// Line asks for one line and returns it without its line ending.
func (p *Prompter) Line(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	s, err := p.readLine()
	if errors.Is(err, ErrInputEnded) {
		fmt.Fprintln(p.out) // end the prompt's line, so that the shell's starts on its own
	}
	return s, err
}

func (p *Prompter) readLine() (string, error) {
	s, err := p.in.ReadString('\n')
	switch {
	case errors.Is(err, io.EOF) && s == "":
		return "", ErrInputEnded
	case err != nil && !errors.Is(err, io.EOF):
		return "", fmt.Errorf("reading the answer: %w", err)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// Password asks for a line without showing what is typed, when the input
// is a terminal. The terminal gets its echo back however the program ends:
// on return, and on Ctrl-C or another terminating signal while waiting.
// Ctrl-D ends the input here as at every other prompt.
func (p *Prompter) Password(prompt string) (string, error) {
	if p.tty < 0 {
		return p.Line(prompt)
	}
	state, err := term.GetState(p.tty)
	if err != nil {
		return "", fmt.Errorf("reading the terminal's settings: %w", err)
	}
	restore := func() { _ = term.Restore(p.tty, state) }
	forget := p.exit.Add(func() {
		restore()
		fmt.Fprintln(p.out) // the Enter that was never typed
	})
	s, err := p.hiddenLine(prompt)
	restore()
	forget()
	fmt.Fprintln(p.out) // the Enter was not shown either
	return s, err
}

// Code asks for a one-time code of digits digits until the answer can be
// one, and returns it normalised (see [NormalizeCode]). An answer that
// cannot be a code gets a hint and is asked again: it is refused before
// any check, so it costs none of the tries a login allows.
func (p *Prompter) Code(prompt string, digits int) (string, error) {
	for {
		typed, err := p.Line(prompt)
		if err != nil {
			return "", err
		}
		code, err := NormalizeCode(typed, digits)
		if err == nil {
			return code, nil
		}
		fmt.Fprintf(p.out, "Not checked: %v.\n", err)
	}
}

// ParseFlags parses args into fs and refuses what is left over: the
// terminal examples take flags only, and a stray word is more likely a
// mistyped flag than something to ignore. fs's output gets the message and
// the usage.
func ParseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected argument %q: this program takes flags only", fs.Arg(0))
		fmt.Fprintln(fs.Output(), err)
		fs.Usage()
		return err
	}
	return nil
}
