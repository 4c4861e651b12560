package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/otpkit/otp/pskc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	hotpURN = "urn:ietf:params:xml:ns:keyprov:pskc:hotp"
	totpURN = "urn:ietf:params:xml:ns:keyprov:pskc:totp"
	// testPSK is the pre-shared key of the tests' encrypted documents, in
	// hex as vendors send it.
	testPSK = "000102030405060708090a0b0c0d0e0f"
	// feitianSeed is a Feitian c100's seed, from python-pskc's
	// feitian/file1.pskcxml.
	feitianSeed = "3ee3270a2be59ffd78222dc3361478ff5cc63790"
)

// tokenKeys are a vendor's delivery of two tokens: a Feitian-style HOTP
// c100 known by its serial, and a TOTP c200 handed to a user.
func tokenKeys(t *testing.T) []*pskc.Key {
	t.Helper()
	seed, err := hex.DecodeString(feitianSeed)
	require.NoError(t, err)
	return []*pskc.Key{
		{ID: "1000133508267", Algorithm: hotpURN, Manufacturer: "Feitian Technology Co.,Ltd", Serial: "1000133508267",
			Model: "c100", Secret: seed, Counter: 42, Digits: 6},
		{ID: "2600124809778", Algorithm: totpURN, Issuer: "Example Corp", UserID: "alice@example.com",
			Manufacturer: "Feitian Technology Co.,Ltd", Serial: "2600124809778",
			Secret: []byte("12345678901234567890123456789012"), TimeStep: time.Minute, Digits: 8, Suite: "HMAC-SHA256"},
	}
}

// wantURIs are the key URIs of tokenKeys, the first with issuer.
func wantURIs(t *testing.T, issuer string) []string {
	t.Helper()
	keys := tokenKeys(t)
	return []string{
		(&otp.Key{Type: otp.TypeHOTP, Issuer: issuer, Account: "1000133508267", Secret: keys[0].Secret, Digits: 6, Counter: 42}).URI(),
		(&otp.Key{Type: otp.TypeTOTP, Issuer: "Example Corp", Account: "alice@example.com", Secret: keys[1].Secret,
			Algorithm: otp.SHA256, Digits: 8, Period: time.Minute}).URI(),
	}
}

// writePSKC writes keys as a PSKC document in a new file of dir.
func writePSKC(t *testing.T, dir, name string, keys []*pskc.Key, opts pskc.Options) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, pskc.Write(&buf, keys, opts))
	return writeFile(t, dir, name, buf.String())
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestImportPSKC(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := tokenKeys(t)
	plain := writePSKC(t, dir, "plain.xml", keys, pskc.Options{})
	withPSK := writePSKC(t, dir, "psk.xml", keys, pskc.Options{PreSharedKey: mustHex(t, testPSK)})
	withPSK256 := writePSKC(t, dir, "psk256.xml", keys, pskc.Options{PreSharedKey: []byte("0123456789abcdefghijklmnopqrstuv")})
	withPass := writePSKC(t, dir, "pass.xml", keys, pskc.Options{Passphrase: "correct horse", Iterations: 1000})
	hexFile := writeFile(t, dir, "psk.hex", testPSK+"\n")
	groupedHex := writeFile(t, dir, "psk-grouped.hex", "0x00010203 04050607\r\n08090A0B 0C0D0E0F\r\n")
	rawFile := writeFile(t, dir, "psk256.bin", "0123456789abcdefghijklmnopqrstuv")
	passFile := writeFile(t, dir, "pass.txt", "correct horse\nanother line\n")
	document, err := os.ReadFile(withPSK)
	require.NoError(t, err)

	tests := []struct {
		name, stdin string
		args        []string
	}{
		{"plain", "", []string{"-pskc", plain}},
		{"plain on standard input", string(document), []string{"-pskc", "-", "-psk", "@" + hexFile}},
		{"pre-shared key in hex", "", []string{"-pskc", withPSK, "-psk", "@" + hexFile}},
		{"pre-shared key in grouped hex", "", []string{"-pskc", withPSK, "-psk", "@" + groupedHex}},
		{"pre-shared key on standard input", testPSK, []string{"-pskc", withPSK, "-psk", "-"}},
		{"raw pre-shared key of 32 bytes", "", []string{"-pskc", withPSK256, "-psk", "@" + rawFile}},
		{"passphrase file", "", []string{"-pskc", withPass, "-passphrase", "@" + passFile}},
		{"passphrase on standard input", "correct horse\n", []string{"-pskc", withPass, "-passphrase", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, tt.stdin, append([]string{"import"}, tt.args...)...)
			require.Equal(t, 0, got.status, got.stderr)
			assert.Equal(t, strings.Join(wantURIs(t, ""), "\n")+"\n", got.stdout)
			assert.Empty(t, got.stderr)
		})
	}

	t.Run("issuer", func(t *testing.T) {
		t.Parallel()
		got := runOTP(t, "", "import", "-pskc", plain, "-issuer", "Example IT")
		require.Equal(t, 0, got.status, got.stderr)
		assert.Equal(t, strings.Join(wantURIs(t, "Example IT"), "\n")+"\n", got.stdout, "only where the file has none")
	})
}

