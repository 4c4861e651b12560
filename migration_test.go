package otp

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"net/url"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// migrationCase is one entry of testdata/migrations.json: a real export
// and either what it decodes to or the entry its error must name.
type migrationCase struct {
	Name      string `json:"name"`
	Source    string `json:"source"`
	URI       string `json:"uri"`
	Error     string `json:"error"`
	Migration *struct {
		Version    int     `json:"version"`
		BatchSize  int     `json:"batch_size"`
		BatchIndex int     `json:"batch_index"`
		BatchID    int32   `json:"batch_id"`
		Keys       []jsKey `json:"keys"`
	} `json:"migration"`
}

// jsKey is a Key as the corpora write it.
type jsKey struct {
	Type      string `json:"type"`
	Issuer    string `json:"issuer"`
	Account   string `json:"account"`
	Secret    string `json:"secret"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int    `json:"period"`
	Counter   uint64 `json:"counter"`
}

func (j jsKey) key(t testing.TB) *Key {
	t.Helper()
	secret, err := DecodeSecret(j.Secret)
	require.NoError(t, err)
	alg, err := ParseAlgorithm(j.Algorithm)
	require.NoError(t, err)
	return &Key{Type: keyTypeOf(t, j.Type), Issuer: j.Issuer, Account: j.Account, Secret: secret, Algorithm: alg,
		Digits: j.Digits, Period: time.Duration(j.Period) * time.Second, Counter: j.Counter}
}

func loadMigrationCorpus(t testing.TB) []migrationCase {
	t.Helper()
	var corpus struct {
		Cases []migrationCase `json:"cases"`
	}
	loadJSON(t, "migrations.json", &corpus)
	require.GreaterOrEqual(t, len(corpus.Cases), 15)
	return corpus.Cases
}

func (c migrationCase) want(t testing.TB) *Migration {
	t.Helper()
	m := &Migration{Version: c.Migration.Version, BatchSize: c.Migration.BatchSize,
		BatchIndex: c.Migration.BatchIndex, BatchID: c.Migration.BatchID}
	for _, j := range c.Migration.Keys {
		m.Keys = append(m.Keys, j.key(t))
	}
	return m
}

func TestParseMigrationURICorpus(t *testing.T) {
	t.Parallel()
	for _, c := range loadMigrationCorpus(t) {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			m, err := ParseMigrationURI(c.URI)
			if c.Migration == nil {
				assert.Nil(t, m)
				assertMigrationError(t, err, c.Error, c.URI)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want(t), m)
			// Each key is what ParseURI reads from its own key URI, so it
			// can go on to any other app.
			for _, k := range m.Keys {
				again, err := ParseURI(k.URI())
				require.NoError(t, err, k.URI())
				assert.Equal(t, k, again)
			}
		})
	}
}

// TestMigrationWritesLikeTheApp re-encodes real exports and checks that
// the bytes are the same, field for field: what MigrationURIs writes is then
// what the app itself writes, and reads. It takes the exports whose names
// are labels as Key.URI writes them ("Issuer:account", or just "account"
// without an issuer); the app keeps a scanned label as the name, so for
// keys scanned from other labels its names differ.
func TestMigrationWritesLikeTheApp(t *testing.T) {
	t.Parallel()
	byApp := map[string]bool{
		"hotp and totp, no issuer": true, "no issuer, padded": true, "hotp with counter": true,
		"UTF-8 name with a colon and no issuer": true, "raw + and / in data, names repeating the issuer": true,
		"issuers with spaces, dots and &": true, "batch size 0": true,
		"batch 1 of 3": true, "batch 1 of 3, raw / and some %2B": true, "batch 2 of 3": true, "batch 3 of 3": true,
	}
	seen := 0
	for _, c := range loadMigrationCorpus(t) {
		if !byApp[c.Name] {
			continue
		}
		seen++
		t.Run(c.Name, func(t *testing.T) {
			m := c.want(t)
			params := make([]otpParameters, len(m.Keys))
			for i, k := range m.Keys {
				var err error
				params[i], err = exportParameters(k)
				require.NoError(t, err)
			}
			assert.Equal(t, hex.EncodeToString(payloadOf(t, c.URI)), hex.EncodeToString(appendPayload(nil, m, params)))
		})
	}
	assert.Equal(t, len(byApp), seen, "every export named is in the corpus")
}

// payloadOf decodes the data parameter of an export URI with the standard
// library alone.
func payloadOf(t *testing.T, uri string) []byte { return payloadOfTB(t, uri) }

func payloadOfTB(t testing.TB, uri string) []byte {
	t.Helper()
	_, data, ok := strings.Cut(uri, "data=")
	require.True(t, ok)
	data, err := url.PathUnescape(data)
	require.NoError(t, err)
	payload, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(data, "="))
	require.NoError(t, err)
	return payload
}

// assertMigrationError checks that err is a *MigrationError naming entry,
// and that its message holds neither the URI's data nor a secret.
func assertMigrationError(t *testing.T, err error, entry, uri string) *MigrationError {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidMigration)
	var me *MigrationError
	require.True(t, errors.As(err, &me), "want *MigrationError, got %T", err)
	assert.Equal(t, entry, me.Entry, err.Error())
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "otp: invalid migration: "+entry+": "), msg)
	if _, data, ok := strings.Cut(uri, "data="); ok && len(data) >= 8 {
		assert.NotContains(t, msg, data)
	}
	return me
}

// pb builds protobuf wire bytes for the error cases, independently of the
// writer under test: fields are hex, and bytes fields get their length.
func pb(parts ...string) string { return strings.Join(parts, "") }

func lenField(tagHex string, body string) string {
	return tagHex + hex.EncodeToString([]byte{byte(len(body) / 2)}) + body
}

func str(s string) string { return hex.EncodeToString([]byte(s)) }

// exportURI wraps hex payload bytes in an export URI.
func exportURI(t *testing.T, payloadHex string) string {
	t.Helper()
	b, err := hex.DecodeString(payloadHex)
	require.NoError(t, err)
	return "otpauth-migration://offline?data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(b))
}

// Pieces of OtpParameters: the secret "12345678901234567890", the name
// "bob", SHA1, six digits, TOTP.
var (
	testSecretField = lenField("0a", str("12345678901234567890"))
	bobField        = lenField("12", str("bob"))
	sha1Six         = "2001" + "2801"
	totpType        = "3002"
	goodEntry       = pb(testSecretField, bobField, sha1Six, totpType)
)

func entry(body ...string) string { return lenField("0a", pb(body...)) }

func TestParseMigrationURIErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string // hex; or uri below
		uri     string
		entry   string
		index   int
		reason  string
		secret  bool // the secret is the problem: also an ErrInvalidSecret
	}{
		{name: "secret as a varint", payload: entry("0805", bobField, sha1Six, totpType), entry: "otp_parameters[0]", reason: "secret: wire type 0, want 2"},
		{name: "type as bytes", payload: entry(testSecretField, bobField, sha1Six, "3200"), entry: "otp_parameters[0]", reason: "type: wire type 2, want 0"},
		{name: "truncated varint in the second entry", payload: pb(entry(goodEntry), entry(goodEntry, "3880")), entry: "otp_parameters[1]", index: 1, reason: "counter: truncated varint"},
		{name: "varint of 11 bytes", payload: entry(goodEntry, "38ffffffffffffffffffff01"), entry: "otp_parameters[0]", reason: "counter: varint longer than 64 bits"},
		{name: "varint over 64 bits", payload: entry(goodEntry, "38ffffffffffffffffff02"), entry: "otp_parameters[0]", reason: "counter: varint longer than 64 bits"},
		{name: "entry longer than the payload", payload: "0a100a", entry: "otp_parameters[0]", reason: "truncated"},
		{name: "entry length truncated", payload: pb(entry(goodEntry), "0a80"), entry: "otp_parameters[1]", index: 1, reason: "truncated varint"},
		{name: "entry as a varint", payload: pb(entry(goodEntry), "0801"), entry: "otp_parameters[1]", index: 1, reason: "wire type 0, want 2"},
		{name: "field in an entry longer than the entry", payload: entry(goodEntry, "1205616263"), entry: "otp_parameters[0]", reason: "name: truncated"},
		{name: "unknown fixed64 truncated", payload: entry(goodEntry, "410000"), entry: "otp_parameters[0]", reason: "field 8: truncated"},
		{name: "group in an entry", payload: entry(goodEntry, "43"), entry: "otp_parameters[0]", reason: "field 8: wire type 3 is not supported"},
		{name: "secret twice", payload: entry(goodEntry, testSecretField), entry: "otp_parameters[0]", reason: "secret: given more than once"},
		{name: "type twice", payload: entry(goodEntry, "3001"), entry: "otp_parameters[0]", reason: "type: given more than once"},
		{name: "secret of 72 bits", payload: entry(lenField("0a", str("123456789")), bobField, sha1Six, totpType), entry: "otp_parameters[0]", reason: "secret: shorter than 80 bits", secret: true},
		{name: "MD5", payload: entry(testSecretField, bobField, "2004", "2801", totpType), entry: "otp_parameters[0]", reason: "algorithm: MD5 is not supported"},
		{name: "unknown algorithm", payload: entry(testSecretField, bobField, "2005", "2801", totpType), entry: "otp_parameters[0]", reason: "algorithm: unknown value 5"},
		{name: "huge algorithm", payload: entry(testSecretField, bobField, "20ffffffffffffffffff01", "2801", totpType), entry: "otp_parameters[0]", reason: "algorithm: unknown value 18446744073709551615"},
		{name: "unknown digits", payload: entry(testSecretField, bobField, "2001", "2803", totpType), entry: "otp_parameters[0]", reason: "digits: unknown value 3"},
		{name: "type unspecified", payload: entry(testSecretField, bobField, sha1Six), entry: "otp_parameters[0]", reason: "type: unspecified"},
		{name: "type zero", payload: entry(testSecretField, bobField, sha1Six, "3000"), entry: "otp_parameters[0]", reason: "type: unspecified"},
		{name: "unknown type", payload: entry(testSecretField, bobField, sha1Six, "3003"), entry: "otp_parameters[0]", reason: "type: unknown value 3"},
		{name: "no secret", payload: entry(bobField, sha1Six, totpType), entry: "otp_parameters[0]", reason: "secret: missing"},
		{name: "empty secret", payload: entry("0a00", bobField, sha1Six, totpType), entry: "otp_parameters[0]", reason: "secret: missing"},
		{name: "no name", payload: entry(testSecretField, sha1Six, totpType), entry: "otp_parameters[0]", reason: "name: empty"},
		{name: "name of spaces", payload: entry(testSecretField, lenField("12", str("  ")), sha1Six, totpType), entry: "otp_parameters[0]", reason: "name: empty"},
		{name: "name only the issuer", payload: entry(testSecretField, lenField("12", str("ACME: ")), lenField("1a", str("ACME")), sha1Six, totpType), entry: "otp_parameters[0]", reason: "name: empty"},
		{name: "control character in the name", payload: entry(testSecretField, lenField("12", str("bob\n")), sha1Six, totpType), entry: "otp_parameters[0]", reason: "name: holds a control character"},
		{name: "bidi override in the issuer", payload: entry(testSecretField, bobField, lenField("1a", str("\u202eevil")), sha1Six, totpType), entry: "otp_parameters[0]", reason: "issuer: holds the invisible or line-breaking character U+202E"},
		{name: "invalid UTF-8 in the name", payload: entry(testSecretField, lenField("12", "ff"), sha1Six, totpType), entry: "otp_parameters[0]", reason: "name: not valid UTF-8"},
		{name: "no accounts", payload: "1001", entry: "payload", index: -1, reason: "no accounts"},
		{name: "empty payload", uri: "otpauth-migration://offline?data=", entry: "data", index: -1, reason: "missing"},
		{name: "version truncated", payload: pb(entry(goodEntry), "10"), entry: "version", index: -1, reason: "truncated varint"},
		{name: "version as bytes", payload: pb(entry(goodEntry), "1200"), entry: "version", index: -1, reason: "wire type 2, want 0"},
		{name: "batch id twice", payload: pb(entry(goodEntry), "2801", "2802"), entry: "batch_id", index: -1, reason: "given more than once"},
		{name: "batch id of 2^32", payload: pb(entry(goodEntry), "288080808010"), entry: "batch_id", index: -1, reason: "not an int32"},
		{name: "batch size below int32", payload: pb(entry(goodEntry), "18fffffffff7ffffffff01"), entry: "batch_size", index: -1, reason: "not an int32"},
		{name: "negative version", payload: pb(entry(goodEntry), "10ffffffffffffffffff01"), entry: "version", index: -1, reason: "negative"},
		{name: "negative batch size", payload: pb(entry(goodEntry), "18feffffffffffffffff01"), entry: "batch_size", index: -1, reason: "negative"},
		{name: "batch size 2^31-1", payload: pb(entry(goodEntry), "18ffffffff07"), entry: "batch_size", index: -1, reason: "more than 1000 codes (MaxMigrationBatch)"},
		{name: "batch size just past MaxMigrationBatch", payload: pb(entry(goodEntry), "18e907"), entry: "batch_size", index: -1, reason: "more than 1000 codes (MaxMigrationBatch)"},
		{name: "negative batch index", payload: pb(entry(goodEntry), "1803", "20fdffffffffffffffff01"), entry: "batch_index", index: -1, reason: "negative"},
		{name: "batch index at the size", payload: pb(entry(goodEntry), "1803", "2003"), entry: "batch_index", index: -1, reason: "3 is not below the batch size, 3"},
		{name: "batch index past the size", payload: pb(entry(goodEntry), "1802", "20ffffffff07"), entry: "batch_index", index: -1, reason: "2147483647 is not below the batch size, 2"},
		{name: "batch index without a size", payload: pb(entry(goodEntry), "2001"), entry: "batch_index", index: -1, reason: "1 is not below the batch size, 0"},
		{name: "the last counter, whose code never verifies", payload: entry(testSecretField, bobField, "2003", "2802", "3001", "38ffffffffffffffffff01"), entry: "otp_parameters[0]",
			reason: "counter: 2^64-1 is past the last usable counter: its code can never verify, since the counter after it would wrap"},
		{name: "field number 0", payload: pb(entry(goodEntry), "0000"), entry: "payload", index: -1, reason: "field number 0 is not valid"},
		{name: "field number past 2^29-1", payload: pb(entry(goodEntry), "8080808010"), entry: "payload", index: -1, reason: "field number 536870912 is not valid"},
		{name: "group at the top", payload: pb(entry(goodEntry), "4b"), entry: "payload", index: -1, reason: "field 9: wire type 3 is not supported"},
		{name: "wire type 7", payload: pb(entry(goodEntry), "4f"), entry: "payload", index: -1, reason: "field 9: wire type 7 is not supported"},
		{name: "truncated field key", payload: pb(entry(goodEntry), "80"), entry: "payload", index: -1, reason: "field key: truncated varint"},
		{name: "longer than MaxURILength", uri: "otpauth-migration://offline?data=" + strings.Repeat("A", MaxURILength), entry: "uri", index: -1, reason: "longer than 4096 bytes"},
		{name: "a key URI", uri: "otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP", entry: "scheme", index: -1, reason: "not otpauth-migration://"},
		{name: "no scheme", uri: "offline?data=CgA", entry: "scheme", index: -1, reason: "not otpauth-migration://"},
		{name: "another host", uri: "otpauth-migration://online?data=CgA", entry: "host", index: -1, reason: "not offline"},
		{name: "a path", uri: "otpauth-migration://offline/x?data=CgA", entry: "host", index: -1, reason: "not offline"},
		{name: "no data", uri: "otpauth-migration://offline?x=1", entry: "data", index: -1, reason: "missing"},
		{name: "no query", uri: "otpauth-migration://offline", entry: "data", index: -1, reason: "missing"},
		{name: "data twice", uri: "otpauth-migration://offline?data=CgA&DATA=CgA", entry: "data", index: -1, reason: "given more than once"},
		{name: "bad percent-encoding", uri: "otpauth-migration://offline?data=Cg%zz", entry: "data", index: -1, reason: "bad percent-encoding"},
		{name: "not base64", uri: "otpauth-migration://offline?data=!!!!", entry: "data", index: -1, reason: "not base64"},
		{name: "URL-safe base64", uri: "otpauth-migration://offline?data=Cj8KFG423VA-mkFu", entry: "data", index: -1, reason: "not base64"},
		{name: "too much padding", uri: "otpauth-migration://offline?data=CgA%3D%3D", entry: "data", index: -1, reason: "not base64"},
		{name: "a + read as a space", uri: "otpauth-migration://offline?data=Ch%20tvu8", entry: "data", index: -1, reason: "not base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uri := tt.uri
			if uri == "" {
				uri = exportURI(t, tt.payload)
			}
			m, err := ParseMigrationURI(uri)
			assert.Nil(t, m)
			me := assertMigrationError(t, err, tt.entry, uri)
			assert.Equal(t, tt.index, me.Index)
			assert.True(t, strings.HasPrefix(me.Reason, tt.reason), "reason %q, want %q", me.Reason, tt.reason)
			assert.NotContains(t, err.Error(), "12345678901234567890")
			assert.NotContains(t, err.Error(), EncodeSecret([]byte("12345678901234567890")))
			assert.Equal(t, tt.secret, errors.Is(err, ErrInvalidSecret), "ErrInvalidSecret")
			assert.NotErrorIs(t, err, ErrInvalidConfig, "an export is no value of the program's")
		})
	}
}

func TestParseMigrationURITolerates(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	bob := &Key{Type: TypeTOTP, Account: "bob", Secret: secret, Digits: 6, Period: DefaultPeriod}
	uniqueID := lenField("42", str("243dbf1747890408378"))
	tests := []struct {
		name string
		uri  string // or payload
		hex  string
		want *Key
	}{
		{name: "unique_id, which the app writes since 2025", hex: entry(goodEntry, uniqueID), want: bob},
		{name: "unknown fields of every wire type", hex: pb(entry("f80701", goodEntry, "490102030405060708", "4d01020304"), "3001", "3a00", "3d01020304"), want: bob},
		{name: "a counter on a TOTP key", hex: entry(goodEntry, "3805"), want: bob},
		{name: "fields in any order", hex: entry(totpType, sha1Six, bobField, testSecretField), want: bob},
		{name: "scheme, host and data in any case", uri: "OTPAUTH-MIGRATION://Offline?DATA=" + url.QueryEscape(base64.StdEncoding.EncodeToString(mustHex(t, entry(goodEntry)))), want: bob},
		{name: "issuer prefix and spaces dropped", hex: entry(testSecretField, lenField("12", str("ACME:  bob")), lenField("1a", str("ACME")), sha1Six, totpType),
			want: &Key{Type: TypeTOTP, Issuer: "ACME", Account: "bob", Secret: secret, Digits: 6, Period: DefaultPeriod}},
		{name: "another prefix kept", hex: entry(testSecretField, lenField("12", str("acme:bob")), lenField("1a", str("ACME")), sha1Six, totpType),
			want: &Key{Type: TypeTOTP, Issuer: "ACME", Account: "acme:bob", Secret: secret, Digits: 6, Period: DefaultPeriod}},
		{name: "prefix without an issuer kept", hex: entry(testSecretField, lenField("12", str("ACME:bob")), sha1Six, totpType),
			want: &Key{Type: TypeTOTP, Account: "ACME:bob", Secret: secret, Digits: 6, Period: DefaultPeriod}},
		{name: "only one prefix dropped", hex: entry(testSecretField, lenField("12", str("A:A:bob")), lenField("1a", str("A")), sha1Six, totpType),
			want: &Key{Type: TypeTOTP, Issuer: "A", Account: "A:bob", Secret: secret, Digits: 6, Period: DefaultPeriod}},
		{name: "largest counter, SHA512, eight digits", hex: entry(testSecretField, bobField, "2003", "2802", "3001", "38feffffffffffffffff01"),
			want: &Key{Type: TypeHOTP, Account: "bob", Secret: secret, Algorithm: SHA512, Digits: 8, Counter: math.MaxUint64 - 1}},
		{name: "HOTP without a counter", hex: entry(testSecretField, bobField, "2002", "3001"),
			want: &Key{Type: TypeHOTP, Account: "bob", Secret: secret, Algorithm: SHA256, Digits: 6}},
		{name: "negative batch id", hex: pb(entry(goodEntry), "2880808080f8ffffffff01"), want: bob},
		{name: "the last code of the largest batch", hex: pb(entry(goodEntry), "18e807", "20e707"), want: bob},
		{name: "other parameters ignored", uri: "otpauth-migration://offline?x=%zz&data=" + url.QueryEscape(base64.StdEncoding.EncodeToString(mustHex(t, entry(goodEntry)))) + "&y", want: bob},
		{name: "unpadded", uri: "otpauth-migration://offline?data=" + strings.TrimRight(base64.StdEncoding.EncodeToString(mustHex(t, entry(goodEntry))), "="), want: bob},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			uri := tt.uri
			if uri == "" {
				uri = exportURI(t, tt.hex)
			}
			m, err := ParseMigrationURI(uri)
			require.NoError(t, err)
			require.Len(t, m.Keys, 1)
			assert.Equal(t, tt.want, m.Keys[0])
		})
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestParseMigrationURIBatchFields(t *testing.T) {
	t.Parallel()
	m, err := ParseMigrationURI(exportURI(t, pb(entry(goodEntry), "1002", "1805", "2004", "2880808080f8ffffffff01")))
	require.NoError(t, err)
	assert.Equal(t, 2, m.Version)
	assert.Equal(t, 5, m.BatchSize)
	assert.Equal(t, 4, m.BatchIndex)
	assert.Equal(t, int32(math.MinInt32), m.BatchID)
}

// exportableKeys are keys of every shape an export carries.
func exportableKeys() []*Key {
	secret := []byte("12345678901234567890")
	return []*Key{
		{Type: TypeTOTP, Issuer: "Example", Account: "alice@example.com", Secret: secret, Digits: 6, Period: 30 * time.Second},
		{Type: TypeHOTP, Account: "bob", Secret: secret, Algorithm: SHA512, Digits: 8, Counter: math.MaxUint64 - 1},
		{Type: TypeTOTP, Issuer: "ACME Co", Account: "ACME Co:carol", Secret: secret, Algorithm: SHA256},
		{Account: "zero values mean the defaults", Secret: secret},
		{Type: TypeHOTP, Account: "counter 0", Secret: secret},
		{Type: TypeHOTP, Account: "a period on HOTP means nothing", Secret: secret, Period: time.Minute},
		{Type: TypeTOTP, Account: "nor a counter on TOTP", Secret: secret, Counter: 7},
		{Issuer: "日本", Account: "é:x", Secret: secret},
		{Account: "urn:no-issuer:colons", Secret: secret},
		{Issuer: "A", Account: "A: b", Secret: secret},
		{Issuer: "A", Account: "A:", Secret: secret},
		{Issuer: "A:", Account: "b", Secret: secret},
		{Issuer: "AT&T / C++ 50% ?#=", Account: "a+b c", Secret: secret},
		{Account: "80-bit secret", Secret: secret[:10]},
		{Account: "long secret", Secret: bytes.Repeat([]byte{0xa5, 0x5a}, 64)},
		{Issuer: "Steam", Account: "decimal codes, whose key URI says digits=6", Secret: secret},
	}
}

// normalized returns what ParseURI reads from k's own key URI: the key
// with its defaults filled in, as an export gives it back.
func normalized(t *testing.T, k *Key) *Key {
	t.Helper()
	n, err := ParseURI(k.URI())
	require.NoError(t, err, k.URI())
	return n
}

// parseAll reads every URI of one export, checks the batch fields, and
// returns the keys in order.
func parseAll(t *testing.T, uris []string) []*Key {
	t.Helper()
	var keys []*Key
	var id int32
	for i, u := range uris {
		m, err := ParseMigrationURI(u)
		require.NoError(t, err, u)
		assert.Equal(t, 1, m.Version)
		assert.Equal(t, len(uris), m.BatchSize)
		assert.Equal(t, i, m.BatchIndex)
		if i == 0 {
			id = m.BatchID
		}
		assert.Equal(t, id, m.BatchID, "one batch id for the whole export")
		keys = append(keys, m.Keys...)
		assertProtocAgrees(t, u, m)
	}
	return keys
}

func TestMigrationURIsRoundTrip(t *testing.T) {
	t.Parallel()
	keys := exportableKeys()
	var want []*Key
	for _, k := range keys {
		want = append(want, normalized(t, k))
	}
	for _, perURI := range []int{0, 1, 4, len(keys), 100} {
		t.Run(strconv.Itoa(perURI), func(t *testing.T) {
			uris, err := MigrationURIs(keys, perURI)
			require.NoError(t, err)
			per := perURI
			if per == 0 {
				per = DefaultMigrationBatch
			}
			assert.Len(t, uris, (len(keys)+per-1)/per)
			for _, u := range uris {
				assert.True(t, strings.HasPrefix(u, "otpauth-migration://offline?data="), u)
				assert.NotContains(t, u[len("otpauth-migration://offline?data="):], "+", "'+' is escaped, for readers that take it for a space")
			}
			assert.Equal(t, want, parseAll(t, uris))
		})
	}
}

func TestMigrationURIsRealExports(t *testing.T) {
	t.Parallel()
	var keys []*Key
	for _, c := range loadMigrationCorpus(t) {
		if c.Migration != nil {
			keys = append(keys, c.want(t).Keys...)
		}
	}
	uris, err := MigrationURIs(keys, 0)
	require.NoError(t, err)
	assert.Len(t, uris, (len(keys)+9)/10)
	assert.Equal(t, keys, parseAll(t, uris))
}

func TestMigrationURIsBatchID(t *testing.T) {
	t.Parallel()
	keys := exportableKeys()[:1]
	ids := map[int32]bool{}
	for range 8 {
		uris, err := MigrationURIs(keys, 0)
		require.NoError(t, err)
		m, err := ParseMigrationURI(uris[0])
		require.NoError(t, err)
		ids[m.BatchID] = true
	}
	assert.Len(t, ids, 8, "a random batch id for each export (a repeat has odds of 1 in 2^27)")
}

// TestMigrationSteamIssuerIsDecimal: the app makes decimal codes for every
// key, so an account of the issuer Steam in an export is a decimal key, and
// its key URI says so with digits, which ParseURI would otherwise read as
// Steam codes.
func TestMigrationSteamIssuerIsDecimal(t *testing.T) {
	t.Parallel()
	m, err := ParseMigrationURI(exportURI(t, entry(testSecretField, lenField("12", str("Steam:alice")), lenField("1a", str("Steam")), sha1Six, totpType)))
	require.NoError(t, err)
	require.Len(t, m.Keys, 1)
	k := m.Keys[0]
	assert.Equal(t, &Key{Type: TypeTOTP, Issuer: "Steam", Account: "alice", Secret: []byte("12345678901234567890"), Digits: 6, Period: DefaultPeriod}, k)
	assert.Equal(t, "otpauth://totp/Steam:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Steam&digits=6", k.URI())
	again, err := ParseURI(k.URI())
	require.NoError(t, err)
	assert.Equal(t, k, again)
	uris, err := MigrationURIs(m.Keys, 0)
	require.NoError(t, err)
	assert.Equal(t, m.Keys, parseAll(t, uris))
}

func TestMigrationURIsEmpty(t *testing.T) {
	t.Parallel()
	uris, err := MigrationURIs(nil, 0)
	assert.NoError(t, err)
	assert.Empty(t, uris)
}

func TestMigrationURIsRefuses(t *testing.T) {
	t.Parallel()
	secret := []byte("12345678901234567890")
	good := func() *Key { return &Key{Type: TypeTOTP, Issuer: "Example", Account: "alice", Secret: secret} }
	tests := []struct {
		name   string
		change func(k *Key)
		reason string
		config string // the *ConfigError field also wrapped, if any
	}{
		{"a 60-second period", func(k *Key) { k.Period = time.Minute }, "period: 1m0s cannot be exported", ""},
		{"a period that is no period", func(k *Key) { k.Period = 1500 * time.Millisecond }, "Period: 1.5s is not a positive whole number of seconds", "Period"},
		{"7 digits", func(k *Key) { k.Digits = 7 }, "digits: 7 cannot be exported", ""},
		{"10 digits", func(k *Key) { k.Digits = 10 }, "digits: 10 cannot be exported", ""},
		{"11 digits", func(k *Key) { k.Digits = 11 }, "Digits: 11 is outside 6..10", "Digits"},
		{"unknown algorithm", func(k *Key) { k.Algorithm = 3 }, "Algorithm: unknown value 3", "Algorithm"},
		{"no secret", func(k *Key) { k.Secret = nil }, "Secret: empty", "Secret"},
		{"a secret of 72 bits", func(k *Key) { k.Secret = k.Secret[:9] }, "Secret: shorter than 80 bits", "Secret"},
		{"another type", func(k *Key) { k.Type = 2 }, "Type: KeyType(2) is neither TypeTOTP nor TypeHOTP", "Type"},
		{"no account", func(k *Key) { k.Account = "" }, "Account: empty", "Account"},
		{"account starting with a space", func(k *Key) { k.Account = " alice" }, "Account: starts with a space", "Account"},
		{"control character", func(k *Key) { k.Account = "al\x00ice" }, "Account: holds a control character", "Account"},
		{"bidi override in the issuer", func(k *Key) { k.Issuer = "\u202eelpmaxE" }, "Issuer: holds the invisible or line-breaking character U+202E", "Issuer"},
		{"a URI too long", func(k *Key) { k.Account = strings.Repeat("é", 700) }, "Key: its URI is 4278 bytes, longer than MaxURILength (4096)", "Key"},
		{"extra parameters", func(k *Key) { k.Extra = url.Values{"image": {"x"}, "lock": {"true"}} }, `parameter "image": an export has no place for it`, ""},
		{"Steam codes", func(k *Key) { k.Format = Steam }, "format: Steam codes cannot be exported: an export holds decimal codes only", ""},
		{"Steam codes of 5 characters", func(k *Key) { k.Issuer, k.Format, k.Digits = "Steam", Steam, 5 }, "format: Steam codes cannot be exported", ""},
		{"Steam codes of 6 characters", func(k *Key) { k.Format, k.Digits = Steam, 6 }, "Digits: 6 is not 5, the length of Steam codes", "Digits"},
		{"an unknown format", func(k *Key) { k.Format = 3 }, "Format: unknown value 3", "Format"},
		{"a period past MaxPeriod", func(k *Key) { k.Period = MaxPeriod + time.Second }, "Period: 86401s is longer than MaxPeriod (86400s)", "Period"},
		{"HOTP at the counter 2^64-1", func(k *Key) { k.Type, k.Counter = TypeHOTP, math.MaxUint64 }, "Counter: 2^64-1 is past the last usable counter", "Counter"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			bad := good()
			tt.change(bad)
			uris, err := MigrationURIs([]*Key{good(), good(), bad, good()}, 2)
			assert.Nil(t, uris)
			me := assertMigrationError(t, err, "keys[2]", "")
			assert.Equal(t, 2, me.Index)
			assert.True(t, strings.HasPrefix(me.Reason, tt.reason), "reason %q, want %q", me.Reason, tt.reason)
			var ce *ConfigError
			if tt.config != "" && assert.ErrorAs(t, err, &ce) {
				assert.Equal(t, tt.config, ce.Field)
			}
			if tt.config == "" {
				assert.NotErrorIs(t, err, ErrInvalidConfig)
			}
		})
	}

	_, err := MigrationURIs([]*Key{good(), nil}, 0)
	me := assertMigrationError(t, err, "keys[1]", "")
	assert.Equal(t, "nil", me.Reason)

	_, err = MigrationURIs([]*Key{good()}, -1)
	assertConfigError(t, err, "perURI")
}

// TestMigrationURIsBatchLimit: MigrationURIs writes no export that
// ParseMigrationURI would refuse for its size.
func TestMigrationURIsBatchLimit(t *testing.T) {
	t.Parallel()
	key := &Key{Account: "a", Secret: []byte("12345678901234567890")}
	keys := slices.Repeat([]*Key{key}, MaxMigrationBatch+1)
	_, err := MigrationURIs(keys, 1)
	me := assertMigrationError(t, err, "keys", "")
	assert.Equal(t, "1001 QR codes, more than MaxMigrationBatch (1000): put more keys in each", me.Reason)

	uris, err := MigrationURIs(keys[:MaxMigrationBatch], 1)
	require.NoError(t, err)
	m, err := ParseMigrationURI(uris[MaxMigrationBatch-1])
	require.NoError(t, err)
	assert.Equal(t, MaxMigrationBatch, m.BatchSize)
	assert.Equal(t, MaxMigrationBatch-1, m.BatchIndex)
}

func TestMigrationURIsTooLong(t *testing.T) {
	t.Parallel()
	// Not "xxx...": protoc would read that as a message of varints.
	long := &Key{Account: strings.Repeat("long name ", 60), Secret: []byte("12345678901234567890")}
	keys := []*Key{long, long, long, long, long, long, long}
	_, err := MigrationURIs(keys, 0)
	me := assertMigrationError(t, err, "keys[0:7]", "")
	assert.Equal(t, 0, me.Index)
	assert.Contains(t, me.Reason, "longer than 4096 bytes")

	_, err = MigrationURIs(keys, 5)
	assertMigrationError(t, err, "keys[0:5]", "")

	// Four of them fit; the last URI holds the rest.
	uris, err := MigrationURIs(keys, 4)
	require.NoError(t, err)
	assert.Len(t, uris, 2)
	for _, u := range uris {
		assert.LessOrEqual(t, len(u), MaxURILength)
	}
	assert.Len(t, parseAll(t, uris), 7)
}

// assertProtocAgrees decodes an export with protoc (Debian
// protobuf-compiler), an independent protobuf reader, and checks that it
// finds the same keys and batch fields as ParseMigrationURI: once with
// --decode and the published schema (testdata/google_auth.proto), and once
// with --decode_raw, which knows no schema. --decode_raw shows a bytes
// field that happens to parse as a message (a random secret may) as that
// message; for such a field only the --decode reading counts.
func assertProtocAgrees(t *testing.T, uri string, want *Migration) {
	t.Helper()
	protoc := requireTool(t, "protoc", "protobuf-compiler")
	payload := payloadOf(t, uri)
	schema := runProtoc(t, protoc, payload, "--proto_path=testdata", "--decode=googleauth.MigrationPayload", "google_auth.proto")
	bySchema := schema.migration(t, nil)
	assert.Equal(t, want, bySchema, "protoc --decode reads the export as ParseMigrationURI does")
	raw := runProtoc(t, protoc, payload, "--decode_raw").named(payloadFieldNames, parametersFieldNames)
	assert.Equal(t, want, raw.migration(t, bySchema), "protoc --decode_raw reads the export as ParseMigrationURI does")
}

func runProtoc(t *testing.T, protoc string, payload []byte, args ...string) *textMessage {
	t.Helper()
	cmd := exec.Command(protoc, args...)
	cmd.Stdin = bytes.NewReader(payload)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	msg, rest := parseTextFormat(t, strings.Split(strings.TrimSpace(string(out)), "\n"))
	require.Empty(t, rest)
	return msg
}

// The field numbers of the format, written out here apart from the
// package's own tables, to name what --decode_raw prints by number.
var (
	payloadFieldNames    = map[string]string{"1": "otp_parameters", "2": "version", "3": "batch_size", "4": "batch_index", "5": "batch_id"}
	parametersFieldNames = map[string]string{"1": "secret", "2": "name", "3": "issuer", "4": "algorithm", "5": "digits", "6": "type", "7": "counter", "8": "unique_id"}
)

// textMessage is a message as protoc prints it: scalars (strings
// unquoted), and messages, by field name or number.
type textMessage struct {
	scalars map[string][]string
	msgs    map[string][]*textMessage
}

// parseTextFormat reads the fields of one message up to a closing brace.
func parseTextFormat(t *testing.T, lines []string) (*textMessage, []string) {
	t.Helper()
	m := &textMessage{scalars: map[string][]string{}, msgs: map[string][]*textMessage{}}
	for len(lines) > 0 {
		line := strings.TrimSpace(lines[0])
		lines = lines[1:]
		if line == "}" {
			return m, lines
		}
		if name, ok := strings.CutSuffix(line, " {"); ok {
			var sub *textMessage
			sub, lines = parseTextFormat(t, lines)
			m.msgs[name] = append(m.msgs[name], sub)
			continue
		}
		name, value, ok := strings.Cut(line, ": ")
		require.True(t, ok, line)
		if strings.HasPrefix(value, `"`) {
			value = cUnquote(t, value)
		}
		m.scalars[name] = append(m.scalars[name], value)
	}
	return m, nil
}

