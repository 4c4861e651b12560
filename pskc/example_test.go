package pskc_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log"
	"os"

	"github.com/otpkit/otp/pskc"
)

// A vendor's delivery, encrypted with a pre-shared key sent apart: here
// RFC 6030's own Figure 6. Each key becomes an otp.Key, whose codes the
// token shows and whose secret and counter the server stores.
func ExampleParse() {
	data, err := os.ReadFile("testdata/python-pskc/rfc6030/figure6.pskcxml")
	if err != nil {
		log.Fatal(err)
	}
	psk, _ := hex.DecodeString("12345678901234567890123456789012")
	c, err := pskc.Parse(data, pskc.Options{PreSharedKey: psk})
	if err != nil {
		log.Fatal(err) // errors.Is(err, pskc.ErrDecrypt): wrong key, or a changed file
	}
	for _, k := range c.Keys {
		key, err := k.OTP()
		if err != nil {
			fmt.Println("skipped:", err) // an OCRA key, say
			continue
		}
		code, _ := key.HOTP().Generate(key.Counter)
		fmt.Println(k.Manufacturer, k.Serial, key.Type, key.Digits, code)
		// Store key.Secret and key.Counter for the account of k.Serial.
	}
	// Output:
	// Manufacturer 987654321 hotp 8 84755224
}

// Writing keys for another server, encrypted under a passphrase.
func ExampleWrite() {
	keys := []*pskc.Key{{
		ID:        "1",
		Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:totp",
		Serial:    "2600124809778",
		Secret:    []byte("12345678901234567890"),
		TimeStep:  60e9,
		Digits:    6,
	}}
	opts := pskc.Options{Passphrase: "correct horse battery staple"}
	var buf bytes.Buffer
	if err := pskc.Write(&buf, keys, opts); err != nil {
		log.Fatal(err)
	}
	c, err := pskc.Parse(buf.Bytes(), opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Encrypted, c.KeyName, c.Keys[0].Serial, string(c.Keys[0].Secret), c.Keys[0].TimeStep)
	// Output:
	// true Passphrase 2600124809778 12345678901234567890 1m0s
}
