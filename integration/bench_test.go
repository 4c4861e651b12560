package integration

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/otpkit/otp/guard"
	"github.com/redis/go-redis/v9"
)

// The store benchmarks put the Guard next to its engine's floor: per
// engine and with 1 and 16 concurrent clients, BenchmarkStoreWrongCode is
// Guard.VerifyTOTP of a wrong code (one counted failure, committed), and
// BenchmarkStoreFloor the least any compare-and-swap store can do there:
// a bare single-row compare-and-swap (UPDATE ... WHERE v = old, or a
// Redis script comparing and setting one key). Both report ops/s; compare
// the two at the same engine and client count.

var benchClients = []int{1, 16}

// benchEngines are the engines benchmarked: testDB makers, as the tests use.
var benchEngines = []struct {
	name  string
	newDB func(testing.TB) testDB
}{
	{"sqlite", newSQLiteDB}, {"postgres", newPostgresDB}, {"mysql", newMySQLDB}, {"redis", newRedisDB},
}

// runClients runs b.N calls of op over n goroutines, and reports ops/s.
func runClients(b *testing.B, n int, op func(client, i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for c := range n {
		wg.Go(func() {
			for i := 0; ; i++ {
				if next.Add(1) > int64(b.N) {
					return
				}
				if err := op(c, i); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkStoreWrongCode(b *testing.B) {
	for _, e := range benchEngines {
		for _, n := range benchClients {
			b.Run(fmt.Sprintf("%s/clients=%d", e.name, n), func(b *testing.B) {
				g := &guard.Guard{Store: e.newDB(b).prepared(b), Now: fixedNow(at1111111109), Policy: racePolicy}
				wrong := wrongCode(b, at1111111109)
				ctx := context.Background()
				runClients(b, n, func(c, i int) error {
					// A new account every 90 failures, before the lock at 100.
					account := "bench " + strconv.Itoa(c) + " " + strconv.Itoa(i/90)
					if err := g.VerifyTOTP(ctx, account, guardTOTP, wrong); class(err) != "failed" {
						return fmt.Errorf("a wrong code: %v", err)
					}
					return nil
				})
			})
		}
	}
}

func BenchmarkStoreFloor(b *testing.B) {
	for _, e := range benchEngines {
		for _, n := range benchClients {
			b.Run(fmt.Sprintf("%s/clients=%d", e.name, n), func(b *testing.B) {
				cas := floorCAS(b, e.newDB(b), n)
				ctx := context.Background()
				runClients(b, n, func(c, i int) error { return cas(ctx, c, int64(i), int64(i+1)) })
			})
		}
	}
}

// floorCAS returns a compare-and-swap of client c's own row (or key), from
// old to new, and makes one row per client holding 0.
func floorCAS(b *testing.B, d testDB, clients int) func(ctx context.Context, c int, old, new int64) error {
	b.Helper()
	if d.driver == "redis" {
		return redisFloor(b, d, clients)
	}
	db := d.open(b)
	table := d.quote(d.table)
	for _, q := range []string{`CREATE TABLE ` + table + ` (k BIGINT PRIMARY KEY, v BIGINT NOT NULL)`} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	insert, update := `INSERT INTO `+table+` (k, v) VALUES ($1, 0)`, `UPDATE `+table+` SET v = $1 WHERE k = $2 AND v = $3`
	if d.driver == "mysql" {
		insert, update = `INSERT INTO `+table+` (k, v) VALUES (?, 0)`, `UPDATE `+table+` SET v = ? WHERE k = ? AND v = ?`
	}
	for c := range clients {
		if _, err := db.Exec(insert, c); err != nil {
			b.Fatal(err)
		}
	}
	return func(ctx context.Context, c int, old, new int64) error {
		return swapped(db.ExecContext(ctx, update, new, c, old))
	}
}

func swapped(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("compare-and-swap changed %d rows (%v)", n, err)
	}
	return nil
}

// floorScript is the least a Redis compare-and-swap does: compare one key
// with a value and set it.
var floorScript = redis.NewScript(`
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`)

func redisFloor(b *testing.B, d testDB, clients int) func(ctx context.Context, c int, old, new int64) error {
	client := redis.NewClient(&redis.Options{Addr: d.dsn, PoolSize: 2 * clients})
	b.Cleanup(func() { client.Close() })
	return func(ctx context.Context, c int, old, new int64) error {
		n, err := floorScript.Run(ctx, client, []string{d.table + "{floor" + strconv.Itoa(c) + "}"}, old, new).Int()
		if err == nil && n != 1 {
			err = fmt.Errorf("compare-and-swap refused")
		}
		return err
	}
}
