//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package cli

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/term"
)

// hiddenLine shows the prompt and reads a line without echo where the
// terminal's settings are not reachable through termios (Windows).
func (p *Prompter) hiddenLine(prompt string) (string, error) {
	fmt.Fprint(p.out, prompt)
	b, err := term.ReadPassword(p.tty)
	switch {
	case errors.Is(err, io.EOF):
		return "", ErrInputEnded
	case err != nil:
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return string(b), nil
}
