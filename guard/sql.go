package guard

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
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
//
// # MySQL and MariaDB
//
// [NewMySQLStore] makes the same store in MySQL's dialect, for MySQL 8 and
// MariaDB 10.6 and later, with any driver (github.com/go-sql-driver/mysql:
// driver "mysql"; add interpolateParams=true to its DSN to save a round
// trip per statement). Its tables, which [SQLStore.CreateTable] creates:
//
//	CREATE TABLE NAME (
//		account    VARBINARY(512) NOT NULL PRIMARY KEY,
//		next       BIGINT NOT NULL, drift BIGINT NOT NULL, failures INTEGER NOT NULL,
//		not_before BIGINT NOT NULL, devices BIGINT NOT NULL, write_id BIGINT NOT NULL
//	) ENGINE=InnoDB;
//	CREATE TABLE NAME_recovery (
//		account VARBINARY(512) NOT NULL,
//		hash    VARBINARY(128) NOT NULL,
//		PRIMARY KEY (account, hash)
//	) ENGINE=InnoDB;
//
// VARBINARY compares bytes, whatever the server's collation (a utf8mb4
// column would take "Alice", "alice" and "alice " for one account);
// longer accounts and hashes are refused, not cut short. No earlier
// release had a MySQL table, so there is nothing to upgrade.
//
// The compare-and-swap holds at MySQL's default REPEATABLE READ: InnoDB
// evaluates an UPDATE's WHERE clause on the newest committed row, under
// the row's lock, not on the statement's snapshot. MySQL reports the rows
// an UPDATE changed rather than those it matched (unless the client sets
// CLIENT_FOUND_ROWS); a Guard's writes always change the row, since each
// has a new State.Write, and an Update that would change nothing is
// settled by a read. The first write of an account is an INSERT IGNORE.
// Replacing the recovery hashes locks the account's row with SELECT ... FOR
// UPDATE first. A statement or transaction that InnoDB rolled back (a
// deadlock, a lock wait timeout) is run again, up to 10 times.
type SQLStore struct {
	db   *sql.DB
	stmt sqlStatements
}

// sqlStatements holds the SQL text of each operation, with the table names
// quoted in, and what differs between the dialects beyond the text.
type sqlStatements struct {
	table                                   string // quoted
	upgrade                                 []string
	create, createRecovery                  string
	load, update, insert                    string
	listRecovery, deleteRecovery, clearAll  string
	addRecovery, countRecovery, lockAccount string
	// mysql: retry what InnoDB rolled back (a deadlock, a lock wait
	// timeout), refuse values longer than the columns, and read a zero
	// RowsAffected of an Update that changes nothing as a match.
	mysql bool
}

// maxTableName leaves room for the "_recovery" suffix within PostgreSQL's
// 63-byte identifiers (MySQL's are 64).
const maxTableName = 63 - len("_recovery")

// NewSQLStore returns a store that keeps its state in table (and the
// recovery hashes in table_recovery), on SQLite or PostgreSQL. The name
// must be an SQL identifier: an ASCII letter or '_', then letters, digits
// or '_', at most 54 bytes. It is used quoted, so its case is kept.
func NewSQLStore(db *sql.DB, table string) (*SQLStore, error) {
	if err := checkStore(db, table); err != nil {
		return nil, err
	}
	t, r := `"`+table+`"`, `"`+table+`_recovery"`
	st := commonStatements(t, r)
	st.upgrade = []string{
		`ALTER TABLE ` + t + ` RENAME COLUMN last TO next`,
		`UPDATE ` + t + ` SET next = next + 1 WHERE next <> 0`,
		`ALTER TABLE ` + t + ` ADD COLUMN drift BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE ` + t + ` ADD COLUMN devices BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE ` + t + ` ADD COLUMN write_id BIGINT NOT NULL DEFAULT 0`,
	}
	st.create = `CREATE TABLE IF NOT EXISTS ` + t + ` (account TEXT PRIMARY KEY, next BIGINT NOT NULL, ` +
		`drift BIGINT NOT NULL, failures INTEGER NOT NULL, not_before BIGINT NOT NULL, ` +
		`devices BIGINT NOT NULL, write_id BIGINT NOT NULL)`
	st.createRecovery = `CREATE TABLE IF NOT EXISTS ` + r + ` (account TEXT NOT NULL, hash TEXT NOT NULL, ` +
		`PRIMARY KEY (account, hash))`
	st.insert = `INSERT ` + st.insert + ` ON CONFLICT (account) DO NOTHING`
	st.lockAccount = `UPDATE ` + t + ` SET failures = failures WHERE account = ?`
	for _, q := range []*string{&st.load, &st.update, &st.insert, &st.listRecovery, &st.deleteRecovery,
		&st.clearAll, &st.addRecovery, &st.countRecovery, &st.lockAccount} {
		*q = numbered(*q)
	}
	return &SQLStore{db: db, stmt: st}, nil
}

