package otp

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// steamVectors is testdata/steam.json.
type steamVectors struct {
	Source   string `json:"source"`
	Alphabet string `json:"alphabet"`
	Cases    []struct {
		Name    string  `json:"name"`
		Source  string  `json:"source"`
		Secret  string  `json:"secret"`
		Counter *uint64 `json:"counter"`
		Time    *int64  `json:"time"`
		Code    string  `json:"code"`
	} `json:"cases"`
}

func TestSteamVectors(t *testing.T) {
	t.Parallel()
	var v steamVectors
	loadJSON(t, "steam.json", &v)
	require.Len(t, v.Cases, 8, v.Source)
	assert.Equal(t, v.Alphabet, formats[Steam].alphabet)
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			require.NotEmpty(t, c.Source)
			secret, err := DecodeSecret(c.Secret)
			require.NoError(t, err)
			var counter uint64
			if c.Time != nil {
				tp := TOTP{Secret: secret, Format: Steam}
				at := time.Unix(*c.Time, 0)
				got, err := tp.Generate(at)
				require.NoError(t, err)
				assert.Equal(t, c.Code, got)
				counter = uint64(*c.Time) / 30
				next, err := tp.Verify(strings.ToLower(c.Code), at, counter)
				require.NoError(t, err)
				assert.Equal(t, counter+1, next)
			} else {
				require.NotNil(t, c.Counter)
				counter = *c.Counter
			}
			h := HOTP{Secret: secret, Format: Steam}
			got, err := h.Generate(counter)
			require.NoError(t, err)
			assert.Equal(t, c.Code, got)
			for _, code := range []string{c.Code, strings.ToLower(c.Code), alternateCase(c.Code)} {
				next, err := h.Verify(code, counter)
				require.NoError(t, err, code)
				assert.Equal(t, counter+1, next, code)
			}
		})
	}
}

// alternateCase lowers every other letter: "FR8RV" is "fR8rV".
func alternateCase(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i += 2 {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	return string(b)
}

// steamCode writes a 31-bit value as a Steam code, apart from the
// package's codec: five divisions by 26, the least significant character
// first.
func steamCode(v uint32) string {
	const alphabet = "23456789BCDFGHJKMNPQRTVWXY"
	var b strings.Builder
	for range 5 {
		b.WriteByte(alphabet[v%26])
		v /= 26
	}
	return b.String()
}

// TestSteamCrossCheckOathtool checks Steam codes against oathtool, an
// independent C implementation that makes decimal codes only. Its 8-digit
// code is the truncated value mod 10^8, so the value is one of the at most
// 22 numbers below 2^31 that end in those digits, and the Steam code must
// be the one written here of one of them (a wrong code is, by chance, with
// odds of about 22 in 26^5 a case). The package's own 10-digit code, the
// whole value, must be that number.
func TestSteamCrossCheckOathtool(t *testing.T) {
	t.Parallel()
	oathtool := requireTool(t, "oathtool", "oathtool")
	rng := rand.New(rand.NewPCG(26, 5))
	algs := []Algorithm{SHA1, SHA256, SHA512}
	for i := range 60 {
		key := randomKey(rng)
		alg := algs[i%3]
		counter := rng.Uint64() >> rng.IntN(64)
		if alg != SHA1 {
			counter >>= 2 // oathtool reaches these through 1-second steps: times below 2^62
		}
		t.Run(fmt.Sprintf("%s/key%d/c%d", alg, len(key), counter), func(t *testing.T) {
			out, err := exec.Command(oathtool, hotpArgs(alg, 8, counter, key)...).Output()
			require.NoError(t, err)
			low, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 32)
			require.NoError(t, err)
			var candidates []string
			for v := low; v < 1<<31; v += 1e8 {
				candidates = append(candidates, steamCode(uint32(v)))
			}

			got, err := HOTP{Secret: key, Algorithm: alg, Format: Steam}.Generate(counter)
			require.NoError(t, err)
			assert.Contains(t, candidates, got)

			whole, err := HOTP{Secret: key, Algorithm: alg, Digits: 10}.Generate(counter)
			require.NoError(t, err)
			v, err := strconv.ParseUint(whole, 10, 32)
			require.NoError(t, err)
			assert.Equal(t, low, v%1e8)
			assert.Equal(t, steamCode(uint32(v)), got)
		})
	}
}

