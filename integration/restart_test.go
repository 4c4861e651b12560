package integration

import (
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redisServer is a redis-server of the test's own, in its own directory,
// with the settings the redisstore package doc asks for.
type redisServer struct {
	t    *testing.T
	bin  string
	dir  string
	addr string
	cmd  *exec.Cmd
}

// startRedis starts a server, or skips the test without redis-server,
// except under CI, where it must run.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	s := &redisServer{t: t, bin: bin, dir: t.TempDir(), addr: addr}
	s.start()
	t.Cleanup(s.crash)
	return s
}

func (s *redisServer) start() {
	s.t.Helper()
	_, port, _ := net.SplitHostPort(s.addr)
	s.cmd = exec.Command(s.bin, "--port", port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "yes", "--appendfsync", "always", "--dir", s.dir, "--logfile", "redis.log")
	// A group of its own, so that a crash takes any child it forked (an
	// AOF rewrite) with it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(s.t, s.cmd.Start())
	c := redis.NewClient(&redis.Options{Addr: s.addr, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); c.Ping(context.Background()).Err() != nil; {
		require.True(s.t, time.Now().Before(deadline), "redis-server did not answer on %s", s.addr)
		time.Sleep(20 * time.Millisecond)
	}
}

// runID is the server's run_id: a new one each start.
func (s *redisServer) runID() string {
	c := redis.NewClient(&redis.Options{Addr: s.addr})
	defer c.Close()
	info, err := c.Info(context.Background(), "server").Result()
	require.NoError(s.t, err)
	_, id, _ := strings.Cut(info, "run_id:")
	return strings.TrimSpace(id)[:8]
}

// crash kills the server with SIGKILL: nothing is flushed on the way out.
func (s *redisServer) crash() {
	if s.cmd != nil {
		syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		s.cmd.Wait()
		s.cmd = nil
	}
}

// TestRedisRestart kills the server (SIGKILL) twice mid-run, while
// goroutines make attempts, and starts it again on its directory: with
// appendonly yes and appendfsync always, no accepted code and no counted
// failure is lost, and a code accepted before a crash is replayed after.
func TestRedisRestart(t *testing.T) {
	t.Parallel()
	srv := startRedis(t)
	d := testDB{driver: "redis", dsn: srv.addr, table: "otp:"}
	l := newLedger()
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := workload{accounts: 64, workers: 8, attempts: 1000, duration: 2500 * time.Millisecond, pause: 3 * time.Millisecond}
		w.run(t, faultGuards(t, 4, d.handle), l)
	}()
	runs := []string{srv.runID()}
	for _, down := range []time.Duration{100 * time.Millisecond, time.Second} {
		time.Sleep(400 * time.Millisecond)
		srv.crash()
		time.Sleep(down)
		srv.start()
		runs = append(runs, srv.runID())
	}
	<-done
	t.Logf("told: %+v; server runs %v", l.total(), runs)
	assert.NotEqual(t, runs[0], runs[1], "the server restarted")
	store := d.handle(t)
	l.check(t, store, rightStep)
	g := &guard.Guard{Store: store, Now: fixedNow(at1111111109), Policy: racePolicy}
	code := mustCode(t, at1111111109)
	for account, c := range l.m {
		if c.ok > 0 {
			assert.ErrorIs(t, g.VerifyTOTP(context.Background(), account, guardTOTP, code), otp.ErrReplayed,
				"%s: a code accepted before the crash", account)
		}
	}
	assert.Positive(t, l.total().ok+l.total().failed, "the run committed something")
}
