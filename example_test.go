package otp_test

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otpkit/otp"
)

// The secret of RFC 4226 Appendix D and RFC 6238 Appendix B.
var secret = []byte("12345678901234567890")

func ExampleHOTP() {
	h := otp.HOTP{Secret: secret, LookAhead: 2}
	code, _ := h.Generate(0)
	fmt.Println(code)

	// The user pressed the token's button twice without logging in: the
	// look-ahead window still accepts the third code and resynchronises.
	counter := uint64(0)
	counter, err := h.Verify("359152", counter)
	fmt.Println(counter, err)

	// Codes already passed are refused from now on.
	counter, err = h.Verify("287082", counter)
	fmt.Println(counter, err)
	// Output:
	// 755224
	// 3 <nil>
	// 3 otp: invalid code
}

func ExampleTOTP() {
	t := otp.TOTP{Secret: secret, Digits: 8}
	code, _ := t.Generate(time.Unix(1111111109, 0))
	fmt.Println(code)
	// Output: 07081804
}

// Steam Guard codes: a Steam account's shared secret, and the code the
// Steam mobile app showed for it (KeePassXC's test account).
func ExampleTOTP_steam() {
	key, err := otp.DecodeSecret("63BEDWCQZKTQWPESARIERL5DTTQFCJTK")
	if err != nil {
		panic(err)
	}
	t := otp.TOTP{Secret: key, Format: otp.Steam, Skew: 1}
	now := time.Unix(1511200518, 0)
	code, _ := t.Generate(now)
	fmt.Println(code)

	// People type the letters in either case.
	next, err := t.Verify("fr8rv", now, 0)
	fmt.Println(next, err)

	// A letter Steam never uses is refused before any HMAC work.
	_, err = t.Verify("FR8RA", now, 0)
	fmt.Println(err)
	// Output:
	// FR8RV
	// 50373351 <nil>
	// otp: invalid code
}

func ExampleTOTP_Verify() {
	t := otp.TOTP{Secret: secret, Skew: 1}
	now := time.Unix(1111111109, 0)
	code, _ := t.Generate(now)

	// next comes from the user's record: the lowest step still accepted,
	// one past the step of the last accepted code (0 for none yet).
	var next uint64
	next, err := t.Verify(code, now, next)
	fmt.Println(next, err)

	// The same code, sent again (a replay, or a double submit), is refused,
	// and next stays as it was.
	next, err = t.Verify(code, now.Add(10*time.Second), next)
	fmt.Println(next, errors.Is(err, otp.ErrReplayed))
	// Output:
	// 37037037 <nil>
	// 37037037 true
}

// A window on one side only: a code typed just after it changed is still
// accepted, and a code from a clock running ahead is not.
func ExampleTOTP_lookBehind() {
	t := otp.TOTP{Secret: secret, LookBehind: 1}
	now := time.Unix(1111111109, 0)
	previous, _ := t.Generate(now.Add(-30 * time.Second))
	next, _ := t.Generate(now.Add(30 * time.Second))

	_, err := t.Verify(previous, now, 0)
	fmt.Println(err)
	_, err = t.Verify(next, now, 0)
	fmt.Println(err)
	// Output:
	// <nil>
	// otp: invalid code
}

func ExampleTOTP_Remaining() {
	t := otp.TOTP{Secret: secret}
	left, _ := t.Remaining(time.Unix(1111111109, 0))
	fmt.Println(left)
	// Output: 1s
}

func ExampleGenerateSecret() {
	key, err := otp.GenerateSecret(0) // 20 random bytes
	if err != nil {
		panic(err)
	}
	encoded := otp.EncodeSecret(key)
	fmt.Println(len(key), len(encoded))
	// Output: 20 32
}

func ExampleDecodeSecret() {
	// What a user types from a printed recovery sheet.
	key, err := otp.DecodeSecret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")
	fmt.Printf("%s %v\n", key, err)

	_, err = otp.DecodeSecret("GEZD GNBV GY3T QOJ1") // '1' is not base32
	fmt.Println(err)
	// Output:
	// 12345678901234567890 <nil>
	// otp: invalid secret: character 19 is not base32
}

func ExampleParseURI() {
	// As an issuer wrote it: Microsoft 365 style label, grouped lower-case
	// secret, '+' for a space in the query.
	k, err := otp.ParseURI("otpauth://totp/Contoso:alice@contoso.com?secret=gezd+gnbv+gy3t+qojq&issuer=Microsoft+365&digits=8")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(k.Type, k.Issuer, k.Account, k.Digits, k.Period)

	_, err = otp.ParseURI("otpauth://totp/bob?secret=JBSWY3DPEHPK3PXP&digits=5")
	fmt.Println(err)
	// Output:
	// totp Microsoft 365 alice@contoso.com 8 30s
	// otp: invalid key URI: digits: not a whole number from 6 to 10
}

// A Steam account's key URI, as SteamDesktopAuthenticator writes it, names
// only the issuer Steam: its keys make Steam codes, never decimal ones.
func ExampleParseURI_steam() {
	k, err := otp.ParseURI("otpauth://totp/Steam:alice?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Steam")
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Format, k.Digits)
	fmt.Println(k.URI()) // as KeePassXC writes it

	code, _ := k.TOTP().Generate(time.Unix(1511200714, 0))
	fmt.Println(code)

	_, err = otp.ParseURI("otpauth://totp/alice?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&encoder=base26")
	fmt.Println(err)
	// Output:
	// Steam 5
	// otpauth://totp/Steam:alice?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Steam&encoder=steam
	// 9P3VP
	// otp: invalid key URI: encoder: unknown: only "steam" is supported
}

