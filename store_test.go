package otp

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// postgresDSNVar names the environment variable with the DSN of a
// PostgreSQL server for the tests; .ci/run starts one and sets it.
const postgresDSNVar = "OTP_TEST_POSTGRES_DSN"

// sqliteDSN is how the tests, like the package doc, open SQLite: waiting on
// a busy database instead of failing, and in WAL mode.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
}

// testDB is a database for the store tests: a driver, a DSN and a fresh
// table name, so that tests sharing a PostgreSQL server never meet.
type testDB struct {
	driver, dsn, table string
}

func (d testDB) open(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open(d.driver, d.dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

func (d testDB) store(t testing.TB, db *sql.DB) *SQLStore {
	t.Helper()
	s, err := NewSQLStore(db, d.table)
	require.NoError(t, err)
	return s
}

func newSQLiteDB(t testing.TB) testDB {
	return testDB{driver: "sqlite", dsn: sqliteDSN(filepath.Join(t.TempDir(), "otp.db")), table: "otp_state"}
}

// newPostgresDB returns a fresh table on the server that postgresDSNVar
// names, dropped after the test. Without the variable the test is skipped,
// except under CI, where it must run.
func newPostgresDB(t testing.TB) testDB {
	t.Helper()
	dsn := os.Getenv(postgresDSNVar)
	if dsn == "" {
		msg := postgresDSNVar + " is not set: skipping the PostgreSQL test (.ci/run starts a server and sets it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	d := testDB{driver: "pgx", dsn: dsn, table: "otp_test_" + strings.ToLower(rand.Text()[:12])}
	t.Cleanup(func() {
		db, err := sql.Open(d.driver, d.dsn)
		if err == nil {
			db.Exec(`DROP TABLE IF EXISTS "` + d.table + `"`)
			db.Exec(`DROP TABLE IF EXISTS "` + d.table + `_recovery"`)
			db.Close()
		}
	})
	return d
}

// sqlDatabases are the databases every SQLStore test runs on.
var sqlDatabases = map[string]func(testing.TB) testDB{
	"sqlite":   newSQLiteDB,
	"postgres": newPostgresDB,
}

// storeKinds gives every Store implementation, ready to use, to a test.
func storeKinds(t *testing.T, run func(t *testing.T, s Store)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		run(t, NewMemoryStore())
	})
	for name, newDB := range sqlDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			s := d.store(t, d.open(t))
			require.NoError(t, s.CreateTable(context.Background()))
			run(t, s)
		})
	}
}

func TestStoreCompareAndSwap(t *testing.T) {
	t.Parallel()
	storeKinds(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		got, err := s.Load(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, State{}, got, "an account never written has the zero State")

		first := State{Last: 7, Failures: 2, NotBefore: time.UnixMilli(1_700_000_000_123)}
		ok, err := s.Update(ctx, "alice", State{Failures: 1}, first)
		require.NoError(t, err)
		assert.False(t, ok, "old does not match the zero state")

		ok, err = s.Update(ctx, "alice", State{}, first)
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.Update(ctx, "alice", State{}, first)
		require.NoError(t, err)
		assert.False(t, ok, "a second insert from the zero state loses")

		got, err = s.Load(ctx, "alice")
		require.NoError(t, err)
		assert.True(t, first.Equal(got), "got %+v", got)

		// Counters past 2^63 survive a signed BIGINT.
		for _, last := range []uint64{math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64} {
			next := State{Last: last}
			ok, err = s.Update(ctx, "alice", got, next)
			require.NoError(t, err)
			require.True(t, ok)
			got, err = s.Load(ctx, "alice")
			require.NoError(t, err)
			assert.Equal(t, last, got.Last)
		}

		// Back to the zero State, and from it again.
		ok, err = s.Update(ctx, "alice", got, State{})
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s.Update(ctx, "alice", State{}, State{Failures: 1})
		require.NoError(t, err)
		assert.True(t, ok)

		other, err := s.Load(ctx, "bob")
		require.NoError(t, err)
		assert.Equal(t, State{}, other)
	})
}

func TestGuardOnEveryStore(t *testing.T) {
	t.Parallel()
	storeKinds(t, func(t *testing.T, s Store) {
		ctx := context.Background()
		clock := newFakeClock(at1111111109)
		g := &Guard{Store: s, Now: clock.Now}
		for range 4 {
			assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, wrongCode(t, guardTOTP, clock.Now())), ErrInvalidCode)
		}
		st, err := g.State(ctx, "alice")
		require.NoError(t, err)
		assert.Equal(t, 4, st.Failures)
		assert.True(t, clock.Now().Add(time.Second).Equal(st.NotBefore))
		assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())), ErrThrottled)
		clock.Advance(time.Second)
		assert.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())))
		assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, guardTOTP, clock.Now())), ErrReplayed)
	})
}

