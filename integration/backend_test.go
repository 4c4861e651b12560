package integration

import (
	"context"
	"database/sql"
	"io"
	"testing"

	"github.com/otpkit/otp/guard"
	"github.com/otpkit/otp/guard/redisstore"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// redisAddrVar names the environment variable with the address of a Redis
// or Valkey server for the tests; .ci/run starts one and sets it.
const redisAddrVar = "OTP_TEST_REDIS_ADDR"

// newRedisDB is a Redis server as a testDB: the address as its DSN and a
// fresh key prefix as its table, whose keys are deleted after the test.
func newRedisDB(t testing.TB) testDB {
	t.Helper()
	d := testDB{driver: "redis", dsn: serverDSN(t, redisAddrVar), table: freshTable() + ":"}
	t.Cleanup(d.dropKeys)
	return d
}

func (d testDB) dropKeys() {
	c := redis.NewClient(&redis.Options{Addr: d.dsn})
	defer c.Close()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, d.table+"*", 1000).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}

// storeDatabases are the SQL databases and Redis: every store the
// multi-process and fault tests run on.
var storeDatabases = func() map[string]func(testing.TB) testDB {
	m := map[string]func(testing.TB) testDB{"redis": newRedisDB}
	for name, f := range sqlDatabases {
		m[name] = f
	}
	return m
}()

// openStore opens a new handle onto the store that driver, dsn and table
// name (for Redis: "redis", an address and a key prefix).
func openStore(driver, dsn, table string) (guard.Store, io.Closer, error) {
	if driver == "redis" {
		c := redis.NewClient(&redis.Options{Addr: dsn})
		s, err := redisstore.New(c, table)
		return s, c, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, nil, err
	}
	s, err := newSQLStore(driver, db, table)
	return s, db, err
}

// handle returns a new handle onto d's store, closed after the test.
func (d testDB) handle(t testing.TB) guard.Store {
	t.Helper()
	s, c, err := openStore(d.driver, d.dsn, d.table)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return s
}

// prepared returns a handle onto d's store, its tables created.
func (d testDB) prepared(t testing.TB) guard.Store {
	t.Helper()
	if d.driver == "redis" {
		return d.handle(t)
	}
	return d.created(t)
}
