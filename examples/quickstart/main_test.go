package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

// session runs the program on the given answers at a fixed time and
// returns its exit code and output.
func session(t *testing.T, at time.Time, answers ...string) (int, string, string) {
	t.Helper()
	pngPath := filepath.Join(t.TempDir(), "qr.png")
	var out bytes.Buffer
	code := run([]string{"-secret", testSecret, "-png", pngPath}, strings.NewReader(strings.Join(answers, "\n")+"\n"), &out, func() time.Time { return at })
	return code, out.String(), pngPath
}

func codeAt(t *testing.T, at time.Time) string {
	t.Helper()
	secret, err := otp.DecodeSecret(testSecret)
	require.NoError(t, err)
	code, err := otp.TOTP{Secret: secret}.Generate(at)
	require.NoError(t, err)
	return code
}

func TestQuickstart(t *testing.T) {
	at := time.Unix(1111111109, 0)
	right := codeAt(t, at)
	wrong := "000000"
	require.NotEqual(t, wrong, right)

	tests := []struct {
		name    string
		answers []string
		exit    int
		says    []string
	}{
		{"right code, then its replay refused", []string{"alice", "correct horse battery staple", right, right}, 0,
			[]string{"Code accepted.", "Logged in", "Code refused: it was already used.", "Done."}},
		{"code with a space, as apps show it", []string{"alice", "correct horse battery staple", right[:3] + " " + right[3:], right}, 0,
			[]string{"Code accepted.", "already used"}},
		{"wrong code, then the right one", []string{"alice", "correct horse battery staple", wrong, right, right}, 0,
			[]string{"Code refused: wrong code.", "Try again (2 left).", "Code accepted.", "already used"}},
		{"the previous step's code still works (skew 1)", []string{"alice", "correct horse battery staple", codeAt(t, at.Add(-30*time.Second)), codeAt(t, at.Add(-30*time.Second))}, 0,
			[]string{"Code accepted.", "already used"}},
		{"three wrong codes", []string{"alice", "correct horse battery staple", wrong, "111111", "222222"}, 1,
			[]string{"Try again (1 left).", "login refused: 3 wrong codes"}},
		{"wrong password", []string{"alice", "hunter2", right}, 1,
			[]string{"login refused: wrong user name or password"}},
		{"wrong user", []string{"bob", "correct horse battery staple", right}, 1,
			[]string{"login refused: wrong user name or password"}},
		{"input ends early", []string{"alice"}, 1, []string{"no answer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exit, out, _ := session(t, at, tt.answers...)
			assert.Equal(t, tt.exit, exit, out)
			for _, s := range tt.says {
				assert.Contains(t, out, s)
			}
		})
	}
}

func TestQuickstartShowsEnrolment(t *testing.T) {
	at := time.Unix(1111111109, 0)
	_, out, pngPath := session(t, at, "alice", "correct horse battery staple", codeAt(t, at), codeAt(t, at))
	assert.Contains(t, out, "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ", "the secret, grouped for reading")
	assert.Contains(t, out, "otpauth://totp/Example%20Corp:alice?secret="+testSecret+"&issuer=Example%20Corp")
	assert.Contains(t, out, "████", "the QR code in half blocks")
	assert.Contains(t, out, "changes in 1s", "the time left for the current code")
	assert.Contains(t, out, pngPath)

	data, err := os.ReadFile(pngPath)
	require.NoError(t, err)
	_, err = png.Decode(bytes.NewReader(data))
	assert.NoError(t, err)
}

func TestQuickstartLightBackground(t *testing.T) {
	var dark, light bytes.Buffer
	at := time.Unix(1111111109, 0)
	answers := "alice\ncorrect horse battery staple\n" + codeAt(t, at) + "\n" + codeAt(t, at) + "\n"
	for _, tc := range []struct {
		flags []string
		out   *bytes.Buffer
	}{{nil, &dark}, {[]string{"-light"}, &light}} {
		args := append([]string{"-secret", testSecret, "-png", filepath.Join(t.TempDir(), "qr.png")}, tc.flags...)
		require.Equal(t, 0, run(args, strings.NewReader(answers), tc.out, func() time.Time { return at }))
	}
	// The quiet zone is inked on a dark background and blank on a light one.
	assert.Contains(t, dark.String(), "\n"+strings.Repeat("█", 10))
	assert.NotContains(t, light.String(), strings.Repeat("█", 10))
	assert.Contains(t, light.String(), "\n"+strings.Repeat(" ", 10))
}
