package otp

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAlgorithmString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg  Algorithm
		want string
	}{
		{SHA1, "SHA1"},
		{SHA256, "SHA256"},
		{SHA512, "SHA512"},
		{Algorithm(7), "Algorithm(7)"},
		{Algorithm(-1), "Algorithm(-1)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.alg.String())
		})
	}
}

func TestParseAlgorithm(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Algorithm
	}{
		{"SHA1", SHA1}, {"sha1", SHA1}, {"SHA-1", SHA1}, {"Sha-1", SHA1},
		{"SHA256", SHA256}, {"sha256", SHA256}, {"SHA-256", SHA256},
		{"SHA512", SHA512}, {"sha-512", SHA512},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseAlgorithm(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, in := range []string{"", "MD5", "SHA", "SHA-", "SHA224", "SHA--256", "SHA 256", "SHA3-256", " SHA1", "ＳＨＡ１",
		"ſha256", "ſHA1", "S-HA1", "SH-A1", "SHA256-", "SHA2-56", "-SHA1", "sha-256-", "SHA-1\x00", "SHA1\u200b"} {
		t.Run("bad/"+in, func(t *testing.T) {
			_, err := ParseAlgorithm(in)
			assertConfigError(t, err, "Algorithm")
		})
	}
}

func TestDigitsPadding(t *testing.T) {
	t.Parallel()
	// RFC 4226 Appendix D gives 1284755224 as the truncated value of
	// counter 0; a code of d digits is its last d digits.
	h := HOTP{Secret: rfc4226Secret}
	const full = "1284755224" // truncated value of counter 0
	for d := 6; d <= 10; d++ {
		h.Digits = d
		got, err := h.Generate(0)
		require.NoError(t, err)
		assert.Equal(t, full[10-d:], got, "%d digits", d)
	}
}

func FuzzVerify(f *testing.F) {
	f.Add([]byte("12345678901234567890"), 0, 0, 0, int64(30), int64(0), 1, 0, 0, "287082", int64(59), uint64(0))
	f.Add([]byte("k"), 2, 10, 0, int64(1), int64(-100), 100, 0, 0, "0000000000", int64(1<<40), uint64(1<<60))
	f.Add([]byte{}, -1, 5, -1, int64(-1), int64(1<<62), -1, -1, 1<<62, "+12345", int64(-5), uint64(1<<64-1))
	f.Add([]byte("12345678901234567890"), 0, 8, 0, int64(30), int64(0), 0, 3, 1, "94287082", int64(119), uint64(0))
	f.Add([]byte("\xf6\xc2\x41\xd8\x50\xca\xa7\x0b\x3c\x92\x04\x50\x48\xaf\xa3\x9c\xe0\x51\x26\x6a"), 0, 0, 1, int64(30), int64(0), 1, 0, 0, "fr8rv", int64(1511200518), uint64(0))
	f.Add([]byte("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), 1, 5, 1, int64(1), int64(0), 0, 2, 0, "RYH4D", int64(3), uint64(1))
	f.Fuzz(func(t *testing.T, secret []byte, alg, digits, format int, period, epoch int64, skew, behind, ahead int, code string, at int64, next uint64) {
		tp := TOTP{
			Secret:     secret,
			Algorithm:  Algorithm(alg),
			Digits:     digits,
			Format:     CodeFormat(format),
			Period:     time.Duration(period) * time.Second,
			Epoch:      time.Unix(epoch, 0),
			Skew:       skew,
			LookBehind: behind,
			LookAhead:  ahead,
		}
		now := time.Unix(at, 0)
		got, err := tp.Verify(code, now, next)
		if err != nil {
			require.Equal(t, next, got, "an error must return next unchanged")
		} else {
			require.Greater(t, got, next, "a match is at next or later, and Verify returns the step after it")
		}

		generated, err := tp.Generate(now)
		if err != nil {
			return
		}
		cur, err := tp.Step(now)
		require.NoError(t, err)
		if _, _, err := tp.window(); err != nil {
			return
		}
		for _, typed := range []string{generated, strings.ToLower(generated)} {
			got, err = tp.Verify(typed, now, cur)
			require.NoError(t, err, "a generated code must verify at the same time, in either case")
			require.Greater(t, got, cur)
			require.LessOrEqual(t, got-cur-1, uint64(skew+ahead))
		}
		h := HOTP{Secret: secret, Algorithm: tp.Algorithm, Digits: digits, Format: tp.Format}
		hnext, err := h.Verify(generated, cur)
		require.NoError(t, err, "HOTP at the TOTP step gives the same code")
		require.Equal(t, cur+1, hnext)
	})
}

// TestLibraryImports keeps the promise of the README: the library imports
// the standard library and rsc.io/qr, nothing else. (Examples and tests may
// use more.)
func TestLibraryImports(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			require.NoError(t, err)
			first, _, _ := strings.Cut(path, "/")
			assert.True(t, path == "rsc.io/qr" || !strings.Contains(first, "."), "%s imports %s", name, path)
		}
	}
}
