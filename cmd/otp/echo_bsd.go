//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package main

import "syscall"

const ioctlGetTermios, ioctlSetTermios = syscall.TIOCGETA, syscall.TIOCSETA