// named renames fields printed by number: the payload's with top, the
// entries' with entry.
func (m *textMessage) named(top, entry map[string]string) *textMessage {
	out := &textMessage{scalars: map[string][]string{}, msgs: map[string][]*textMessage{}}
	for n, v := range m.scalars {
		out.scalars[cmp.Or(top[n], n)] = v
	}
	for n, subs := range m.msgs {
		name := cmp.Or(top[n], n)
		for _, sub := range subs {
			if name == "otp_parameters" {
				sub = sub.named(entry, nil)
			}
			out.msgs[name] = append(out.msgs[name], sub)
		}
	}
	return out
}

// scalar returns a field given at most once, and whether protoc printed it
// as a scalar; a field it printed as a message is not.
func (m *textMessage) scalar(t *testing.T, name string) (string, bool) {
	t.Helper()
	require.LessOrEqual(t, len(m.scalars[name])+len(m.msgs[name]), 1, name)
	if len(m.msgs[name]) > 0 {
		return "", false
	}
	if len(m.scalars[name]) == 0 {
		return "", true
	}
	return m.scalars[name][0], true
}

// number reads a varint field, absent meaning 0, as --decode_raw prints it
// (a decimal) or as --decode does (an enum name, or a signed decimal).
func (m *textMessage) number(t *testing.T, name string, enum map[string]uint64) uint64 {
	t.Helper()
	s, ok := m.scalar(t, name)
	require.True(t, ok, name)
	if v, ok := enum[s]; ok {
		return v
	}
	if s == "" {
		return 0
	}
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return uint64(v)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	require.NoError(t, err, name)
	return v
}

