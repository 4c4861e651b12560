package main

// Findings of the second security review (branch review2). Each test here
// fails on the code as reviewed.

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stalledLogin posts a login whose password hash waits stall (on the
// harness's clock) for a hashing slot, as it does on a busy server or one
// that the attacker keeps busy from other addresses, and returns the
// answer. It holds every slot of the hasher until the attempt is counted.
func (h *harness) stalledLogin(name, password, code string, stall time.Duration) response {
	h.t.Helper()
	ctx := context.Background()
	before, err := h.app.guard.State(ctx, h.app.loginKey(name))
	require.NoError(h.t, err)
	slots := h.app.hasher.slots
	for range cap(slots) {
		slots <- struct{}{}
	}
	done := make(chan response, 1)
	b := h.browser()
	go func() {
		req, _ := http.NewRequest(http.MethodPost, h.http.URL+"/login",
			strings.NewReader(url.Values{"user": {name}, "password": {password}, "code": {code}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := b.client.Do(req)
		if err != nil {
			done <- response{}
			return
		}
		resp.Body.Close()
		done <- response{status: resp.StatusCode, header: resp.Header}
	}()
	require.Eventually(h.t, func() bool {
		s, err := h.app.guard.State(ctx, h.app.loginKey(name))
		return err == nil && s.Failures == before.Failures+1
	}, 5*time.Second, time.Millisecond, "the attempt is counted before its hash")
	h.clock.add(stall)
	for range cap(slots) {
		<-slots
	}
	return <-done
}

// TestWaitAfterRightPasswordTellsNothing: a stranger who knows only a
// name brings its state into the delays with free wrong passwords, then
// tries a password with any code, then probes the wait with attempts that
// are refused unchecked and cost nothing. A wrong password's wait is
// counted from when the attempt came in; a right password's from when the
// password hash finished (CheckFactor takes its count back, and
// VerifyTOTP counts the code's failure at its own, later, time). So the
// wait that the next refusal announces is longer by the hash's time (and
// its queue) exactly when the password was right.
func TestWaitAfterRightPasswordTellsNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, secretA := h.enrol("olga", "password1")
	_, secretB := h.enrol("oleg", "password1")
	h.clock.add(30 * time.Second)
	for range 6 { // the 7th failure sets an 8 s wait
		h.browser().login("olga", "wrong-pass", "")
		h.browser().login("oleg", "wrong-pass", "")
		h.clock.add(15 * time.Minute)
	}

	wrongAttempt := h.stalledLogin("olga", "guess-one", h.wrongCode(secretA), 2*time.Second)
	probeWrong := h.browser().login("olga", "anything", "")
	rightAttempt := h.stalledLogin("oleg", "password1", h.wrongCode(secretB), 2*time.Second)
	probeRight := h.browser().login("oleg", "anything", "")
	assert.Equal(t, wrongAttempt.status, rightAttempt.status)
	assert.Equal(t, wrongAttempt.header.Get("Retry-After"), rightAttempt.header.Get("Retry-After"),
		"the attempts' own answers are alike")
	require.Equal(t, http.StatusTooManyRequests, probeWrong.status)
	require.Equal(t, http.StatusTooManyRequests, probeRight.status)
	assert.Equal(t, probeWrong.header.Get("Retry-After"), probeRight.header.Get("Retry-After"),
		"the wait after a right password must be the wait after a wrong one")
}

// TestIPv6NeighboursShareSignupThrottle: refused sign-ups (the probes of
// taken names) are throttled per address, and an IPv6 address is the
// whole /128, so one client with the /64 that every IPv6 subscriber gets
// has 2^64 fresh throttles: it probes names without a wait, and the bound
// on hashes in flight per client does not hold it either.
func TestIPv6NeighboursShareSignupThrottle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.app.proxied = true
	h.signup("tina", "password1")
	probe := url.Values{"user": {"tina"}, "password": {"password1"}}
	for range 4 { // three free refusals, and the fourth sets a wait
		assert.Equal(t, http.StatusBadRequest, postFrom(t, h, "2001:db8:1:2::1", "/signup", probe))
	}
	require.Equal(t, http.StatusTooManyRequests, postFrom(t, h, "2001:db8:1:2::1", "/signup", probe), "the address waits")
	assert.Equal(t, http.StatusTooManyRequests, postFrom(t, h, "2001:db8:1:2::2", "/signup", probe),
		"the next address of the same /64 is the same client, and must wait too")
}

// TestFloodOfUnknownNamesKeepsTrustedOwnerOut: names without an account
// are throttled per name typed, so an attacker who types a new name each
// time is never throttled, and each attempt costs a full password hash.
// From a few addresses (hashesPerClient each) the attacker holds every
// place of the hasher's bound on all clients, and the owner's browser,
// though trusted, is answered "busy" before its device token is looked at:
// for as long as the flood lasts the owner cannot sign in at all.
func TestFloodOfUnknownNamesKeepsTrustedOwnerOut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	owner, secret := h.enrol("uma", "password1")
	h.clock.add(30 * time.Second)
	h.app.proxied = true
	h.app.hasher.maxInFlight = 4 // as on one CPU; the real bound is 4 per CPU
	unblock := blockHashes(h)
	var wg sync.WaitGroup
	for i := range 4 {
		addr := "198.51.100." + strconv.Itoa(1+i/hashesPerClient)
		wg.Go(func() {
			postFrom(t, h, addr, "/login", url.Values{"user": {"nobody" + strconv.Itoa(i)}, "password": {"password1"}})
		})
	}
	h.waitInFlight(4)
	r := owner.login("uma", "password1", h.code(secret, 0))
	unblock()
	wg.Wait()
	assert.Equal(t, http.StatusSeeOther, r.status, "the owner's trusted browser, during a flood of unknown names: %s", r.body)
}
