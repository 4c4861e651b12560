package main

// The attacks that issue 9 found against the previous example, each as a
// test that the previous example fails.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplacingFactorNeedsPasswordAndCode: a session alone (a stolen one,
// or the sign-up session) cannot swap the victim's authenticator for the
// attacker's.
func TestReplacingFactorNeedsPasswordAndCode(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("alice", "password1")
	signupToken := b.cookie("session")
	secret := b.startEnrolment(nil)
	b.confirm(h.code(secret, 0))

	stale := h.browser()
	stale.setCookie("session", signupToken)
	assert.Empty(t, stale.signedInAs(), "turning two-factor on ended the sign-up session")

	h.clock.add(30 * time.Second)
	thief := h.browser()
	require.Equal(t, http.StatusSeeOther, thief.login("alice", "password1", h.code(secret, 0)).status)
	for _, tc := range []struct {
		name, want string
		form       url.Values
	}{
		{"nothing", "Check the code: no code typed", nil},
		{"password only", "Check the code: no code typed", url.Values{"password": {"password1"}}},
		{"code only", "Wrong password or code.", url.Values{"code": {h.code(secret, 1)}}},
		{"wrong password", "Wrong password or code.", url.Values{"password": {"password2"}, "code": {h.code(secret, 1)}}},
		{"wrong code", "Wrong password or code.", url.Values{"password": {"password1"}, "code": {"000000"}}},
	} {
		r := thief.post("/enroll/start", tc.form)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests}, r.status, tc.name)
		assert.Contains(t, r.body, tc.want, tc.name)
		assert.Contains(t, r.body, "You have 10 unused recovery codes.", "%s: the account page, whole", tc.name)
		assert.Equal(t, http.StatusNotFound, thief.get("/enroll").status, "%s: no new secret was made", tc.name)
		r = thief.post("/enroll/confirm", url.Values{"code": {"123456"}, "password": {"password1"}})
		assert.Equal(t, http.StatusNotFound, r.status, tc.name)
	}
	r := thief.post("/factor/remove", url.Values{"password": {"password1"}})
	assert.Equal(t, http.StatusBadRequest, r.status, "removing needs the code too")
	assert.Contains(t, r.body, "Check the code")
	r = thief.post("/factor/remove", url.Values{"password": {"password1"}, "code": {"000000"}})
	assert.Equal(t, http.StatusTooManyRequests, r.status, "and a right one: the failures above count")
	assert.Contains(t, r.body, "Wrong password or code.")
	h.clock.add(time.Minute) // past the delay those failures started
	r = thief.get("/")
	assert.Contains(t, r.body, "Two-factor authentication is <strong>on</strong>")

	// With the password and a current code, the owner replaces it; every
	// other session ends, and this one gets a new token.
	owner := h.browser()
	require.Equal(t, http.StatusSeeOther, owner.login("alice", "password1", h.code(secret, 0)).status)
	before := owner.cookie("session")
	newSecret := owner.startEnrolment(url.Values{"password": {"password1"}, "code": {h.code(secret, 1)}})
	assert.NotEqual(t, secret, newSecret)
	owner.confirm(h.code(newSecret, 0))
	assert.NotEqual(t, before, owner.cookie("session"), "the session rotates when the factor changes")
	assert.Equal(t, "alice", owner.signedInAs())
	assert.Empty(t, thief.signedInAs(), "the other session ended")

	h.clock.add(30 * time.Second)
	assertRefused(t, h.browser().login("alice", "password1", h.code(secret, 0)), http.StatusUnauthorized)
	h.clock.add(time.Hour)
	r = h.browser().login("alice", "password1", h.code(newSecret, 0))
	assert.Equal(t, http.StatusSeeOther, r.status, "the new secret is the factor")
}

