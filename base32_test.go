package otp

import (
	"bytes"
	"encoding/base32"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		size int
		want int
	}{
		{"default", 0, 20},
		{"minimum", 16, 16},
		{"sha256 key", 32, 32},
		{"sha512 key", 64, 64},
		{"maximum", MaxSecretSize, MaxSecretSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := GenerateSecret(tt.size)
			require.NoError(t, err)
			b, err := GenerateSecret(tt.size)
			require.NoError(t, err)
			assert.Len(t, a, tt.want)
			assert.NotEqual(t, a, b, "two secrets must differ")
		})
	}
	// A size is the program's value, not a secret's text.
	for _, size := range []int{-1, 1, 10, 15, MaxSecretSize + 1, 1 << 62} {
		_, err := GenerateSecret(size)
		assertConfigError(t, err, "size")
		assert.NotErrorIs(t, err, ErrInvalidSecret)
	}
}

func TestEncodeSecret(t *testing.T) {
	t.Parallel()
	// RFC 4648 §10 vectors, without padding.
	tests := []struct{ in, want string }{
		{"f", "MY"},
		{"fo", "MZXQ"},
		{"foo", "MZXW6"},
		{"foob", "MZXW6YQ"},
		{"fooba", "MZXW6YTB"},
		{"foobar", "MZXW6YTBOI"},
		{"12345678901234567890", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			assert.Equal(t, tt.want, EncodeSecret([]byte(tt.in)))
			got, err := DecodeSecret(tt.want)
			require.NoError(t, err)
			assert.Equal(t, []byte(tt.in), got)
		})
	}
}

func TestDecodeSecretLenient(t *testing.T) {
	t.Parallel()
	want := []byte("12345678901234567890")
	for _, in := range []string{
		"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		"gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
		"GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ",
		"gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq",
		" GEZDGNBVGY3TQOJQ GEZDGNBVGY3TQOJQ ",
		"GeZdGnBvGy3tQoJqGeZdGnBvGy3tQoJq",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := DecodeSecret(in)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
	for _, tt := range []struct{ in, want string }{
		{"MY======", "f"},
		{"MY", "f"},
		{"my==", "f"},
		{"MZXW6YQ=", "foob"},
		{"MZXW 6YQ= ", "foob"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := DecodeSecret(tt.in)
			require.NoError(t, err)
			assert.Equal(t, []byte(tt.want), got)
		})
	}
}

func TestDecodeSecretRejects(t *testing.T) {
	t.Parallel()
	const secretish = "JBSWY3DPEHPK3PXP"
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"only padding", "===="},
		{"only separators", " - - "},
		{"digit 1", "JBSWY3DPEHPK3PX1"},
		{"digit 0", "0BSWY3DPEHPK3PXP"},
		{"digit 8", "JBSWY3DPEHPK3PX8"},
		{"padding inside", "MY==MZXQ"},
		{"underscore", "JBSWY3DP_EHPK3PXP"},
		{"tab", "JBSWY3DP\tEHPK3PXP"},
		{"newline", "JBSWY3DP\nEHPK3PXP"},
		{"non-ASCII", "JBSWY3DPÉHPK3PXP"},
		{"NUL", "JBSWY3DP\x00"},
		{"length 1", "J"},
		{"length 3", "JBS"},
		{"length 6", "JBSWY3"},
		{"length 9", secretish[:9]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSecret(tt.in)
			assert.Nil(t, got)
			require.ErrorIs(t, err, ErrInvalidSecret)
			assert.True(t, strings.HasPrefix(err.Error(), "otp: "))
			if len(tt.in) >= 4 {
				assert.NotContains(t, err.Error(), tt.in, "the error must not echo the secret")
				assert.NotContains(t, err.Error(), tt.in[:4])
			}
		})
	}
}

func TestDecodeSecretMatchesStdlib(t *testing.T) {
	t.Parallel()
	// Every canonical encoding decodes as encoding/base32 decodes it.
	for n := 1; n <= 70; n++ {
		secret := bytes.Repeat([]byte{byte(n), 0xa5, 0x3c}, n)[:n]
		padded := base32.StdEncoding.EncodeToString(secret)
		for _, s := range []string{padded, strings.TrimRight(padded, "="), strings.ToLower(padded)} {
			got, err := DecodeSecret(s)
			require.NoError(t, err)
			assert.Equal(t, secret, got)
		}
	}
}

var errNonASCII = errors.New("non-ASCII input")

func FuzzDecodeSecret(f *testing.F) {
	for _, s := range []string{"", "GEZDGNBVGY3TQOJQ", "gezd gnbv-gy3t", "MY======", "MY==MZ", "J", "0", "\xff", "a b-c=d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secret, err := DecodeSecret(s)
		// Oracle: whatever DecodeSecret accepts, encoding/base32 decodes
		// alike once case is folded and separators and padding removed.
		// (The converse does not hold: encoding/base32 takes impossible
		// lengths such as 9 characters without complaint.)
		clean := strings.TrimRight(strings.NewReplacer(" ", "", "-", "").Replace(strings.ToUpper(s)), "=")
		std, stdErr := rawBase32.DecodeString(clean)
		if strings.ContainsFunc(s, func(r rune) bool { return r >= 0x80 }) {
			stdErr = errNonASCII // ToUpper may map non-ASCII letters to ASCII
		}
		if err == nil {
			require.NoError(t, stdErr)
			require.Equal(t, std, secret)
		}
		if err != nil {
			if len(s) >= 8 {
				assert.NotContains(t, err.Error(), s)
			}
			return
		}
		require.NotEmpty(t, secret)
		again, err := DecodeSecret(EncodeSecret(secret))
		require.NoError(t, err)
		require.Equal(t, secret, again)
	})
}

func TestFormatSecret(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"12345678901234567890", "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"},
		{"fooba", "MZXW 6YTB"},
		{"foobar", "MZXW 6YTB OI"},
		{"f", "MY"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := FormatSecret([]byte(tt.in))
			assert.Equal(t, tt.want, got)
			back, err := DecodeSecret(got)
			require.NoError(t, err)
			assert.Equal(t, []byte(tt.in), back)
		})
	}
}
