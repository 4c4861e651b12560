package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireTool returns the path of an external program a test needs.
// Without it the test is skipped, except under CI (CI=true), where a
// missing tool must fail rather than silently weaken the suite.
func requireTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " not found: install the Debian package " + debianPackage + " to run this test"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// postgresDSN returns a DSN for a schema of its own on the test server
// named by OTP_TEST_POSTGRES_DSN, so that parallel tests never share a
// table. Without the variable the test is skipped (it fails under CI).
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("OTP_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("OTP_TEST_POSTGRES_DSN is not set")
		}
		t.Skip("OTP_TEST_POSTGRES_DSN is not set: skipping the PostgreSQL run")
	}
	schema := "webtest_" + randomHex(6)
	admin, err := sql.Open("pgx", base)
	require.NoError(t, err)
	defer admin.Close()
	_, err = admin.Exec(`CREATE SCHEMA ` + schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		cleanup, err := sql.Open("pgx", base)
		if err == nil {
			cleanup.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			cleanup.Close()
		}
	})
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// clock is a settable time for the app under test.
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

// syncBuffer is a log that handlers write from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is the app on a real database behind httptest, with a clock
// the test moves and a log it reads.
type harness struct {
	t     *testing.T
	app   *app
	db    *sql.DB
	http  *httptest.Server
	clock *clock
	logs  *syncBuffer
	key   []byte
}

type harnessOption func(*harness)

// withTLS serves the app over HTTPS, as -tls-cert does.
func withTLS(h *harness) { h.app.https = true }

// newHarness starts the app on a new SQLite file (or on dsn's database,
// when it is a postgres:// URL or an existing file) with a new key.
func newHarness(t *testing.T, dsn string, opts ...harnessOption) *harness {
	t.Helper()
	key := make([]byte, keySize)
	rand.Read(key)
	return newHarnessWithKey(t, dsn, key, opts...)
}

func newHarnessWithKey(t *testing.T, dsn string, key []byte, opts ...harnessOption) *harness {
	t.Helper()
	if dsn == "" {
		dsn = filepath.Join(t.TempDir(), "web.db")
	}
	ctx := context.Background()
	db, err := openDB(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	// Few PBKDF2 iterations keep tests fast; the program uses 600,000.
	a, err := newApp(ctx, db, config{iterations: 10}, key, nil, slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	a.now, a.guard.Now, a.loginFloor = c.now, c.now, 0
	h := &harness{t: t, app: a, db: db, clock: c, logs: logs, key: key}
	for _, o := range opts {
		o(h)
	}
	if h.app.https {
		h.http = httptest.NewTLSServer(h.app.handler())
	} else {
		h.http = httptest.NewServer(h.app.handler())
	}
	t.Cleanup(h.http.Close)
	return h
}

// backends runs f on SQLite, and on PostgreSQL when OTP_TEST_POSTGRES_DSN
// is set.
func backends(t *testing.T, f func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		f(t, "")
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		f(t, postgresDSN(t))
	})
}

// browser is one client with its own cookies. It does not follow
// redirects, so that tests see each status.
type browser struct {
	h        *harness
	client   *http.Client
	password string // the one it signed up with
}

func (h *harness) browser() *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(h.t, err)
	c := *h.http.Client() // a copy: each browser its own cookies
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &browser{h: h, client: &c}
}