// The MySQL store's column sizes: InnoDB keys hold at most 3072 bytes
// (767 in the old COMPACT row format), and the recovery table's key is
// both columns. Longer values are refused before any statement, rather
// than cut short by a server outside strict mode.
const (
	mysqlMaxAccount = 512
	mysqlMaxHash    = 128
)

// NewMySQLStore returns a store like [NewSQLStore]'s on MySQL 8 or
// MariaDB 10.6 and later, through any database/sql driver of MySQL's
// protocol (github.com/go-sql-driver/mysql: driver "mysql"). It keeps the
// same columns in InnoDB tables; accounts are VARBINARY, compared byte for
// byte whatever the server's collation, and at most 512 bytes; recovery
// hashes at most 128. See [SQLStore] for the tables and what the store
// does under MySQL's REPEATABLE READ.
func NewMySQLStore(db *sql.DB, table string) (*SQLStore, error) {
	if err := checkStore(db, table); err != nil {
		return nil, err
	}
	t, r := "`"+table+"`", "`"+table+"_recovery`"
	st := commonStatements(t, r)
	st.mysql = true
	st.create = `CREATE TABLE IF NOT EXISTS ` + t + ` (account VARBINARY(` + strconv.Itoa(mysqlMaxAccount) + `) NOT NULL PRIMARY KEY, ` +
		`next BIGINT NOT NULL, drift BIGINT NOT NULL, failures INTEGER NOT NULL, not_before BIGINT NOT NULL, ` +
		`devices BIGINT NOT NULL, write_id BIGINT NOT NULL) ENGINE=InnoDB`
	st.createRecovery = `CREATE TABLE IF NOT EXISTS ` + r + ` (account VARBINARY(` + strconv.Itoa(mysqlMaxAccount) + `) NOT NULL, ` +
		`hash VARBINARY(` + strconv.Itoa(mysqlMaxHash) + `) NOT NULL, PRIMARY KEY (account, hash)) ENGINE=InnoDB`
	// IGNORE turns only the duplicate key into "0 rows": every value is
	// an int64 of a BIGINT column, and the account's length was checked.
	st.insert = `INSERT IGNORE ` + st.insert
	st.lockAccount = `SELECT account FROM ` + t + ` WHERE account = ? FOR UPDATE`
	return &SQLStore{db: db, stmt: st}, nil
}

// fits refuses an account or hash too long for the MySQL store's columns.
func (s *SQLStore) fits(account, hash string) error {
	switch {
	case !s.stmt.mysql:
		return nil
	case len(account) > mysqlMaxAccount:
		return &ConfigError{Field: "account", Reason: "longer than the MySQL store's " + strconv.Itoa(mysqlMaxAccount) + " bytes"}
	case len(hash) > mysqlMaxHash:
		return &ConfigError{Field: "recovery hash", Reason: "longer than the MySQL store's " + strconv.Itoa(mysqlMaxHash) + " bytes"}
	}
	return nil
}

