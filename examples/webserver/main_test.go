package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnrolAndLogin is the whole happy path on each database: sign up,
// enrol, log out, log in with password and code.
func TestEnrolAndLogin(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		h := newHarness(t, dsn)
		b, secret := h.enrol("alice", "correct horse")
		assert.Equal(t, "alice", b.signedInAs())
		r := b.get("/")
		assert.Contains(t, r.body, "Two-factor authentication is <strong>on</strong>")
		assert.Contains(t, r.body, "You have 10 unused recovery codes.")

		r = b.post("/logout", nil)
		assert.Equal(t, http.StatusSeeOther, r.status)
		assert.Empty(t, b.signedInAs())

		r = b.login("alice", "correct horse", h.code(secret, 1))
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		assert.Equal(t, "alice", b.signedInAs())
		assert.Contains(t, h.logs.String(), "event=login outcome=ok user=alice")
	})
}

func TestCodeRequiredOnceTwoFactorIsOn(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("bob", "password1")
	b := h.browser()
	assertRefused(t, b.login("bob", "password1", ""), http.StatusUnauthorized)
	assertRefused(t, b.login("bob", "password1", "000000"), http.StatusUnauthorized)
	assertRefused(t, b.login("bob", "wrong password", h.code(secret, 1)), http.StatusUnauthorized)
	assert.Empty(t, b.signedInAs())
	assert.Contains(t, h.logs.String(), `reason="wrong code"`)
	assert.Contains(t, h.logs.String(), `reason="wrong password"`)
}

// TestCodeWithSpaces: apps show "123 456"; people type or paste it so.
func TestCodeWithSpaces(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("carol", "password1")
	for name, format := range map[string]func(string) string{
		"as apps show it": func(c string) string { return c[:3] + " " + c[3:] },
		"padded":          func(c string) string { return " " + c + " " },
		"no-break space":  func(c string) string { return c[:3] + "\u00a0" + c[3:] },
		"full-width":      func(c string) string { return strings.Map(func(r rune) rune { return r - '0' + '０' }, c) },
	} {
		h.clock.add(30 * time.Second) // each code once: a new step for each
		r := h.browser().login("carol", "password1", format(h.code(secret, 0)))
		assert.Equal(t, http.StatusSeeOther, r.status, "%s: %s", name, r.body)
	}
}

// TestReplayedCodeSaysWait: the code used to confirm enrolment, or to log
// in, is refused with a message that says to wait for the next code and
// how long, not a bare "Login failed".
func TestReplayedCodeSaysWait(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b, secret := h.enrol("dave", "password1") // a browser the Guard trusts: see TestReplayOnlyToldToTrustedDevice
	h.clock.add(10 * time.Second)             // 20 s left in the step

	r := b.login("dave", "password1", h.code(secret, 0)) // the confirming code
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.body, "That code was used already. Wait for the next code in your app (about 20 seconds)")
	assert.Equal(t, "20", r.header.Get("Retry-After"))
	assert.Contains(t, h.logs.String(), `reason="replayed code"`)

	r = b.login("dave", "password1", h.code(secret, 1))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	r = b.login("dave", "password1", h.code(secret, 1))
	assert.Contains(t, r.body, "That code was used already.")
}

func TestAccountWithoutFactorLogsInWithPassword(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.signup("erin", "password1")
	b := h.browser()
	r := b.login("erin", "password1", "")
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	r = b.get("/")
	assert.Contains(t, r.body, "Two-factor authentication is <strong>off</strong>")
	assert.Contains(t, r.body, `action="/enroll/start"`)
}

func TestSignupRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.signup("frank", "password1")
	for _, tc := range []struct {
		name, user, password, want string
	}{
		{"taken", "frank", "password1", "That user name is taken."},
		{"empty name", "", "password1", "That user name cannot be used"},
		{"control character", "fr\x00ank", "password1", "That user name cannot be used"},
		{"bidi override", "fr\u202eank", "password1", "That user name cannot be used"},
		{"invalid UTF-8", "fr\xffank", "password1", "That user name cannot be used"},
		{"leading space", " frank", "password1", "That user name cannot be used"},
		{"65 bytes", strings.Repeat("a", 65), "password1", "That user name cannot be used"},
		{"3000 characters", strings.Repeat("a", 3000), "password1", "That user name cannot be used"},
		{"short password", "grace", "1234567", "at least 8 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.clock.add(time.Hour) // past any sign-up delay from the cases before
			r := h.browser().post("/signup", url.Values{"user": {tc.user}, "password": {tc.password}})
			assert.Equal(t, http.StatusBadRequest, r.status, "one status for every refusal: a taken name looks like a bad one")
			assert.Contains(t, r.body, tc.want)
			assert.Empty(t, r.header.Values("Set-Cookie"))
		})
	}
	h.clock.add(time.Hour)
	r := h.browser().post("/signup", url.Values{"user": {strings.Repeat("a", 64)}, "password": {"password1"}})
	assert.Equal(t, http.StatusSeeOther, r.status, "64 bytes is allowed")
}