// text reads a bytes or string field, or takes it from fallback when
// protoc printed it as a message.
func (m *textMessage) text(t *testing.T, name, fallback string) string {
	t.Helper()
	s, ok := m.scalar(t, name)
	if !ok {
		return fallback
	}
	return s
}

// The enum values of the format, by the names of the published schema.
var (
	algorithmValues = map[string]uint64{"ALGORITHM_SHA1": 1, "ALGORITHM_SHA256": 2, "ALGORITHM_SHA512": 3, "ALGORITHM_MD5": 4}
	digitsValues    = map[string]uint64{"DIGIT_COUNT_SIX": 1, "DIGIT_COUNT_EIGHT": 2}
	typeValues      = map[string]uint64{"OTP_TYPE_HOTP": 1, "OTP_TYPE_TOTP": 2}
)

// migration interprets a payload by the format's rules, written out here
// apart from the package's own. Bytes fields printed as messages come from
// fallback, when given.
func (m *textMessage) migration(t *testing.T, fallback *Migration) *Migration {
	t.Helper()
	got := &Migration{Version: int(int32(m.number(t, "version", nil))), BatchSize: int(int32(m.number(t, "batch_size", nil))),
		BatchIndex: int(int32(m.number(t, "batch_index", nil))), BatchID: int32(m.number(t, "batch_id", nil))}
	for i, e := range m.msgs["otp_parameters"] {
		var fb Key
		if fallback != nil && i < len(fallback.Keys) {
			fb = *fallback.Keys[i]
			if fb.Issuer != "" {
				fb.Account = fb.Issuer + ":" + fb.Account
			}
		}
		k := &Key{Secret: []byte(e.text(t, "secret", string(fb.Secret))), Issuer: e.text(t, "issuer", fb.Issuer), Account: e.text(t, "name", fb.Account)}
		if k.Issuer != "" {
			k.Account = strings.TrimPrefix(k.Account, k.Issuer+":")
		}
		k.Algorithm = map[uint64]Algorithm{1: SHA1, 2: SHA256, 3: SHA512}[e.number(t, "algorithm", algorithmValues)]
		k.Digits = map[uint64]int{1: 6, 2: 8}[e.number(t, "digits", digitsValues)]
		switch e.number(t, "type", typeValues) {
		case 1:
			k.Type, k.Counter = TypeHOTP, e.number(t, "counter", nil)
		case 2:
			k.Type, k.Period = TypeTOTP, 30*time.Second
		default:
			t.Fatal("protoc reads no type")
		}
		got.Keys = append(got.Keys, k)
	}
	return got
}

