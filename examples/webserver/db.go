package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, driver "pgx"
	_ "modernc.org/sqlite"             // SQLite in pure Go, driver "sqlite"
)

// isPostgres tells a -db value that names a PostgreSQL server from a
// SQLite file path.
func isPostgres(spec string) bool {
	return strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://")
}

// openDB opens the database that -db names. Every statement in this
// program runs unchanged on both: $1 placeholders, TEXT and BIGINT
// columns, INSERT ... ON CONFLICT.
func openDB(ctx context.Context, spec string) (*sql.DB, error) {
	driver, dsn := "pgx", spec
	if !isPostgres(spec) {
		if strings.ContainsAny(spec, "?#") {
			return nil, errors.New("the SQLite path may not hold '?' or '#'")
		}
		if err := createPrivate(spec); err != nil {
			return nil, err
		}
		// WAL lets readers go on while one process writes; busy_timeout
		// makes a second process wait for the write lock instead of
		// failing; immediate transactions take that lock up front, so
		// that two of them cannot deadlock upgrading from a read.
		driver, dsn = "sqlite", "file:"+spec+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_txlock=immediate"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return db, nil
}

// createPrivate creates the SQLite file readable by its owner only, before
// SQLite would create it with the umask's permissions: it holds password
// hashes and sealed secrets. SQLite gives its -wal and -shm files the same
// permissions. An existing file, and its -wal and -shm files, must already
// be private: a file made by touch (0644, say) is refused with the chmod
// that fixes it, as the key file is, rather than changed behind the
// operator's back (who may have widened it for a reason, such as a backup
// user, that this program cannot know).
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return checkPrivate(path, path+"-wal", path+"-shm")
	}
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return f.Close()
}

// checkPrivate refuses any of paths that exists and is not a regular file
// that only its owner can read and write. A symbolic link is refused too:
// what it points to is not this check's to vouch for.
func checkPrivate(paths ...string) error {
	for _, p := range paths {
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database: %w", err)
		}
		if !info.Mode().IsRegular() || info.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("database file %s: must be a regular file that only its owner can read and write "+
				"(it holds password hashes and sealed secrets): chmod 600 %s", p, p)
		}
	}
	return nil
}

// schema is the program's own tables; the Guard's state lives in the
// table that guard.SQLStore creates. Times are Unix milliseconds. Values
// derived from what a client sends (session and device tokens) are
// stored as hex digests, so any input is a valid key on either
// database.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS web_users (
		name          TEXT PRIMARY KEY,
		password_hash TEXT NOT NULL,
		factor_id     TEXT NOT NULL DEFAULT '', -- '' while two-factor is off
		secret        TEXT NOT NULL DEFAULT '', -- sealed TOTP secret
		key_id        TEXT NOT NULL DEFAULT '', -- the key that sealed it
		created_ms    BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS web_enrolments (
		user_name    TEXT PRIMARY KEY,
		session_hash TEXT NOT NULL, -- shown to this session only
		factor_id    TEXT NOT NULL,
		secret     TEXT NOT NULL,
		key_id     TEXT NOT NULL,
		expires_ms BIGINT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS web_sessions (
		token_hash TEXT PRIMARY KEY,
		user_name  TEXT NOT NULL,
		created_ms BIGINT NOT NULL,
		seen_ms    BIGINT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions (user_name)`,
	// The device tokens that this example kept before the Guard could say
	// whether a token is trusted (Guard.Trusted): nothing stores them now.
	`DROP TABLE IF EXISTS web_devices`,
	// The previous release's own password throttle: the Guard's state
	// throttles the whole login now.
	`DROP TABLE IF EXISTS web_login_delays`,
}

func createSchema(ctx context.Context, db *sql.DB) error {
	for _, stmt := range schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("database schema: %w", err)
		}
	}
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// user is a row of web_users.
type user struct {
	name, passwordHash string
	factorID           string // "" while two-factor is off
	secret, keyID      string // sealed
}

// store is every query the program makes, apart from the Guard's.
type store struct{ db *sql.DB }

var errNotFound = errors.New("not found")

// createUser adds a user, and reports false if the name is taken.
func (s store) createUser(ctx context.Context, name, passwordHash string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO web_users (name, password_hash, created_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		name, passwordHash, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// user returns the named user, or errNotFound.
func (s store) user(ctx context.Context, name string) (user, error) {
	u := user{name: name}
	err := s.db.QueryRowContext(ctx,
		`SELECT password_hash, factor_id, secret, key_id FROM web_users WHERE name = $1`, name).
		Scan(&u.passwordHash, &u.factorID, &u.secret, &u.keyID)
	if errors.Is(err, sql.ErrNoRows) {
		return u, errNotFound
	}
	return u, err
}

// enrolment is a secret shown to its user and not yet confirmed. It
// belongs to the session that started it: another session of the same
// user (a stolen one, say) can neither see its secret nor confirm it.
type enrolment struct {
	sessionHash, factorID, secret, keyID string
	expires                              time.Time
}

// putEnrolment replaces the user's pending enrolment.
func (s store) putEnrolment(ctx context.Context, name string, e enrolment) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO web_enrolments (user_name, session_hash, factor_id, secret, key_id, expires_ms) VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (user_name) DO UPDATE SET session_hash = excluded.session_hash, factor_id = excluded.factor_id,
		 secret = excluded.secret, key_id = excluded.key_id, expires_ms = excluded.expires_ms`,
		name, e.sessionHash, e.factorID, e.secret, e.keyID, ms(e.expires))
	return err
}

// enrolment returns the pending enrolment that the session started, or
// errNotFound if there is none or it has expired.
func (s store) enrolment(ctx context.Context, name, sessionHash string, now time.Time) (enrolment, error) {
	e := enrolment{sessionHash: sessionHash}
	var expires int64
	err := s.db.QueryRowContext(ctx,
		`SELECT factor_id, secret, key_id, expires_ms FROM web_enrolments
		 WHERE user_name = $1 AND session_hash = $2 AND expires_ms > $3`,
		name, sessionHash, ms(now)).Scan(&e.factorID, &e.secret, &e.keyID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return e, errNotFound
	}
	e.expires = time.UnixMilli(expires)
	return e, err
}

// claimEnrolment deletes the pending enrolment with factorID and reports
// whether this call did: of several confirmations of one enrolment, one
// goes on to turn it on.
func (s store) claimEnrolment(ctx context.Context, name, factorID string, now time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx,
		`DELETE FROM web_enrolments WHERE user_name = $1 AND factor_id = $2 AND expires_ms > $3`, name, factorID, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// activate makes the claimed enrolment e the user's factor, and ends every
// session of the user: whoever held one before the change must sign in
// again.
func (s store) activate(ctx context.Context, name string, e enrolment) error {
	_, err := s.inTx(ctx, func(tx *sql.Tx) (bool, error) {
		_, err := tx.ExecContext(ctx, `UPDATE web_users SET factor_id = $2, secret = $3, key_id = $4 WHERE name = $1`,
			name, e.factorID, e.secret, e.keyID)
		if err != nil {
			return false, err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_name = $1`, name)
		return err == nil, err
	})
	return err
}

// removeFactor turns two-factor off if factorID is still the user's
// factor, and ends every session of the user.
func (s store) removeFactor(ctx context.Context, name, factorID string) (bool, error) {
	return s.inTx(ctx, func(tx *sql.Tx) (bool, error) {
		res, err := tx.ExecContext(ctx,
			`UPDATE web_users SET factor_id = '', secret = '', key_id = '' WHERE name = $1 AND factor_id = $2`, name, factorID)
		if err != nil {
			return false, err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return false, err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_name = $1`, name)
		return err == nil, err
	})
}

// inTx runs f in a transaction and commits only if f reports true.
func (s store) inTx(ctx context.Context, f func(*sql.Tx) (bool, error)) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	ok, err := f(tx)
	if err != nil || !ok {
		return false, errors.Join(err, tx.Rollback())
	}
	return true, tx.Commit()
}

// session is a row of web_sessions.
type session struct {
	tokenHash, user string
	created, seen   time.Time
}

func (s store) createSession(ctx context.Context, tokenHash, name string, now time.Time) error {
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO web_sessions (token_hash, user_name, created_ms, seen_ms) VALUES ($1, $2, $3, $3)`,
		tokenHash, name, ms(now))
	return err
}

func (s store) session(ctx context.Context, tokenHash string) (session, error) {
	ses := session{tokenHash: tokenHash}
	var created, seen int64
	err := s.db.QueryRowContext(ctx,
		`SELECT user_name, created_ms, seen_ms FROM web_sessions WHERE token_hash = $1`, tokenHash).
		Scan(&ses.user, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return ses, errNotFound
	}
	ses.created, ses.seen = time.UnixMilli(created), time.UnixMilli(seen)
	return ses, err
}

func (s store) touchSession(ctx context.Context, tokenHash string, now time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE web_sessions SET seen_ms = $2 WHERE token_hash = $1`, tokenHash, ms(now))
	return err
}

func (s store) deleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE token_hash = $1`, tokenHash)
	return err
}

// deleteExpired removes what can no longer be used: expired sessions and
// enrolments.
func (s store) deleteExpired(ctx context.Context, now time.Time) error {
	stmts := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM web_sessions WHERE seen_ms < $1 OR created_ms < $2`,
			[]any{ms(now.Add(-sessionIdle)), ms(now.Add(-sessionMaxAge))}},
		{`DELETE FROM web_enrolments WHERE expires_ms < $1`, []any{ms(now)}},
	}
	var errs []error
	for _, st := range stmts {
		if _, err := s.db.ExecContext(ctx, st.sql, st.args...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// keyIDs returns every key id that sealed a stored secret.
func (s store) keyIDs(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT key_id FROM web_users WHERE key_id <> '' UNION SELECT key_id FROM web_enrolments`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// nameColumn is the column that names the user in each table that holds
// sealed secrets.
var nameColumn = map[string]string{"web_users": "name", "web_enrolments": "user_name"}

// sealedRow is a sealed secret, from web_users or web_enrolments.
type sealedRow struct {
	table, user, factorID, secret, keyID string
}

// sealedNotBy returns every sealed secret that key id did not seal.
func (s store) sealedNotBy(ctx context.Context, id string) ([]sealedRow, error) {
	var out []sealedRow
	for _, table := range []string{"web_users", "web_enrolments"} {
		rows, err := s.db.QueryContext(ctx, `SELECT `+nameColumn[table]+`, factor_id, secret, key_id FROM `+table+
			` WHERE key_id <> '' AND key_id <> $1`, id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r := sealedRow{table: table}
			if err := rows.Scan(&r.user, &r.factorID, &r.secret, &r.keyID); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, r)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// reseal replaces a sealed secret if the row still holds the old one.
func (s store) reseal(ctx context.Context, r sealedRow, sealed, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE `+r.table+` SET secret = $1, key_id = $2 WHERE `+nameColumn[r.table]+` = $3 AND secret = $4`,
		sealed, id, r.user, r.secret)
	return err
}