func TestImportPSKCJSON(t *testing.T) {
	t.Parallel()
	path := writePSKC(t, t.TempDir(), "tokens.xml", tokenKeys(t), pskc.Options{})
	got := runOTP(t, "", "import", "-pskc", path, "-json")
	require.Equal(t, 0, got.status, got.stderr)
	var keys []struct {
		Type, Account, Secret, URI string
		Counter                    *uint64
		Period                     int64
		Token                      struct {
			KeyID                       string `json:"key_id"`
			Serial, Manufacturer, Model string
		}
	}
	require.NoError(t, json.Unmarshal([]byte(got.stdout), &keys))
	require.Len(t, keys, 2)
	want := wantURIs(t, "")
	assert.Equal(t, want[0], keys[0].URI)
	assert.Equal(t, want[1], keys[1].URI)
	require.NotNil(t, keys[0].Counter)
	assert.Equal(t, uint64(42), *keys[0].Counter)
	assert.Equal(t, int64(60), keys[1].Period)
	assert.Equal(t, "1000133508267", keys[0].Token.Serial)
	assert.Equal(t, "c100", keys[0].Token.Model)
	assert.Equal(t, "Feitian Technology Co.,Ltd", keys[1].Token.Manufacturer)
	assert.Equal(t, "2600124809778", keys[1].Token.KeyID)
	assert.Equal(t, "2600124809778", keys[1].Token.Serial)
}

func TestImportPSKCSkips(t *testing.T) {
	t.Parallel()
	keys := append(tokenKeys(t),
		&pskc.Key{ID: "ocra-1", Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:ocra", Serial: "OC-77",
			Secret: []byte("ocra secret, twenty+"), Suite: "OCRA-1:HOTP-SHA1-6:QN08", Digits: 6},
		&pskc.Key{Algorithm: hotpURN, Serial: "HX-1", Secret: []byte("hex code secret, 20b"), Digits: 8, Encoding: "HEXADECIMAL"},
		&pskc.Key{Algorithm: hotpURN, Secret: []byte("nameless token seed!"), Digits: 6},
	)
	dir := t.TempDir()
	path := writePSKC(t, dir, "mixed.xml", keys, pskc.Options{PreSharedKey: mustHex(t, testPSK)})
	hexFile := writeFile(t, dir, "psk.hex", testPSK)
	got := runOTP(t, "", "import", "-pskc", path, "-psk", "@"+hexFile)
	assert.Equal(t, 1, got.status)
	nameless := (&otp.Key{Type: otp.TypeHOTP, Account: "PSKC key 5", Secret: keys[4].Secret, Digits: 6}).URI()
	assert.Equal(t, strings.Join(append(wantURIs(t, ""), nameless), "\n")+"\n", got.stdout, "the other keys are printed")
	assert.Contains(t, got.stderr, `otp import: key 3 (id "ocra-1", serial "OC-77") skipped: pskc: Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:ocra" is neither HOTP nor TOTP`)
	assert.Contains(t, got.stderr, `otp import: key 4 (serial "HX-1") skipped: pskc: Encoding: "HEXADECIMAL" codes`)
	assert.Contains(t, got.stderr, "otp import: "+path+": 2 of 5 keys skipped\n")
	assertNoSecrets(t, got.stderr, keys, testPSK)
}

