//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import (
	"fmt"
	"io"
	"os"
)

// hideEcho cannot turn off a terminal's echo on this system: it warns on
// stderr, when stdin may be a terminal, that a secret typed will show.
func hideEcho(stdin io.Reader, stderr io.Writer) func() (func(), bool) {
	return func() (func(), bool) {
		if f, ok := stdin.(*os.File); ok {
			if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
				fmt.Fprintln(stderr, "otp: warning: what you type now shows on the screen")
			}
		}
		return nil, false
	}
}
