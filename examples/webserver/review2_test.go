package main

// Findings of the second security review (branch review2). Each test here
// fails on the code as reviewed.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
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