func TestImportPSKCWarnings(t *testing.T) {
	t.Parallel()
	keys := tokenKeys(t)
	keys[0].ExpiryDate = time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	require.NoError(t, pskc.Write(&buf, keys, pskc.Options{}))
	signed := strings.Replace(buf.String(), "</pskc:KeyContainer>",
		"<ds:Signature><ds:SignedInfo/><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></pskc:KeyContainer>", 1)
	got := runOTP(t, signed, "import", "-pskc", "-")
	require.Equal(t, 0, got.status, got.stderr)
	assert.Len(t, printed(got.stdout, "otpauth://"), 2)
	assert.Contains(t, got.stderr, `otp import: warning: key 1 (id "1000133508267", serial "1000133508267") expired on 2020-01-31`)
	assert.Contains(t, got.stderr, "otp import: warning: standard input carries an XML signature, which otp does not check")
}

func TestImportPSKCWrongKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keys := tokenKeys(t)
	withPSK := writePSKC(t, dir, "psk.xml", keys, pskc.Options{PreSharedKey: mustHex(t, testPSK)})
	withPass := writePSKC(t, dir, "pass.xml", keys, pskc.Options{Passphrase: "correct horse", Iterations: 1000})
	const wrongPSK = "0f0e0d0c0b0a09080706050403020100"
	tests := []struct {
		name, stdin string
		args        []string
		says        string
	}{
		{"wrong pre-shared key", "", []string{"-pskc", withPSK, "-psk", "@" + writeFile(t, dir, "wrong.hex", wrongPSK)},
			"otp import: " + withPSK + ": pskc: key 1: Secret: " + strings.TrimPrefix(pskc.ErrDecrypt.Error(), "pskc: ")},
		{"wrong passphrase", "correct battery\n", []string{"-pskc", withPass, "-passphrase", "-"},
			"otp import: " + withPass + ": pskc: key 1: Secret: " + strings.TrimPrefix(pskc.ErrDecrypt.Error(), "pskc: ")},
		{"a passphrase for a pre-shared key", "correct horse", []string{"-pskc", withPSK, "-passphrase", "-"},
			"encrypted with a pre-shared key"},
		{"no key", "", []string{"-pskc", withPSK}, "give its key with -psk or -passphrase"},
		{"a key of the wrong size", "", []string{"-pskc", withPSK, "-psk", "@" + writeFile(t, dir, "short.hex", "0011223344556677")},
			"otp import: -psk: 16 hex digits make 8 bytes: a pre-shared key has 16, 24 or 32"},
		{"not a key", "", []string{"-pskc", withPSK, "-psk", "@" + writeFile(t, dir, "text", "correct horse battery staple")},
			"otp import: -psk: neither hex digits nor a raw key of 16, 24 or 32 bytes"},
		{"an empty key file", "", []string{"-pskc", withPSK, "-psk", "@" + writeFile(t, dir, "empty", "")}, "otp import: -psk: empty"},
		{"an empty passphrase", "\n", []string{"-pskc", withPass, "-passphrase", "-"}, "otp import: -passphrase: empty"},
		{"a missing key file", "", []string{"-pskc", withPSK, "-psk", "@" + filepath.Join(dir, "none")},
			"otp import: -psk: cannot read " + filepath.Join(dir, "none") + ": no such file or directory"},
		{"a missing document", "", []string{"-pskc", filepath.Join(dir, "none.xml")},
			"otp import: cannot read " + filepath.Join(dir, "none.xml") + ": no such file or directory"},
		{"not PSKC", "<html/>", []string{"-pskc", "-"}, "otp import: standard input: pskc: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, tt.stdin, append([]string{"import"}, tt.args...)...)
			assert.Equal(t, 1, got.status)
			assert.Empty(t, got.stdout)
			assert.Contains(t, got.stderr, tt.says)
			assertNoSecrets(t, got.stderr, keys, testPSK, wrongPSK, "correct", "0011223344556677")
		})
	}
}

