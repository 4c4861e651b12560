package integration

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
	"github.com/otpkit/otp/guard/storetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSQLStoreConformance runs the Store suite on every database, each
// handle a *sql.DB of its own, as another server would hold.
func TestSQLStoreConformance(t *testing.T) {
	t.Parallel()
	for name, newDB := range sqlDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newDB(t)
			d.created(t)
			storetest.Run(t, func(t *testing.T) guard.Store { return d.store(t, d.open(t)) })
		})
	}
}

func TestGuardThrottlesOnEveryDatabase(t *testing.T) {
	t.Parallel()
	for name, newDB := range sqlDatabases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			now := at1111111109
			g := &guard.Guard{Store: newDB(t).created(t), Now: func() time.Time { return now }}
			for range 4 {
				assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, wrongCode(t, now)), otp.ErrInvalidCode)
			}
			st, err := g.State(ctx, "alice")
			require.NoError(t, err)
			assert.Equal(t, 4, st.Failures)
			assert.True(t, now.Add(time.Second).Equal(st.NotBefore), "NotBefore %v", st.NotBefore)
			assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, now)), guard.ErrThrottled)
			now = now.Add(time.Second)
			assert.NoError(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, now)))
			assert.ErrorIs(t, g.VerifyTOTP(ctx, "alice", guardTOTP, mustCode(t, now)), otp.ErrReplayed)
		})
	}
}

func TestNewSQLStoreChecksTable(t *testing.T) {
	t.Parallel()
	db, err := sql.Open("sqlite", sqliteDSN(filepath.Join(t.TempDir(), "x.db")))
	require.NoError(t, err)
	defer db.Close()
	for _, name := range []string{"", "1abc", `a"b`, "a b", "a;drop", "a-b", "ä", strings.Repeat("a", 55)} {
		_, err := guard.NewSQLStore(db, name)
		assert.ErrorIs(t, err, guard.ErrInvalidConfig, "%q", name)
	}
	for _, name := range []string{"otp", "OTP_state", "_x1", "select", strings.Repeat("a", 54)} {
		s, err := guard.NewSQLStore(db, name)
		require.NoError(t, err, name)
		assert.NoError(t, s.CreateTable(context.Background()), name)
	}
	_, err = guard.NewSQLStore(nil, "otp")
	assert.ErrorIs(t, err, guard.ErrInvalidConfig)
}

// previousRelease is the state table as the release before this one made
// it: "last" held a TOTP account's last accepted step and an HOTP
// account's next counter.
const previousRelease = `CREATE TABLE "%s" (account TEXT PRIMARY KEY, last BIGINT NOT NULL, ` +
	`failures INTEGER NOT NULL, not_before BIGINT NOT NULL)`

// TestCreateTableUpgradesPreviousRelease creates a table with the old
// schema, fills it, upgrades it in place (from two servers at once), and
// reads every row back: no code accepted before is accepted after.
func TestCreateTableUpgradesPreviousRelease(t *testing.T) {
	t.Parallel()
	for name, newDB := range sqlDatabases {
		if name == "mysql" {
			continue // no release before this one kept a MySQL table
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := newDB(t)
			db := d.open(t)
			_, err := db.Exec(strings.Replace(previousRelease, "%s", d.table, 1))
			require.NoError(t, err)
			code := mustCode(t, at1111111109)
			rows := map[string][3]int64{
				"fresh":     {0, 0, 0},
				"used":      {37037036, 2, 1_111_111_110_000}, // the step of code, accepted
				"past 2^63": {int64(-2), 1, 0},                // 2^64-2, as a signed BIGINT
			}
			for account, r := range rows {
				_, err := db.Exec(`INSERT INTO "`+d.table+`" VALUES ($1, $2, $3, $4)`, account, r[0], r[1], r[2])
				require.NoError(t, err)
			}
			errs := make(chan error, 2)
			for range 2 {
				go func() { errs <- d.store(t, d.open(t)).CreateTable(ctx) }()
			}
			require.NoError(t, <-errs)
			require.NoError(t, <-errs)
			s := d.created(t) // and a third time, on the new table: nothing changes
			want := map[string]guard.State{
				"fresh":     {},
				"used":      {Next: 37037037, Failures: 2, NotBefore: time.UnixMilli(1_111_111_110_000)},
				"past 2^63": {Next: math.MaxUint64, Failures: 1},
			}
			for account, w := range want {
				got, err := s.Load(ctx, account)
				require.NoError(t, err)
				assert.True(t, w.Equal(got), "%s: %+v, want %+v", account, got, w)
			}
			g := &guard.Guard{Store: s, Now: fixedNow(at1111111109.Add(10 * time.Second)), Policy: racePolicy}
			assert.ErrorIs(t, g.VerifyTOTP(ctx, "used", guardTOTP, code), otp.ErrReplayed, "a code used before the upgrade")
			assert.NoError(t, g.VerifyTOTP(ctx, "fresh", guardTOTP, code))
		})
	}
}

// BenchmarkGuardVerifyTOTPSQLite measures one accepted code per account:
// a load, the TOTP check and a committed update, each fsync'd.
func BenchmarkGuardVerifyTOTPSQLite(b *testing.B) {
	now := at1111111109
	g := &guard.Guard{Store: newSQLiteDB(b).created(b), Now: fixedNow(now)}
	code := mustCode(b, now)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if err := g.VerifyTOTP(ctx, "user"+strconv.Itoa(i), guardTOTP, code); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMySQLBinaryAccounts: accounts that are not UTF-8, or hold a NUL,
// are kept apart byte for byte, through prepared and interpolated
// statements alike.
func TestMySQLBinaryAccounts(t *testing.T) {
	t.Parallel()
	for _, params := range []string{"", "interpolateParams=true"} {
		t.Run("params="+params, func(t *testing.T) {
			t.Parallel()
			d := newMySQLDB(t)
			if params != "" {
				d.dsn += map[bool]string{true: "&", false: "?"}[strings.Contains(d.dsn, "?")] + params
			}
			s := d.created(t)
			ctx := context.Background()
			names := []string{"\xff", "\xfe", "\xc3", "\xc3\xa9", "e\u0301", "a\x00b", "a\x00c", "a", "a\\", "a'", "\x00"}
			for i, n := range names {
				ok, err := s.Update(ctx, n, guard.State{}, guard.State{Next: uint64(i + 1)})
				require.NoError(t, err, "%q", n)
				require.True(t, ok, "%q", n)
			}
			for i, n := range names {
				st, err := s.Load(ctx, n)
				require.NoError(t, err)
				assert.Equal(t, uint64(i+1), st.Next, "%q", n)
			}
		})
	}
}
