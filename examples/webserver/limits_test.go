package main

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestParallelSignupsCountedFirst: sign-ups of taken names sent together
// from one address are counted before the password is hashed, so only
// the free ones and the one that sets the wait are answered; the rest wait.
func TestParallelSignupsCountedFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.signup("oscar", "password1")
	h.app.hasher.maxPerClient = 100 // this test is of the count, not of the bound on hashes in flight
	const n = 24
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, err := http.PostForm(h.http.URL+"/signup", url.Values{"user": {"oscar"}, "password": {"password1"}})
			if assert.NoError(t, err) {
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}
		})
	}
	wg.Wait()
	counts := map[int]int{}
	for _, s := range statuses {
		counts[s]++
	}
	assert.Equal(t, map[int]int{http.StatusBadRequest: guard.DefaultFreeFailures + 1, http.StatusTooManyRequests: n - guard.DefaultFreeFailures - 1}, counts)
}

// TestSuccessfulSignupsAreNotCounted: only refused sign-ups count, so an
// address may make accounts one after another.
func TestSuccessfulSignupsAreNotCounted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	for i := range 2 * guard.DefaultFreeFailures {
		h.signup("user"+strconv.Itoa(i), "password1")
	}
}

// blockHashes makes every password hash wait until the returned function
// is called, by taking every CPU slot of the hasher.
func blockHashes(h *harness) (unblock func()) {
	for range cap(h.app.hasher.slots) {
		h.app.hasher.slots <- struct{}{}
	}
	return func() {
		for range cap(h.app.hasher.slots) {
			<-h.app.hasher.slots
		}
	}
}

func (h *harness) waitInFlight(want int) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		h.app.hasher.mu.Lock()
		defer h.app.hasher.mu.Unlock()
		return h.app.hasher.inFlight[0]+h.app.hasher.inFlight[1] == want
	}, 5*time.Second, time.Millisecond)
}

// TestPasswordChecksBounded: one client has at most two password checks in
// flight, and all clients together at most a bound; beyond, the answer is
// 429 at once, with nothing hashed or counted, and the owner's login from
// elsewhere is not queued behind the flood.
func TestPasswordChecksBounded(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.app.proxied = true
	h.signup("peggy", "password1")
	h.app.hasher.maxInFlight = 3
	wrong := url.Values{"user": {"peggy"}, "password": {"wrong"}}

	unblock := blockHashes(h)
	var wg sync.WaitGroup
	statuses := make([]int, 3)
	for i := range 2 {
		wg.Go(func() { statuses[i] = postFrom(t, h, "192.0.2.1", "/login", wrong) })
	}
	h.waitInFlight(2)
	assert.Equal(t, http.StatusTooManyRequests, postFrom(t, h, "192.0.2.1", "/login", wrong), "a third from one client")
	assert.Equal(t, http.StatusTooManyRequests, postFrom(t, h, "192.0.2.1", "/signup", url.Values{"user": {"x"}, "password": {"password1"}}),
		"sign-ups hash too")
	wg.Go(func() { statuses[2] = postFrom(t, h, "192.0.2.2", "/login", wrong) })
	h.waitInFlight(3)
	assert.Equal(t, http.StatusTooManyRequests, postFrom(t, h, "192.0.2.3", "/login", wrong), "past the bound for all clients")
	unblock()
	wg.Wait()
	assert.Equal(t, []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusUnauthorized}, statuses)
	h.waitInFlight(0)

	logs := h.logs.String()
	assert.Equal(t, 2, strings.Count(logs, `reason="too many password checks at once"`))
	assert.Equal(t, 3, strings.Count(logs, `reason="wrong password"`), "the refused ones were not counted")

	r := h.browser().login("peggy", "password1", "")
	assert.Equal(t, http.StatusSeeOther, r.status, "three failures counted, all free: %s", r.body)
	h.app.hasher.mu.Lock()
	defer h.app.hasher.mu.Unlock()
	assert.Empty(t, h.app.hasher.perClient, "no address is remembered once its checks are done")
}

// TestBusyAnswer: the answer past the bound says what happened, asks for
// a second, and tells nothing about the account.
func TestBusyAnswer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.app.hasher.maxPerClient = 0
	for _, name := range []string{"nobody", "quentin"} {
		r := h.browser().login(name, "password1", "")
		assert.Equal(t, http.StatusTooManyRequests, r.status)
		assert.Equal(t, "1", r.header.Get("Retry-After"))
		assert.Contains(t, r.body, "The server is busy checking other passwords. Wait a second, then try again.")
	}
}