// assertNoSecrets checks that out shows none of the keys' secrets, in any
// of the forms otp prints them, nor any of the other strings.
func assertNoSecrets(t *testing.T, out string, keys []*pskc.Key, others ...string) {
	t.Helper()
	for _, k := range keys {
		assert.NotContains(t, out, hex.EncodeToString(k.Secret))
		assert.NotContains(t, out, otp.EncodeSecret(k.Secret))
		assert.NotContains(t, out, string(k.Secret))
	}
	for _, s := range others {
		assert.NotContains(t, out, s)
	}
}

func TestImportPSKCUsage(t *testing.T) {
	t.Parallel()
	help := runOTP(t, "", "help", "import")
	assert.Contains(t, help.stdout, "or: otp import -pskc FILE [-psk @FILE|- | -passphrase @FILE|-] [flags]")
	assert.Contains(t, help.stdout, "-psk @FILE")
	dir := t.TempDir()
	path := writePSKC(t, dir, "psk.xml", tokenKeys(t), pskc.Options{PreSharedKey: mustHex(t, testPSK)})
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"a pre-shared key on the command line", []string{"-pskc", path, "-psk", testPSK}, "otp import: -psk takes @FILE or '-', never the secret itself"},
		{"a passphrase on the command line", []string{"-pskc", path, "-passphrase", "correct horse"}, "otp import: -passphrase takes @FILE or '-'"},
		{"an @ alone", []string{"-pskc", path, "-psk", "@"}, "otp import: -psk takes @FILE or '-'"},
		{"both keys", []string{"-pskc", path, "-psk", "-", "-passphrase", "@x"}, "not both"},
		{"document and key on standard input", []string{"-pskc", "-", "-psk", "-"}, "otp import: -pskc - and -psk - cannot both be standard input"},
		{"document and passphrase on standard input", []string{"-pskc", "-", "-passphrase", "-"}, "cannot both be standard input"},
		{"a key without -pskc", []string{"-psk", "-"}, "go with -pskc FILE"},
		{"-issuer without -pskc", []string{"-issuer", "Example"}, "go with -pskc FILE"},
		{"a bad issuer", []string{"-pskc", path, "-issuer", "Ex\x07ample"}, "otp import: -issuer: "},
		{"an argument", []string{"-pskc", path, "extra"}, "wrong number of arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := runOTP(t, testPSK, append([]string{"import"}, tt.args...)...)
			assert.Equal(t, 2, got.status)
			assert.Empty(t, got.stdout)
			assert.Contains(t, got.stderr, tt.says)
			assert.NotContains(t, got.stderr, testPSK)
			assert.NotContains(t, got.stderr, "correct horse")
		})
	}
}

// TestImportPSKCOathtool imports a Feitian-style delivery, encrypted as
// vendors ship it, and python-pskc's real Feitian file, and checks that
// the key URIs printed make the codes oathtool makes from the seeds.
func TestImportPSKCOathtool(t *testing.T) {
	t.Parallel()
	oathtool := tool(t, "oathtool", "oathtool")
	dir := t.TempDir()
	keys := tokenKeys(t)
	path := writePSKC(t, dir, "delivery.xml", keys, pskc.Options{PreSharedKey: mustHex(t, testPSK)})
	got := runOTP(t, testPSK+"\n", "import", "-pskc", path, "-psk", "-")
	require.Equal(t, 0, got.status, got.stderr)
	uris := printed(got.stdout, "otpauth://")
	require.Len(t, uris, 2)

	hotp, err := otp.ParseURI(uris[0])
	require.NoError(t, err)
	for _, counter := range []uint64{42, 43, 1 << 33} {
		code, err := hotp.HOTP().Generate(counter)
		require.NoError(t, err)
		want := execResult(t, oathtool, "", "--hotp", "-c", strconv.FormatUint(counter, 10), feitianSeed)
		assert.Equal(t, want.stdout, code+"\n", "counter %d", counter)
	}
	totp, err := otp.ParseURI(uris[1])
	require.NoError(t, err)
	for _, at := range []time.Time{unixUTC(1111111109), unixUTC(2000000000), unixUTC(20000000000)} {
		code, err := totp.TOTP().Generate(at)
		require.NoError(t, err)
		want := execResult(t, oathtool, "", "--totp=SHA256", "-d", "8", "-s", "60", "-N", "@"+strconv.FormatInt(at.Unix(), 10), hex.EncodeToString(keys[1].Secret))
		assert.Equal(t, want.stdout, code+"\n", "at %s", at)
	}

	vendor := runOTP(t, "", "import", "-pskc", "../../pskc/testdata/python-pskc/feitian/file1.pskcxml")
	require.Equal(t, 0, vendor.status, vendor.stderr)
	uris = printed(vendor.stdout, "otpauth://hotp/1000133508267?")
	require.Len(t, uris, 1)
	c100, err := otp.ParseURI(uris[0])
	require.NoError(t, err)
	assert.Equal(t, feitianSeed, hex.EncodeToString(c100.Secret))
	code, err := c100.HOTP().Generate(0)
	require.NoError(t, err)
	assert.Equal(t, execResult(t, oathtool, "", "--hotp", feitianSeed).stdout, code+"\n")
}

