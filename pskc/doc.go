// Package pskc reads and writes PSKC documents (RFC 6030, Portable
// Symmetric Key Container), the files in which vendors of OATH hardware
// tokens (Feitian, YubiKey, NagraID, Token2) deliver the tokens' secrets.
//
// # Importing tokens
//
// The vendor sends the file and, apart, the key it is encrypted with: a
// pre-shared key (16 to 32 bytes, often as hex) or a passphrase.
//
//	import "github.com/otpkit/otp/pskc"
//
//	c, err := pskc.Parse(data, pskc.Options{PreSharedKey: psk})
//	if err != nil {
//		return err // errors.Is(err, pskc.ErrDecrypt): wrong key or a changed file
//	}
//	for _, k := range c.Keys {
//		key, err := k.OTP() // an *otp.Key: HOTP or TOTP
//		if err != nil {
//			continue // an OCRA or PIN key, hexadecimal codes...
//		}
//		// Store key.Secret and key.Counter (or key.Period) for the user
//		// the token is handed to; k.Serial is printed on the token.
//	}
//
// [Parse] refuses a document it cannot fully read with an [*Error] that
// names what is missing, and never returns a secret it could not check:
// every encrypted value's MAC is verified, in constant time, before it is
// decrypted, and all the ways a wrong key or a changed value can fail are
// one error, [ErrDecrypt]. What it reads but does not act on shows on the
// result: [Container.Signed] (an XML signature, not verified),
// [Key.UnknownPolicy], a nil [Key.Secret] (a key the receiver derives).
//
// # Exporting tokens
//
// [Write] writes keys for another server, in plain text or encrypted
// (AES-CBC with an HMAC-SHA256 MAC, under a pre-shared key or a PBKDF2
// passphrase), in a form python-pskc and libpskc's pskctool read and
// RFC 6030's schema accepts.
//
// # Limits
//
// Parse reads untrusted files: it refuses documents past
// [MaxDocumentSize], [MaxDepth] or [MaxElements], any DOCTYPE (so no
// entity can expand), secrets past [MaxSecretSize] and PBKDF2 counts past
// [MaxIterations]. Its errors never hold a secret or a key. It implements
// AES-CBC, AES key wrap (RFC 3394, RFC 5649), 3DES-CBC and 3DES key wrap
// (RFC 3217), HMAC-SHA1 to HMAC-SHA512, and PBKDF2; not Camellia,
// AES-GCM, public-key encryption or signature checking. Pre-RFC drafts'
// layouts are read, but not their MACs over the plaintext, which could
// only be checked after decrypting.
package pskc