// TestTurningOnNeedsPassword: with two-factor off, a session alone (a
// stolen one) cannot turn it on with the thief's authenticator, which
// would shut the owner out for good, nor end the owner's other sessions
// by "removing" a factor there is none of.
func TestTurningOnNeedsPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	owner := h.signup("nina", "password1")
	thief := h.browser()
	thief.setCookie("session", owner.cookie("session"))
	other := h.browser()
	require.Equal(t, http.StatusSeeOther, other.login("nina", "password1", "").status)

	for name, form := range map[string]url.Values{
		"no password":    nil,
		"wrong password": {"password": {"password2"}},
	} {
		refused := []int{http.StatusUnauthorized, http.StatusTooManyRequests} // each failure counts towards the delay
		r := thief.post("/enroll/start", form)
		assert.Contains(t, refused, r.status, name)
		assert.Contains(t, r.body, "Wrong password.", name)
		assert.Equal(t, http.StatusNotFound, thief.get("/enroll").status, "%s: no secret was made", name)
		r = thief.post("/factor/remove", form)
		assert.Contains(t, refused, r.status, name)
	}
	assert.Equal(t, "nina", other.signedInAs(), "no session was ended")
	assert.Contains(t, h.logs.String(), `event="start enrolment" outcome=denied user=nina addr=127.0.0.1 reason="wrong password"`)

	secret := owner.startEnrolment(url.Values{"password": {"password1"}})
	owner.confirm(h.code(secret, 0))
}

func TestRemovingFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b, secret := h.enrol("bob", "password1")
	h.clock.add(30 * time.Second)
	before := b.cookie("session")
	r := b.post("/factor/remove", url.Values{"password": {"password1"}, "code": {h.code(secret, 0)}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/?m=off", r.header.Get("Location"))
	assert.NotEqual(t, before, b.cookie("session"))
	assert.Contains(t, b.get("/").body, "Two-factor authentication is <strong>off</strong>")
	assert.Contains(t, h.logs.String(), "event=\"two-factor off\" outcome=ok user=bob")
}

// TestPendingSecretSurvivesReloads: reloading the enrolment page, going
// Back to it, or mistyping the code keeps the secret the phone scanned.
func TestPendingSecretSurvivesReloads(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("carol", "password1")
	secret := b.startEnrolment(nil)
	for range 3 {
		r := b.get("/enroll")
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, secret, h.pageSecret(r.body), "a reload shows the same secret")
	}
	r := b.post("/enroll/start", nil)
	assert.Equal(t, "/enroll", r.header.Get("Location"), "Back and submit again: the same enrolment")
	assert.Equal(t, secret, h.pageSecret(b.get("/enroll").body))

	r = b.post("/enroll/confirm", url.Values{"code": {"000000"}, "password": {b.password}})
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.body, "That code did not match.")
	assert.Equal(t, secret, h.pageSecret(r.body), "a wrong code shows the same QR code again, with the form")
	assert.Contains(t, r.body, `action="/enroll/confirm"`)
	assert.Contains(t, b.get("/").body, `href="/enroll"`, "the account page leads back to it")

	h.clock.add(enrolmentTTL - time.Second)
	assert.Equal(t, secret, h.pageSecret(b.get("/enroll").body))
	h.clock.add(2 * time.Second)
	r = b.get("/enroll")
	assert.Equal(t, http.StatusNotFound, r.status, "an unconfirmed secret expires")
	assert.Contains(t, r.body, "expired")
	assert.Contains(t, r.body, `href="/"`)

	fresh := b.startEnrolment(nil)
	restarted := b.startEnrolment(url.Values{"restart": {"1"}})
	assert.NotEqual(t, fresh, restarted, "Start over makes a new secret")
	b.confirm(h.code(restarted, 0))
}

// TestEnrolmentBelongsToItsSession: another session of the same user
// cannot read the pending secret or confirm it.
func TestEnrolmentBelongsToItsSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("dave", "password1")
	secret := b.startEnrolment(nil)
	other := h.browser()
	require.Equal(t, http.StatusSeeOther, other.login("dave", "password1", "").status)
	r := other.get("/enroll")
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.NotContains(t, r.body, "secret")
	r = other.post("/enroll/confirm", url.Values{"code": {h.code(secret, 0)}, "password": {"password1"}})
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Contains(t, b.get("/").body, "<strong>off</strong>")
}

// TestRequestLimits: no form can make the server hold or write megabytes.
func TestRequestLimits(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.browser()

	r := b.login(strings.Repeat("a", 9<<20), "password1", "")
	assert.Equal(t, http.StatusRequestEntityTooLarge, r.status)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("user", "alice")
	fw, _ := mw.CreateFormFile("upload", "big.bin")
	fw.Write(make([]byte, 1<<20))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/login", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	r = b.do(req)
	assert.Equal(t, http.StatusUnsupportedMediaType, r.status, "multipart is refused before it is read")

	// A long name that fits the form is an unknown user, not a 500.
	r = b.login(strings.Repeat("a", 3000), "password1", "")
	assertRefused(t, r, http.StatusUnauthorized)
	assert.Contains(t, h.logs.String(), `user="(no such account)"`)
	assert.NotContains(t, h.logs.String(), strings.Repeat("a", 100))
}

