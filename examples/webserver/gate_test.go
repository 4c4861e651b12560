package main

// The login gated on one Guard state per user (issue 22, item 2): a right
// password tells nothing while the account waits or is locked, trusted
// devices keep their owner in, and only they hear that a code was used.

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

// wrongCode returns a code that is none of the three the window accepts.
func (h *harness) wrongCode(secret []byte) string {
	h.t.Helper()
	for _, c := range []string{"000000", "000001", "000002", "000003"} {
		if c != h.code(secret, -1) && c != h.code(secret, 0) && c != h.code(secret, 1) {
			return c
		}
	}
	h.t.Fatal("no wrong code among four: the window holds three")
	return ""
}

// assertSameAnswer checks that two answers to a login are alike in all a
// client can see: status, body and Retry-After.
func assertSameAnswer(t *testing.T, want, got response, msg string) {
	t.Helper()
	assert.Equal(t, want.status, got.status, msg)
	assert.Equal(t, want.header.Get("Retry-After"), got.header.Get("Retry-After"), msg)
	assert.Equal(t, want.body, got.body, msg)
	assert.Empty(t, got.header.Values("Set-Cookie"), msg)
}

// TestThrottledLoginTellsNothing: with the owner's Guard state delayed,
// then locked, by someone who has the password and guesses codes, a
// stranger with no cookies gets the same answer for the right password
// as for a wrong one: the gate refuses before any factor is checked.
func TestThrottledLoginTellsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("tess", "password1")
	h.clock.add(30 * time.Second)
	attacker := h.browser()
	for range guard.DefaultFreeFailures + 1 {
		attacker.login("tess", "password1", h.wrongCode(secret))
	}
	stranger := func(password string) response {
		return h.browser().login("tess", password, h.wrongCode(secret))
	}
	right, wrong := stranger("password1"), stranger("password2")
	assertRefused(t, right, http.StatusTooManyRequests)
	assert.NotEmpty(t, right.header.Get("Retry-After"))
	assertSameAnswer(t, wrong, right, "delayed: a right password and a wrong one")

	for range 100 {
		h.clock.add(15 * time.Minute)
		attacker.login("tess", "password1", h.wrongCode(secret))
	}
	right, wrong = stranger("password1"), stranger("password2")
	assert.Equal(t, http.StatusForbidden, right.status, right.body)
	assertSameAnswer(t, wrong, right, "locked: a right password and a wrong one")
	r := h.browser().login("tess", "password1", h.code(secret, 0))
	assertSameAnswer(t, wrong, r, "locked: even with a right code")
}

// TestWrongPasswordsAndCodesShareTheGate: wrong passwords and wrong codes
// count in the one state, so a stranger's wrong passwords delay the code
// step too, and an unknown name fails alike round after round.
func TestWrongPasswordsAndCodesShareTheGate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secret := h.enrol("ursula", "password1")
	h.clock.add(30 * time.Second)
	for range guard.DefaultFreeFailures {
		assertRefused(t, h.browser().login("ursula", "wrong", ""), http.StatusUnauthorized)
	}
	r := h.browser().login("ursula", "password1", h.wrongCode(secret))
	assertRefused(t, r, http.StatusTooManyRequests)
	assert.Equal(t, "1", r.header.Get("Retry-After"), "the fourth failure, a code after three passwords, sets the first wait")
	r = h.browser().login("ursula", "password1", h.code(secret, 0))
	assertRefused(t, r, http.StatusTooManyRequests)
	h.clock.add(time.Second)
	r = h.browser().login("ursula", "password1", h.code(secret, 0))
	assert.Equal(t, http.StatusSeeOther, r.status, "after the wait, the whole login: %s", r.body)
}

// TestTrustedDeviceKeepsOwnerIn: someone with the password who hammers the
// account from elsewhere until it locks never delays the owner's browser,
// which the Guard trusts since its last full login; every other browser
// is locked out alike.
func TestTrustedDeviceKeepsOwnerIn(t *testing.T) {
	t.Parallel()
	for _, tls := range []bool{false, true} {
		var opts []harnessOption
		prefix := ""
		if tls {
			opts, prefix = []harnessOption{withTLS}, "__Host-"
		}
		h := newHarness(t, "", opts...)
		owner, secret := h.enrol("vera", "password1")
		require.NotEmpty(t, owner.cookie(prefix+"device"), "a full login gives a device token")

		attacker := h.browser()
		for i := range guard.MaxLockAfter + 5 {
			h.clock.add(15 * time.Minute)
			if i%2 == 0 {
				attacker.login("vera", "password1", h.wrongCode(secret))
			} else {
				attacker.login("vera", "wrong", "")
			}
		}
		r := attacker.login("vera", "password1", h.code(secret, 0))
		assert.Equal(t, http.StatusForbidden, r.status, "locked for everyone else")
		r = h.browser().login("vera", "password1", h.code(secret, 0))
		assert.Equal(t, http.StatusForbidden, r.status, "a new browser too")

		r = owner.login("vera", "password1", h.code(secret, 0))
		assert.Equal(t, http.StatusSeeOther, r.status, "the owner's trusted browser, undelayed: %s", r.body)
		h.clock.add(30 * time.Second)
		forged := h.browser()
		forged.setCookie(prefix+"device", strings.Repeat("A", 70))
		assert.Equal(t, http.StatusForbidden, forged.login("vera", "password1", h.code(secret, 0)).status,
			"a forged token is no token")
	}
}

// TestReplayOnlyToldToTrustedDevice: "that code was used already" would
// tell anyone that the password before it was right, so only a browser
// the Guard trusts hears it; others get the answer of a wrong code.
func TestReplayOnlyToldToTrustedDevice(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	owner, secret := h.enrol("wanda", "password1")
	h.clock.add(10 * time.Second) // 20 s left in the step

	used := h.code(secret, 0) // the confirming code
	r := owner.login("wanda", "password1", used)
	assert.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.body, "That code was used already. Wait for the next code in your app (about 20 seconds)")
	assert.Equal(t, "20", r.header.Get("Retry-After"))

	replayed := h.browser().login("wanda", "password1", used)
	assert.NotContains(t, replayed.body, "used already")
	wrong := h.browser().login("wanda", "password1", h.wrongCode(secret))
	assertSameAnswer(t, wrong, replayed, "to an untrusted browser a replayed code is a wrong one")
	assert.Contains(t, h.logs.String(), `reason="replayed code"`)

	h.clock.add(time.Hour)
	stranger := h.browser()
	r = stranger.login("wanda", "password1", h.code(secret, 1))
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	r = stranger.post("/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, r.status)
	r = stranger.login("wanda", "password1", h.code(secret, 1))
	assert.Contains(t, r.body, "That code was used already.", "a full login makes a browser trusted")
}
