//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package main

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"unsafe"
)

// hideEcho returns a function that turns off the echo of stdin when it is
// a terminal, so that a secret typed there does not show, and returns the
// function that turns it back on (and ends the unechoed line on stderr).
func hideEcho(stdin io.Reader, stderr io.Writer) func() (func(), bool) {
	return func() (func(), bool) {
		f, ok := stdin.(*os.File)
		if !ok {
			return nil, false
		}
		fd := f.Fd()
		var saved syscall.Termios
		if termios(fd, ioctlGetTermios, &saved) != nil {
			return nil, false // not a terminal
		}
		hidden := saved
		hidden.Lflag &^= syscall.ECHO
		hidden.Lflag |= syscall.ICANON
		if termios(fd, ioctlSetTermios, &hidden) != nil {
			return nil, false
		}
		return func() {
			_ = termios(fd, ioctlSetTermios, &saved)
			fmt.Fprintln(stderr)
		}, true
	}
}

func termios(fd uintptr, req uintptr, t *syscall.Termios) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(unsafe.Pointer(t))); errno != 0 {
		return errno
	}
	return nil
}
