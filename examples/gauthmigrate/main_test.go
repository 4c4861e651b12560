package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// realExports returns the exports of the library's corpus that decode,
// with the key URIs of their accounts, in order.
func realExports(t *testing.T) (uris, keyURIs []string) {
	t.Helper()
	data, err := os.ReadFile("../../testdata/migrations.json")
	require.NoError(t, err)
	var corpus struct {
		Cases []struct {
			URI       string `json:"uri"`
			Migration *struct {
				Keys []struct {
					Type, Issuer, Account, Secret string
					Algorithm                     string
					Digits, Period                int
					Counter                       uint64
				} `json:"keys"`
			} `json:"migration"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &corpus))
	for _, c := range corpus.Cases {
		if c.Migration == nil {
			continue
		}
		uris = append(uris, c.URI)
		for _, k := range c.Migration.Keys {
			secret, err := otp.DecodeSecret(k.Secret)
			require.NoError(t, err)
			alg, err := otp.ParseAlgorithm(k.Algorithm)
			require.NoError(t, err)
			types := map[string]otp.KeyType{"totp": otp.TypeTOTP, "hotp": otp.TypeHOTP}
			require.Contains(t, types, k.Type)
			key := &otp.Key{Type: types[k.Type], Issuer: k.Issuer, Account: k.Account, Secret: secret, Algorithm: alg, Digits: k.Digits, Counter: k.Counter}
			keyURIs = append(keyURIs, key.URI())
		}
	}
	require.GreaterOrEqual(t, len(uris), 10)
	return uris, keyURIs
}

// session runs the program on input and returns its exit code and output.
func session(t *testing.T, input string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(args, strings.NewReader(input), &out)
	return code, out.String()
}

// printed returns the lines of out that start with prefix, and checks that
// each is followed by its own QR code.
func printed(t *testing.T, out, prefix string) []string {
	t.Helper()
	lines := strings.Split(out, "\n")
	var found []string
	for i, l := range lines {
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		found = append(found, l)
		code, err := otp.EncodeQR(l)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(strings.Join(lines[i+1:], "\n"), code.String()), "the QR code of %s follows it", l)
	}
	return found
}

func TestImportRealExports(t *testing.T) {
	uris, want := realExports(t)
	// As zbarimg prints them without --raw, with a comment and a blank line.
	input := "# the export screen\n\nQR-Code:" + strings.Join(uris, "\nQR-Code:") + "\n"
	code, out := session(t, input)
	require.Equal(t, 0, code, out)
	assert.Equal(t, want, printed(t, out, "otpauth://"))
	assert.Contains(t, out, "Account 1: test 1\n")
	assert.Contains(t, out, "Account 3: raspberrypi (pi@raspberrypi)\n")
	assert.Contains(t, out, "holds secrets")
}

func TestImportScannable(t *testing.T) {
	uris, want := realExports(t)
	_, out := session(t, uris[1]+"\n")
	// The text after the key URI, turned back into pixels, scans as it.
	assert.Equal(t, want[2], zbar(t, textToImage(t, qrTextAfter(out, want[2]))))
}

func TestImportBatches(t *testing.T) {
	uris, _ := realExports(t)
	var first, second, third string
	for _, u := range uris {
		switch {
		case strings.Contains(u, "CjgKFEAMt6taggt2RMlyOqc%2F"):
			first = u
		case strings.HasPrefix(u, "otpauth-migration://offline?data=CjsKFJnXM4qk"):
			second = u
		case strings.HasPrefix(u, "otpauth-migration://offline?data=Cj8KFG423VA"):
			third = u
		}
	}
	require.NotEmpty(t, first+second+third)

	code, out := session(t, third+"\n"+first+"\n")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "error: an export of 3 QR codes is missing code 2: read those too")
	assert.Len(t, printed(t, out, "otpauth://"), 12, "the accounts read are still shown")

	code, out = session(t, third+"\n"+first+"\n"+second+"\n"+first+"\n")
	assert.Equal(t, 0, code, out)
	assert.Len(t, printed(t, out, "otpauth://"), 22, "a code read twice counts once")
}

func TestImportErrors(t *testing.T) {
	uris, _ := realExports(t)
	code, out := session(t, uris[0]+"\notpauth://totp/a?secret=AAAA\n"+uris[1]+"\notpauth-migration://offline?data=XXXX\n")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "line 2: otp: invalid migration: scheme: not otpauth-migration://")
	assert.Contains(t, out, "line 4: otp: invalid migration: payload: ")
	assert.Len(t, printed(t, out, "otpauth://"), 3, "the good lines are still shown")
	assert.NotContains(t, out, "holds secrets\n", "the closing line is for a clean run")

	code, out = session(t, "\n# nothing\n")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "error: no otpauth-migration:// URIs on input")
}

func TestExportRoundTrip(t *testing.T) {
	uris, want := realExports(t)
	_, out := session(t, strings.Join(uris, "\n"))
	keyURIs := printed(t, out, "otpauth://")
	require.Equal(t, want, keyURIs)

	// Back into the app, 7 accounts a code, and out again. The corpus has
	// some accounts twice; a repeated line is read once.
	code, out := session(t, strings.Join(keyURIs, "\n"), "-export", "-per-code", "7")
	require.Equal(t, 0, code, out)
	var unique []string
	for _, u := range want {
		if !slices.Contains(unique, u) {
			unique = append(unique, u)
		}
	}
	want = unique
	exports := printed(t, out, "otpauth-migration://")
	require.Len(t, exports, (len(want)+6)/7)
	assert.Contains(t, out, fmt.Sprintf("Google Authenticator import, QR code 1 of %d (accounts from test 1):\n", len(exports)))
	assert.Contains(t, out, fmt.Sprintf("QR code %d of %[1]d (accounts from ", len(exports)))

	printedQR := qrTextAfter(out, exports[0])

	code, out = session(t, strings.Join(exports, "\n"))
	require.Equal(t, 0, code, out)
	assert.Equal(t, want, printed(t, out, "otpauth://"))

	// The first import code, as the terminal shows it, scans as its URI.
	assert.Equal(t, exports[0], zbar(t, textToImage(t, printedQR)))
}

// qrTextAfter returns the QR code printed on the lines after line in out:
// up to the blank line that ends it.
func qrTextAfter(out, line string) string {
	_, after, _ := strings.Cut(out, line+"\n")
	code, _, _ := strings.Cut(after, "\n\n")
	return code + "\n"
}

func TestExportRefuses(t *testing.T) {
	tests := []struct {
		name, input, says string
	}{
		{"60-second period", "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP&issuer=A\notpauth://totp/B:b?secret=JBSWY3DPEHPK3PXP&issuer=B&period=60",
			"error: line 2, B (b): otp: invalid migration: keys[1]: period: 1m0s cannot be exported"},
		{"7 digits", "\n\notpauth://hotp/c?secret=JBSWY3DPEHPK3PXP&digits=7&counter=1",
			"error: line 3, c: otp: invalid migration: keys[0]: digits: 7 cannot be exported"},
		{"a Steam Guard key", "otpauth://totp/Steam:g?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
			"error: line 1, Steam (g): otp: invalid migration: keys[0]: format: Steam codes cannot be exported: an export holds decimal codes only"},
		{"a Steam Guard key as KeePassXC writes it", "otpauth://totp/Valve:h?secret=JBSWY3DPEHPK3PXP&issuer=Valve&digits=5&encoder=steam",
			"error: line 1, Valve (h): otp: invalid migration: keys[0]: format: Steam codes cannot be exported"},
		{"FreeOTP's image", "otpauth://totp/d?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fexample.com%2Fd.png",
			`error: line 1, d: otp: invalid migration: keys[0]: parameter "image": an export has no place for it`},
		{"not a key URI", "otpauth://totp/e?secret=JBSWY3DPEHPK3PXP\nhello",
			"error: line 2: otp: invalid key URI: scheme: not otpauth://"},
		{"nothing", "# none\n", "error: no otpauth:// key URIs on input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := session(t, tt.input, "-export")
			assert.Equal(t, 1, code)
			assert.Contains(t, out, tt.says)
			assert.NotContains(t, out, "otpauth-migration://", "nothing is exported")
			assert.NotContains(t, out, "JBSWY3DPEHPK3PXP", "errors show no secret")
		})
	}
}

func TestFlags(t *testing.T) {
	code, _ := session(t, "", "-nope")
	assert.Equal(t, 2, code)
	code, out := session(t, "", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "takes no arguments")
	code, out = session(t, "otpauth://totp/e?secret=JBSWY3DPEHPK3PXP", "-export", "-per-code", "-1")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "otp: invalid perURI: negative")

	uris, _ := realExports(t)
	_, dark := session(t, uris[1])
	_, light := session(t, uris[1], "-light")
	assert.Contains(t, dark, strings.Repeat("█", 10), "on a dark terminal the quiet zone is inked")
	assert.NotContains(t, light, strings.Repeat("█", 10))
}

// zbar decodes the QR code in img with zbarimg (Debian zbar-tools), a
// scanner independent of this module. Without it the test is skipped,
// except under CI (CI=true), where it fails.
func zbar(t *testing.T, img image.Image) string {
	t.Helper()
	zbarimg, err := exec.LookPath("zbarimg")
	if err != nil {
		msg := "zbarimg not found: install the Debian package zbar-tools to run this check"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	path := filepath.Join(t.TempDir(), "code.png")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	out, err := exec.Command(zbarimg, "--quiet", "--raw", "-Sbinary", path).Output()
	require.NoError(t, err, "zbarimg found no code")
	return string(out)
}

// textToImage turns a QR code printed for a dark terminal back into pixels,
// as the terminal shows it: the half blocks in light ink on a dark
// background, 4×4 pixels a module.
func textToImage(t *testing.T, text string) image.Image {
	t.Helper()
	halves := map[rune][2]bool{' ': {false, false}, '▄': {false, true}, '▀': {true, false}, '█': {true, true}}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	width := len([]rune(lines[0]))
	const px = 4
	img := image.NewGray(image.Rect(0, 0, width*px, len(lines)*2*px))
	for row, l := range lines {
		for x, r := range []rune(l) {
			cell, ok := halves[r]
			require.True(t, ok, "unexpected rune %q", r)
			for half := range 2 {
				if !cell[half] {
					continue
				}
				for dy := range px {
					for dx := range px {
						img.SetGray(x*px+dx, (row*2+half)*px+dy, color.Gray{Y: 0xff})
					}
				}
			}
		}
	}
	return img
}
