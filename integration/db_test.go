// Package integration holds the tests that need what the library must not
// import: database drivers, real servers, other processes, the go command.
package integration

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

// postgresDSNVar names the environment variable with the DSN of a
// PostgreSQL server for the tests; .ci/run starts one and sets it.
const postgresDSNVar = "OTP_TEST_POSTGRES_DSN"

// mysqlDSNVar names the environment variable with the DSN of a MySQL or
// MariaDB server for the tests (go-sql-driver/mysql's form, such as
// otp@tcp(127.0.0.1:3306)/otp); .ci/run starts a MariaDB and sets it.
const mysqlDSNVar = "OTP_TEST_MYSQL_DSN"

// sqliteDSN is how the tests, like the guard package doc, open SQLite:
// waiting on a busy database instead of failing, and in WAL mode.
func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
}

// testDB is a database for the store tests: a driver, a DSN and a fresh
// table name, so that tests sharing a server never meet.
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

func (d testDB) store(t testing.TB, db *sql.DB) *guard.SQLStore {
	t.Helper()
	s, err := newSQLStore(d.driver, db, d.table)
	require.NoError(t, err)
	return s
}

// newSQLStore is the SQLStore of the driver's dialect.
func newSQLStore(driver string, db *sql.DB, table string) (*guard.SQLStore, error) {
	if driver == "mysql" {
		return guard.NewMySQLStore(db, table)
	}
	return guard.NewSQLStore(db, table)
}

// quote returns the table name quoted as the driver's dialect does.
func (d testDB) quote(name string) string {
	if d.driver == "mysql" {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// created returns a store on d whose tables exist.
func (d testDB) created(t testing.TB) *guard.SQLStore {
	t.Helper()
	s := d.store(t, d.open(t))
	require.NoError(t, s.CreateTable(context.Background()))
	return s
}

func newSQLiteDB(t testing.TB) testDB {
	return testDB{driver: "sqlite", dsn: sqliteDSN(filepath.Join(t.TempDir(), "otp.db")), table: "otp_state"}
}

// serverDSN returns the DSN in the environment variable, or skips the test
// without it, except under CI, where it must run.
func serverDSN(t testing.TB, variable string) string {
	t.Helper()
	dsn := os.Getenv(variable)
	if dsn == "" {
		msg := variable + " is not set: skipping (.ci/run starts a server and sets it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dsn
}

// newPostgresDB returns a fresh table on the server that postgresDSNVar
// names, dropped after the test.
func newPostgresDB(t testing.TB) testDB {
	t.Helper()
	d := testDB{driver: "pgx", dsn: serverDSN(t, postgresDSNVar), table: freshTable()}
	t.Cleanup(d.drop)
	return d
}

// newMySQLDB returns a fresh table on the server that mysqlDSNVar names,
// dropped after the test.
func newMySQLDB(t testing.TB) testDB {
	t.Helper()
	d := testDB{driver: "mysql", dsn: serverDSN(t, mysqlDSNVar), table: freshTable()}
	t.Cleanup(d.drop)
	return d
}

func freshTable() string { return "otp_test_" + strings.ToLower(rand.Text()[:12]) }

// drop removes the test's tables.
func (d testDB) drop() {
	db, err := sql.Open(d.driver, d.dsn)
	if err != nil {
		return
	}
	defer db.Close()
	db.Exec(`DROP TABLE IF EXISTS ` + d.quote(d.table+`_recovery`))
	db.Exec(`DROP TABLE IF EXISTS ` + d.quote(d.table))
}

// sqlDatabases are the databases every SQLStore test runs on.
var sqlDatabases = map[string]func(testing.TB) testDB{
	"sqlite":   newSQLiteDB,
	"postgres": newPostgresDB,
	"mysql":    newMySQLDB,
}

// fixedNow is a clock stopped at at.
func fixedNow(at time.Time) func() time.Time { return func() time.Time { return at } }

// guardTOTP is the TOTP of these tests: the RFC 6238 SHA-1 secret, Skew 1.
var guardTOTP = otp.TOTP{Secret: []byte("12345678901234567890"), Skew: 1}

// at1111111109 is a time of RFC 6238's vectors: step 37037036.
var at1111111109 = time.Unix(1111111109, 0)

func mustCode(t testing.TB, at time.Time) string {
	t.Helper()
	code, err := guardTOTP.Generate(at)
	require.NoError(t, err)
	return code
}

// wrongCode returns a code that is valid at no step of the window at at.
func wrongCode(t testing.TB, at time.Time) string {
	t.Helper()
	for i := 0; ; i++ {
		code := strconv.Itoa(100000 + i*7919%900000)
		if _, err := guardTOTP.Verify(code, at, 0); errors.Is(err, otp.ErrInvalidCode) {
			return code
		}
	}
}

// outcome names an attempt's result.
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, guard.ErrOutcomeUnknown):
		return "unknown"
	case errors.Is(err, otp.ErrReplayed):
		return "replayed"
	case errors.Is(err, otp.ErrInvalidCode):
		return "invalid"
	case errors.Is(err, guard.ErrThrottled):
		return "throttled"
	case errors.Is(err, guard.ErrLocked):
		return "locked"
	}
	return "error: " + err.Error()
}

// racePolicy lets a race of up to 100 wrong codes be counted without any
// being throttled.
var racePolicy = guard.Policy{FreeFailures: 100, LockAfter: 100}
