package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/guard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTwoInstancesOneDatabase: two servers on one database serve one
// site: an account made on one logs in on the other, a session from one
// works on the other, and one code sent to both is accepted once.
func TestTwoInstancesOneDatabase(t *testing.T) {
	backends(t, func(t *testing.T, dsn string) {
		if dsn == "" {
			dsn = filepath.Join(t.TempDir(), "web.db")
		}
		a := newHarness(t, dsn)
		b := newHarnessWithKey(t, dsn, a.key)
		b.clock = a.clock
		b.app.now, b.app.guard.Now = a.clock.now, a.clock.now

		_, secret := a.enrol("alice", "password1")
		a.clock.add(30 * time.Second)
		onB := b.browser()
		require.Equal(t, http.StatusSeeOther, onB.login("alice", "password1", a.code(secret, 0)).status)

		moved := a.browser()
		moved.setCookie("session", onB.cookie("session"))
		assert.Equal(t, "alice", moved.signedInAs(), "a session from B works on A")

		code := a.code(secret, 1)
		statuses := make([]int, 2)
		var wg sync.WaitGroup
		for i, h := range []*harness{a, b} {
			wg.Go(func() { statuses[i] = h.browser().login("alice", "password1", code).status })
		}
		wg.Wait()
		assert.ElementsMatch(t, []int{http.StatusSeeOther, http.StatusUnauthorized}, statuses, "accepted once")
		logs := a.logs.String() + b.logs.String()
		assert.Equal(t, 1, strings.Count(logs, `reason="replayed code"`))
	})
}

// TestLogsHoldNoSecrets: one line per auth event, with outcome and
// reason, and never a password, code, secret or recovery code, not even
// a password typed into the name field.
func TestLogsHoldNoSecrets(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	b := h.signup("alice", "my secret password")
	secret := b.startEnrolment(nil)
	confirmCode := h.code(secret, 0)
	recovery := b.confirm(confirmCode)
	h.clock.add(30 * time.Second)
	code := h.code(secret, 0)
	h.browser().login("alice", "my secret password", code)
	h.browser().login("alice", "my secret password", code)
	h.browser().login("alice", "wrong password", code)
	h.browser().post("/login/recovery", url.Values{"user": {"alice"}, "password": {"my secret password"}, "recovery": {recovery[0]}})
	for range guard.DefaultFreeFailures + 2 { // the password typed into the name field, until the delay refuses it unchecked
		h.browser().login("my secret password", "", "")
	}

	logs := h.logs.String()
	for _, event := range []string{
		"event=signup outcome=ok",
		`event="enrolment started" outcome=ok`,
		`event="enrolment confirm" outcome=ok`,
		`event="two-factor on" outcome=ok`,
		`event=login outcome=ok`,
		`event=login outcome=denied user=alice addr=127.0.0.1 reason="replayed code"`, // to an untrusted browser
		`event=login outcome=denied user=alice addr=127.0.0.1 reason="wrong password"`,
		`event="recovery login" outcome=ok`,
		`event=login outcome=denied user="(no such account)" addr=127.0.0.1 reason="unknown user"`,
		`event=login outcome=denied user="(no such account)" addr=127.0.0.1 reason="throttled, not checked"`,
	} {
		assert.Contains(t, logs, event)
	}
	secrets := []string{"my secret password", otp.EncodeSecret(secret), otp.FormatSecret(secret), confirmCode, code}
	for _, c := range recovery {
		secrets = append(secrets, c, strings.ReplaceAll(c, "-", ""))
	}
	for _, s := range secrets {
		assert.NotContains(t, logs, s)
	}
}