// response is what a request returned, read whole.
type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) response {
	b.h.t.Helper()
	resp, err := b.client.Do(req)
	require.NoError(b.h.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.h.t, err)
	return response{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string) response {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.h.http.URL+path, nil)
	require.NoError(b.h.t, err)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) response {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.h.http.URL+path, strings.NewReader(form.Encode()))
	require.NoError(b.h.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// cookie returns the value of the browser's cookie named name, or "".
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.h.http.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

func (b *browser) setCookie(name, value string) {
	u, _ := url.Parse(b.h.http.URL)
	b.client.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

var secretRE = regexp.MustCompile(`<p class="secret" id="secret">([A-Z2-7 ]+)</p>`)

// pageSecret returns the secret an enrolment page shows.
func (h *harness) pageSecret(body string) []byte {
	h.t.Helper()
	m := secretRE.FindStringSubmatch(body)
	require.NotNil(h.t, m, "an enrolment page with the secret as text")
	secret, err := otp.DecodeSecret(m[1])
	require.NoError(h.t, err)
	return secret
}

// code is the secret's code at the harness's time plus offset steps.
func (h *harness) code(secret []byte, offset int) string {
	h.t.Helper()
	code, err := totpFor(secret).Generate(h.clock.now().Add(time.Duration(offset) * 30 * time.Second))
	require.NoError(h.t, err)
	return code
}

// signup creates an account and returns its signed-in browser.
func (h *harness) signup(name, password string) *browser {
	h.t.Helper()
	b := h.browser()
	r := b.post("/signup", url.Values{"user": {name}, "password": {password}})
	require.Equal(h.t, http.StatusSeeOther, r.status, r.body)
	require.Equal(h.t, "/?m=welcome", r.header.Get("Location"))
	b.password = password
	return b
}

// startEnrolment starts an enrolment with the password the browser signed
// up with and form's fields, and returns the secret shown.
func (b *browser) startEnrolment(form url.Values) []byte {
	b.h.t.Helper()
	withPassword := url.Values{"password": {b.password}}
	for k, v := range form {
		withPassword[k] = v
	}
	r := b.post("/enroll/start", withPassword)
	require.Equal(b.h.t, http.StatusSeeOther, r.status, r.body)
	require.Equal(b.h.t, "/enroll", r.header.Get("Location"))
	r = b.get("/enroll")
	require.Equal(b.h.t, http.StatusOK, r.status, r.body)
	return b.h.pageSecret(r.body)
}

// enrol signs up and turns two-factor on, and returns the browser and the
// secret. The confirming code is the current step's.
func (h *harness) enrol(name, password string) (*browser, []byte) {
	h.t.Helper()
	b := h.signup(name, password)
	secret := b.startEnrolment(nil)
	b.confirm(h.code(secret, 0))
	return b, secret
}

var codesRE = regexp.MustCompile(`<li>([2-9A-Z-]{19})</li>`)

// confirm confirms the pending enrolment with code and returns the
// recovery codes that the answer shows.
func (b *browser) confirm(code string) []string {
	b.h.t.Helper()
	r := b.post("/enroll/confirm", url.Values{"code": {code}, "password": {b.password}})
	require.Equal(b.h.t, http.StatusOK, r.status, r.body)
	require.Contains(b.h.t, r.body, "Two-factor authentication is on.")
	var codes []string
	for _, m := range codesRE.FindAllStringSubmatch(r.body, -1) {
		codes = append(codes, m[1])
	}
	require.Len(b.h.t, codes, guard.DefaultRecoveryCodes)
	return codes
}

func (b *browser) login(name, password, code string) response {
	b.h.t.Helper()
	r := b.post("/login", url.Values{"user": {name}, "password": {password}, "code": {code}})
	if r.status == http.StatusSeeOther {
		b.password = password // for the confirmations that ask it again
	}
	return r
}

// signedInAs returns the user name the home page says is signed in, or "".
func (b *browser) signedInAs() string {
	b.h.t.Helper()
	r := b.get("/")
	require.Equal(b.h.t, http.StatusOK, r.status)
	m := regexp.MustCompile(`<span id="signed-in">([^<]*)</span>`).FindStringSubmatch(r.body)
	if m == nil {
		return ""
	}
	return m[1]
}

// assertRefused checks a refused login: the common text, no session.
func assertRefused(t *testing.T, r response, status int) {
	t.Helper()
	assert.Equal(t, status, r.status, r.body)
	assert.Contains(t, r.body, "Wrong user name, password or code.")
	assert.Empty(t, r.header.Values("Set-Cookie"))
}