// cUnquote undoes the C escapes protoc writes: \n, \r, \t, \", \', \\ and
// three octal digits.
func cUnquote(t *testing.T, s string) string {
	t.Helper()
	require.True(t, len(s) >= 2 && strings.HasSuffix(s, `"`), s)
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		i++
		require.Less(t, i, len(s), s)
		switch c := s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case '"', '\'', '\\':
			b.WriteByte(c)
		default:
			require.LessOrEqual(t, i+3, len(s), s)
			v, err := strconv.ParseUint(s[i:i+3], 8, 8)
			require.NoError(t, err, s)
			b.WriteByte(byte(v))
			i += 2
		}
	}
	return b.String()
}

func FuzzParseMigrationURI(f *testing.F) {
	for _, c := range loadMigrationCorpus(f) {
		f.Add(c.URI)
	}
	f.Add("otpauth-migration://offline?data=CgA")
	f.Add("otpauth-migration://offline?data=ChoKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEgNib2IwAQ")
	f.Add("otpauth-migration://OFFLINE?Data=Cg%2BxYzMzNDU2Nzg5MA%3D%3D&data")
	f.Add("otpauth-migration://offline?data=CioKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEgVTdGVhbRoFU3RlYW0gASgBMAI")
	// Crafted batch fields: a size of 2^31-1, an index past the size, negatives.
	for _, fields := range []string{"18ffffffff07", "1802" + "20ffffffff07", "18feffffffffffffffff01", "10ffffffffffffffffff01", "18e807" + "20e707"} {
		f.Add("otpauth-migration://offline?data=" + base64.StdEncoding.EncodeToString(mustHex(f, pb(entry(goodEntry), fields))))
	}
	f.Fuzz(checkMigrationRoundTrip)
}

