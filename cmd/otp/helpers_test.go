package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// result is what one run of the program did.
type result struct {
	status int
	stdout string
	stderr string
}

// runOTP runs the program in-process as "otp ARGS...", with stdin.
func runOTP(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runAs(t, "otp", stdin, args...)
}

func runAs(t *testing.T, name, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	status := run(append([]string{name}, args...), strings.NewReader(stdin), &out, &errOut)
	return result{status, out.String(), errOut.String()}
}

// tool returns the path of an external program the test needs. Without it
// the test is skipped, except under CI (CI=true), where it fails.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		msg := name + " not found: install the Debian package " + pkg + " to run this test"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return path
}

// execResult runs an external program and returns what it did.
func execResult(t *testing.T, path, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", path, err)
	}
	return result{status, out.String(), errOut.String()}
}

func unixUTC(sec int64) time.Time { return time.Unix(sec, 0).UTC() }
