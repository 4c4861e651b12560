package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// childEnv configures a child process of the multi-process tests.
const childEnv = "OTP_GUARD_CHILD"

// childTask is what one child process does: open the store (an SQL
// database, or Redis when Driver is "redis"), say ready,
// wait for the go, then make its attempts from several goroutines.
type childTask struct {
	Driver, DSN, Table string
	Now                int64 // Unix nanoseconds, the Guard's fixed clock
	Attempts           []childAttempt
	// Workers, if not 0, makes the attempts from that many goroutines,
	// each result written as soon as it is known (for a parent that kills
	// the child mid-run), instead of all at once and written at the end.
	Workers int
}

// childAttempt is one attempt of a child process. Result lines name the
// account, so that the parent counts each account's race on its own.
type childAttempt struct {
	Account, Code string
	Recovery      bool // Code is a recovery code
}

// TestMultiProcessChild is the child side of the multi-process tests; it
// does nothing unless a parent started it.
func TestMultiProcessChild(t *testing.T) {
	spec := os.Getenv(childEnv)
	if spec == "" {
		return // a helper process of the multi-process tests, as os/exec's TestHelperProcess
	}
	var task childTask
	require.NoError(t, json.Unmarshal([]byte(spec), &task))
	store, closer, err := openStore(task.Driver, task.DSN, task.Table)
	require.NoError(t, err)
	defer closer.Close()
	_, err = store.Load(context.Background(), "ping")
	require.NoError(t, err)
	g := &guard.Guard{Store: store, Now: func() time.Time { return time.Unix(0, task.Now) }, Policy: racePolicy}
	fmt.Println("ready")
	_, err = io.Copy(io.Discard, os.Stdin) // the go signal is the end of stdin
	require.NoError(t, err)
	if task.Workers > 0 {
		streamAttempts(g, task)
		return
	}
	results := make([]string, len(task.Attempts))
	var wg sync.WaitGroup
	for i, a := range task.Attempts {
		wg.Go(func() { results[i] = a.Account + " " + outcome(a.make(g)) })
	}
	wg.Wait()
	for _, r := range results {
		fmt.Println("result", r)
	}
}

func (a childAttempt) make(g *guard.Guard) error {
	if a.Recovery {
		return g.UseRecoveryCode(context.Background(), a.Account, a.Code)
	}
	return g.VerifyTOTP(context.Background(), a.Account, guardTOTP, a.Code)
}

// streamAttempts makes the task's attempts from task.Workers goroutines and
// writes each result at once (os.Stdout is unbuffered).
func streamAttempts(g *guard.Guard, task childTask) {
	next := make(chan childAttempt)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range task.Workers {
		wg.Go(func() {
			for a := range next {
				r := a.Account + " " + outcome(a.make(g))
				mu.Lock()
				fmt.Println("result", r)
				mu.Unlock()
			}
		})
	}
	for _, a := range task.Attempts {
		next <- a
	}
	close(next)
	wg.Wait()
}

// child is a running child process of the multi-process tests.
type child struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
	out   *bufio.Scanner
}

// startChildren starts one child process per task, waits until each is
// ready, and lets them all go at once.
func startChildren(t *testing.T, tasks []childTask) []child {
	t.Helper()
	children := make([]child, len(tasks))
	for i, task := range tasks {
		spec, err := json.Marshal(task)
		require.NoError(t, err)
		cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcessChild$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), childEnv+"="+string(spec))
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		children[i] = child{cmd, stdin, bufio.NewScanner(stdout)}
	}
	for _, c := range children {
		require.True(t, scanUntil(c.out, "ready"), "a child did not start")
	}
	for _, c := range children {
		require.NoError(t, c.stdin.Close()) // the go signal: stdin reaches EOF
	}
	return children
}

// raceProcesses starts one child process per task, lets them all go at
// once, and returns how many attempts ended in each outcome.
func raceProcesses(t *testing.T, tasks []childTask) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, c := range startChildren(t, tasks) {
		for c.out.Scan() {
			if r, ok := strings.CutPrefix(c.out.Text(), "result "); ok {
				counts[r]++
			}
		}
		require.NoError(t, c.cmd.Wait())
	}
	return counts
}

// scanUntil reads lines until one equals want.
func scanUntil(s *bufio.Scanner, want string) bool {
	for s.Scan() {
		if s.Text() == want {
			return true
		}
	}
	return false
}

// TestGuardMultiProcess races the same code, and wrong codes, from several
// OS processes on one SQLite file, one PostgreSQL or MySQL table, and one Redis.
func TestGuardMultiProcess(t *testing.T) {
	t.Parallel()
	const procs, perProc = 4, 5
	for name, newDB := range storeDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			d.prepared(t)
			now := at1111111109
			code := mustCode(t, now)
			bad := wrongCode(t, now)
			tasks := make([]childTask, procs)
			for i := range tasks {
				tasks[i] = childTask{Driver: d.driver, DSN: d.dsn, Table: d.table, Now: now.UnixNano()}
				for range perProc {
					tasks[i].Attempts = append(tasks[i].Attempts, childAttempt{Account: "alice", Code: code}, childAttempt{Account: "bob", Code: bad})
				}
			}
			const n = procs * perProc
			got := raceProcesses(t, tasks)
			assert.Equal(t, map[string]int{"alice ok": 1, "alice replayed": n - 1, "bob invalid": n}, got)
			assertFailures(t, d.handle(t), map[string]int{"alice": n - 1, "bob": n})
		})
	}
}

// assertFailures checks each account's stored count of failures.
func assertFailures(t *testing.T, s guard.Store, want map[string]int) {
	t.Helper()
	for account, n := range want {
		st, err := s.Load(context.Background(), account)
		require.NoError(t, err)
		assert.Equal(t, n, st.Failures, account)
	}
}

func TestUseRecoveryCodeMultiProcess(t *testing.T) {
	t.Parallel()
	const procs, perProc = 4, 3
	for name, newDB := range storeDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			store := d.prepared(t)
			codes, err := guard.GenerateRecoveryCodes(2)
			require.NoError(t, err)
			g := &guard.Guard{Store: store}
			require.NoError(t, g.SetRecoveryCodes(context.Background(), "alice", codes))
			tasks := make([]childTask, procs)
			for i := range tasks {
				tasks[i] = childTask{Driver: d.driver, DSN: d.dsn, Table: d.table, Now: time.Now().UnixNano()}
				for range perProc {
					tasks[i].Attempts = append(tasks[i].Attempts, childAttempt{Account: "alice", Code: codes[0], Recovery: true})
				}
			}
			got := raceProcesses(t, tasks)
			assert.Equal(t, map[string]int{"alice ok": 1, "alice invalid": procs*perProc - 1}, got)
			n, err := g.RecoveryCodesLeft(context.Background(), "alice")
			require.NoError(t, err)
			assert.Equal(t, 1, n)
		})
	}
}
