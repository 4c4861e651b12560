package pskc

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var fuzzPSK = mustHex("12345678901234567890123456789012")

// FuzzParse parses anything, with a pre-shared key (a passphrase would let
// the fuzzer spend its time in PBKDF2, up to MaxIterations). It asserts
// that every error is an *Error holding no key, and the round trip:
// whatever Parse returns, Write writes (plain and encrypted) and Parse
// reads back as the same keys.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "python-pskc", "*", "*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, vendorKeys(), Options{PreSharedKey: fuzzPSK}); err == nil {
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, Options{PreSharedKey: fuzzPSK})
		if err != nil {
			var e *Error
			require.ErrorAs(t, err, &e)
			require.True(t, strings.HasPrefix(err.Error(), "pskc: "), err.Error())
			require.NotContains(t, err.Error(), hex.EncodeToString(fuzzPSK))
			require.NotContains(t, err.Error(), string(fuzzPSK))
			require.Nil(t, c)
			return
		}
		for _, opts := range []Options{{}, {PreSharedKey: fuzzPSK}} {
			var out bytes.Buffer
			if err := Write(&out, c.Keys, opts); err != nil {
				require.ErrorIs(t, err, ErrWrite)
				return // an unknown policy
			}
			back, err := Parse(out.Bytes(), opts)
			require.NoError(t, err)
			assert.Equal(t, written(c.Keys), back.Keys)
		}
	})
}

// written is keys as Write writes them: a ResponseFormat's Encoding is
// always given.
func written(keys []*Key) []*Key {
	var out []*Key
	for _, k := range keys {
		c := *k
		if c.Encoding == "" && (c.Digits != 0 || c.CheckDigit) {
			c.Encoding = "DECIMAL"
		}
		out = append(out, &c)
	}
	return out
}

// FuzzDecrypt feeds every cipher any value: decrypting never panics, and
// what each encrypts, it decrypts.
func FuzzDecrypt(f *testing.F) {
	f.Add([]byte("12345678901234567890"), []byte{})
	f.Add([]byte{}, bytes.Repeat([]byte{0xa6}, 24))
	f.Add([]byte("x"), bytes.Repeat([]byte{1}, 40))
	key := mustHex("000102030405060708090a0b0c0d0e0f1011121314151617")
	f.Fuzz(func(t *testing.T, plain, value []byte) {
		for name, spec := range ciphers {
			if !spec.fits(key) {
				continue
			}
			_, _ = decrypt(spec, key, value)
			b := newBlock(spec, key)
			var wrapped []byte
			switch spec.kind {
			case cbcAES, cbc3DES:
				wrapped = encryptCBC(b, make([]byte, b.BlockSize()), plain)
			case kwAESPad:
				if len(plain) == 0 {
					continue
				}
				wrapped = wrapAESPad(b, plain)
			case kwAES:
				if len(plain) < 16 || len(plain)%8 != 0 {
					continue
				}
				wrapped = wrapCore(b, kwIV, plain)
			case kw3DES:
				if len(plain) < 8 || len(plain)%8 != 0 {
					continue
				}
				wrapped = wrap3DES(b, make([]byte, 8), plain)
			}
			got, ok := decrypt(spec, key, wrapped)
			require.True(t, ok, name)
			require.Equal(t, plain, append([]byte{}, got...), name)
		}
	})
}

func TestErrorsUnwrap(t *testing.T) {
	t.Parallel()
	e := &Error{Key: 2, Field: "Secret", Reason: "x", Err: ErrDecrypt}
	assert.True(t, errors.Is(e, ErrDecrypt))
	assert.Equal(t, "pskc: key 2: Secret: x", e.Error())
}
