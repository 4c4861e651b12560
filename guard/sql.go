package guard

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"
)

// SQLStore is a [Store] and [RecoveryStore] in a SQL database through
// database/sql, so that every server of a service shares one state: a code
// accepted by one is refused by all, and failures count per account across
// all of them. The package imports no driver; open the database with the
// application's own.
//
// The statements run unchanged on SQLite and PostgreSQL (and any database
// that takes $1-style placeholders, BIGINT and ON CONFLICT DO NOTHING).
// [SQLStore.Update] is one UPDATE whose WHERE clause holds the state it
// replaces (PostgreSQL re-checks that clause on the newest row once a
// concurrent writer commits, and SQLite has one writer at a time), so the
// compare-and-swap holds at the default READ COMMITTED isolation. Replacing
// an account's recovery hashes takes the account's row lock first, so two
// replacements never leave the union of both sets.
//
// # Tables
//
// [SQLStore.CreateTable] creates two tables if they are missing; create them
// yourself in a migration if you prefer (NAME is the table given to
// [NewSQLStore]):
//
//	CREATE TABLE NAME (
//		account    TEXT PRIMARY KEY,
//		next       BIGINT NOT NULL,  -- State.Next
//		drift      BIGINT NOT NULL,  -- State.Drift
//		failures   INTEGER NOT NULL, -- State.Failures
//		not_before BIGINT NOT NULL,  -- State.NotBefore in Unix milliseconds; 0: none
//		devices    BIGINT NOT NULL,  -- State.Devices
//		write_id   BIGINT NOT NULL   -- State.Write
//	);
//	CREATE TABLE NAME_recovery (
//		account TEXT NOT NULL,
//		hash    TEXT NOT NULL,       -- from HashRecoveryCode
//		PRIMARY KEY (account, hash)
//	);
//
// A BIGINT is signed, so State.Next, Devices and Write are stored as the
// int64 with the same 64 bits: values up to 2^64-1 survive the round trip,
// and values from 2^63 on read as negative numbers in SQL.
//
// # SQLite
//
// Open SQLite with a busy timeout, so that a writer waits for another
// process's write instead of failing with SQLITE_BUSY, and in WAL mode, so
// that reads do not block on writes. With modernc.org/sqlite:
//
//	db, err := sql.Open("sqlite", "file:otp.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
//
// With PostgreSQL (github.com/jackc/pgx/v5/stdlib, driver "pgx") no setting
// is needed.
type SQLStore struct {
	db   *sql.DB
	stmt sqlStatements
}

// sqlStatements holds the SQL text of each operation, with the table names
// quoted in.
type sqlStatements struct {
	table                                   string // quoted
	upgrade                                 []string
	create, createRecovery                  string
	load, update, insert                    string
	listRecovery, deleteRecovery, clearAll  string
	addRecovery, countRecovery, lockAccount string
}

// maxTableName leaves room for the "_recovery" suffix within PostgreSQL's
// 63-byte identifiers.
const maxTableName = 63 - len("_recovery")

