package otp

import (
	"strings"
	"testing"
	"time"
)

// Benchmarks use the RFC 6238 SHA-1 seed and a fixed time, so runs compare.
var (
	benchSecret = []byte("12345678901234567890")
	benchTime   = time.Unix(1111111109, 0)
	benchBase32 = EncodeSecret(benchSecret)
)

func BenchmarkTOTPGenerate(b *testing.B) {
	for _, alg := range []Algorithm{SHA1, SHA256, SHA512} {
		b.Run(alg.String(), func(b *testing.B) {
			t := TOTP{Secret: benchSecret, Algorithm: alg}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := t.Generate(benchTime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTOTPVerify checks a right and a wrong code with Skew 1 on a
// decoded secret; both compute the whole window.
func BenchmarkTOTPVerify(b *testing.B) {
	for _, alg := range []Algorithm{SHA1, SHA256, SHA512} {
		t := TOTP{Secret: benchSecret, Algorithm: alg, Skew: 1}
		hit, err := t.Generate(benchTime)
		if err != nil {
			b.Fatal(err)
		}
		for _, bc := range []struct{ name, code string }{{"hit", hit}, {"miss", "000000"}} {
			b.Run(alg.String()+"/"+bc.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_, _ = t.Verify(bc.code, benchTime, 0)
				}
			})
		}
	}
}

// BenchmarkTOTPVerifySteam is BenchmarkTOTPVerify for Steam codes, with a
// malformed one (a letter Steam never uses) beside: no HMAC work at all.
func BenchmarkTOTPVerifySteam(b *testing.B) {
	t := TOTP{Secret: benchSecret, Format: Steam, Skew: 1}
	hit, err := t.Generate(benchTime)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, code string }{{"hit", strings.ToLower(hit)}, {"miss", "22222"}, {"malformed", "AAAAA"}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = t.Verify(bc.code, benchTime, 0)
			}
		})
	}
}

// BenchmarkTOTPVerifyBase32 is the whole server-side check from a stored
// base32 secret: decode, then verify a wrong code with Skew 1.
func BenchmarkTOTPVerifyBase32(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		key, err := DecodeSecret(benchBase32)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = TOTP{Secret: key, Skew: 1}.Verify("000000", benchTime, 0)
	}
}

func BenchmarkHOTPVerifyLookAhead(b *testing.B) {
	h := HOTP{Secret: benchSecret, LookAhead: 10}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = h.Verify("000000", 0)
	}
}

func BenchmarkDecodeSecret(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeSecret(benchBase32); err != nil {
			b.Fatal(err)
		}
	}
}

const benchURI = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60"

func BenchmarkParseURI(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseURI(benchURI); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkKeyURI(b *testing.B) {
	k, err := ParseURI(benchURI)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = k.URI()
	}
}

func benchQR(b *testing.B) *QR {
	q, err := EncodeQR(benchURI)
	if err != nil {
		b.Fatal(err)
	}
	return q
}

func BenchmarkEncodeQR(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeQR(benchURI); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkQRPNG(b *testing.B) {
	q := benchQR(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = q.PNG(8)
	}
}

func BenchmarkQRSVG(b *testing.B) {
	q := benchQR(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = q.SVG()
	}
}

func BenchmarkQRString(b *testing.B) {
	q := benchQR(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = q.String()
	}
}