// TestSlowClientsAreCut: a connection that never finishes its headers is
// closed by ReadHeaderTimeout, through the real server that run starts.
func TestSlowClientsAreCut(t *testing.T) {
	t.Parallel()
	srv := startRun(t, filepathIn(t, "web.db"), nil)
	conn := srv.dial(t)
	defer conn.Close()
	_, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n"))
	require.NoError(t, err)
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 512)
	for err == nil {
		_, err = conn.Read(buf)
	}
	assert.Less(t, time.Since(start), 15*time.Second, "closed after ReadHeaderTimeout, not held")
	assert.NotContains(t, err.Error(), "timeout", "the server closed it")
}

// TestNoEnumeration: an unknown name, a wrong password, a wrong code and
// a throttled attempt get the same status, body and Retry-After; only the
// wait, the same for all of them, grows.
func TestNoEnumeration(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("erin", "password1")
	h.signup("frank", "password1")
	cases := map[string]func() response{
		"unknown user":   func() response { return h.browser().login("nobody", "password1", "123456") },
		"wrong password": func() response { return h.browser().login("frank", "password2", "123456") },
		"wrong code": func() response {
			code := "000000"
			if h.code(secret, 0) == code || h.code(secret, 1) == code || h.code(secret, -1) == code {
				code = "000001"
			}
			return h.browser().login("erin", "password1", code)
		},
	}
	names := map[string]string{"unknown user": "nobody", "wrong password": "frank", "wrong code": "erin"}
	for round := 1; round <= guard.DefaultFreeFailures+3; round++ {
		var first response
		for name, try := range cases {
			r := try()
			r.body = strings.ReplaceAll(r.body, `value="`+names[name]+`"`, `value="NAME"`)
			if first.status == 0 {
				first = r
				continue
			}
			assert.Equal(t, first.status, r.status, "round %d, %s", round, name)
			assert.Equal(t, first.header.Get("Retry-After"), r.header.Get("Retry-After"), "round %d, %s", round, name)
			assert.Equal(t, first.body, r.body, "round %d, %s", round, name)
		}
		if round > guard.DefaultFreeFailures {
			assert.Equal(t, http.StatusTooManyRequests, first.status, "round %d", round)
			assert.NotEmpty(t, first.header.Get("Retry-After"))
		}
		h.clock.add(time.Duration(round%2) * time.Hour) // odd rounds wait out the delay; even rounds are throttled
	}
	logs := h.logs.String()
	for _, reason := range []string{"unknown user", "wrong password", "wrong code", "throttled, not checked"} {
		assert.Contains(t, logs, `reason="`+reason+`"`, "the log tells them apart; the client cannot")
	}
}

// TestTimingFloor: every answer to a login takes at least the floor, so
// that the time does not tell an unknown name (no hash) from a throttled
// attempt (no hash either) from a wrong code (a hash and a code check).
func TestTimingFloor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.app.loginFloor = 150 * time.Millisecond
	_, secret := h.enrol("grace", "password1")
	for name, try := range map[string]func() response{
		"unknown user":   func() response { return h.browser().login("nobody", "x", "") },
		"wrong password": func() response { return h.browser().login("grace", "x", "") },
		"wrong code":     func() response { return h.browser().login("grace", "password1", "000000") },
		"success":        func() response { return h.browser().login("grace", "password1", h.code(secret, 1)) },
		"server busy": func() response {
			h.app.hasher.mu.Lock()
			h.app.hasher.maxPerClient = 0
			h.app.hasher.mu.Unlock()
			defer func() { h.app.hasher.mu.Lock(); h.app.hasher.maxPerClient = hashesPerClient; h.app.hasher.mu.Unlock() }()
			r := h.browser().login("grace", "password1", "")
			assert.Equal(t, http.StatusTooManyRequests, r.status)
			return r
		},
	} {
		start := time.Now()
		try()
		assert.GreaterOrEqual(t, time.Since(start), h.app.loginFloor, name)
	}
}

