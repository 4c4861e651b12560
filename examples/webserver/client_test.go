package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/require"
)

// client is a browser without a browser, for a server started by run or
// as a process: it keeps cookies and does not follow redirects.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &client{t: t, base: base, http: &http.Client{
		Jar:           jar,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) get(path string, want int) string {
	c.t.Helper()
	resp, err := c.http.Get(c.base + path)
	return c.read(resp, err, want)
}

func (c *client) post(path string, form url.Values, want int) string {
	c.t.Helper()
	resp, err := c.http.Post(c.base+path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	return c.read(resp, err, want)
}

func (c *client) read(resp *http.Response, err error, want int) string {
	c.t.Helper()
	require.NoError(c.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	require.Equal(c.t, want, resp.StatusCode, string(body))
	return string(body)
}

func pageSecretOf(t *testing.T, body string) []byte {
	t.Helper()
	m := secretRE.FindStringSubmatch(body)
	require.NotNil(t, m, "an enrolment page")
	secret, err := otp.DecodeSecret(m[1])
	require.NoError(t, err)
	return secret
}

func codeAt(t *testing.T, secret []byte, at time.Time) string {
	t.Helper()
	code, err := totpFor(secret).Generate(at)
	require.NoError(t, err)
	return code
}