// arg is an account or hash as a statement's argument. MySQL gets bytes,
// which drivers send as binary: a string would be read in the
// connection's character set, which may refuse or convert bytes that are
// not valid UTF-8.
func (s *SQLStore) arg(v string) any {
	if s.stmt.mysql {
		return []byte(v)
	}
	return v
}

// mysqlTries bounds how often the MySQL store runs a statement or a
// transaction that InnoDB rolled back.
const mysqlTries = 10

// retry runs op, and on MySQL runs it again while InnoDB reports that it
// rolled op back: a deadlock (error 1213), a lock wait timeout (1205), or
// a row changed under MariaDB's innodb_snapshot_isolation (1020). Nothing
// of op was committed then, so running it again is safe.
func (s *SQLStore) retry(ctx context.Context, op func() error) error {
	for try := 1; ; try++ {
		err := op()
		if err == nil || !s.stmt.mysql || !rolledBack(err) || try == mysqlTries {
			return err
		}
		if err := sleep(ctx, time.Duration(rand.N(1<<min(try, 6)))*time.Millisecond+time.Millisecond); err != nil {
			return err
		}
	}
}

// rolledBack reports whether err is MySQL's word that it rolled the
// statement back. The server's message says so in its own words, whatever
// the driver; the library imports none to read the error number.
func rolledBack(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "try restarting transaction") || // 1213, 1205
		strings.Contains(msg, "Record has changed since last read") // 1020
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func checkStore(db *sql.DB, table string) error {
	if db == nil {
		return &ConfigError{Field: "db", Reason: "nil"}
	}
	if !isIdentifier(table) {
		return &ConfigError{Field: "table", Reason: "not an SQL identifier of at most 54 ASCII letters, digits and underscores"}
	}
	return nil
}

// commonStatements are the statements every dialect shares, with '?'
// placeholders; the insert lacks its conflict clause.
func commonStatements(t, r string) sqlStatements {
	return sqlStatements{
		table: t,
		load:  `SELECT next, drift, failures, not_before, devices, write_id FROM ` + t + ` WHERE account = ?`,
		update: `UPDATE ` + t + ` SET next = ?, drift = ?, failures = ?, not_before = ?, devices = ?, write_id = ? ` +
			`WHERE account = ? AND next = ? AND drift = ? AND failures = ? AND not_before = ? ` +
			`AND devices = ? AND write_id = ?`,
		insert: `INTO ` + t + ` (account, next, drift, failures, not_before, devices, write_id) ` +
			`VALUES (?, ?, ?, ?, ?, ?, ?)`,
		listRecovery:   `SELECT hash FROM ` + r + ` WHERE account = ?`,
		deleteRecovery: `DELETE FROM ` + r + ` WHERE account = ? AND hash = ?`,
		clearAll:       `DELETE FROM ` + r + ` WHERE account = ?`,
		addRecovery:    `INSERT INTO ` + r + ` (account, hash) VALUES (?, ?)`,
		countRecovery:  `SELECT COUNT(*) FROM ` + r + ` WHERE account = ?`,
	}
}

// numbered rewrites q's '?' placeholders as $1, $2, ... (the statements
// hold no other '?').
func numbered(q string) string {
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c != '?' {
			b.WriteRune(c)
			continue
		}
		n++
		b.WriteString("$" + strconv.Itoa(n))
	}
	return b.String()
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
	if len(s.stmt.upgrade) == 0 || !s.hasColumn(ctx, "last") {
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
	if err := s.fits(account, ""); err != nil {
		return State{}, err
	}
	var r sqlState
	err := s.db.QueryRowContext(ctx, s.stmt.load, s.arg(account)).Scan(&r.next, &r.drift, &r.failures, &r.notBefore, &r.devices, &r.write)
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
	if err := s.fits(account, ""); err != nil {
		return false, err
	}
	var ok bool
	err := s.retry(ctx, func() (err error) {
		ok, err = s.update(ctx, account, old, new)
		return err
	})
	return ok, err
}

