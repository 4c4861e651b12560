package main

import (
	"context"
	"net"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func filepathIn(t *testing.T, name string) string { return filepath.Join(t.TempDir(), name) }

// running is the program started by run in this process.
type running struct {
	url  string
	addr string
	out  *syncBuffer
	stop func() int // cancels the context, as SIGTERM does, and returns the exit code
}

var listeningRE = regexp.MustCompile(`msg=listening url=(https?://([0-9.:]+))`)

// startRun starts the program on a free port with the given -db and
// environment, and waits until it listens.
func startRun(t *testing.T, db string, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	code := make(chan int, 1)
	args = append([]string{"-addr", "127.0.0.1:0", "-db", db}, args...)
	go func() { code <- run(ctx, args, func(k string) string { return env[k] }, out) }()
	r := &running{out: out}
	r.stop = func() int {
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(15 * time.Second):
			t.Error("run did not return after its context ended")
			return -1
		}
	}
	t.Cleanup(func() { r.stop() })
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRE.FindStringSubmatch(out.String()); m != nil {
			r.url, r.addr = m[1], m[2]
			return r
		}
		select {
		case c := <-code:
			code <- c
			t.Fatalf("run exited with %d: %s", c, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("run did not start listening: %s", out.String())
	return nil
}

func (r *running) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", r.addr)
	require.NoError(t, err)
	return conn
}
