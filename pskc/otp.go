package pskc

import (
	"fmt"
	"strings"

	"github.com/otpkit/otp"
)

// kind returns "hotp", "totp" or another lower-case name from an algorithm
// URI: RFC 6030 writes "urn:ietf:params:xml:ns:keyprov:pskc:hotp", the
// drafts "urn:ietf:params:xml:ns:keyprov:pskc#hotp" or just "HOTP".
func kind(uri string) string {
	i := strings.LastIndexAny(uri, ":#")
	return strings.ToLower(strings.TrimSpace(uri[i+1:]))
}

// OTP returns the key as an [otp.Key] that makes the token's codes: for
// an HOTP key, with its Counter; for a TOTP key, with its TimeStep as the
// period (30s when absent). The account is the first of UserID,
// DeviceUserID, Serial and ID that is set, the issuer Issuer.
//
// It returns an error, wrapping [ErrUnsupported], for a key that is
// neither HOTP nor TOTP (such as an OCRA or PIN key), that has no Secret,
// whose codes are not decimal or carry a check digit, whose Suite names a
// hash other than SHA-1, SHA-256 and SHA-512, or that has a policy this
// package does not know; and otp's [*otp.ConfigError] for a key it cannot
// hold (such as 5 digits).
//
// Time and TimeDrift are not carried: they are the verifier's state, to
// seed its own drift correction with.
func (k *Key) OTP() (*otp.Key, error) {
	unsupported := func(field, reason string) error {
		return &Error{Field: field, Reason: reason, Err: ErrUnsupported}
	}
	var typ otp.KeyType
	switch kind(k.Algorithm) {
	case "hotp":
		typ = otp.TypeHOTP
	case "totp":
		typ = otp.TypeTOTP
	default:
		return nil, unsupported("Algorithm", quote(k.Algorithm)+" is neither HOTP nor TOTP")
	}
	switch {
	case k.Secret == nil:
		return nil, unsupported("Secret", "the document has none")
	case k.UnknownPolicy:
		return nil, unsupported("Policy", "a policy this package does not know: RFC 6030 §5 says not to use the key")
	case k.Encoding != "" && !strings.EqualFold(k.Encoding, "DECIMAL"):
		return nil, unsupported("Encoding", quote(k.Encoding)+" codes")
	case k.CheckDigit:
		return nil, unsupported("CheckDigit", "codes with a check digit")
	}
	alg, err := suiteAlgorithm(k.Suite)
	if err != nil {
		return nil, unsupported("Suite", quote(k.Suite)+" names no hash otp supports")
	}
	key := &otp.Key{
		Type:      typ,
		Issuer:    k.Issuer,
		Account:   k.account(),
		Secret:    append([]byte(nil), k.Secret...),
		Algorithm: alg,
		Digits:    k.Digits,
	}
	if typ == otp.TypeHOTP {
		key.Counter = k.Counter
	} else {
		key.Period = k.TimeStep
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("pskc: %w", err)
	}
	return key, nil
}

func (k *Key) account() string {
	for _, s := range []string{k.UserID, k.DeviceUserID, k.Serial, k.ID} {
		if s != "" {
			return s
		}
	}
	return ""
}

// suiteAlgorithm reads a TOTP Suite such as "HMAC-SHA256"; none is SHA-1.
func suiteAlgorithm(suite string) (otp.Algorithm, error) {
	if suite == "" {
		return otp.SHA1, nil
	}
	s := strings.TrimSpace(suite)
	if len(s) > 5 && strings.EqualFold(s[:5], "hmac-") {
		s = s[5:]
	}
	return otp.ParseAlgorithm(s)
}