func TestSteamVerifyWindowAndReplay(t *testing.T) {
	t.Parallel()
	secret, err := DecodeSecret("63BEDWCQZKTQWPESARIERL5DTTQFCJTK")
	require.NoError(t, err)
	tp := TOTP{Secret: secret, Format: Steam, Skew: 1}
	now := time.Unix(1511200518, 0)
	const cur = 1511200518 / 30
	code := func(step uint64) string { return mustHOTP(t, HOTP{Secret: secret, Format: Steam}, step) }
	require.Equal(t, "FR8RV", code(cur))
	tests := []struct {
		name string
		code string
		next uint64
		want uint64
		err  error
	}{
		{"current step", "FR8RV", 0, cur + 1, nil},
		{"lower case", "fr8rv", 0, cur + 1, nil},
		{"previous step", code(cur - 1), 0, cur, nil},
		{"next step", code(cur + 1), 0, cur + 2, nil},
		{"two behind", code(cur - 2), 0, 0, ErrInvalidCode},
		{"two ahead", code(cur + 2), 0, 0, ErrInvalidCode},
		{"replay", "fr8rv", cur + 1, 0, ErrReplayed},
		{"an older step after a newer one", code(cur - 1), cur + 1, 0, ErrReplayed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tp.Verify(tt.code, now, tt.next)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				assert.Equal(t, tt.next, got, "an error returns next unchanged")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestVerifyRefusesMalformedCodes: a code that is not one of the format's
// is ErrInvalidCode. That no HMAC work is done for it, TestFIPS140Mode
// checks, where every key set up allocates.
func TestVerifyRefusesMalformedCodes(t *testing.T) {
	t.Parallel()
	secret, err := DecodeSecret("63BEDWCQZKTQWPESARIERL5DTTQFCJTK")
	require.NoError(t, err)
	now := time.Unix(1511200518, 0)
	tests := []struct {
		format    CodeFormat
		right     string
		malformed []string
	}{
		{Decimal, "124875", []string{"", "12487", "1248755", "12487a", "12487 ", " 12487", "+12487", "12487٥", "1248３5", "12487\x00", "FR8RV"}},
		{Steam, "FR8RV", []string{"", "FR8R", "FR8RVV", "FR8R0", "FR8R1", "FR8RA", "FR8RE", "FR8RI", "FR8RO", "FR8RU",
			"FR8RL", "FR8RS", "FR8RZ", "fr8rl", "FR8R ", " FR8R", "FR8R-", "FR8R\x00", "FR8R\xff", "FR8Rｖ", "FR8Rſ", "12345", "124875"}},
	}
	for _, tt := range tests {
		t.Run(tt.format.String(), func(t *testing.T) {
			tp := TOTP{Secret: secret, Format: tt.format, Skew: 1}
			step, err := tp.Verify(tt.right, now, 0)
			require.NoError(t, err, "the right code, so that the refusals below mean something")
			require.Equal(t, uint64(1511200518/30+1), step)
			for _, code := range tt.malformed {
				step, err := tp.Verify(code, now, 7)
				assert.ErrorIs(t, err, ErrInvalidCode, "%q", code)
				assert.Equal(t, uint64(7), step)
				_, err = tp.hotp().Verify(code, 50373350)
				assert.ErrorIs(t, err, ErrInvalidCode, "%q", code)
			}
		})
	}
}

func TestCodeFormatConfigErrors(t *testing.T) {
	t.Parallel()
	s := rfc4226Secret
	tests := []struct {
		name   string
		h      HOTP
		field  string
		reason string
	}{
		{"Steam with 6 digits", HOTP{Secret: s, Format: Steam, Digits: 6}, "Digits", "6 is not 5, the length of Steam codes"},
		{"Steam with 10 digits", HOTP{Secret: s, Format: Steam, Digits: 10}, "Digits", "10 is not 5, the length of Steam codes"},
		{"Steam with negative digits", HOTP{Secret: s, Format: Steam, Digits: -5}, "Digits", "-5 is not 5, the length of Steam codes"},
		{"decimal with 5 digits", HOTP{Secret: s, Digits: 5}, "Digits", "5 is outside 6..10"},
		{"decimal with 11 digits", HOTP{Secret: s, Digits: 11}, "Digits", "11 is outside 6..10"},
		{"an unknown format", HOTP{Secret: s, Format: 2}, "Format", "unknown value 2"},
		{"a negative format", HOTP{Secret: s, Format: -1}, "Format", "unknown value -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.h.Generate(0)
			assertConfigError(t, err, tt.field)
			assert.Equal(t, "otp: invalid "+tt.field+": "+tt.reason, err.Error())
			_, err = tt.h.Verify("FR8RV", 0)
			assertConfigError(t, err, tt.field)
			tp := TOTP{Secret: tt.h.Secret, Format: tt.h.Format, Digits: tt.h.Digits}
			_, err = tp.Verify("FR8RV", at1111111109, 0)
			assertConfigError(t, err, tt.field)
		})
	}
	// Zero digits are the format's own length.
	code, err := HOTP{Secret: s, Format: Steam}.Generate(0)
	require.NoError(t, err)
	assert.Len(t, code, 5)
	code, err = HOTP{Secret: s, Format: Steam, Digits: 5}.Generate(0)
	require.NoError(t, err)
	assert.Len(t, code, 5)
}

func TestCodeFormatString(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Decimal", Decimal.String())
	assert.Equal(t, "Steam", Steam.String())
	assert.Equal(t, "CodeFormat(2)", CodeFormat(2).String())
	assert.Equal(t, "CodeFormat(-1)", CodeFormat(-1).String())
	assert.Equal(t, Decimal, TOTP{}.Format, "the zero value is decimal")
}

// TestCodecTables checks the facts each codec is built from: the bytes
// that parse, the moduli, and that writing and reading are inverses.
func TestCodecTables(t *testing.T) {
	t.Parallel()
	mods := map[CodeFormat]map[int]uint32{
		Decimal: {6: 1e6, 7: 1e7, 8: 1e8, 9: 1e9, 10: 1 << 31},
		Steam:   {5: 26 * 26 * 26 * 26 * 26},
	}
	for f := range CodeFormat(len(formats)) {
		c := &formats[f]
		t.Run(f.String(), func(t *testing.T) {
			for n := range c.mods {
				assert.Equal(t, mods[f][n], c.mods[n], "mods[%d]", n)
			}
			for b := range 256 {
				i := strings.IndexByte(c.alphabet, byte(b))
				if i < 0 && 'a' <= b && b <= 'z' {
					i = strings.IndexByte(c.alphabet, byte(b-'a'+'A'))
				}
				assert.Equal(t, uint8(i+1), c.values[b], "byte %q", b)
			}
			n := c.digits
			var code [maxDigits]byte
			for v := uint32(0); v < c.mods[n]; v += 997 {
				c.format(&code, v, n)
				got, ok := c.parse(string(code[:n]), n)
				require.True(t, ok, "%q", code[:n])
				require.Equal(t, uint64(v), got, "%q", code[:n])
			}
		})
	}
	var code [maxDigits]byte
	formats[Steam].format(&code, 1, 5)
	assert.Equal(t, "32222", string(code[:5]), "least significant character first")
	formats[Decimal].format(&code, 1, 6)
	assert.Equal(t, "000001", string(code[:6]), "most significant digit first")
}