func TestNewSQLStoreChecksTable(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "x.db")))
	require.NoError(t, err)
	defer db.Close()
	for _, name := range []string{"", "1abc", `a"b`, "a b", "a;drop", "a-b", "ä", strings.Repeat("a", 55)} {
		_, err := NewSQLStore(db, name)
		assert.ErrorIs(t, err, ErrInvalidConfig, "%q", name)
	}
	for _, name := range []string{"otp", "OTP_state", "_x1", "select", strings.Repeat("a", 54)} {
		s, err := NewSQLStore(db, name)
		require.NoError(t, err, name)
		assert.NoError(t, s.CreateTable(context.Background()), name)
	}
	_, err = NewSQLStore(nil, "otp")
	assert.ErrorIs(t, err, ErrInvalidConfig)
}

// TestGuardConcurrentHandles races attempts through several *sql.DB
// handles, each with its own connections, in one process.
func TestGuardConcurrentHandles(t *testing.T) {
	t.Parallel()
	for name, newDB := range sqlDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			require.NoError(t, d.store(t, d.open(t)).CreateTable(context.Background()))
			now := at1111111109
			guards := make([]*Guard, 4)
			for i := range guards {
				guards[i] = &Guard{Store: d.store(t, d.open(t)), Now: func() time.Time { return now }, Policy: racePolicy}
			}
			code := mustCode(t, guardTOTP, now)
			bad := wrongCode(t, guardTOTP, now)
			var mu sync.Mutex
			counts := map[string]int{}
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					account, c := "bob", bad
					if i%2 == 0 {
						account, c = "alice", code
					}
					err := guards[i%len(guards)].VerifyTOTP(context.Background(), account, guardTOTP, c)
					mu.Lock()
					counts[account+" "+outcome(err)]++
					mu.Unlock()
				})
			}
			wg.Wait()
			assert.Equal(t, map[string]int{"alice ok": 1, "alice replayed": 19, "bob invalid": 20}, counts)
			assertFailures(t, guards[0].Store, map[string]int{"alice": 19, "bob": 20})
		})
	}
}

// childEnv configures a child process of the multi-process tests.
const childEnv = "OTP_GUARD_CHILD"

// childTask is what one child process does: open the database, say ready,
// wait for the go, then make its attempts from several goroutines.
type childTask struct {
	Driver, DSN, Table string
	Now                int64 // Unix nanoseconds, the Guard's fixed clock
	Attempts           []childAttempt
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
	db, err := sql.Open(task.Driver, task.DSN)
	require.NoError(t, err)
	defer db.Close()
	store, err := NewSQLStore(db, task.Table)
	require.NoError(t, err)
	require.NoError(t, db.Ping())
	g := &Guard{Store: store, Now: func() time.Time { return time.Unix(0, task.Now) }, Policy: racePolicy}
	fmt.Println("ready")
	_, err = io.Copy(io.Discard, os.Stdin) // the go signal is the end of stdin
	require.NoError(t, err)
	results := make([]string, len(task.Attempts))
	var wg sync.WaitGroup
	for i, a := range task.Attempts {
		wg.Go(func() {
			var err error
			if a.Recovery {
				err = g.UseRecoveryCode(context.Background(), a.Account, a.Code)
			} else {
				err = g.VerifyTOTP(context.Background(), a.Account, guardTOTP, a.Code)
			}
			results[i] = a.Account + " " + outcome(err)
		})
	}
	wg.Wait()
	for _, r := range results {
		fmt.Println("result", r)
	}
}

// raceProcesses starts one child process per task, lets them all go at
// once, and returns how many attempts ended in each outcome.
func raceProcesses(t *testing.T, tasks []childTask) map[string]int {
	t.Helper()
	type child struct {
		cmd   *exec.Cmd
		stdin interface{ Close() error }
		out   *bufio.Scanner
	}
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
	counts := map[string]int{}
	for _, c := range children {
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
// OS processes on one SQLite file and on one PostgreSQL table.
func TestGuardMultiProcess(t *testing.T) {
	t.Parallel()
	const procs, perProc = 4, 5
	for name, newDB := range sqlDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			require.NoError(t, d.store(t, d.open(t)).CreateTable(context.Background()))
			now := at1111111109
			code := mustCode(t, guardTOTP, now)
			bad := wrongCode(t, guardTOTP, now)
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
			assertFailures(t, d.store(t, d.open(t)), map[string]int{"alice": n - 1, "bob": n})
		})
	}
}

// assertFailures checks each account's stored count of failures.
func assertFailures(t *testing.T, s Store, want map[string]int) {
	t.Helper()
	for account, n := range want {
		st, err := s.Load(context.Background(), account)
		require.NoError(t, err)
		assert.Equal(t, n, st.Failures, account)
	}
}
