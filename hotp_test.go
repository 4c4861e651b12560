package otp

import (
	"crypto/sha1"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rfc4226 is RFC 4226 Appendix D, read from testdata/rfc4226.json.
type rfc4226 struct {
	Source      string `json:"source"`
	SecretASCII string `json:"secret_ascii"`
	Algorithm   string `json:"algorithm"`
	Digits      int    `json:"digits"`
	Cases       []struct {
		Counter uint64 `json:"counter"`
		Code    string `json:"code"`
	} `json:"cases"`
}

func TestHOTPRFC4226Vectors(t *testing.T) {
	t.Parallel()
	var v rfc4226
	loadJSON(t, "rfc4226.json", &v)
	require.Len(t, v.Cases, 10, v.Source)
	alg, err := ParseAlgorithm(v.Algorithm)
	require.NoError(t, err)
	h := HOTP{Secret: []byte(v.SecretASCII), Algorithm: alg, Digits: v.Digits}
	for _, c := range v.Cases {
		t.Run("counter="+strconv.FormatUint(c.Counter, 10), func(t *testing.T) {
			got, err := h.Generate(c.Counter)
			require.NoError(t, err)
			assert.Equal(t, c.Code, got)

			next, err := h.Verify(c.Code, c.Counter)
			require.NoError(t, err)
			assert.Equal(t, c.Counter+1, next)
		})
	}
}

// rfc4226Secret is the Appendix D secret, for tests that need a known key.
var rfc4226Secret = []byte("12345678901234567890")

func TestHOTPVerifyLookAhead(t *testing.T) {
	t.Parallel()
	h := HOTP{Secret: rfc4226Secret, LookAhead: 3}
	tests := []struct {
		name    string
		code    string
		counter uint64
		next    uint64
		err     error
	}{
		{"expected counter", "755224", 0, 1, nil},
		{"two ahead", "359152", 0, 3, nil},
		{"last in window", "969429", 0, 4, nil},
		{"one past the window", "338314", 0, 0, ErrInvalidCode},
		{"behind the counter", "755224", 1, 1, ErrInvalidCode},
		{"wrong code", "000000", 0, 0, ErrInvalidCode},
		{"too short", "75522", 0, 0, ErrInvalidCode},
		{"too long", "7552240", 0, 0, ErrInvalidCode},
		{"space", "75522 ", 0, 0, ErrInvalidCode},
		{"sign", "+55224", 0, 0, ErrInvalidCode},
		{"arabic-indic digits", "٧٥٥٢٢٤", 0, 0, ErrInvalidCode},
		{"fullwidth digit", "75522４", 0, 0, ErrInvalidCode},
		{"empty", "", 0, 0, ErrInvalidCode},
		{"last counter refused, next would wrap", mustHOTP(t, h, math.MaxUint64), math.MaxUint64, math.MaxUint64, ErrInvalidCode},
		{"window stops before 2^64-1", mustHOTP(t, h, math.MaxUint64), math.MaxUint64 - 2, math.MaxUint64 - 2, ErrInvalidCode},
		{"match at 2^64-2", mustHOTP(t, h, math.MaxUint64-1), math.MaxUint64 - 3, math.MaxUint64, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := h.Verify(tt.code, tt.counter)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				assert.Equal(t, tt.counter, next, "an error returns the counter unchanged")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.next, next)
		})
	}
}

func mustHOTP(t *testing.T, h HOTP, counter uint64) string {
	t.Helper()
	code, err := h.Generate(counter)
	require.NoError(t, err)
	return code
}

func TestHOTPLatestMatchWins(t *testing.T) {
	t.Parallel()
	// The later occurrence of a code repeated in the window must be the one
	// accepted, burning the counters before it.
	code, first, second := repeatedCode(t)
	next, err := HOTP{Secret: rfc4226Secret, LookAhead: MaxWindow}.Verify(code, first)
	require.NoError(t, err)
	assert.Equal(t, second+1, next)
}

// repeatedCode finds the first 6-digit code of the RFC 4226 secret that
// occurs twice within MaxWindow counters, and the two counters.
func repeatedCode(t *testing.T) (code string, first, second uint64) {
	t.Helper()
	h := HOTP{Secret: rfc4226Secret}
	seen := map[string]uint64{}
	for c := uint64(0); c < 200000; c++ {
		code := mustHOTP(t, h, c)
		if prev, ok := seen[code]; ok && c-prev <= MaxWindow {
			return code, prev, c
		}
		seen[code] = c
	}
	t.Fatal("no repeated code found in a window")
	return "", 0, 0
}

func TestHOTPConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		h     HOTP
		field string
	}{
		{"empty secret", HOTP{}, "Secret"},
		{"digits 5", HOTP{Secret: rfc4226Secret, Digits: 5}, "Digits"},
		{"digits 11", HOTP{Secret: rfc4226Secret, Digits: 11}, "Digits"},
		{"negative digits", HOTP{Secret: rfc4226Secret, Digits: -6}, "Digits"},
		{"unknown algorithm", HOTP{Secret: rfc4226Secret, Algorithm: 3}, "Algorithm"},
		{"negative algorithm", HOTP{Secret: rfc4226Secret, Algorithm: -1}, "Algorithm"},
		{"negative look-ahead", HOTP{Secret: rfc4226Secret, LookAhead: -1}, "LookAhead"},
		{"unsafe look-ahead", HOTP{Secret: rfc4226Secret, LookAhead: MaxWindow + 1}, "LookAhead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, err := tt.h.Verify("755224", 7)
			assertConfigError(t, err, tt.field)
			assert.Equal(t, uint64(7), next)
			if tt.field != "LookAhead" {
				_, err = tt.h.Generate(0)
				assertConfigError(t, err, tt.field)
			}
		})
	}
}

func assertConfigError(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidConfig)
	var ce *ConfigError
	require.True(t, errors.As(err, &ce), "want *ConfigError, got %T", err)
	assert.Equal(t, field, ce.Field)
	assert.Contains(t, err.Error(), "otp: invalid "+field)
}

func TestHOTPLongSecretIsHashedFirst(t *testing.T) {
	t.Parallel()
	// HMAC hashes a key longer than the block size; a 65-byte key and its
	// SHA-1 digest are therefore the same HMAC key.
	long := []byte("0123456789012345678901234567890123456789012345678901234567890123X")
	sum := sha1.Sum(long)
	a := HOTP{Secret: long}
	b := HOTP{Secret: sum[:]}
	for c := range uint64(5) {
		assert.Equal(t, mustHOTP(t, b, c), mustHOTP(t, a, c))
	}
}
