package pskc

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Limits on what [Parse] reads, so that a crafted document is refused fast
// and in bounded memory.
const (
	// MaxDocumentSize bounds the document: 8 MiB holds some 5000 tokens.
	// Split larger deliveries.
	MaxDocumentSize = 8 << 20
	// MaxDepth bounds the nesting of elements; RFC 6030 documents nest 8
	// deep.
	MaxDepth = 32
	// MaxElements bounds the number of elements in a document.
	MaxElements = 1 << 18
	// MaxSecretSize bounds a key's secret, in bytes: HMAC keys longer than
	// the hash's block (64 or 128 bytes) add nothing.
	MaxSecretSize = 1024
	// MaxIterations bounds a PBKDF2 iteration count, so that a crafted
	// document cannot keep a server busy: ten million HMAC-SHA1 rounds take
	// a few seconds. Real files use a thousand to a few hundred thousand.
	MaxIterations = 10_000_000
	// DefaultIterations is the PBKDF2 iteration count [Write] uses when
	// [Options.Iterations] is zero.
	DefaultIterations = 200_000
)

// Options carries the key that opens a document's encrypted values, and
// for [Write], how to encrypt them. At most one of PreSharedKey and
// Passphrase is used: the one the document calls for.
type Options struct {
	// PreSharedKey is the raw key for values encrypted with a pre-shared
	// key (RFC 6030 §6.1): 16, 24 or 32 bytes for AES, 16 or 24 for 3DES.
	// Write encrypts with AES-CBC of its length.
	PreSharedKey []byte
	// Passphrase is for values encrypted with a key derived from it by
	// PBKDF2 (RFC 6030 §6.2).
	Passphrase string

	// KeyName is the name Write gives the key (ds:KeyName, or
	// MasterKeyName for a passphrase), which tells the receiver which key
	// to use; "Pre-shared-key" or "Passphrase" when empty.
	KeyName string
	// Iterations is the PBKDF2 iteration count Write uses with a
	// passphrase; DefaultIterations when zero.
	Iterations int
}

// Container is a PSKC document: the KeyContainer element.
type Container struct {
	ID      string // the KeyContainer's Id attribute
	Version string // "1.0"; empty in pre-RFC drafts
	// KeyName is the name the document gives its encryption key
	// (ds:KeyName or MasterKeyName), to tell which key to supply; empty
	// when it names none.
	KeyName string
	// Encrypted reports whether any value was encrypted.
	Encrypted bool
	// Signed reports that the document carries an XML signature
	// (ds:Signature). Parse does not verify signatures: a caller that
	// relies on one must verify it with other tools (pskctool --verify).
	Signed bool
	Keys   []*Key
}

// Key is one key of a PSKC document, with what the document says of the
// device that holds it. Zero values stand for elements the document does
// not have.
type Key struct {
	ID string // the Key's Id attribute
	// Algorithm is the key's algorithm URI as written, such as
	// "urn:ietf:params:xml:ns:keyprov:pskc:hotp" (see [Key.OTP]).
	Algorithm    string
	Issuer       string
	FriendlyName string
	UserID       string // the user the key belongs to (Key/UserId)
	KeyProfileID string // a profile the receiver knows out of band
	// KeyReference names a key the receiver holds already, from which it
	// derives this one: RFC 6030 Figure 4 has it instead of a Secret.
	KeyReference string

	// The device (DeviceInfo): the same on every key of one device.
	Manufacturer     string
	Serial           string // SerialNo
	Model            string
	IssueNo          string // the issue number, telling apart devices of one serial
	DeviceBinding    string // the device the key is bound to
	DeviceUserID     string // the user the device belongs to (DeviceInfo/UserId)
	DeviceStartDate  time.Time
	DeviceExpiryDate time.Time
	CryptoModuleID   string // CryptoModuleInfo/Id

	// Secret is the raw key, decrypted. It is nil when the document holds
	// no secret for this key (see KeyReference).
	Secret []byte
	// Counter is an HOTP key's counter: the next one the token uses.
	Counter uint64
	// Time is the Data/Time value: with a TimeStep, the number of steps
	// since the algorithm's epoch at which the token was last in step.
	Time int64
	// TimeStep is a TOTP key's period (Data/TimeInterval); 0 when the
	// document has none.
	TimeStep time.Duration
	// TimeDrift is the token's clock drift, in time steps, as the issuer
	// measured it.
	TimeDrift int64

	// The code (AlgorithmParameters/ResponseFormat).
	Digits     int    // the code's length
	Encoding   string // "DECIMAL", "HEXADECIMAL", "ALPHANUMERIC", "BASE64" or "BINARY"
	CheckDigit bool   // a Luhn check digit ends the code
	// Suite is AlgorithmParameters/Suite, such as "HMAC-SHA256" for a
	// TOTP key or an OCRA suite.
	Suite string
	// Challenge is the challenge an OCRA key takes; nil for others.
	Challenge *ChallengeFormat

	// The policy (Policy).
	StartDate            time.Time // before it the key must not be used
	ExpiryDate           time.Time // after it the key must not be used
	KeyUsage             []string  // such as "OTP" or "CR"
	NumberOfTransactions uint64    // how many times the key may be used; 0: no limit given
	PIN                  *PINPolicy
	// UnknownPolicy reports a Policy or PINPolicy element or attribute
	// this package does not know. RFC 6030 §5 asks that such a key not be
	// used: [Key.OTP] refuses it.
	UnknownPolicy bool
}

// ChallengeFormat is what an OCRA key's challenge looks like
// (AlgorithmParameters/ChallengeFormat).
type ChallengeFormat struct {
	Encoding   string // as in [Key.Encoding]
	Min, Max   int    // its length
	CheckDigit bool
}

// PINPolicy is how a PIN protects the key (Policy/PINPolicy).
type PINPolicy struct {
	// KeyID is the Id of the key, in the same document, that holds the PIN.
	KeyID string
	// UsageMode is "Local" (the device checks it), "Prepend", "Append" or
	// "Algorithmic" (the server gets it with the code).
	UsageMode         string
	MaxFailedAttempts int
	MinLength         int
	MaxLength         int
	Encoding          string // as in [Key.Encoding]
}

// Errors that callers branch on with errors.Is. Every error Parse returns
// is an [*Error] wrapping one of them.
var (
	// ErrInvalid means the document is not PSKC, or breaks its rules.
	ErrInvalid = errors.New("pskc: invalid document")
	// ErrTooLarge means the document is past one of the limits above.
	ErrTooLarge = errors.New("pskc: document too large")
	// ErrUnsupported means the document uses something this package does
	// not implement, such as Camellia or an RSA-encrypted key.
	ErrUnsupported = errors.New("pskc: unsupported")
	// ErrKeyRequired means the document is encrypted and Options holds
	// no key of the kind it needs.
	ErrKeyRequired = errors.New("pskc: encrypted with a key not given")
	// ErrDecrypt means a value cannot be decrypted with the key given: the
	// key is wrong or the value was changed. Every such failure (MAC,
	// padding, key wrap check, length) is this one error.
	ErrDecrypt = errors.New("pskc: wrong key or tampered value")
)

// Error says where in a document Parse stopped. It never holds a secret
// or a key.
type Error struct {
	Key    int    // the key's position in the document, from 1; 0 for the container
	Field  string // the element, such as "Secret", "Counter" or "MACMethod"
	Reason string
	Err    error // one of the sentinels above
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pskc: ")
	if e.Key > 0 {
		b.WriteString("key " + strconv.Itoa(e.Key) + ": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }
