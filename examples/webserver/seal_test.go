package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newKey(t *testing.T) []byte {
	t.Helper()
	key := make([]byte, keySize)
	rand.Read(key)
	return key
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	key, other := newKey(t), newKey(t)
	s, err := newSealer(key)
	require.NoError(t, err)
	secret := []byte("12345678901234567890")
	sealed, id := s.seal(secret, secretAD("alice", "f1"))
	assert.Equal(t, keyID(key), id)
	assert.NotContains(t, sealed, otp.EncodeSecret(secret))

	got, err := s.open(sealed, id, secretAD("alice", "f1"))
	require.NoError(t, err)
	assert.Equal(t, secret, got)
	again, _ := s.seal(secret, secretAD("alice", "f1"))
	assert.NotEqual(t, sealed, again, "a fresh nonce each time")

	for name, ad := range map[string][]byte{
		"another user":   secretAD("mallory", "f1"),
		"another factor": secretAD("alice", "f2"),
		"a shifted name": secretAD("alice\x00f", "1"),
	} {
		_, err := s.open(sealed, id, ad)
		assert.Error(t, err, name)
	}
	_, err = s.open(sealed, keyID(other), secretAD("alice", "f1"))
	assert.ErrorContains(t, err, "does not have")
	_, err = s.open(sealed[:len(sealed)-2]+"AA", id, secretAD("alice", "f1"))
	assert.Error(t, err, "tampered")

	rotated, err := newSealer(other, key)
	require.NoError(t, err)
	got, err = rotated.open(sealed, id, secretAD("alice", "f1"))
	require.NoError(t, err, "the old key still opens while rotating")
	assert.Equal(t, secret, got)
	_, newID := rotated.seal(secret, nil)
	assert.Equal(t, keyID(other), newID, "and the new one seals")
}

// TestSecretsSealedInDatabase: the database holds no secret in the clear.
func TestSecretsSealedInDatabase(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("alice", "password1")
	var sealed, id, hash string
	require.NoError(t, h.db.QueryRow(`SELECT secret, key_id, password_hash FROM web_users WHERE name = $1`, "alice").Scan(&sealed, &id, &hash))
	assert.Equal(t, keyID(h.key), id)
	for _, form := range []string{otp.EncodeSecret(secret), hex.EncodeToString(secret), string(secret)} {
		assert.NotContains(t, sealed, form)
	}
	assert.True(t, strings.HasPrefix(hash, "pbkdf2-sha256$10$"))
	assert.NotContains(t, hash, "password1")

	// A sealed secret copied to another user's row does not open.
	h.signup("mallory", "password1")
	var factor string
	require.NoError(t, h.db.QueryRow(`SELECT factor_id FROM web_users WHERE name = 'alice'`).Scan(&factor))
	_, err := h.db.Exec(`UPDATE web_users SET secret = $1, key_id = $2, factor_id = $3 WHERE name = 'mallory'`, sealed, id, factor)
	require.NoError(t, err)
	r := h.browser().login("mallory", "password1", h.code(secret, 1))
	assert.Equal(t, http.StatusInternalServerError, r.status)
	assert.NotContains(t, h.logs.String(), otp.EncodeSecret(secret))
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "web.db.key")
	noEnv := func(string) string { return "" }

	key, _, created, err := loadKeys(noEnv, path)
	require.NoError(t, err)
	assert.True(t, created)
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	again, _, created, err := loadKeys(noEnv, path)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, key, again, "the second start reads the same key")

	envKey := newKeyHex()
	fromEnv, _, created, err := loadKeys(func(k string) string { return map[string]string{keyEnv: envKey}[k] }, path)
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, envKey, hex.EncodeToString(fromEnv), "the environment wins over the file")

	for name, setup := range map[string]func(p string){
		"readable by others": func(p string) { os.WriteFile(p, []byte(newKeyHex()), 0o644) },
		"not hex":            func(p string) { os.WriteFile(p, []byte(strings.Repeat("x", 64)), 0o600) },
		"short":              func(p string) { os.WriteFile(p, []byte("abcd"), 0o600) },
		"a symbolic link":    func(p string) { os.Symlink(path, p) },
		"a directory":        func(p string) { os.Mkdir(p, 0o700) },
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-"))
		setup(p)
		_, _, _, err := loadKeys(noEnv, p)
		assert.Error(t, err, name)
		if err != nil {
			assert.NotContains(t, err.Error(), "xxxx", "never quotes the key")
		}
	}
	for name, v := range map[string]string{"short": "abcd", "not hex": strings.Repeat("z", 64), "too long": newKeyHex() + "00"} {
		_, _, _, err := loadKeys(func(k string) string { return map[string]string{keyEnv: v}[k] }, path)
		assert.ErrorContains(t, err, keyEnv, name)
		assert.NotContains(t, err.Error(), v, name)
	}
	_, _, _, err = loadKeys(noEnv, "")
	assert.ErrorContains(t, err, "set OTP_DEMO_KEY", "PostgreSQL has no place for a key file")
}