// FuzzMigrationPayload fuzzes the protobuf reader below the base64 layer,
// where mutations of FuzzParseMigrationURI's text seldom reach.
func FuzzMigrationPayload(f *testing.F) {
	for _, c := range loadMigrationCorpus(f) {
		if c.Migration != nil {
			f.Add(payloadOfTB(f, c.URI))
		}
	}
	f.Add([]byte{0x0a, 0x00})
	for _, fields := range []string{"18ffffffff07", "1802" + "20ffffffff07", "18feffffffffffffffff01", "20fdffffffffffffffff01", "2001"} {
		f.Add(mustHex(f, pb(entry(goodEntry), fields)))
	}
	f.Add([]byte("\x0a\x2a\x0a\x1412345678901234567890\x12\x05Steam\x1a\x05Steam\x20\x01\x28\x01\x30\x02")) // the issuer Steam: decimal codes
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkMigrationRoundTrip(t, "otpauth-migration://offline?data="+base64.StdEncoding.EncodeToString(payload))
	})
}

// checkMigrationRoundTrip checks what ParseMigrationURI makes of uri: an
// error that shows nothing of it, or keys that ParseURI and MigrationURIs
// both give back unchanged.
func checkMigrationRoundTrip(t *testing.T, uri string) {
	m, err := ParseMigrationURI(uri)
	if err != nil {
		require.Nil(t, m)
		require.ErrorIs(t, err, ErrInvalidMigration)
		require.True(t, strings.HasPrefix(err.Error(), "otp: invalid migration: "))
		if _, data, ok := strings.Cut(uri, "data="); ok && len(data) >= 16 {
			require.NotContains(t, err.Error(), data)
		}
		return
	}
	require.NotEmpty(t, m.Keys)
	require.GreaterOrEqual(t, m.Version, 0)
	require.LessOrEqual(t, m.BatchSize, MaxMigrationBatch)
	require.GreaterOrEqual(t, m.BatchIndex, 0)
	require.Less(t, m.BatchIndex, max(m.BatchSize, 1), "an index inside the batch")
	for _, k := range m.Keys {
		require.NotEmpty(t, k.Secret)
		require.NotEmpty(t, k.Account)
		if u := k.URI(); len(u) <= MaxURILength {
			again, err := ParseURI(u)
			require.NoError(t, err, "key URI %q", u)
			require.Equal(t, k, again)
		}
	}
	// Written back, the keys read the same. Escaping can make a URI
	// longer than the one read: then fewer keys go in each.
	uris, err := MigrationURIs(m.Keys, 0)
	if err != nil {
		require.Contains(t, err.Error(), "longer than 4096 bytes")
		if uris, err = MigrationURIs(m.Keys, 1); err != nil {
			require.Contains(t, err.Error(), "longer than 4096 bytes")
			return
		}
	}
	var back []*Key
	for i, u := range uris {
		m2, err := ParseMigrationURI(u)
		require.NoError(t, err, u)
		require.Equal(t, len(uris), m2.BatchSize)
		require.Equal(t, i, m2.BatchIndex)
		back = append(back, m2.Keys...)
	}
	require.Equal(t, m.Keys, back)
}