func TestReadStdinSecretTerminal(t *testing.T) {
	t.Parallel()
	var errOut bytes.Buffer
	restored := false
	e := &env{in: strings.NewReader("correct horse\nthe document\n"), err: &errOut,
		terminal: func() (func(), bool) { return func() { restored = true }, true }}
	got, err := readSecret(e, "-passphrase", "-", "the passphrase")
	require.NoError(t, err)
	assert.Equal(t, "correct horse\n", string(got), "a line, ended by Enter")
	assert.True(t, restored, "the echo is turned back on")
	assert.Equal(t, "the passphrase (not shown), then Enter: ", errOut.String())
}

func TestDecodePSK(t *testing.T) {
	t.Parallel()
	key16 := mustHex(t, testPSK)
	tests := []struct {
		name, in string
		want     []byte // nil: refused
	}{
		{"hex", testPSK, key16},
		{"hex and a line end", testPSK + "\r\n", key16},
		{"upper case hex with 0x", "0X" + strings.ToUpper(testPSK), key16},
		{"hex in groups", "00:01:02:03:04:05:06:07:08:09:0a:0b:0c:0d:0e:0f", key16},
		{"hex of 24 bytes", testPSK + "1011121314151617", mustHex(t, testPSK+"1011121314151617")},
		{"32 hex digits are hex, not raw bytes", "0123456789abcdef0123456789abcdef", mustHex(t, "0123456789abcdef0123456789abcdef")},
		{"raw 16 bytes", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\xff", []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\xff")},
		{"raw 24 bytes", "this is not hex, 24 byte", []byte("this is not hex, 24 byte")},
		{"hex of 8 bytes", "0011223344556677", nil},
		{"odd hex", testPSK[1:], nil},
		{"raw 17 bytes", "this is 17 bytes!", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodePSK([]byte(tt.in))
			if tt.want == nil {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

var pskErrors = regexp.MustCompile(`^-psk: (\d+ hex digits make \d+ bytes: a pre-shared key has 16, 24 or 32|neither hex digits nor a raw key of 16, 24 or 32 bytes)$`)

// FuzzDecodePSK checks that decodePSK returns a key of an AES size or an
// error without the input, and reads the hex of any such key back.
func FuzzDecodePSK(f *testing.F) {
	for _, s := range []string{testPSK, "0x" + testPSK + "\n", "00:01", "0123456789abcdefghijklmnopqrstuv", "zz", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := decodePSK(data)
		if err != nil {
			assert.Nil(t, key)
			assert.Regexp(t, pskErrors, err.Error(), "the message says nothing of the input but its length")
		} else {
			assert.Contains(t, []int{16, 24, 32}, len(key))
		}
		if len(data) == 16 || len(data) == 24 || len(data) == 32 {
			back, err := decodePSK([]byte(hex.EncodeToString(data)))
			require.NoError(t, err)
			assert.Equal(t, data, back)
		}
	})
}