// NewSQLStore returns a store that keeps its state in table (and the
// recovery hashes in table_recovery). The name must be an SQL identifier:
// an ASCII letter or '_', then letters, digits or '_', at most 54 bytes. It
// is used quoted, so its case is kept.
func NewSQLStore(db *sql.DB, table string) (*SQLStore, error) {
	if db == nil {
		return nil, &ConfigError{Field: "db", Reason: "nil"}
	}
	if !isIdentifier(table) {
		return nil, &ConfigError{Field: "table", Reason: "not an SQL identifier of at most 54 ASCII letters, digits and underscores"}
	}
	t, r := `"`+table+`"`, `"`+table+`_recovery"`
	return &SQLStore{db: db, stmt: sqlStatements{
		table: t,
		upgrade: []string{
			`ALTER TABLE ` + t + ` RENAME COLUMN last TO next`,
			`UPDATE ` + t + ` SET next = next + 1 WHERE next <> 0`,
			`ALTER TABLE ` + t + ` ADD COLUMN drift BIGINT NOT NULL DEFAULT 0`,
			`ALTER TABLE ` + t + ` ADD COLUMN devices BIGINT NOT NULL DEFAULT 0`,
			`ALTER TABLE ` + t + ` ADD COLUMN write_id BIGINT NOT NULL DEFAULT 0`,
		},
		create: `CREATE TABLE IF NOT EXISTS ` + t + ` (account TEXT PRIMARY KEY, next BIGINT NOT NULL, ` +
			`drift BIGINT NOT NULL, failures INTEGER NOT NULL, not_before BIGINT NOT NULL, ` +
			`devices BIGINT NOT NULL, write_id BIGINT NOT NULL)`,
		createRecovery: `CREATE TABLE IF NOT EXISTS ` + r + ` (account TEXT NOT NULL, hash TEXT NOT NULL, ` +
			`PRIMARY KEY (account, hash))`,
		load: `SELECT next, drift, failures, not_before, devices, write_id FROM ` + t + ` WHERE account = $1`,
		update: `UPDATE ` + t + ` SET next = $1, drift = $2, failures = $3, not_before = $4, devices = $5, write_id = $6 ` +
			`WHERE account = $7 AND next = $8 AND drift = $9 AND failures = $10 AND not_before = $11 ` +
			`AND devices = $12 AND write_id = $13`,
		insert: `INSERT INTO ` + t + ` (account, next, drift, failures, not_before, devices, write_id) ` +
			`VALUES ($1, $2, $3, $4, $5, $6, $7) ` +
			`ON CONFLICT (account) DO NOTHING`,
		listRecovery:   `SELECT hash FROM ` + r + ` WHERE account = $1`,
		deleteRecovery: `DELETE FROM ` + r + ` WHERE account = $1 AND hash = $2`,
		clearAll:       `DELETE FROM ` + r + ` WHERE account = $1`,
		addRecovery:    `INSERT INTO ` + r + ` (account, hash) VALUES ($1, $2)`,
		countRecovery:  `SELECT COUNT(*) FROM ` + r + ` WHERE account = $1`,
		lockAccount:    `UPDATE ` + t + ` SET failures = failures WHERE account = $1`,
	}}, nil
}

func isIdentifier(s string) bool {
	if s == "" || len(s) > maxTableName || '0' <= s[0] && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// CreateTable creates the store's tables if they are missing, and upgrades
// a table made by the previous release in place.
//
// That release kept a column "last": for TOTP the last accepted step, for
// HOTP the next counter. It becomes State.Next, one more than last (0
// stays 0, nothing accepted yet), so that no TOTP code accepted before the
// upgrade is accepted again. An HOTP account then expects the counter after
// the one its token shows next, which a LookAhead of 1 or more accepts (and
// without one, the user presses the button twice). Upgrade every server at
// once: the old release cannot read the new table.
func (s *SQLStore) CreateTable(ctx context.Context) error {
	for _, q := range []string{s.stmt.create, s.stmt.createRecovery} {
		if err := s.createOnce(ctx, q); err != nil {
			return err
		}
	}
	return s.upgrade(ctx)
}

// createOnce runs a CREATE TABLE IF NOT EXISTS, once more if it fails:
// PostgreSQL refuses the second of two that race (a duplicate key in its
// catalogue), and then the table exists.
func (s *SQLStore) createOnce(ctx context.Context, q string) error {
	if _, err := s.db.ExecContext(ctx, q); err == nil {
		return nil
	}
	_, err := s.db.ExecContext(ctx, q)
	return err
}

// upgrade converts a previous release's table, in one transaction. Two
// servers may start at once: the second one's rename fails once the
// first has committed, and it finds the table new.
func (s *SQLStore) upgrade(ctx context.Context) error {
	if !s.hasColumn(ctx, "last") {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range s.stmt.upgrade {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			if !s.hasColumn(ctx, "last") {
				return nil
			}
			return err
		}
	}
	return tx.Commit()
}

// hasColumn reports whether the state table has the column: whether a
// query of it succeeds.
func (s *SQLStore) hasColumn(ctx context.Context, column string) bool {
	rows, err := s.db.QueryContext(ctx, `SELECT `+column+` FROM `+s.stmt.table+` WHERE 1 = 0`)
	if err != nil {
		return false
	}
	rows.Close()
	return true
}

// sqlState is a State as its columns hold it.
type sqlState struct {
	next, drift, failures, notBefore, devices, write int64
}

// columns are the state's values in the order of the statements.
func (r sqlState) columns() []any {
	return []any{r.next, r.drift, r.failures, r.notBefore, r.devices, r.write}
}

func toSQL(st State) sqlState {
	var ms int64
	if !st.NotBefore.IsZero() {
		ms = st.NotBefore.UnixMilli()
	}
	return sqlState{next: int64(st.Next), drift: st.Drift, failures: int64(st.Failures), notBefore: ms,
		devices: int64(st.Devices), write: int64(st.Write)}
}

func (r sqlState) state() State {
	st := State{Next: uint64(r.next), Drift: r.drift, Failures: int(r.failures),
		Devices: uint64(r.devices), Write: uint64(r.write)}
	if r.notBefore != 0 {
		st.NotBefore = time.UnixMilli(r.notBefore)
	}
	return st
}

// Load returns the account's state, the zero State if it has no row.
func (s *SQLStore) Load(ctx context.Context, account string) (State, error) {
	var r sqlState
	err := s.db.QueryRowContext(ctx, s.stmt.load, account).Scan(&r.next, &r.drift, &r.failures, &r.notBefore, &r.devices, &r.write)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, nil
	}
	if err != nil {
		return State{}, err
	}
	return r.state(), nil
}