func (s *SQLStore) update(ctx context.Context, account string, old, new State) (bool, error) {
	o, n := toSQL(old), toSQL(new)
	args := append(append(n.columns(), s.arg(account)), o.columns()...)
	res, err := s.db.ExecContext(ctx, s.stmt.update, args...)
	if ok, err := oneRow(res, err); ok || err != nil {
		return ok, err
	}
	if s.stmt.mysql && old.Equal(new) {
		// MySQL counts the rows an UPDATE changed, not those it matched
		// (unless the client sets CLIENT_FOUND_ROWS), and this one changed
		// nothing. A Guard's writes never get here: each has a new Write.
		cur, err := s.Load(ctx, account)
		return err == nil && cur.Equal(old), err
	}
	if !old.Equal(State{}) {
		return false, nil
	}
	return oneRow(s.db.ExecContext(ctx, s.stmt.insert, append([]any{s.arg(account)}, n.columns()...)...))
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
// transaction. It first takes the lock of the account's state row (after
// inserting the zero state if there is no row): at READ COMMITTED,
// PostgreSQL's DELETE would otherwise not see rows that a concurrent
// replacement inserts, and both sets would survive. MySQL's REPEATABLE READ
// would lock the gap instead, and deadlock two replacements more often.
func (s *SQLStore) SetRecoveryHashes(ctx context.Context, account string, hashes []string) error {
	set := slices.Clone(hashes)
	slices.Sort(set)
	set = slices.Compact(set)
	for _, h := range set {
		if err := s.fits(account, h); err != nil {
			return err
		}
	}
	if err := s.fits(account, ""); err != nil {
		return err
	}
	return s.retry(ctx, func() error { return s.setRecovery(ctx, account, set) })
}

func (s *SQLStore) setRecovery(ctx context.Context, account string, set []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, s.stmt.insert, s.arg(account), 0, 0, 0, 0, 0, 0); err != nil {
		return err
	}
	if err := s.lockAccount(ctx, tx, account); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.stmt.clearAll, s.arg(account)); err != nil {
		return err
	}
	for _, h := range set {
		if _, err := tx.ExecContext(ctx, s.stmt.addRecovery, s.arg(account), s.arg(h)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// lockAccount takes the lock of the account's state row until tx ends.
func (s *SQLStore) lockAccount(ctx context.Context, tx *sql.Tx, account string) error {
	if !s.stmt.mysql {
		_, err := tx.ExecContext(ctx, s.stmt.lockAccount, s.arg(account))
		return err
	}
	var got []byte
	return tx.QueryRowContext(ctx, s.stmt.lockAccount, s.arg(account)).Scan(&got)
}

// ConsumeRecoveryHash reads the account's set, matches hash against all of
// it in constant time, and deletes the match. The delete is the atomic
// step: of two processes that both matched, one deletes the row and the
// other finds it gone.
func (s *SQLStore) ConsumeRecoveryHash(ctx context.Context, account, hash string) (bool, error) {
	if err := s.fits(account, ""); err != nil {
		return false, err
	}
	set, err := s.listRecovery(ctx, account)
	if err != nil {
		return false, err
	}
	i := MatchRecoveryHash(set, hash)
	if i < 0 {
		return false, nil
	}
	var ok bool
	err = s.retry(ctx, func() (err error) {
		ok, err = oneRow(s.db.ExecContext(ctx, s.stmt.deleteRecovery, s.arg(account), s.arg(set[i])))
		return err
	})
	return ok, err
}

func (s *SQLStore) listRecovery(ctx context.Context, account string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.stmt.listRecovery, s.arg(account))
	if err != nil {
		return nil, err
	}
	var set []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, err
		}
		set = append(set, h)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	return set, nil
}

// CountRecoveryHashes returns how many hashes the account has left.
func (s *SQLStore) CountRecoveryHashes(ctx context.Context, account string) (int, error) {
	if err := s.fits(account, ""); err != nil {
		return 0, err
	}
	var n int
	err := s.db.QueryRowContext(ctx, s.stmt.countRecovery, s.arg(account)).Scan(&n)
	return n, err
}
