package main

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
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
	go func() { code <- run(ctx, args, func(k string) string { return env[k] }, out, out) }()
	r := &running{out: out}
	r.stop = sync.OnceValue(func() int {
		cancel()
		select {
		case c := <-code:
			return c
		case <-time.After(15 * time.Second):
			t.Error("run did not return after its context ended")
			return -1
		}
	})
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

func TestRunFlags(t *testing.T) {
	t.Parallel()
	for name, args := range map[string][]string{
		"unknown flag":   {"-nope"},
		"argument":       {"extra"},
		"half TLS":       {"-tls-cert", "cert.pem"},
		"bad flag value": {"-addr"},
	} {
		var stdout, stderr syncBuffer
		assert.Equal(t, 2, run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr), name)
		assert.Empty(t, stdout.String(), "%s: a mistake goes to standard error", name)
		assert.NotEmpty(t, stderr.String(), name)
	}
	var stdout, stderr syncBuffer
	require.Equal(t, 0, run(context.Background(), []string{"-new-key"}, func(string) string { return "" }, &stdout, &stderr))
	_, err := parseKey(stdout.String())
	assert.NoError(t, err, "-new-key prints, on standard output, a key that OTP_DEMO_KEY takes: $(webserver -new-key)")
	assert.Empty(t, stderr.String())
}

// TestRunHelp: -h says what the program is, what it reads from the
// environment and what files it writes, lists the flags, and exits 0.
func TestRunHelp(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"-h", "-help", "--help"} {
		var out, stderr syncBuffer
		require.Equal(t, 0, run(context.Background(), []string{flag}, func(string) string { return "" }, &out, &stderr), flag)
		assert.Empty(t, stderr.String(), "%s: help goes to standard output", flag)
		for _, want := range []string{"Usage: go run ./examples/webserver", "reference deployment of two-factor login",
			"OTP_DEMO_KEY", "OTP_DEMO_OLD_KEY", "otp-webserver.db", "PATH.key", "mode 0600", "PATH-wal", "-addr HOST:PORT", "-unlock USER"} {
			assert.Contains(t, out.String(), want, flag)
		}
	}
}

func TestPostgresNeedsKey(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	code := run(context.Background(), []string{"-db", "postgres://127.0.0.1:1/none"}, func(string) string { return "" }, &out, &out)
	assert.Equal(t, 1, code)
	assert.Contains(t, out.String(), "set OTP_DEMO_KEY to 64 hex digits, the same on every instance")
	assert.NotContains(t, out.String(), "connect", "refused before any connection")
}

// TestRunServesAndShutsDown: run with no key in the environment makes the
// key file, serves, keeps everything across a restart, and exits 0 when
// its context ends (as SIGINT and SIGTERM end it).
func TestRunServesAndShutsDown(t *testing.T) {
	t.Parallel()
	db := filepathIn(t, "web.db")
	first := startRun(t, db, nil)
	assert.FileExists(t, db+".key")
	assert.Contains(t, first.out.String(), "created a new sealing key file")

	c := newClient(t, first.url)
	c.post("/signup", url.Values{"user": {"alice"}, "password": {"password1"}}, http.StatusSeeOther)
	c.post("/enroll/start", url.Values{"password": {"password1"}}, http.StatusSeeOther)
	secret := pageSecretOf(t, c.get("/enroll", http.StatusOK))
	c.post("/enroll/confirm", url.Values{"code": {codeAt(t, secret, time.Now())}, "password": {"password1"}}, http.StatusOK)
	assert.Equal(t, 0, first.stop())
	assert.Contains(t, first.out.String(), "msg=\"shut down\"")

	second := startRun(t, db, nil)
	assert.NotContains(t, second.out.String(), "created a new sealing key file")
	c = newClient(t, second.url)
	c.post("/login", url.Values{"user": {"alice"}, "password": {"password1"}, "code": {codeAt(t, secret, time.Now().Add(30*time.Second))}}, http.StatusSeeOther)
	assert.Contains(t, c.get("/", http.StatusOK), "Two-factor authentication is <strong>on</strong>", "a restart forgets nothing")
	assert.Equal(t, 0, second.stop())
}

// TestBehindProxy: with -behind-proxy, the proxy in front serves HTTPS,
// so cookies are Secure and browsers keep to HTTPS; and each client is
// the address the proxy appended to X-Forwarded-For, not the proxy, so
// that one client's refused sign-ups do not delay everyone's.
func TestBehindProxy(t *testing.T) {
	t.Parallel()
	srv := startRun(t, filepathIn(t, "web.db"), nil, "-behind-proxy")
	signup := func(forwardedFor, name string) *http.Response {
		t.Helper()
		form := url.Values{"user": {name}, "password": {"password1"}}
		req, err := http.NewRequest(http.MethodPost, srv.url+"/signup", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", forwardedFor)
		resp, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := signup("198.51.100.7", "alice")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.NotEmpty(t, resp.Cookies())
	for _, c := range resp.Cookies() {
		assert.True(t, c.Secure, c.Name)
		assert.True(t, strings.HasPrefix(c.Name, "__Host-"), c.Name)
	}
	assert.Equal(t, "max-age=31536000", resp.Header.Get("Strict-Transport-Security"))

	for range guard.DefaultFreeFailures + 1 {
		assert.Equal(t, http.StatusBadRequest, signup("198.51.100.7", "alice").StatusCode, "taken")
	}
	// The fourth refusal set a one-second wait. A machine so loaded that a
	// password hash takes longer outruns it, but not the doubling ones that
	// follow: a refusal comes within a few tries.
	throttled := false
	for range 5 {
		code := signup("198.51.100.7", "alice").StatusCode
		if throttled = code == http.StatusTooManyRequests; throttled {
			break
		}
		assert.Equal(t, http.StatusBadRequest, code, "taken")
	}
	assert.True(t, throttled, "the client's refused sign-ups are throttled")
	assert.Equal(t, http.StatusSeeOther, signup("203.0.113.9", "bob").StatusCode, "another client is not delayed")
	// A client cannot choose its address: the proxy's entry is the last.
	// Either carol's sign-up still falls in 198.51.100.7's delay, or (on a
	// machine slow enough for the delay to have passed) it is logged
	// under that address.
	switch code := signup("203.0.113.9, 198.51.100.7", "carol").StatusCode; code {
	case http.StatusTooManyRequests:
	case http.StatusSeeOther:
		assert.Contains(t, srv.out.String(), "user=carol addr=198.51.100.7")
	default:
		t.Errorf("carol's sign-up: status %d", code)
	}
	assert.Contains(t, srv.out.String(), "addr=198.51.100.7")
}
