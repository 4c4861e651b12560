package main

import (
	"bytes"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clock is a settable time for the server under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t      *testing.T
	srv    *server
	http   *httptest.Server
	client *http.Client
	clock  *clock
	logs   *bytes.Buffer
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	var logs bytes.Buffer
	// Few PBKDF2 iterations keep the test fast; the program uses 600,000.
	s := newServer("Example Corp", 10, c.now, log.New(&logs, "", 0))
	hs := httptest.NewServer(s.routes())
	t.Cleanup(hs.Close)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &harness{t: t, srv: s, http: hs, client: &http.Client{Jar: jar}, clock: c, logs: &logs}
}

func (h *harness) post(path string, form url.Values) (int, string) {
	h.t.Helper()
	resp, err := h.client.PostForm(h.http.URL+path, form)
	require.NoError(h.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(h.t, err)
	return resp.StatusCode, string(body)
}

var secretRE = regexp.MustCompile(`<code id="secret">([A-Z2-7 ]+)</code>`)

// enrol signs up and turns two-factor on, returning the secret that the
// enrolment page showed.
func (h *harness) enrol(name, password string) []byte {
	h.t.Helper()
	status, body := h.post("/register", url.Values{"user": {name}, "password": {password}})
	require.Equal(h.t, http.StatusOK, status, body) // after the redirect to /enroll
	assert.Contains(h.t, body, "<svg", "the QR code, inline")
	m := secretRE.FindStringSubmatch(body)
	require.NotNil(h.t, m, "the secret, as text")
	secret, err := otp.DecodeSecret(m[1])
	require.NoError(h.t, err)

	status, _ = h.post("/enroll", url.Values{"code": {"000000"}})
	assert.Equal(h.t, http.StatusUnauthorized, status, "a wrong first code does not switch two-factor on")
	status, body = h.post("/enroll", url.Values{"code": {h.code(secret)}})
	require.Equal(h.t, http.StatusOK, status, body)
	assert.Contains(h.t, body, "Two-factor authentication is on.")
	h.clock.add(30 * time.Second) // the enrolment code's step is used up
	return secret
}

func (h *harness) code(secret []byte) string {
	h.t.Helper()
	code, err := totp(secret).Generate(h.clock.now())
	require.NoError(h.t, err)
	return code
}

func (h *harness) login(name, password, code string) (int, string) {
	h.t.Helper()
	return h.post("/login", url.Values{"user": {name}, "password": {password}, "code": {code}})
}

func TestEnrolAndLogin(t *testing.T) {
	h := newHarness(t)
	secret := h.enrol("alice", "correct horse")
	code := h.code(secret)

	status, body := h.login("alice", "correct horse", code)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "Welcome, alice.")

	status, _ = h.login("alice", "correct horse", code)
	assert.Equal(t, http.StatusUnauthorized, status, "a replayed code is refused")
	assert.Contains(t, h.logs.String(), `reason="replayed code"`)

	status, _ = h.login("alice", "correct horse", "")
	assert.Equal(t, http.StatusUnauthorized, status, "the code is required once two-factor is on")

	status, _ = h.login("alice", "wrong password", h.code(secret))
	assert.Equal(t, http.StatusUnauthorized, status)

	h.clock.add(time.Minute) // past the short wait after the failures
	status, _ = h.login("alice", "correct horse", h.code(secret))
	assert.Equal(t, http.StatusOK, status, "the next code logs in")
}

func TestWrongCode(t *testing.T) {
	h := newHarness(t)
	secret := h.enrol("bob", "12345678")
	status, body := h.login("bob", "12345678", "123456")
	if h.code(secret) == "123456" {
		t.Skip("the guess happens to be right")
	}
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Contains(t, body, "Login failed.", "no hint about which factor failed")
	assert.Equal(t, 1, h.srv.users["bob"].failures)
}

func TestLockout(t *testing.T) {
	h := newHarness(t)
	secret := h.enrol("carol", "password1")
	for range freeFailures {
		status, _ := h.login("carol", "password1", "000000")
		require.Equal(t, http.StatusUnauthorized, status)
	}
	// The next failure starts a wait, during which even the right code is
	// refused without being checked.
	h.login("carol", "password1", "000000")
	status, body := h.login("carol", "password1", h.code(secret))
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Contains(t, body, "Try again in 2s.")

	h.clock.add(2 * time.Second)
	status, _ = h.login("carol", "password1", h.code(secret))
	assert.Equal(t, http.StatusOK, status, "after the wait the right code works")
	assert.Zero(t, h.srv.users["carol"].failures)

	// Waits double, up to maxDelay; after maxFailures the account stays
	// locked whatever the time.
	for i := 1; i <= maxFailures; i++ {
		h.clock.add(maxDelay)
		status, _ := h.login("carol", "password1", "000000")
		require.Equal(t, http.StatusUnauthorized, status, "failure %d", i)
	}
	h.clock.add(24 * time.Hour)
	status, body = h.login("carol", "password1", h.code(secret))
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Contains(t, body, "locked")
}

func TestNoSecretsStoredOrLogged(t *testing.T) {
	h := newHarness(t)
	secret := h.enrol("dave", "my secret password")
	code := h.code(secret)
	h.login("dave", "my secret password", code)
	h.login("dave", "my secret password", code)

	logs := h.logs.String()
	assert.Contains(t, logs, `login ok user="dave"`)
	for _, s := range []string{otp.EncodeSecret(secret), code, "my secret password"} {
		assert.NotContains(t, logs, s)
	}
	u := h.srv.users["dave"]
	assert.NotContains(t, string(u.passwordHash), "my secret password", "only a PBKDF2 hash is kept")
	assert.Len(t, u.passwordHash, 32)
}

func TestEnrolmentNeedsSession(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.http.URL + "/enroll")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	status, _ := h.post("/register", url.Values{"user": {"eve"}, "password": {"short"}})
	assert.Equal(t, http.StatusBadRequest, status)
	h.post("/register", url.Values{"user": {"erin"}, "password": {"long enough"}})
	status, _ = h.post("/register", url.Values{"user": {"erin"}, "password": {"long enough"}})
	assert.Equal(t, http.StatusConflict, status)
}

func TestHome(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.http.URL + "/")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.Contains(string(body), `action="/login"`))
}

func TestLimitHoldsUnderParallelLogins(t *testing.T) {
	h := newHarness(t)
	h.srv.iterations = 20_000 // a password check slow enough for requests to overlap
	h.enrol("frank", "password1")
	h.srv.mu.Lock()
	h.srv.users["frank"].failures = maxFailures - 1
	h.srv.mu.Unlock()

	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, err := http.PostForm(h.http.URL+"/login", url.Values{"user": {"frank"}, "password": {"password1"}, "code": {"000000"}})
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	wg.Wait()
	close(statuses)
	checked := 0
	for status := range statuses {
		if status == http.StatusUnauthorized {
			checked++
		} else {
			assert.Equal(t, http.StatusTooManyRequests, status)
		}
	}
	assert.Equal(t, 1, checked, "one attempt was left, so exactly one request may be checked")
}

func TestEnrolmentPageNotCached(t *testing.T) {
	h := newHarness(t)
	h.post("/register", url.Values{"user": {"gina"}, "password": {"password1"}})
	resp, err := h.client.Get(h.http.URL + "/enroll")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "the page holds the secret")
}
