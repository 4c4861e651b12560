package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testURI = "otpauth://totp/Example:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"

// zbar decodes the QR code in the image file at path with zbarimg (Debian
// zbar-tools), a scanner independent of this module.
func zbar(t *testing.T, path string) string {
	t.Helper()
	zbarimg := tool(t, "zbarimg", "zbar-tools")
	out, err := exec.Command(zbarimg, "--quiet", "--raw", "-Sbinary", path).Output()
	require.NoError(t, err, "zbarimg found no code in %s", path)
	return string(out)
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want otp.Key // the settings, without the secret
	}{
		{"TOTP defaults", []string{"Example", "alice"}, otp.Key{Issuer: "Example", Account: "alice", Digits: 6, Period: 30 * time.Second}},
		{"HOTP", []string{"-hotp", "-counter", "7", "Example", "bob"}, otp.Key{Type: otp.TypeHOTP, Issuer: "Example", Account: "bob", Digits: 6, Counter: 7}},
		{"settings", []string{"-algorithm", "sha256", "-digits", "8", "-period", "60s", "Ex Corp", "carol@example.com"},
			otp.Key{Issuer: "Ex Corp", Account: "carol@example.com", Algorithm: otp.SHA256, Digits: 8, Period: time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, "", append([]string{"new"}, tt.args...)...)
			require.Equal(t, 0, got.status, got.stderr)
			lines := strings.Split(got.stdout, "\n")
			require.True(t, strings.HasPrefix(lines[0], "Secret: "))
			require.True(t, strings.HasPrefix(lines[1], "URI: otpauth://"))
			k, err := otp.ParseURI(strings.TrimPrefix(lines[1], "URI: "))
			require.NoError(t, err)
			secret, err := otp.DecodeSecret(strings.TrimPrefix(lines[0], "Secret: "))
			require.NoError(t, err)
			assert.Equal(t, k.Secret, secret, "the grouped secret is the URI's")
			assert.Len(t, secret, 20)
			k.Secret = nil
			assert.Equal(t, tt.want, *k)
			code, err := otp.EncodeQR(strings.TrimPrefix(lines[1], "URI: "))
			require.NoError(t, err)
			assert.Contains(t, got.stdout, code.String())
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		args   []string
		status int
	}{
		{"one name", []string{"Example"}, 2},
		{"bad flag", []string{"-nope", "A", "b"}, 2},
		{"colon in issuer", []string{"Ex:ample", "alice"}, 1},
		{"digits 5", []string{"-digits", "5", "Example", "alice"}, 1},
		{"MD5", []string{"-algorithm", "MD5", "Example", "alice"}, 1},
		{"half seconds", []string{"-period", "1500ms", "Example", "alice"}, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, "", append([]string{"new"}, tt.args...)...)
			assert.Equal(t, tt.status, got.status)
			assert.Empty(t, got.stdout)
			assert.NotEmpty(t, got.stderr)
		})
	}
}

func TestNewFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	png, svg := filepath.Join(dir, "key.png"), filepath.Join(dir, "key.svg")
	got := runOTP(t, "", "new", "-png", png, "-svg", svg, "Example", "alice")
	require.Equal(t, 0, got.status, got.stderr)
	uri := strings.TrimPrefix(strings.Split(got.stdout, "\n")[1], "URI: ")
	for _, path := range []string{png, svg} {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), path)
	}
	data, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(data), "<"), "an SVG document")
	assert.Equal(t, uri, zbar(t, png))
}

// A file already there, or a link planted where the file goes, is never
// written through.
func TestFilesNeverReplaced(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	target := filepath.Join(dir, "elsewhere")
	require.NoError(t, os.WriteFile(target, []byte("keep"), 0o644))
	link := filepath.Join(dir, "link.png")
	require.NoError(t, os.Symlink(target, link))
	dangling := filepath.Join(dir, "dangling.png")
	require.NoError(t, os.Symlink(filepath.Join(dir, "nothing"), dangling))
	for _, path := range []string{target, link, dangling} {
		got := runOTP(t, "", "qr", "-png", path, testURI)
		assert.Equal(t, 1, got.status, path)
		assert.Contains(t, got.stderr, "cannot create")
		assert.NotContains(t, got.stderr, "JBSWY3DPEHPK3PXP")
	}
	data, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(data))
	_, err = os.Lstat(filepath.Join(dir, "nothing"))
	assert.True(t, os.IsNotExist(err), "nothing created through the dangling link")
}