// TestKeyFileCreatedOnce: processes that start together on a new
// database each read the one key that the first wrote, whole.
func TestKeyFileCreatedOnce(t *testing.T) {
	t.Parallel()
	for round := range 20 {
		dir := t.TempDir()
		path := filepath.Join(dir, "web.db.key")
		keys := make([][]byte, 4)
		errs := make([]error, len(keys))
		var wg sync.WaitGroup
		for i := range keys {
			wg.Go(func() { keys[i], _, _, errs[i] = loadKeys(func(string) string { return "" }, path) })
		}
		wg.Wait()
		for i := range keys {
			require.NoError(t, errs[i], "round %d", round)
			assert.Equal(t, keys[0], keys[i], "round %d", round)
		}
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Len(t, entries, 1, "only the key file is left")
	}
}

// TestMissingKeyRefusesStart: a database whose secrets no given key opens
// does not start (every login would fail), and the key file made for
// it is removed again, so that restoring the right one works.
func TestMissingKeyRefusesStart(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "web.db")
	h := newHarness(t, dsn)
	h.enrol("alice", "password1")

	var log bytes.Buffer
	err := start(context.Background(), config{db: dsn, iterations: 10}, func(string) string { return "" }, slog.New(slog.NewTextHandler(&log, nil)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sealed with key "+keyID(h.key))
	assert.NoFileExists(t, dsn+".key")
}

// TestKeyRotation follows the README: run -rekey with the new key and the
// old, then start with the new key alone.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "web.db")
	h := newHarness(t, dsn)
	_, secret := h.enrol("alice", "password1")
	h.signup("bob", "password1").startEnrolment(nil) // a pending secret, re-sealed too

	newKey := newKeyHex()
	env := map[string]string{keyEnv: newKey, oldKeyEnv: hex.EncodeToString(h.key)}
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	require.NoError(t, start(context.Background(), config{db: dsn, rekey: true, iterations: 10}, func(k string) string { return env[k] }, logger))
	assert.Contains(t, log.String(), "re-sealed secrets\" count=2")

	err := start(context.Background(), config{db: dsn, unlock: "alice", iterations: 10},
		func(k string) string { return map[string]string{keyEnv: hex.EncodeToString(h.key)}[k] }, logger)
	assert.ErrorContains(t, err, "sealed with key", "the old key alone no longer opens them")

	k, err := parseKey(newKey)
	require.NoError(t, err)
	after := newHarnessWithKey(t, dsn, k)
	after.clock.add(30 * time.Second)
	r := after.browser().login("alice", "password1", after.code(secret, 0))
	assert.Equal(t, http.StatusSeeOther, r.status, "the active secret opens with the new key: %s", r.body)
}

// TestKeyFileRotation follows the README for SQLite with a key file: move
// the key file aside, -rekey with it as the old key (a new key file is
// made), then start with the new file alone.
func TestKeyFileRotation(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "web.db")
	noEnv := func(string) string { return "" }
	logger := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	oldKey, _, _, err := loadKeys(noEnv, dsn+".key")
	require.NoError(t, err)
	h := newHarnessWithKey(t, dsn, oldKey)
	_, secret := h.enrol("alice", "password1")

	require.NoError(t, os.Rename(dsn+".key", dsn+".old"))
	oldHex, err := os.ReadFile(dsn + ".old")
	require.NoError(t, err)
	env := func(k string) string { return map[string]string{oldKeyEnv: string(oldHex)}[k] }
	require.NoError(t, start(context.Background(), config{db: dsn, rekey: true, iterations: 10}, env, logger))
	require.NoError(t, os.Remove(dsn+".old"))

	newKey, _, created, err := loadKeys(noEnv, dsn+".key")
	require.NoError(t, err)
	assert.False(t, created, "-rekey made the new key file")
	assert.NotEqual(t, oldKey, newKey)
	after := newHarnessWithKey(t, dsn, newKey)
	after.clock.add(30 * time.Second)
	r := after.browser().login("alice", "password1", after.code(secret, 0))
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
}

// TestFailedRekeyKeepsNewKeyFile: a -rekey that stops part way (here at
// a row that no longer opens) has already sealed secrets with the key
// file it made; that file must stay, or those secrets are lost for good.
func TestFailedRekeyKeepsNewKeyFile(t *testing.T) {
	t.Parallel()
	dsn := filepath.Join(t.TempDir(), "web.db")
	noEnv := func(string) string { return "" }
	logger := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	oldKey, _, _, err := loadKeys(noEnv, dsn+".key")
	require.NoError(t, err)
	h := newHarnessWithKey(t, dsn, oldKey)
	_, secret := h.enrol("alice", "password1")
	h.signup("bob", "password1").startEnrolment(nil)
	// Users are re-sealed before pending enrolments: bob's comes last.
	_, err = h.db.Exec(`UPDATE web_enrolments SET factor_id = 'moved' WHERE user_name = 'bob'`)
	require.NoError(t, err)

	require.NoError(t, os.Rename(dsn+".key", dsn+".old"))
	oldHex, err := os.ReadFile(dsn + ".old")
	require.NoError(t, err)
	env := func(k string) string { return map[string]string{oldKeyEnv: string(oldHex)}[k] }
	err = start(context.Background(), config{db: dsn, rekey: true, iterations: 10}, env, logger)
	require.ErrorContains(t, err, "does not open")
	require.FileExists(t, dsn+".key", "alice's secret is sealed with it now")

	_, err = h.db.Exec(`DELETE FROM web_enrolments WHERE user_name = 'bob'`) // the operator drops the broken row
	require.NoError(t, err)
	newKey, _, created, err := loadKeys(noEnv, dsn+".key")
	require.NoError(t, err)
	require.False(t, created)
	after := newHarnessWithKey(t, dsn, newKey)
	after.clock.add(30 * time.Second)
	r := after.browser().login("alice", "password1", after.code(secret, 0))
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
}

// TestDatabaseFileMustBePrivate: an existing SQLite file (or its -wal or
// -shm file) that others can read or write is refused with the chmod that
// fixes it, before anything is read from it; a private one is used.
func TestDatabaseFileMustBePrivate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, setup := range map[string]func(t *testing.T, db string){
		"touched, 0644":    func(t *testing.T, db string) { writeMode(t, db, 0o644) },
		"group-readable":   func(t *testing.T, db string) { writeMode(t, db, 0o640) },
		"world-writable":   func(t *testing.T, db string) { writeMode(t, db, 0o602) },
		"a 0644 -wal file": func(t *testing.T, db string) { writeMode(t, db, 0o600); writeMode(t, db+"-wal", 0o644) },
		"a 0644 -shm file": func(t *testing.T, db string) { writeMode(t, db, 0o600); writeMode(t, db+"-shm", 0o644) },
		"a symbolic link": func(t *testing.T, db string) {
			writeMode(t, db+".real", 0o600)
			require.NoError(t, os.Symlink(db+".real", db))
		},
		"a directory": func(t *testing.T, db string) { require.NoError(t, os.Mkdir(db, 0o700)) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := filepath.Join(t.TempDir(), "web.db")
			setup(t, db)
			_, err := openDB(ctx, db)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "must be a regular file that only its owner can read and write")
			assert.Contains(t, err.Error(), "chmod 600 ")

			var out syncBuffer
			key := newKeyHex()
			code := run(ctx, []string{"-db", db}, func(k string) string { return map[string]string{keyEnv: key}[k] }, &out, &out)
			assert.Equal(t, 1, code, "the program stops")
			assert.Contains(t, out.String(), "chmod 600")
		})
	}
	t.Run("private", func(t *testing.T) {
		t.Parallel()
		db := filepath.Join(t.TempDir(), "web.db")
		writeMode(t, db, 0o600)
		conn, err := openDB(ctx, db)
		require.NoError(t, err)
		conn.Close()
	})
}

// writeMode creates an empty file at path with mode, whatever the umask.
func writeMode(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, nil, mode))
	require.NoError(t, os.Chmod(path, mode))
}
