package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
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
					Digits                        int
					Counter                       uint64
				} `json:"keys"`
			} `json:"migration"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(data, &corpus))
	types := map[string]otp.KeyType{"totp": otp.TypeTOTP, "hotp": otp.TypeHOTP}
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
			require.Contains(t, types, k.Type)
			key := &otp.Key{Type: types[k.Type], Issuer: k.Issuer, Account: k.Account, Secret: secret, Algorithm: alg, Digits: k.Digits, Counter: k.Counter}
			keyURIs = append(keyURIs, key.URI())
		}
	}
	require.GreaterOrEqual(t, len(uris), 10)
	return uris, keyURIs
}

// printed returns the lines of out that start with prefix.
func printed(out, prefix string) []string {
	var found []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			found = append(found, l)
		}
	}
	return found
}

// eachFollowedByQR checks that each line is followed in out by its QR code.
func eachFollowedByQR(t *testing.T, out string, lines []string) {
	t.Helper()
	for _, l := range lines {
		code, err := otp.EncodeQR(l)
		require.NoError(t, err)
		assert.Contains(t, out, l+"\n"+code.String()+"\n", "the QR code of %s follows it", l)
	}
}

// batchOf finds three codes of one export of three in the corpus.
func batchOf(t *testing.T, uris []string) (first, second, third string) {
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
	require.NotEmpty(t, first)
	require.NotEmpty(t, second)
	require.NotEmpty(t, third)
	return first, second, third
}

func TestImportRealExports(t *testing.T) {
	t.Parallel()
	uris, want := realExports(t)
	// As zbarimg prints them without --raw, with a comment and a blank line.
	input := "# the export screen\n\nQR-Code:" + strings.Join(uris, "\nQR-Code:") + "\n"
	got := runOTP(t, input, "import")
	require.Equal(t, 0, got.status, got.stderr)
	assert.Equal(t, strings.Join(want, "\n")+"\n", got.stdout, "one key URI a line, nothing else")

	got = runOTP(t, input, "import", "-qr")
	require.Equal(t, 0, got.status, got.stderr)
	assert.Equal(t, want, printed(got.stdout, "otpauth://"))
	eachFollowedByQR(t, got.stdout, want)
	assert.Contains(t, got.stdout, "Account 1: test 1\n")
	assert.Contains(t, got.stdout, "Account 3: raspberrypi (pi@raspberrypi)\n")
}

func TestImportJSON(t *testing.T) {
	t.Parallel()
	uris, want := realExports(t)
	got := runOTP(t, strings.Join(uris, "\n"), "import", "-json")
	require.Equal(t, 0, got.status, got.stderr)
	var keys []struct{ Type, Issuer, Account, Secret, Algorithm, URI string }
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &keys))
	require.Len(t, keys, len(want))
	for i, k := range keys {
		assert.Equal(t, want[i], k.URI)
		parsed, err := otp.ParseURI(k.URI)
		require.NoError(t, err)
		assert.Equal(t, otp.EncodeSecret(parsed.Secret), k.Secret)
		assert.Equal(t, parsed.Type.String(), k.Type)
	}
}

func TestImportBatches(t *testing.T) {
	t.Parallel()
	uris, _ := realExports(t)
	first, second, third := batchOf(t, uris)

	got := runOTP(t, third+"\n"+first+"\n", "import")
	assert.Equal(t, 1, got.status)
	assert.Contains(t, got.stderr, "code 1 of 3 read, 2 missing\ncode 2 of 3 read, 1 missing\n")
	assert.Contains(t, got.stderr, "otp import: an export of 3 QR codes is missing code 2: read those too")
	assert.Len(t, printed(got.stdout, "otpauth://"), 12, "the accounts read are still shown")

	got = runOTP(t, third+"\n"+first+"\n"+second+"\n"+first+"\n", "import")
	assert.Equal(t, 0, got.status, got.stderr)
	assert.Contains(t, got.stderr, "code 3 of 3 read, 0 missing\n")
	assert.Len(t, printed(got.stdout, "otpauth://"), 22, "a code read twice counts once")
}

func TestImportErrors(t *testing.T) {
	t.Parallel()
	uris, _ := realExports(t)
	got := runOTP(t, uris[0]+"\notpauth://totp/a?secret=AAAA\n"+uris[1]+"\notpauth-migration://offline?data=XXXX\n", "import")
	assert.Equal(t, 1, got.status)
	assert.Contains(t, got.stderr, "line 2: otp: invalid migration: scheme: not otpauth-migration://")
	assert.Contains(t, got.stderr, "line 4: otp: invalid migration: payload: ")
	assert.Len(t, printed(got.stdout, "otpauth://"), 3, "the good lines are still shown")

	got = runOTP(t, "\n# nothing\n", "import")
	assert.Equal(t, 1, got.status)
	assert.Contains(t, got.stderr, "otp import: no otpauth-migration:// URIs on input")
	assert.Equal(t, 2, runOTP(t, "", "import", "extra").status)
}

func TestExportRoundTrip(t *testing.T) {
	t.Parallel()
	_, want := realExports(t)
	unique := unique(want)
	got := runOTP(t, strings.Join(want, "\n"), "export", "-per-code", "7")
	require.Equal(t, 0, got.status, got.stderr)
	exports := printed(got.stdout, "otpauth-migration://")
	require.Len(t, exports, (len(unique)+6)/7)
	eachFollowedByQR(t, got.stdout, exports)
	assert.Contains(t, got.stdout, fmt.Sprintf("Google Authenticator import, QR code 1 of %d (accounts from test 1):\n", len(exports)))
	assert.Contains(t, got.stdout, fmt.Sprintf("QR code %d of %[1]d (accounts from ", len(exports)))

	back := runOTP(t, strings.Join(exports, "\n"), "import")
	require.Equal(t, 0, back.status, back.stderr)
	assert.Equal(t, strings.Join(unique, "\n")+"\n", back.stdout)

	// The first code, as the terminal shows it, scans as its URI.
	_, after, _ := strings.Cut(got.stdout, exports[0]+"\n")
	text, _, _ := strings.Cut(after, "\n\n")
	assert.Equal(t, exports[0], zbarImage(t, textToImage(t, text+"\n")))
}

func TestExportPNG(t *testing.T) {
	t.Parallel()
	_, want := realExports(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "export")
	got := runOTP(t, strings.Join(want, "\n"), "export", "-png", prefix)
	require.Equal(t, 0, got.status, got.stderr)
	exports := printed(got.stdout, "otpauth-migration://")
	require.Len(t, exports, (len(unique(want))+9)/10)
	assert.NotContains(t, got.stdout, "█", "files instead of the terminal")
	for i, u := range exports {
		path := fmt.Sprintf("%s-%d.png", prefix, i+1)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		assert.Equal(t, u, zbar(t, path))
	}
	got = runOTP(t, strings.Join(want, "\n"), "export", "-png", prefix)
	assert.Equal(t, 1, got.status, "the files are not replaced")
}

func TestExportRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, says string
	}{
		{"60-second period", "otpauth://totp/A:a?secret=JBSWY3DPEHPK3PXP&issuer=A\notpauth://totp/B:b?secret=JBSWY3DPEHPK3PXP&issuer=B&period=60",
			"otp export: line 2, B (b): otp: invalid migration: keys[1]: period: 1m0s cannot be exported"},
		{"7 digits", "\n\notpauth://hotp/c?secret=JBSWY3DPEHPK3PXP&digits=7&counter=1",
			"otp export: line 3, c: otp: invalid migration: keys[0]: digits: 7 cannot be exported"},
		{"a Steam Guard key", "otpauth://totp/Steam:g?secret=JBSWY3DPEHPK3PXP&issuer=Steam",
			"otp export: line 1, Steam (g): otp: invalid migration: keys[0]: format: Steam codes cannot be exported: an export holds decimal codes only"},
		{"a Steam Guard key as KeePassXC writes it", "otpauth://totp/Valve:h?secret=JBSWY3DPEHPK3PXP&issuer=Valve&digits=5&encoder=steam",
			"otp export: line 1, Valve (h): otp: invalid migration: keys[0]: format: Steam codes cannot be exported"},
		{"FreeOTP's image", "otpauth://totp/d?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fexample.com%2Fd.png",
			`otp export: line 1, d: otp: invalid migration: keys[0]: parameter "image": an export has no place for it`},
		{"not a key URI", "otpauth://totp/e?secret=JBSWY3DPEHPK3PXP\nhello",
			"otp export: line 2: otp: invalid key URI: scheme: not otpauth://"},
		{"nothing", "# none\n", "otp export: no otpauth:// key URIs on input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, tt.input, "export")
			assert.Equal(t, 1, got.status)
			assert.Contains(t, got.stderr, tt.says)
			assert.Empty(t, got.stdout, "nothing is exported")
			assert.NotContains(t, got.stderr, "JBSWY3DPEHPK3PXP", "errors show no secret")
		})
	}
}

func TestExportFlags(t *testing.T) {
	t.Parallel()
	assert.Equal(t, 2, runOTP(t, "", "export", "-nope").status)
	assert.Equal(t, 2, runOTP(t, "", "export", "extra").status)
	assert.Equal(t, 2, runOTP(t, testURI, "export", "-per-code", "0").status)
	dark := runOTP(t, testURI, "export")
	light := runOTP(t, testURI, "export", "-light")
	assert.Contains(t, dark.stdout, strings.Repeat("█", 10), "on a dark terminal the quiet zone is inked")
	assert.NotContains(t, light.stdout, strings.Repeat("█", 10))
}

// zbarImage decodes img with zbarimg.
func zbarImage(t *testing.T, img image.Image) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "code.png")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
	return zbar(t, path)
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

// unique returns lines without repeats: the corpus has some accounts twice,
// and a repeated line is read once.
func unique(lines []string) []string {
	var u []string
	for _, l := range lines {
		if !slices.Contains(u, l) {
			u = append(u, l)
		}
	}
	return u
}