// Update writes new if the account's row still holds old, in one
// statement. An account with no row holds the zero State: the first write
// inserts the row, and of two processes that race to do so one wins.
func (s *SQLStore) Update(ctx context.Context, account string, old, new State) (bool, error) {
	o, n := toSQL(old), toSQL(new)
	args := append(append(n.columns(), account), o.columns()...)
	res, err := s.db.ExecContext(ctx, s.stmt.update, args...)
	if ok, err := oneRow(res, err); ok || err != nil || !old.Equal(State{}) {
		return ok, err
	}
	return oneRow(s.db.ExecContext(ctx, s.stmt.insert, append([]any{account}, n.columns()...)...))
}

// oneRow reports whether a statement changed exactly one row.
func oneRow(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// SetRecoveryHashes replaces the account's recovery code hashes in one
// transaction. It first takes the lock of the account's state row (a
// no-op UPDATE, after inserting the zero state if there is no row): at
// READ COMMITTED, PostgreSQL's DELETE would otherwise not see rows that a
// concurrent replacement inserts, and both sets would survive.
func (s *SQLStore) SetRecoveryHashes(ctx context.Context, account string, hashes []string) error {
	set := slices.Clone(hashes)
	slices.Sort(set)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{s.stmt.insert, []any{account, 0, 0, 0, 0, 0, 0}},
		{s.stmt.lockAccount, []any{account}},
		{s.stmt.clearAll, []any{account}},
	} {
		if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
			return err
		}
	}
	for _, h := range slices.Compact(set) {
		if _, err := tx.ExecContext(ctx, s.stmt.addRecovery, account, h); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ConsumeRecoveryHash reads the account's set, matches hash against all of
// it in constant time, and deletes the match. The delete is the atomic
// step: of two processes that both matched, one deletes the row and the
// other finds it gone.
func (s *SQLStore) ConsumeRecoveryHash(ctx context.Context, account, hash string) (bool, error) {
	rows, err := s.db.QueryContext(ctx, s.stmt.listRecovery, account)
	if err != nil {
		return false, err
	}
	var set []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return false, err
		}
		set = append(set, h)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, err
	}
	i := matchHash(set, hash)
	if i < 0 {
		return false, nil
	}
	return oneRow(s.db.ExecContext(ctx, s.stmt.deleteRecovery, account, set[i]))
}

// CountRecoveryHashes returns how many hashes the account has left.
func (s *SQLStore) CountRecoveryHashes(ctx context.Context, account string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.stmt.countRecovery, account).Scan(&n)
	return n, err
}
