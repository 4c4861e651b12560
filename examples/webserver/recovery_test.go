package main

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (b *browser) recoveryLogin(name, password, code string) response {
	b.h.t.Helper()
	r := b.post("/login/recovery", url.Values{"user": {name}, "password": {password}, "recovery": {code}})
	if r.status == http.StatusSeeOther {
		b.password = password
	}
	return r
}

// TestRecoveryCodesShownOnce: the codes appear on the page that turns
// two-factor on, with a text file of them, and nowhere after.
func TestRecoveryCodesShownOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("alice", "password1")
	secret := b.startEnrolment(nil)
	r := b.post("/enroll/confirm", url.Values{"code": {h.code(secret, 0)}, "password": {b.password}})
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
	m := regexp.MustCompile(`<a id="download" href="data:text/plain;charset=utf-8,([^"]+)" download="recovery-codes.txt">`).FindStringSubmatch(r.body)
	require.NotNil(t, m, "a download link")
	text, err := url.PathUnescape(strings.ReplaceAll(m[1], "&#43;", "+"))
	require.NoError(t, err)
	codes := codesRE.FindAllStringSubmatch(r.body, -1)
	require.Len(t, codes, 10)
	for _, c := range codes {
		assert.Contains(t, text, c[1]+"\n")
		assert.NotContains(t, b.get("/").body, c[1])
	}
	assert.Contains(t, b.get("/").body, "You have 10 unused recovery codes.")
}

func TestRecoveryLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("bob", "password1")
	secret := b.startEnrolment(nil)
	codes := b.confirm(h.code(secret, 0))

	lost := h.browser()
	r := lost.get("/")
	assert.Contains(t, r.body, `href="/login/recovery"`, "the login page leads to it")
	typed := strings.ToLower(strings.ReplaceAll(codes[3], "-", " ")) // as people type it
	r = lost.recoveryLogin("bob", "password1", typed)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/?m=recovered", r.header.Get("Location"))
	r = lost.get("/?m=recovered")
	assert.Contains(t, r.body, "signed in with a recovery code")
	assert.Contains(t, r.body, "You have 9 unused recovery codes.")
	assert.Contains(t, h.logs.String(), `event="recovery login" outcome=ok user=bob`)

	r = h.browser().recoveryLogin("bob", "password1", codes[3])
	assert.Equal(t, http.StatusUnauthorized, r.status, "each code works once")
	assert.Contains(t, r.body, "Wrong user name, password or recovery code.")
	r = h.browser().recoveryLogin("bob", "wrong password", codes[4])
	assert.Equal(t, http.StatusUnauthorized, r.status)
	r = h.browser().recoveryLogin("nobody", "password1", codes[4])
	assert.Equal(t, http.StatusUnauthorized, r.status, "an unknown name answers the same")
	assert.Contains(t, h.logs.String(), `reason="wrong recovery code"`)
	h.clock.add(time.Minute)
	r = h.browser().recoveryLogin("bob", "password1", codes[4])
	assert.Equal(t, http.StatusSeeOther, r.status, "a wrong password did not spend the code")
}

// TestRecoveryLoginWithoutFactor: an account without two-factor has no
// recovery codes; the password signs in, and the page does not claim that
// a code was used up.
func TestRecoveryLoginWithoutFactor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	h.signup("quinn", "password1")
	r := h.browser().recoveryLogin("quinn", "password1", "2222-2222-2222-2222")
	assert.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, "/?m=loggedin", r.header.Get("Location"))
}

// TestRecoveryCodesAreThrottled: wrong recovery codes count with wrong
// codes in the Guard.
func TestRecoveryCodesAreThrottled(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, _ = h.enrol("carol", "password1")
	for range 3 {
		assert.Equal(t, http.StatusUnauthorized, h.browser().recoveryLogin("carol", "password1", "2222-2222-2222-2222").status)
	}
	r := h.browser().recoveryLogin("carol", "password1", "2222-2222-2222-2222")
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "1", r.header.Get("Retry-After"))
}

func TestNewRecoveryCodes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("dave", "password1")
	secret := b.startEnrolment(nil)
	old := b.confirm(h.code(secret, 0))

	r := b.post("/recovery/new", url.Values{"password": {"password1"}})
	assert.Equal(t, http.StatusBadRequest, r.status, "a new set needs the password and a code")
	assert.Contains(t, r.body, "Check the code")
	r = b.post("/recovery/new", url.Values{"password": {"password2"}, "code": {h.code(secret, 1)}})
	assert.Equal(t, http.StatusUnauthorized, r.status)
	h.clock.add(30 * time.Second)
	r = b.post("/recovery/new", url.Values{"password": {"password1"}, "code": {h.code(secret, 0)}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "Your old recovery codes no longer work.")
	fresh := codesRE.FindAllStringSubmatch(r.body, -1)
	require.Len(t, fresh, 10)

	assert.Equal(t, http.StatusUnauthorized, h.browser().recoveryLogin("dave", "password1", old[0]).status)
	assert.Equal(t, http.StatusSeeOther, h.browser().recoveryLogin("dave", "password1", fresh[0][1]).status)
}