func ExampleKey_URI() {
	k := otp.Key{
		Type:    otp.TypeTOTP,
		Issuer:  "ACME Co",
		Account: "jane+2fa@example.com",
		Secret:  secret,
	}
	fmt.Println(k.URI())
	// Output: otpauth://totp/ACME%20Co:jane%2B2fa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ACME%20Co
}

// Enrolment: make a key, show it to the user, and switch two-factor
// authentication on only once the user has typed a first code from the app.
func ExampleGenerateKey() {
	k, err := otp.GenerateKey("Example Corp", "alice@example.com")
	if err != nil {
		panic(err)
	}
	// Show k.QR() or k.URI() to the user; store k.Secret with the account.

	// The user types the code the app shows. (Here: computed.)
	t := k.TOTP()
	t.Skew = 1
	now := time.Now()
	code, _ := t.Generate(now)

	next, err := t.Verify(code, now, 0)
	fmt.Println(err == nil, next > 0)
	// Store next with the account: the lowest step accepted next time.
	// Output: true true
}

// Counter-based keys, for tokens and apps that make a code per button press.
func ExampleGenerateHOTPKey() {
	k, err := otp.GenerateHOTPKey("Example Corp", "alice@example.com")
	if err != nil {
		panic(err)
	}
	// Show k.QR() to the user; store k.Secret, and k.Counter as the counter
	// the server expects next (guard.Guard.Enroll does that for a Guard).
	fmt.Println(k.Type, k.Counter, strings.HasSuffix(k.URI(), "&counter=0"))
	// Output: hotp 0 true
}

// A key built by hand says what is wrong with it before an app sees it.
func ExampleKey_Validate() {
	k := &otp.Key{Account: "alice@example.com", Secret: []byte("short")}
	fmt.Println(k.Validate())

	k.Secret = secret
	fmt.Println(k.Validate())
	// Output:
	// otp: invalid Secret: shorter than 80 bits
	// <nil>
}

func ExampleKey_QR() {
	k := &otp.Key{Type: otp.TypeTOTP, Issuer: "Example", Account: "alice@example.com", Secret: secret}
	code, err := k.QR()
	if err != nil {
		panic(err)
	}
	// 8 pixels a module; the file is ready for an <img> or a print-out.
	path := filepath.Join(os.TempDir(), "otp-example-qr.png")
	if err := os.WriteFile(path, code.PNG(8), 0o600); err != nil {
		panic(err)
	}
	defer os.Remove(path)

	cfg, err := png.DecodeConfig(bytes.NewReader(code.PNG(8)))
	fmt.Println(code.Size(), "modules,", cfg.Width, "pixels wide", err)
	// Output: 41 modules, 392 pixels wide <nil>
}

func ExampleQR_String() {
	code, err := otp.EncodeQR("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQ")
	if err != nil {
		panic(err)
	}
	// For a dark terminal; use StringLightBackground on a light one.
	text := code.String()
	fmt.Println(strings.Count(text, "\n"), "lines")
	// Output: 19 lines
}

func ExampleFormatSecret() {
	// For the "can't scan the code?" line under a QR code.
	fmt.Println(otp.FormatSecret(secret))
	// Output: GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ
}

func ExampleParseMigrationURI() {
	// One QR code of Google Authenticator's "Transfer accounts" screen, as
	// a phone camera or zbarimg reads it.
	m, err := otp.ParseMigrationURI("otpauth-migration://offline?data=CjUKEPqlBekzoNEukL7qlsjBCDYSDnBpQHJhc3BiZXJyeXBpGgtyYXNwYmVycnlwaSABKAEwAhABGAEgACjr4JKK%2B%2F%2F%2F%2F%2F8B")
	if err != nil {
		panic(err)
	}
	fmt.Printf("QR code %d of %d\n", m.BatchIndex+1, m.BatchSize)
	for _, k := range m.Keys {
		// The key URI, or k.QR(), moves the account to any other app.
		fmt.Println(k.URI())
	}
	// Output:
	// QR code 1 of 1
	// otpauth://totp/raspberrypi:pi%40raspberrypi?secret=7KSQL2JTUDIS5EF65KLMRQIIGY&issuer=raspberrypi
}

func ExampleMigrationURIs() {
	key, err := otp.ParseURI("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
	if err != nil {
		panic(err)
	}
	// At most 10 keys a URI; show each as a QR code (otp.EncodeQR) for
	// Google Authenticator to scan, one after another.
	uris, err := otp.MigrationURIs([]*otp.Key{key}, 0)
	if err != nil {
		panic(err)
	}
	m, _ := otp.ParseMigrationURI(uris[0])
	fmt.Println(len(uris), m.Keys[0].Issuer, m.Keys[0].Account)

	// A key the app cannot hold is refused, never changed.
	key.Period = time.Minute
	_, err = otp.MigrationURIs([]*otp.Key{key}, 0)
	fmt.Println(err)
	// Output:
	// 1 Example alice@google.com
	// otp: invalid migration: keys[0]: period: 1m0s cannot be exported: an export holds 30s only
}