// TestSignupProbesSlowDown: each refused sign-up from an address counts,
// so probing which names exist slows down like guessing passwords does.
func TestSignupProbesSlowDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.signup("heidi", "password1")
	b := h.browser()
	for range guard.DefaultFreeFailures + 1 {
		r := b.post("/signup", url.Values{"user": {"heidi"}, "password": {"password1"}})
		require.Equal(t, http.StatusBadRequest, r.status)
	}
	r := b.post("/signup", url.Values{"user": {"heidi"}, "password": {"password1"}})
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
	assert.Contains(t, r.body, "Too many refused sign-ups from your address. Wait a second")
	h.clock.add(time.Second)
	r = b.post("/signup", url.Values{"user": {"ivan"}, "password": {"password1"}})
	assert.Equal(t, http.StatusSeeOther, r.status)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("judy", "password1")
	token := b.cookie("session")
	require.NotEmpty(t, token)
	r := b.post("/logout", nil)
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "/?m=out", r.header.Get("Location"))
	assert.Empty(t, b.signedInAs())

	// The token is dead on the server, not just forgotten by the browser.
	other := h.browser()
	other.setCookie("session", token)
	assert.Empty(t, other.signedInAs())
	r = other.post("/enroll/start", nil)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.body, `href="/"`, "the message links to the sign-in page")
}

func TestSessionExpiry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	t.Run("idle", func(t *testing.T) {
		b := h.signup("kim", "password1")
		h.clock.add(sessionIdle - time.Minute)
		assert.Equal(t, "kim", b.signedInAs(), "in use: still signed in")
		h.clock.add(sessionIdle - time.Minute)
		assert.Equal(t, "kim", b.signedInAs(), "each request resets the idle time")
		h.clock.add(sessionIdle + time.Second)
		assert.Empty(t, b.signedInAs(), "idle too long")
	})
	t.Run("absolute", func(t *testing.T) {
		b := h.signup("leo", "password1")
		for elapsed := time.Duration(0); elapsed < sessionMaxAge-20*time.Minute; elapsed += 20 * time.Minute {
			h.clock.add(20 * time.Minute)
			require.Equal(t, "leo", b.signedInAs(), "after %v", elapsed)
		}
		h.clock.add(21 * time.Minute)
		assert.Empty(t, b.signedInAs(), "no session outlives sessionMaxAge, however busy")
	})
}

// TestSessionRotatesAtLogin: a session token planted before login (session
// fixation) is not what the login signs in.
func TestSessionRotatesAtLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("mallory-target", "password1")
	attacker := h.signup("mallory", "password1")
	planted := attacker.cookie("session")

	victim := h.browser()
	victim.setCookie("session", planted)
	r := victim.login("mallory-target", "password1", h.code(secret, 1))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.NotEqual(t, planted, victim.cookie("session"))
	assert.Equal(t, "mallory-target", victim.signedInAs())
	assert.Empty(t, attacker.signedInAs(), "the planted token was ended, not upgraded")
}

func TestStaticStylesheet(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	r := h.browser().get("/static/style.css")
	assert.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.header.Get("Content-Type"), "text/css")
	assert.Contains(t, r.body, "max-width")
	assert.Contains(t, h.browser().get("/").body, `<link rel="stylesheet" href="/static/style.css">`)
}

// TestStaticServesFilesOnly: no directory listing, and a missing file is
// the site's own 404 page, not cached.
func TestStaticServesFilesOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	for _, path := range []string{"/static/", "/static/nope.css", "/static/style.css/"} {
		r := h.browser().get(path)
		assert.Equal(t, http.StatusNotFound, r.status, path)
		assert.Equal(t, "no-store", r.header.Get("Cache-Control"), path)
		assert.Contains(t, r.body, `<a id="next" href="/">Go to the start page</a>`, path)
	}
	r := h.browser().get("/static/style.css")
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "public, max-age=3600", r.header.Get("Cache-Control"))
	assert.Contains(t, r.header.Get("Content-Security-Policy"), "default-src 'none'")
}

func TestUnknownPages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	for _, path := range []string{"/nowhere", "/logout", "/enroll/confirm"} {
		r := h.browser().get(path)
		assert.Equal(t, http.StatusNotFound, r.status, path)
		assert.Contains(t, r.body, `<a id="next" href="/">Go to the start page</a>`, path)
	}
}

// TestMalformedCodeGetsAHint: what cannot be a code is refused with a hint
// before anything is checked or counted; the hint depends on the text
// alone, so it says nothing about the account.
func TestMalformedCodeGetsAHint(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("gina", "password1")
	for typed, want := range map[string]string{
		"12345":   "that is 5 digits, and the app shows 6",
		"12345O":  "is not a digit",
		"1234567": "that is 7 digits",
	} {
		for _, name := range []string{"gina", "nobody"} {
			r := h.browser().login(name, "password1", typed)
			assert.Equal(t, http.StatusBadRequest, r.status, typed)
			assert.Contains(t, r.body, "Check the code: ", typed)
			assert.Contains(t, r.body, want, typed)
		}
	}
	h.clock.add(30 * time.Second)
	r := h.browser().login("gina", "password1", h.code(secret, 0))
	assert.Equal(t, http.StatusSeeOther, r.status, "none of those counted as a failure")
	assert.NotContains(t, h.logs.String(), "outcome=denied")
}