// gatedStore holds the first call that stores a set of recovery codes
// until the test releases it.
type gatedStore struct {
	*guard.SQLStore
	once             sync.Once
	entered, release chan struct{}
}

func (s *gatedStore) SetRecoveryHashes(ctx context.Context, account string, hashes []string) error {
	first := false
	s.once.Do(func() { first = true })
	if first {
		close(s.entered)
		<-s.release
	}
	return s.SQLStore.SetRecoveryHashes(ctx, account, hashes)
}

// TestConfirmRaceShowsCodesThatWork: two confirmations of one enrolment
// with two valid codes (a double submit across a step, two tabs) turn
// two-factor on once, and the recovery codes that the page shows are the
// ones stored, not a set that the other confirmation replaced.
func TestConfirmRaceShowsCodesThatWork(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("olga", "password1")
	secret := b.startEnrolment(nil)
	gate := &gatedStore{SQLStore: h.app.guard.Store.(*guard.SQLStore), entered: make(chan struct{}), release: make(chan struct{})}
	h.app.guard.Store = gate

	type answer struct {
		status int
		body   string
	}
	firstDone := make(chan answer, 1)
	go func() {
		resp, err := b.client.PostForm(h.http.URL+"/enroll/confirm", url.Values{"code": {h.code(secret, 0)}, "password": {b.password}})
		if err != nil {
			firstDone <- answer{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		firstDone <- answer{resp.StatusCode, string(body)}
	}()
	select {
	case <-gate.entered: // the first confirmation is storing its codes
	case <-time.After(10 * time.Second):
		t.Fatal("the first confirmation never stored recovery codes")
	}
	second := b.post("/enroll/confirm", url.Values{"code": {h.code(secret, 1)}, "password": {b.password}})
	close(gate.release)
	first := <-firstDone

	var shown []string
	for _, a := range []answer{first, {second.status, second.body}} {
		if a.status == http.StatusOK {
			require.Nil(t, shown, "two-factor went on once")
			for _, m := range codesRE.FindAllStringSubmatch(a.body, -1) {
				shown = append(shown, m[1])
			}
		}
	}
	require.Len(t, shown, 10, "one confirmation showed codes: %d %d", first.status, second.status)
	r := h.browser().recoveryLogin("olga", "password1", shown[0])
	assert.Equal(t, http.StatusSeeOther, r.status, "the codes shown are the codes stored")
}

// TestLostPhone: someone whose phone is lost signs in with a recovery
// code and, with the password and another recovery code, sets up a new
// phone or turns two-factor off, instead of spending the codes one login
// at a time until none is left.
func TestLostPhone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("pia", "password1")
	lostSecret := b.startEnrolment(nil)
	codes := b.confirm(h.code(lostSecret, 0))

	lost := h.browser()
	require.Equal(t, http.StatusSeeOther, lost.recoveryLogin("pia", "password1", codes[0]).status)
	r := lost.get("/?m=recovered")
	assert.Contains(t, r.body, "another recovery code", "the notice says how")
	assert.Contains(t, r.body, "or a recovery code if your phone is lost", "and the form takes one")

	r = lost.post("/enroll/start", url.Values{"password": {"password1"}, "code": {codes[0]}})
	assert.Equal(t, http.StatusUnauthorized, r.status, "a used recovery code is no proof")
	r = lost.post("/enroll/start", url.Values{"password": {"password2"}, "code": {codes[1]}})
	assert.Equal(t, http.StatusUnauthorized, r.status, "nor is one without the password")
	newSecret := lost.startEnrolment(url.Values{"password": {"password1"}, "code": {strings.ToLower(codes[1])}})
	lost.confirm(h.code(newSecret, 0))
	assert.Equal(t, http.StatusUnauthorized, h.browser().recoveryLogin("pia", "password1", codes[2]).status,
		"the old set went with the old factor")

	r = lost.post("/recovery/new", url.Values{"password": {"password1"}, "code": {"2222-2222-2222-2222"}})
	assert.Equal(t, http.StatusUnauthorized, r.status, "a wrong recovery code counts as a wrong code")
	assert.Contains(t, r.body, "Wrong password or code.")
}