// benchExport is a full QR code of a real export: ten accounts.
const benchExport = "otpauth-migration://offline?data=CjgKFEAMt6taggt2RMlyOqc%2FgKq4rLAdEhRBQ01FOm9uZUBleGFtcGxlLmNvbRoEQUNNRSABKAEwAgo4ChT2aPztshguMytZeJ7mD5gmjwJrlhIUQUNNRTp0d29AZXhhbXBsZS5jb20aBEFDTUUgASgBMAIKOgoUNT2RciBQftSX5pYbnfYyeQmte8wSFkFDTUU6dGhyZWVAZXhhbXBsZS5jb20aBEFDTUUgASgBMAIKOQoUd2SPY9F%2BYOZ0kchIO6I0FiVe6SYSFUFDTUU6Zm91ckBleGFtcGxlLmNvbRoEQUNNRSABKAEwAgo5ChRGVdxYupF5A3VN1FvCB7KOFHJMEBIVQUNNRTpmaXZlQGV4YW1wbGUuY29tGgRBQ01FIAEoATACCjgKFPW7LtgHn%2Fo4s1UAvmwb%2FBDMSxOhEhRBQ01FOnNpeEBleGFtcGxlLmNvbRoEQUNNRSABKAEwAgo6ChQ%2BWpi%2BlKrk%2FDlTh7D3oD21yPi2IhIWQUNNRTpzZXZlbkBleGFtcGxlLmNvbRoEQUNNRSABKAEwAgo6ChSmPi4DpijhO49AE3VlsP9rBCgKvhIWQUNNRTplaWdodEBleGFtcGxlLmNvbRoEQUNNRSABKAEwAgo5ChTDJbVsyBwYtzVPvx7EjAEYQH%2BNHRIVQUNNRTpuaW5lQGV4YW1wbGUuY29tGgRBQ01FIAEoATACCjgKFIe1FhE2wfYShI3ZTcgyqP%2BOiIM%2BEhRBQ01FOnRlbkBleGFtcGxlLmNvbRoEQUNNRSABKAEwAhABGAMgACjYkYF4"

func BenchmarkParseMigrationURI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseMigrationURI(benchExport); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMigrationURIs(b *testing.B) {
	m, err := ParseMigrationURI(benchExport)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MigrationURIs(m.Keys, 0); err != nil {
			b.Fatal(err)
		}
	}
}