// TestParallelLoginsCountEach: attempts that arrive together, past the
// last free failure, are counted before they are checked, so only one of
// them is checked. They come from addresses of their own (through a
// proxy), as a botnet's do: one address has only two checks in flight.
func TestParallelLoginsCountEach(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.app.proxied = true
	h.signup("ivan", "password1")
	for range guard.DefaultFreeFailures {
		h.browser().login("ivan", "wrong", "")
	}
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			postFrom(t, h, "192.0.2."+strconv.Itoa(i+1), "/login", url.Values{"user": {"ivan"}, "password": {"wrong"}})
		})
	}
	wg.Wait()
	logs := h.logs.String()
	assert.Equal(t, guard.DefaultFreeFailures+1, strings.Count(logs, `reason="wrong password"`), "exactly one more was checked")
	assert.Equal(t, n-1, strings.Count(logs, `reason="throttled, not checked"`), "the others were refused unchecked")
}

// TestCodeGuessingIsThrottledAndLocked: wrong codes go through the
// Guard: delays after 3, a lock after 100 that only an operator lifts.
// The guesser has the password, but not the owner's browser.
func TestCodeGuessingIsThrottledAndLocked(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	owner, secret := h.enrol("judy", "password1")
	attacker := h.browser()
	for range 3 {
		assertRefused(t, attacker.login("judy", "password1", h.wrongCode(secret)), http.StatusUnauthorized)
	}
	r := attacker.login("judy", "password1", h.wrongCode(secret))
	assertRefused(t, r, http.StatusTooManyRequests)
	assert.Equal(t, "1", r.header.Get("Retry-After"), "the first delay")
	// Another browser gets the same delay: the state is the account's,
	// wherever an untrusted attempt comes from.
	r = h.browser().login("judy", "password1", h.code(secret, 1))
	assertRefused(t, r, http.StatusTooManyRequests)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Contains(t, h.logs.String(), `reason="throttled, not checked"`)

	for range 96 {
		h.clock.add(15 * time.Minute)
		attacker.login("judy", "password1", h.wrongCode(secret))
	}
	h.clock.add(time.Hour)
	r = attacker.login("judy", "password1", h.code(secret, 1))
	assert.Equal(t, http.StatusForbidden, r.status)
	assert.Contains(t, r.body, "Ask the site&#39;s operator to unlock it.")
	h.clock.add(time.Hour)
	assertSameAnswer(t, r, h.browser().login("judy", "wrong password", h.code(secret, 1)), "a wrong password: locked alike")

	require.NoError(t, h.app.unlock(context.Background(), "Judy"), "the operator types the name as the owner does")
	r = attacker.login("judy", "password1", h.code(secret, 1))
	assert.Equal(t, http.StatusSeeOther, r.status, r.body)
	h.clock.add(30 * time.Second)
	assert.Equal(t, http.StatusSeeOther, owner.login("judy", "password1", h.code(secret, 1)).status)
}

// TestCrossOriginPostsRefused: CrossOriginProtection stops a form that
// another site makes a browser send, SameSite or not.
func TestCrossOriginPostsRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("kate", "password1")
	for name, header := range map[string][2]string{
		"Sec-Fetch-Site": {"Sec-Fetch-Site", "cross-site"},
		"Origin":         {"Origin", "https://evil.example"},
	} {
		for _, path := range []string{"/login", "/logout", "/signup", "/enroll/start", "/enroll/confirm", "/factor/remove"} {
			req, _ := http.NewRequest(http.MethodPost, h.http.URL+path, strings.NewReader("user=kate"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set(header[0], header[1])
			r := b.do(req)
			assert.Equal(t, http.StatusForbidden, r.status, "%s %s", name, path)
			assert.Contains(t, r.body, "sent from another site")
		}
	}
	assert.Equal(t, http.StatusNotFound, b.get("/enroll").status, "no enrolment was started")
	assert.Equal(t, "kate", b.signedInAs(), "no logout happened")

	req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/enroll/start", strings.NewReader("password=password1"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	assert.Equal(t, http.StatusSeeOther, b.do(req).status, "the site's own forms work")
}

// TestSecurityHeaders: on every page, the headers that keep the page out
// of frames, caches and other sites' hands.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("leo", "password1")
	b.startEnrolment(nil)
	for _, path := range []string{"/", "/signup", "/enroll", "/nowhere"} {
		r := b.get(path)
		csp := r.header.Get("Content-Security-Policy")
		assert.Contains(t, csp, "frame-ancestors 'none'", path)
		assert.Contains(t, csp, "default-src 'none'", path)
		assert.NotContains(t, csp, "unsafe-inline", path)
		assert.NotContains(t, csp, "script-src", path)
		assert.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"), path)
		assert.Equal(t, "no-referrer", r.header.Get("Referrer-Policy"), path)
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"), path)
		assert.Empty(t, r.header.Get("Strict-Transport-Security"), "HSTS only over TLS")
		assert.NotRegexp(t, regexp.MustCompile(`<script|style="|\son[a-z]+=`), r.body, "no inline script or style: the CSP would block it")
	}
}