func TestShow(t *testing.T) {
	t.Parallel()
	got := runOTP(t, testURI+"\n", "show")
	require.Equal(t, 0, got.status, got.stderr)
	assert.Contains(t, got.stdout, "Type:      totp\nIssuer:    Example\nAccount:   alice@example.com\nAlgorithm: SHA1\nDigits:    6\nPeriod:    30s\nCode:      ")
	assert.NotContains(t, got.stdout, "JBSWY3DPEHPK3PXP", "no secret without -secret")

	got = runOTP(t, "", "show", "-secret", "otpauth://hotp/Ex:bob?secret=JBSWY3DPEHPK3PXP&issuer=Ex&counter=5&foo=bar")
	require.Equal(t, 0, got.status, got.stderr)
	want, _ := otp.HOTP{Secret: []byte("Hello!\xde\xad\xbe\xef")}.Generate(5)
	assert.Contains(t, got.stdout, "Counter:   5\nCode:      "+want+"\nExtra:     foo=\"bar\"\nSecret:    JBSWY3DPEHPK3PXP\n")
}

func TestShowJSON(t *testing.T) {
	t.Parallel()
	for _, withSecret := range []bool{false, true} {
		args := []string{"show", "-json", "-"}
		if withSecret {
			args = []string{"show", "-json", "-secret", "-"}
		}
		got := runOTP(t, testURI, args...)
		require.Equal(t, 0, got.status, got.stderr)
		var info map[string]any
		require.NoError(t, json.Unmarshal([]byte(got.stdout), &info))
		assert.Equal(t, "totp", info["type"])
		assert.Equal(t, "Example", info["issuer"])
		assert.Equal(t, float64(30), info["period"])
		assert.Len(t, info["code"], 6)
		remaining, _ := info["remaining"].(float64)
		assert.True(t, remaining >= 1 && remaining <= 30, "remaining %v", info["remaining"])
		if withSecret {
			assert.Equal(t, "JBSWY3DPEHPK3PXP", info["secret"])
		} else {
			assert.NotContains(t, got.stdout, "JBSWY3DPEHPK3PXP")
		}
	}
}

func TestShowRefuses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, stdin, uri, says string }{
		{"short secret", "", "otpauth://totp/a?secret=AAAA", "otp show: otp: invalid key URI"},
		{"digits 5", "", "otpauth://totp/a?secret=JBSWY3DPEHPK3PXPJBSW&digits=5", "digits"},
		{"not a URI", "hello\n", "-", "otp show: otp: invalid key URI"},
		{"nothing", "", "-", "no key URI on standard input"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, tt.stdin, "show", tt.uri)
			assert.Equal(t, 1, got.status)
			assert.Empty(t, got.stdout)
			assert.Contains(t, got.stderr, tt.says)
			assert.NotContains(t, got.stderr, "JBSWY3DPEHPK3PXPJBSW")
		})
	}
}

func TestQR(t *testing.T) {
	t.Parallel()
	k, err := otp.ParseURI(testURI)
	require.NoError(t, err)
	uri := k.URI() // what apps read the same way: "@" percent-encoded
	code, err := otp.EncodeQR(uri)
	require.NoError(t, err)
	got := runOTP(t, "QR-Code:"+testURI+"\n", "qr")
	require.Equal(t, 0, got.status, got.stderr)
	assert.Equal(t, code.String()+"\n", got.stdout)
	got = runOTP(t, "", "qr", "-light", testURI)
	assert.Equal(t, code.StringLightBackground()+"\n", got.stdout)

	dir := t.TempDir()
	png := filepath.Join(dir, "code.png")
	got = runOTP(t, testURI, "qr", "-png", png)
	require.Equal(t, 0, got.status, got.stderr)
	assert.Empty(t, got.stdout, "a file instead of the terminal")
	assert.Equal(t, uri, zbar(t, png))

	got = runOTP(t, "", "qr", "otpauth://totp/a?secret=AAAA")
	assert.Equal(t, 1, got.status)
	assert.Contains(t, got.stderr, "otp qr: otp: invalid key URI")
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"help", "help"}} {
		got := runOTP(t, "", args...)
		assert.Equal(t, 0, got.status, args)
		assert.Contains(t, got.stdout, "Usage: otp COMMAND", args)
		assert.Empty(t, got.stderr)
	}
	for _, name := range []string{"code", "new", "show", "qr", "export", "import"} {
		for _, args := range [][]string{{"help", name}, {name, "-h"}} {
			got := runOTP(t, "", args...)
			assert.Equal(t, 0, got.status, args)
			assert.Contains(t, got.stdout, "Usage: otp "+name, args)
			assert.Empty(t, got.stderr, args)
		}
	}
	for _, args := range [][]string{nil, {"bogus"}, {"help", "bogus"}, {"show", "-bogus"}, {"show", "a", "b"}} {
		got := runOTP(t, "", args...)
		assert.Equal(t, 2, got.status, args)
		assert.Empty(t, got.stdout, args)
		assert.NotEmpty(t, got.stderr, args)
	}
}
