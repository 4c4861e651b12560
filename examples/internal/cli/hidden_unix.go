//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package cli

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// hiddenLine turns the terminal's echo off, then shows the prompt (so that
// nothing typed after it shows) and reads a line. Everything else stays
// with the terminal: its editing keys, Ctrl-C and Ctrl-Z, and Ctrl-D, which
// ends the input. (term.ReadPassword reads again after that end of input,
// so there Ctrl-D would do nothing.) The caller restores the settings.
func (p *Prompter) hiddenLine(prompt string) (string, error) {
	t, err := unix.IoctlGetTermios(p.tty, ioctlGetTermios)
	if err != nil {
		return "", fmt.Errorf("reading the terminal's settings: %w", err)
	}
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	t.Iflag |= unix.ICRNL
	if err := unix.IoctlSetTermios(p.tty, ioctlSetTermios, t); err != nil {
		return "", fmt.Errorf("turning the terminal's echo off: %w", err)
	}
	fmt.Fprint(p.out, prompt)
	return p.readLine()
}
