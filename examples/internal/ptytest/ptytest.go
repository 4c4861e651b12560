//go:build linux

// Package ptytest runs an example program on a pseudo-terminal, as a person
// at a terminal would: it types keys (Ctrl-C and Ctrl-D included, which the
// terminal turns into a signal and an end of input), waits for what the
// program shows, and reads the terminal's settings as stty would. It is
// for tests only.
package ptytest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// Timeout bounds every wait: a program that stops answering fails the test
// instead of hanging it.
const Timeout = 20 * time.Second

// Build compiles the main package in the current directory (a test's
// package) into dir and returns the binary's path. Call it once, from
// TestMain.
func Build(dir string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, filepath.Base(wd))
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// Term is a program running on a pseudo-terminal.
type Term struct {
	t    *testing.T
	ptmx *os.File // the terminal emulator's side: what we type and read
	tty  *os.File // the program's side, kept open as a shell keeps it
	cmd  *exec.Cmd

	mu   sync.Mutex
	out  bytes.Buffer
	seen int // output before this offset has been matched by Expect

	exited chan struct{}
	state  *os.ProcessState
}

// Start runs name with args on a new pseudo-terminal, as the session leader
// with the terminal as its controlling terminal, so that Ctrl-C reaches it
// (and whatever it starts) as SIGINT. The test's end kills what is left.
func Start(t *testing.T, name string, args ...string) *Term {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 60, Cols: 120}); err != nil {
		t.Fatalf("sizing the pseudo-terminal: %v", err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	tm := &Term{t: t, ptmx: ptmx, tty: tty, cmd: cmd, exited: make(chan struct{})}
	go tm.read()
	go func() {
		_ = cmd.Wait()
		tm.state = cmd.ProcessState
		close(tm.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-tm.exited:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-tm.exited
		}
		_ = ptmx.Close()
		_ = tty.Close()
	})
	return tm
}

func (tm *Term) read() {
	buf := make([]byte, 4096)
	for {
		n, err := tm.ptmx.Read(buf)
		tm.mu.Lock()
		tm.out.Write(buf[:n])
		tm.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Expect waits until the program has shown s after what earlier Expects
// matched, and returns everything it showed up to the end of s.
func (tm *Term) Expect(s string) string {
	tm.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		tm.mu.Lock()
		all := tm.out.String()
		if i := strings.Index(all[tm.seen:], s); i >= 0 {
			tm.seen += i + len(s)
			tm.mu.Unlock()
			return all[:tm.seen]
		}
		tm.mu.Unlock()
		if time.Now().After(deadline) {
			tm.t.Fatalf("the program did not show %q within %v; it showed:\n%s", s, Timeout, all)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Output returns all the program has shown so far.
func (tm *Term) Output() string {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	return tm.out.String()
}

// Type sends keys as typed: "\r" is Enter, "\x03" Ctrl-C, "\x04" Ctrl-D.
func (tm *Term) Type(keys string) {
	tm.t.Helper()
	if _, err := tm.ptmx.WriteString(keys); err != nil {
		tm.t.Fatalf("typing: %v", err)
	}
}

// Signal sends sig to the program, as kill would.
func (tm *Term) Signal(sig syscall.Signal) {
	tm.t.Helper()
	if err := tm.cmd.Process.Signal(sig); err != nil {
		tm.t.Fatalf("sending %v: %v", sig, err)
	}
}

// Echo reports whether the terminal echoes what is typed: the ECHO flag
// that `stty -a` shows as echo or -echo.
func (tm *Term) Echo() bool {
	tm.t.Helper()
	termios, err := unix.IoctlGetTermios(int(tm.tty.Fd()), unix.TCGETS)
	if err != nil {
		tm.t.Fatalf("reading the terminal's settings: %v", err)
	}
	return termios.Lflag&unix.ECHO != 0
}

// WaitEcho waits until the terminal's echo is on (want) or off, as a
// person would wait for a password prompt before typing.
func (tm *Term) WaitEcho(want bool) {
	tm.t.Helper()
	deadline := time.Now().Add(Timeout)
	for tm.Echo() != want {
		if time.Now().After(deadline) {
			tm.t.Fatalf("the terminal's echo did not turn %v within %v", map[bool]string{true: "on", false: "off"}[want], Timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Wait waits for the program to end and returns how it ended.
func (tm *Term) Wait() *os.ProcessState {
	tm.t.Helper()
	select {
	case <-tm.exited:
		return tm.state
	case <-time.After(Timeout):
		tm.t.Fatalf("the program did not end within %v; it showed:\n%s", Timeout, tm.Output())
		return nil
	}
}

// Signaled reports the signal that ended a process, if one did.
func Signaled(state *os.ProcessState) (syscall.Signal, bool) {
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return 0, false
	}
	return ws.Signal(), true
}
