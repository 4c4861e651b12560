//go:build linux

package main

// These tests run the built program on a pseudo-terminal, where what the
// terminal does matters: hidden passwords, Ctrl-C and other signals while
// the echo is off, and Ctrl-D.

import (
	"fmt"
	"os"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/otpkit/otp/examples/internal/ptytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binary is the program, built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quickstart-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary, err = ptytest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func start(t *testing.T, args ...string) *ptytest.Term {
	t.Helper()
	return ptytest.Start(t, binary, append([]string{"-secret", testSecret}, args...)...)
}

// nowCode is the app's code now; the program's window (Skew 1) forgives a
// step boundary passing while the test types it.
func nowCode(t *testing.T) string {
	t.Helper()
	return codeAt(t, time.Now())
}

// hidden types an answer at a password prompt once the echo is off, as a
// person types after the prompt appears.
func hidden(tm *ptytest.Term, prompt, answer string) {
	tm.Expect(prompt)
	tm.WaitEcho(false)
	tm.Type(answer + "\r")
}

func TestTerminalLogin(t *testing.T) {
	t.Parallel()
	const password = "s3cret-horse"
	tm := start(t)
	hidden(tm, "New password: ", password)
	hidden(tm, "The same again: ", password)
	tm.Expect("User name: ")
	tm.WaitEcho(true)
	tm.Type("alice\r")
	tm.Expect("alice") // a user name is shown as it is typed
	hidden(tm, "Password: ", password)
	tm.Expect("Code from the app")
	tm.WaitEcho(true)
	code := nowCode(t)
	tm.Type(code + "\r")
	tm.Expect("Code accepted.")
	tm.Expect("Step 4.")
	tm.Type(code + "\r")
	tm.Expect("Done:")
	state := tm.Wait()
	assert.Equal(t, 0, state.ExitCode(), tm.Output())
	assert.True(t, tm.Echo(), "the terminal was left without echo")
	assert.NotContains(t, tm.Output(), password, "the password was shown")
}

// pngPath is the temporary PNG file the program says it wrote.
func pngPath(t *testing.T, tm *ptytest.Term) string {
	t.Helper()
	m := regexp.MustCompile(`The QR code is also in (\S+) \(readable only by you; removed when this program ends\)`).FindStringSubmatch(tm.Output())
	require.NotNil(t, m, tm.Output())
	return m[1]
}

// However the program is stopped while the password is being typed, the
// terminal gets its echo back, the PNG with the secret is removed, and the
// program ends by the signal, so that a shell sees it was interrupted.
func TestTerminalInterruptAtPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop func(*ptytest.Term)
		want syscall.Signal
	}{
		{"Ctrl-C", func(tm *ptytest.Term) { tm.Type("\x03") }, syscall.SIGINT},
		{"Ctrl-C after typing some", func(tm *ptytest.Term) { tm.Type("half"); tm.Type("\x03") }, syscall.SIGINT},
		{"kill (SIGTERM)", func(tm *ptytest.Term) { tm.Signal(syscall.SIGTERM) }, syscall.SIGTERM},
		{"the terminal closing (SIGHUP)", func(tm *ptytest.Term) { tm.Signal(syscall.SIGHUP) }, syscall.SIGHUP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tm := start(t)
			tm.Expect("New password: ")
			tm.WaitEcho(false)
			png := pngPath(t, tm)
			require.FileExists(t, png)
			tt.stop(tm)
			state := tm.Wait()
			sig, ok := ptytest.Signaled(state)
			assert.True(t, ok, "ended by exit status %d, not by the signal", state.ExitCode())
			assert.Equal(t, tt.want, sig)
			assert.True(t, tm.Echo(), "the terminal was left without echo")
			assert.NoFileExists(t, png, "the PNG with the secret outlived the program")
		})
	}
}

// The issue as reported: Ctrl-C at the password prompt under go run.
func TestTerminalInterruptUnderGoRun(t *testing.T) {
	t.Parallel()
	tm := ptytest.Start(t, "go", "run", ".", "-secret", testSecret)
	tm.Expect("New password: ")
	tm.WaitEcho(false)
	tm.Type("\x03")
	tm.Wait()
	assert.True(t, tm.Echo(), "the terminal was left without echo")
}

// Ctrl-D ends the program the same way at every prompt, hidden or not:
// exit status 1, one message, the terminal as it was.
func TestTerminalEndOfInputAtEachPrompt(t *testing.T) {
	t.Parallel()
	const password = "pw"
	steps := []struct {
		prompt string
		hidden bool
		answer func(t *testing.T) string
	}{
		{"New password: ", true, func(*testing.T) string { return password }},
		{"The same again: ", true, func(*testing.T) string { return password }},
		{"User name: ", false, func(*testing.T) string { return "alice" }},
		{"Password: ", true, func(*testing.T) string { return password }},
		{"Code from the app", false, nowCode},
		{"Step 4.", false, nowCode},
	}
	for n, step := range steps {
		t.Run(step.prompt, func(t *testing.T) {
			t.Parallel()
			tm := start(t)
			for _, before := range steps[:n] {
				tm.Expect(before.prompt)
				tm.WaitEcho(!before.hidden)
				tm.Type(before.answer(t) + "\r")
			}
			tm.Expect(step.prompt)
			tm.WaitEcho(!step.hidden)
			tm.Type("\x04")
			tm.Expect("quickstart: stopped: the input ended before the walkthrough did")
			state := tm.Wait()
			assert.Equal(t, 1, state.ExitCode())
			assert.True(t, tm.Echo(), "the terminal was left without echo")
		})
	}
}
