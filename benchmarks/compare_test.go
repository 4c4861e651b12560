// Package benchmarks compares github.com/otpkit/otp with other Go OTP
// libraries on the same inputs, and with the floor that the standard library
// allows. It is a separate module so that the library never depends on them.
package benchmarks

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/otpkit/otp"
	pquerna "github.com/pquerna/otp"
	ptotp "github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The same inputs for every library: the RFC 6238 SHA-1 seed as a stored
// base32 secret, a fixed time, Skew 1 and a wrong code (the whole window is
// computed).
var (
	secret32  = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	at        = time.Unix(1111111109, 0)
	wrongCode = "000000"
	popts     = ptotp.ValidateOpts{Period: 30, Skew: 1, Digits: pquerna.DigitsSix, Algorithm: pquerna.AlgorithmSHA1}
)

func otpkitVerify(code string) bool {
	key, err := otp.DecodeSecret(secret32)
	if err != nil {
		panic(err)
	}
	_, err = otp.TOTP{Secret: key, Skew: 1}.Verify(code, at, 0)
	return err == nil
}

var decodedSecret = func() []byte {
	key, err := otp.DecodeSecret(secret32)
	if err != nil {
		panic(err)
	}
	return key
}()

func otpkitVerifyDecoded(code string) bool {
	_, err := otp.TOTP{Secret: decodedSecret, Skew: 1}.Verify(code, at, 0)
	return err == nil
}

func otpkitGenerate() string {
	key, err := otp.DecodeSecret(secret32)
	if err != nil {
		panic(err)
	}
	code, err := otp.TOTP{Secret: key}.Generate(at)
	if err != nil {
		panic(err)
	}
	return code
}

func pquernaVerify(code string) bool {
	ok, err := ptotp.ValidateCustom(code, secret32, at, popts)
	return ok && err == nil
}

func pquernaGenerate() string {
	code, err := ptotp.GenerateCodeCustom(secret32, at, popts)
	if err != nil {
		panic(err)
	}
	return code
}

// sumCode is HMAC-SHA-1 written out as two sha1.Sum calls on stack arrays,
// no validation, no allocation: the obvious way to compute a code with Go's
// standard library, with nothing precomputed.
func sumCode(key []byte, step uint64) uint32 {
	var inner [64 + 8]byte
	var outer [64 + sha1.Size]byte
	copy(inner[:], key)
	copy(outer[:], key)
	for i := range 64 {
		inner[i] ^= 0x36
		outer[i] ^= 0x5c
	}
	binary.BigEndian.PutUint64(inner[64:], step)
	sum := sha1.Sum(inner[:])
	copy(outer[64:], sum[:])
	sum = sha1.Sum(outer[:])
	off := sum[19] & 0x0f
	return (binary.BigEndian.Uint32(sum[off:]) & 0x7fffffff) % 1_000_000
}

var rawBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func decodeKey(buf *[64]byte) []byte {
	n, err := rawBase32.Decode(buf[:], []byte(secret32))
	if err != nil {
		panic(err)
	}
	return buf[:n]
}

func sumVerify(code string) bool {
	var buf [64]byte
	key := decodeKey(&buf)
	want := uint32(0)
	for i := 0; i < len(code); i++ {
		want = want*10 + uint32(code[i]-'0')
	}
	step := uint64(at.Unix() / 30)
	ok := 0
	for s := step - 1; s <= step+1; s++ {
		ok |= subtle.ConstantTimeEq(int32(sumCode(key, s)), int32(want))
	}
	return ok == 1
}

func sumGenerate() uint32 {
	var buf [64]byte
	return sumCode(decodeKey(&buf), uint64(at.Unix()/30))
}

// floor is the least work HMAC-SHA-1 codes can take: the base32 decode,
// then n SHA-1 compressions (FIPS 198-1 §6: K^ipad and K^opad once, then
// two per code), run here in bulk as one n-block write, with nothing else
// around them. A Skew 1 verify is 8 compressions, a code 4.
func floor(n int) {
	var buf [64]byte
	key := decodeKey(&buf)
	var blocks [8 * sha1.BlockSize]byte
	copy(blocks[:], key)
	sha1.New().Write(blocks[:n*sha1.BlockSize])
}

// TestSameAnswers guards the benchmarks: every contender computes the same
// thing, so the comparison is fair.
func TestSameAnswers(t *testing.T) {
	want := otpkitGenerate()
	assert.Equal(t, want, pquernaGenerate())
	assert.Equal(t, want, fmt.Sprintf("%06d", sumGenerate()))
	for _, verify := range []func(string) bool{otpkitVerify, otpkitVerifyDecoded, pquernaVerify, sumVerify} {
		assert.True(t, verify(want))
		assert.False(t, verify(wrongCode))
	}
	require.NotEqual(t, wrongCode, want)
}

// BenchmarkVerify is the Skew 1 check of a wrong code from a stored base32
// secret; otpkit-decoded starts from the decoded secret instead.
func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name   string
		verify func(string) bool
	}{{"otpkit", otpkitVerify}, {"otpkit-decoded", otpkitVerifyDecoded}, {"pquerna", pquernaVerify}, {"stdlib-sum", sumVerify}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if bc.verify(wrongCode) {
					b.Fatal("wrong code accepted")
				}
			}
		})
	}
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			floor(8)
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name     string
		generate func()
	}{
		{"otpkit", func() { otpkitGenerate() }},
		{"pquerna", func() { pquernaGenerate() }},
		{"stdlib-sum", func() { sumGenerate() }},
		{"floor", func() { floor(4) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.generate()
			}
		})
	}
}

// keyURI is a typical enrolment URI with every parameter.
const keyURI = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"

// keyFields is what an application reads from a key URI.
type keyFields struct {
	typ, issuer, account, algorithm string
	secret                          []byte
	digits                          int
	period                          uint64
}

func otpkitParse() keyFields {
	k, err := otp.ParseURI(keyURI)
	if err != nil {
		panic(err)
	}
	return keyFields{k.Type.String(), k.Issuer, k.Account, k.Algorithm.String(), k.Secret, k.Digits, uint64(k.Period / time.Second)}
}

func pquernaParse() keyFields {
	k, err := pquerna.NewKeyFromURL(keyURI)
	if err != nil {
		panic(err)
	}
	secret, err := rawBase32.DecodeString(k.Secret())
	if err != nil {
		panic(err)
	}
	return keyFields{k.Type(), k.Issuer(), k.AccountName(), k.Algorithm().String(), secret, k.Digits().Length(), k.Period()}
}

func TestSameKey(t *testing.T) {
	assert.Equal(t, pquernaParse(), otpkitParse())
}

func BenchmarkParseURI(b *testing.B) {
	for _, bc := range []struct {
		name  string
		parse func() keyFields
	}{{"otpkit", otpkitParse}, {"pquerna", pquernaParse}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.parse()
			}
		})
	}
}