// TestCookies: HttpOnly and SameSite (Strict for the device token)
// always; Secure and __Host- over TLS.
func TestCookies(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		var opts []harnessOption
		prefix := ""
		if tls {
			opts, prefix = []harnessOption{withTLS}, "__Host-"
		}
		h := newHarness(t, "", opts...)
		_, secret := h.enrol("mia", "password1")
		req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/login",
			strings.NewReader(url.Values{"user": {"mia"}, "password": {"password1"}, "code": {h.code(secret, 1)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := h.http.Client().Transport.RoundTrip(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		cookies := resp.Cookies()
		require.Len(t, cookies, 2, "session and device")
		for _, c := range cookies {
			assert.True(t, strings.HasPrefix(c.Name, prefix), c.Name)
			assert.True(t, c.HttpOnly, c.Name)
			sameSite := http.SameSiteLaxMode // so that a link from an e-mail opens the site signed in
			if c.Name == prefix+"device" {
				sameSite = http.SameSiteStrictMode // it only goes with the site's own forms
			}
			assert.Equal(t, sameSite, c.SameSite, c.Name)
			assert.Equal(t, tls, c.Secure, c.Name)
			assert.Equal(t, "/", c.Path, c.Name)
			assert.Empty(t, c.Domain, c.Name)
		}
		if tls {
			assert.Equal(t, "max-age=31536000", resp.Header.Get("Strict-Transport-Security"))
		}
	}
}

// postFrom posts form to path as the client at addr, through the proxy
// that h.app.proxied trusts, and returns the status.
func postFrom(t *testing.T, h *harness, addr, path string, form url.Values) int {
	req, err := http.NewRequest(http.MethodPost, h.http.URL+path, strings.NewReader(form.Encode()))
	if !assert.NoError(t, err) {
		return 0
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	resp, err := http.DefaultClient.Do(req)
	if !assert.NoError(t, err) {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServerTimeouts: the README's header, read, write and idle timeouts
// are set (TestSlowClientsAreCut shows the header one at work).
func TestServerTimeouts(t *testing.T) {
	t.Parallel()
	srv := newHarness(t, "").app.httpServer()
	assert.Equal(t, 5*time.Second, srv.ReadHeaderTimeout)
	assert.Equal(t, 15*time.Second, srv.ReadTimeout)
	assert.Equal(t, 30*time.Second, srv.WriteTimeout)
	assert.Equal(t, 2*time.Minute, srv.IdleTimeout)
	assert.Equal(t, 16<<10, srv.MaxHeaderBytes)
}

// TestDefaultLoginFloor: the program's logins take at least 500 ms, as the
// README says (the harness sets the floor to 0 for speed, and
// TestTimingFloor shows a floor at work).
func TestDefaultLoginFloor(t *testing.T) {
	t.Parallel()
	db, err := openDB(context.Background(), filepath.Join(t.TempDir(), "web.db"))
	require.NoError(t, err)
	defer db.Close()
	a, err := newApp(context.Background(), db, config{iterations: 10}, newKey(t), nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.Equal(t, 500*time.Millisecond, a.loginFloor)
}

// TestOnlyTokenHashesStored: the database holds the hashes of session
// tokens, never the tokens that the cookies carry, and nothing of device
// tokens, which the Guard checks by their signature.
func TestOnlyTokenHashesStored(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("sybil", "password1")
	token := b.cookie("session")
	require.NotEmpty(t, token)
	var stored []string
	rows, err := h.db.Query(`SELECT token_hash FROM web_sessions`)
	require.NoError(t, err)
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		stored = append(stored, s)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	assert.Equal(t, []string{tokenHash(token)}, stored)
	device := b.cookie("device")
	require.NotEmpty(t, device)
	dump := dumpDatabase(t, h.db)
	assert.NotContains(t, dump, device)
	assert.NotContains(t, dump, tokenHash(device))
}

// TestRestartNeedsPassword: while an enrolment is pending, starting over
// (restart=1) makes a new secret, so it needs what starting did: the
// password, and a current code while another factor is on. A stolen
// session cookie alone cannot swap the pending secret for the thief's.
func TestRestartNeedsPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	steal := func(b *browser) *browser {
		thief := h.browser()
		thief.setCookie("session", b.cookie("session"))
		return thief
	}
	pending := func(b *browser) []byte {
		r := b.get("/enroll")
		require.Equal(t, http.StatusOK, r.status, r.body)
		return h.pageSecret(r.body)
	}

	owner := h.signup("olga", "password1")
	secret := owner.startEnrolment(nil)
	page := owner.get("/enroll").body
	assert.Contains(t, page, `id="restart-password" name="password"`, "the Start over form asks for the password")
	assert.NotContains(t, page, `id="restart-code"`, "and for no code while no factor is on")
	thief := steal(owner)
	for name, form := range map[string]url.Values{
		"no password":    {"restart": {"1"}},
		"wrong password": {"restart": {"1"}, "password": {"password2"}},
	} {
		r := thief.post("/enroll/start", form)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, r.status, "%s: %s", name, r.body)
		assert.Equal(t, secret, pending(owner), "%s: the pending secret is unchanged", name)
	}

	// Replacing an active factor: the password alone is not enough either.
	owner.confirm(h.code(secret, 0))
	h.clock.add(30 * time.Second)
	replacement := owner.startEnrolment(url.Values{"code": {h.code(secret, 0)}})
	assert.Contains(t, owner.get("/enroll").body, `id="restart-code" name="code"`, "replacing: a code too")
	thief = steal(owner)
	for name, form := range map[string]url.Values{
		"no password":   {"restart": {"1"}},
		"password only": {"restart": {"1"}, "password": {"password1"}},
		"wrong code":    {"restart": {"1"}, "password": {"password1"}, "code": {"000000"}},
	} {
		r := thief.post("/enroll/start", form)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests}, r.status, "%s: %s", name, r.body)
		assert.Equal(t, replacement, pending(owner), "%s: the pending secret is unchanged", name)
	}
	assert.Contains(t, h.logs.String(), `event="start enrolment" outcome=denied user=olga`)

	h.clock.add(30 * time.Second)
	restarted := owner.startEnrolment(url.Values{"restart": {"1"}, "code": {h.code(secret, 0)}})
	assert.NotEqual(t, replacement, restarted, "with the password and a code, the owner starts over")
}

// dumpDatabase returns every value of every table of a SQLite database as
// text, for tests that a value is stored nowhere.
func dumpDatabase(t *testing.T, db *sql.DB) string {
	t.Helper()
	var tables []string
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table'`)
	require.NoError(t, err)
	for rows.Next() {
		var name string
		require.NoError(t, rows.Scan(&name))
		tables = append(tables, name)
	}
	require.NoError(t, rows.Err())
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query(`SELECT * FROM "` + table + `"`)
		require.NoError(t, err)
		cols, err := rows.Columns()
		require.NoError(t, err)
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			require.NoError(t, rows.Scan(ptrs...))
			for _, v := range values {
				fmt.Fprintf(&b, "%v|%s\n", v, v)
			}
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return b.String()
}

// TestConfirmNeedsPassword: a session stolen while an enrolment is pending
// shows the pending key on a reload; confirming it still needs the
// password, so the thief cannot make it the factor and take the recovery
// codes.
func TestConfirmNeedsPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("vera", "password1")
	secret := b.startEnrolment(nil)
	thief := h.browser()
	thief.setCookie("session", b.cookie("session")) // stolen
	for name, form := range map[string]url.Values{
		"no password":    {"code": {h.code(secret, 0)}},
		"wrong password": {"code": {h.code(secret, 0)}, "password": {"wrong-pass"}},
	} {
		r := thief.post("/enroll/confirm", form)
		assert.NotEqual(t, http.StatusOK, r.status, name)
		assert.NotContains(t, r.body, "Two-factor authentication is on.", name)
	}
	b.confirm(h.code(secret, 1))
}
