package pskc

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrWrite is wrapped by every error of [Write] about its arguments: a key
// or an option it cannot write.
var ErrWrite = errors.New("pskc: cannot write")

const (
	nsPSKC  = "urn:ietf:params:xml:ns:keyprov:pskc"
	nsDS    = "http://www.w3.org/2000/09/xmldsig#"
	nsXenc  = "http://www.w3.org/2001/04/xmlenc#"
	nsXenc1 = "http://www.w3.org/2009/xmlenc11#"
	nsPKCS5 = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#"
)

// Write writes keys as an RFC 6030 document, one KeyPackage per key.
//
// With no key in opts, secrets are written in plain text. With
// opts.PreSharedKey (16, 24 or 32 bytes), each secret is encrypted with
// AES-CBC of that size under a fresh IV, and MACed with HMAC-SHA256 under
// a fresh MAC key that is itself encrypted with the pre-shared key
// (RFC 6030 §6.1). With opts.Passphrase, the same with an AES-128 key
// derived by PBKDF2-HMAC-SHA256 from a fresh 16-byte salt and
// opts.Iterations (RFC 6030 §6.2). python-pskc and libpskc read all three;
// Counter, Time and the other values stay in plain text, as python-pskc
// writes them.
//
// Parse reads what Write writes back as the same keys (dates in UTC). A
// key Write cannot write that way is an error wrapping [ErrWrite]: one
// with UnknownPolicy, a TimeStep that is not whole seconds, a Secret past
// MaxSecretSize, or text that is not valid UTF-8, holds characters XML
// cannot carry, or starts or ends with white space. ResponseFormat's
// Encoding is written "DECIMAL" when Digits is set and Encoding is empty.
func Write(w io.Writer, keys []*Key, opts Options) error {
	e, err := newEncrypter(opts)
	if err != nil {
		return err
	}
	for i, k := range keys {
		if err := checkWritable(k); err != nil {
			return &Error{Key: i + 1, Field: err.Field, Reason: err.Reason, Err: ErrWrite}
		}
	}
	x := &xmlWriter{}
	x.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	x.open("pskc:KeyContainer", "Version", "1.0", "xmlns:pskc", nsPSKC, "xmlns:ds", nsDS, "xmlns:xenc", nsXenc, "xmlns:xenc11", nsXenc1, "xmlns:pkcs5", nsPKCS5)
	if e != nil {
		e.header(x)
	}
	for _, k := range keys {
		if err := writeKey(x, k, e); err != nil {
			return err
		}
	}
	x.close("pskc:KeyContainer")
	_, err = w.Write(x.buf.Bytes())
	return err
}

// encrypter holds what Write encrypts with.
type encrypter struct {
	key, macKey []byte
	cbc         string // the AES-CBC URI for key's size
	opts        Options
	salt        []byte
	iterations  int
}

func writeError(field, reason string) error {
	return &Error{Field: field, Reason: reason, Err: ErrWrite}
}

func newEncrypter(opts Options) (*encrypter, error) {
	if opts.PreSharedKey == nil && opts.Passphrase == "" {
		return nil, nil
	}
	if opts.PreSharedKey != nil && opts.Passphrase != "" {
		return nil, writeError("Options", "both PreSharedKey and Passphrase are set")
	}
	e := &encrypter{opts: opts, macKey: make([]byte, sha256.Size)}
	rand.Read(e.macKey)
	if opts.Passphrase != "" {
		e.iterations = opts.Iterations
		if e.iterations == 0 {
			e.iterations = DefaultIterations
		}
		if e.iterations < 0 || e.iterations > MaxIterations {
			return nil, writeError("Iterations", "not from 1 to MaxIterations")
		}
		e.salt = make([]byte, 16)
		rand.Read(e.salt)
		var err error
		if e.key, err = derive(sha256.New, opts.Passphrase, e.salt, e.iterations, 16); err != nil {
			return nil, writeError("Passphrase", "PBKDF2 failed")
		}
	} else {
		e.key = opts.PreSharedKey
	}
	switch len(e.key) {
	case 16:
		e.cbc = uriAES128CBC
	case 24:
		e.cbc = uriAES192CBC
	case 32:
		e.cbc = uriAES256CBC
	default:
		return nil, writeError("PreSharedKey", "not 16, 24 or 32 bytes")
	}
	return e, nil
}

// encrypt returns the IV and AES-CBC ciphertext of plain.
func (e *encrypter) encrypt(plain []byte) []byte {
	b, _ := aes.NewCipher(e.key) // the length was checked
	iv := make([]byte, aes.BlockSize)
	rand.Read(iv)
	return encryptCBC(b, iv, plain)
}

func (e *encrypter) header(x *xmlWriter) {
	x.open("pskc:EncryptionKey")
	if e.salt != nil {
		name := e.opts.KeyName
		if name == "" {
			name = "Passphrase"
		}
		x.open("xenc11:DerivedKey")
		x.open("xenc11:KeyDerivationMethod", "Algorithm", uriPBKDF2)
		x.open("pkcs5:PBKDF2-params")
		x.open("Salt")
		x.text("Specified", base64.StdEncoding.EncodeToString(e.salt))
		x.close("Salt")
		x.text("IterationCount", strconv.Itoa(e.iterations))
		x.text("KeyLength", "16")
		x.empty("PRF", "Algorithm", uriHMACSHA256)
		x.close("pkcs5:PBKDF2-params")
		x.close("xenc11:KeyDerivationMethod")
		x.text("xenc11:MasterKeyName", name)
		x.close("xenc11:DerivedKey")
	} else {
		name := e.opts.KeyName
		if name == "" {
			name = "Pre-shared-key"
		}
		x.text("ds:KeyName", name)
	}
	x.close("pskc:EncryptionKey")
	x.open("pskc:MACMethod", "Algorithm", uriHMACSHA256)
	x.open("pskc:MACKey")
	x.cipher(e.cbc, e.encrypt(e.macKey))
	x.close("pskc:MACKey")
	x.close("pskc:MACMethod")
}

// checkWritable reports what of k Parse would not read back as written.
func checkWritable(k *Key) *Error {
	if k == nil {
		return &Error{Field: "Key", Reason: "nil"}
	}
	switch {
	case k.UnknownPolicy:
		return &Error{Field: "UnknownPolicy", Reason: "the unknown policy cannot be written"}
	case k.TimeStep < 0 || k.TimeStep%time.Second != 0:
		return &Error{Field: "TimeStep", Reason: "not a whole number of seconds"}
	case len(k.Secret) > MaxSecretSize:
		return &Error{Field: "Secret", Reason: "longer than MaxSecretSize"}
	}
	for _, f := range k.texts() {
		if r := badText(f.value); r != "" {
			return &Error{Field: f.name, Reason: r}
		}
	}
	return nil
}

type namedText struct{ name, value string }

func (k *Key) texts() []namedText {
	t := []namedText{{"ID", k.ID}, {"Algorithm", k.Algorithm}, {"Issuer", k.Issuer}, {"FriendlyName", k.FriendlyName},
		{"UserID", k.UserID}, {"KeyProfileID", k.KeyProfileID}, {"KeyReference", k.KeyReference},
		{"Manufacturer", k.Manufacturer}, {"Serial", k.Serial}, {"Model", k.Model}, {"IssueNo", k.IssueNo},
		{"DeviceBinding", k.DeviceBinding}, {"DeviceUserID", k.DeviceUserID}, {"CryptoModuleID", k.CryptoModuleID},
		{"Encoding", k.Encoding}, {"Suite", k.Suite}}
	for _, u := range k.KeyUsage {
		t = append(t, namedText{"KeyUsage", u})
	}
	if k.Challenge != nil {
		t = append(t, namedText{"Challenge.Encoding", k.Challenge.Encoding})
	}
	if k.PIN != nil {
		t = append(t, namedText{"PIN.KeyID", k.PIN.KeyID}, namedText{"PIN.UsageMode", k.PIN.UsageMode}, namedText{"PIN.Encoding", k.PIN.Encoding})
	}
	return t
}

// badText says why Parse would not read s back, or "".
func badText(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	if strings.TrimSpace(s) != s {
		return "starts or ends with white space"
	}
	for _, r := range s {
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return "holds a character XML cannot carry"
		}
	}
	return ""
}

func writeKey(x *xmlWriter, k *Key, e *encrypter) error {
	x.open("pskc:KeyPackage")
	writeDevice(x, k)
	if k.CryptoModuleID != "" {
		x.open("pskc:CryptoModuleInfo")
		x.text("pskc:Id", k.CryptoModuleID)
		x.close("pskc:CryptoModuleInfo")
	}
	var attrs []string
	if k.ID != "" {
		attrs = append(attrs, "Id", k.ID)
	}
	if k.Algorithm != "" {
		attrs = append(attrs, "Algorithm", k.Algorithm)
	}
	x.open("pskc:Key", attrs...)
	x.textIf("pskc:Issuer", k.Issuer)
	writeParameters(x, k)
	x.textIf("pskc:KeyProfileId", k.KeyProfileID)
	x.textIf("pskc:KeyReference", k.KeyReference)
	x.textIf("pskc:FriendlyName", k.FriendlyName)
	writeData(x, k, e)
	x.textIf("pskc:UserId", k.UserID)
	writePolicy(x, k)
	x.close("pskc:Key")
	x.close("pskc:KeyPackage")
	return nil
}

func writeDevice(x *xmlWriter, k *Key) {
	if k.Manufacturer == "" && k.Serial == "" && k.Model == "" && k.IssueNo == "" && k.DeviceBinding == "" &&
		k.DeviceStartDate.IsZero() && k.DeviceExpiryDate.IsZero() && k.DeviceUserID == "" {
		return
	}
	x.open("pskc:DeviceInfo")
	x.textIf("pskc:Manufacturer", k.Manufacturer)
	x.textIf("pskc:SerialNo", k.Serial)
	x.textIf("pskc:Model", k.Model)
	x.textIf("pskc:IssueNo", k.IssueNo)
	x.textIf("pskc:DeviceBinding", k.DeviceBinding)
	x.date("pskc:StartDate", k.DeviceStartDate)
	x.date("pskc:ExpiryDate", k.DeviceExpiryDate)
	x.textIf("pskc:UserId", k.DeviceUserID)
	x.close("pskc:DeviceInfo")
}

func writeParameters(x *xmlWriter, k *Key) {
	if k.Suite == "" && k.Challenge == nil && k.Digits == 0 && k.Encoding == "" && !k.CheckDigit {
		return
	}
	x.open("pskc:AlgorithmParameters")
	x.textIf("pskc:Suite", k.Suite)
	if c := k.Challenge; c != nil {
		attrs := []string{"Encoding", c.Encoding, "Min", strconv.Itoa(c.Min), "Max", strconv.Itoa(c.Max)}
		if c.CheckDigit {
			attrs = append(attrs, "CheckDigits", "true")
		}
		x.empty("pskc:ChallengeFormat", attrs...)
	}
	if k.Digits != 0 || k.Encoding != "" || k.CheckDigit {
		enc := k.Encoding
		if enc == "" {
			enc = "DECIMAL"
		}
		attrs := []string{"Encoding", enc}
		if k.Digits != 0 {
			attrs = append(attrs, "Length", strconv.Itoa(k.Digits))
		}
		if k.CheckDigit {
			attrs = append(attrs, "CheckDigits", "true")
		}
		x.empty("pskc:ResponseFormat", attrs...)
	}
	x.close("pskc:AlgorithmParameters")
}

func writeData(x *xmlWriter, k *Key, e *encrypter) {
	hotp := kind(k.Algorithm) == "hotp"
	if len(k.Secret) == 0 && k.Counter == 0 && !hotp && k.Time == 0 && k.TimeStep == 0 && k.TimeDrift == 0 {
		return
	}
	x.open("pskc:Data")
	if len(k.Secret) > 0 {
		x.open("pskc:Secret")
		if e == nil {
			x.text("pskc:PlainValue", base64.StdEncoding.EncodeToString(k.Secret))
		} else {
			value := e.encrypt(k.Secret)
			x.open("pskc:EncryptedValue")
			x.cipher(e.cbc, value)
			x.close("pskc:EncryptedValue")
			x.text("pskc:ValueMAC", base64.StdEncoding.EncodeToString(mac(e.macKey, value)))
		}
		x.close("pskc:Secret")
	}
	if k.Counter != 0 || hotp {
		x.plain("pskc:Counter", strconv.FormatUint(k.Counter, 10))
	}
	if k.Time != 0 {
		x.plain("pskc:Time", strconv.FormatInt(k.Time, 10))
	}
	if k.TimeStep != 0 {
		x.plain("pskc:TimeInterval", strconv.FormatInt(int64(k.TimeStep/time.Second), 10))
	}
	if k.TimeDrift != 0 {
		x.plain("pskc:TimeDrift", strconv.FormatInt(k.TimeDrift, 10))
	}
	x.close("pskc:Data")
}

func writePolicy(x *xmlWriter, k *Key) {
	if k.StartDate.IsZero() && k.ExpiryDate.IsZero() && k.PIN == nil && len(k.KeyUsage) == 0 && k.NumberOfTransactions == 0 {
		return
	}
	x.open("pskc:Policy")
	x.date("pskc:StartDate", k.StartDate)
	x.date("pskc:ExpiryDate", k.ExpiryDate)
	if p := k.PIN; p != nil {
		var attrs []string
		add := func(name, v string) {
			if v != "" {
				attrs = append(attrs, name, v)
			}
		}
		num := func(v int) string {
			if v == 0 {
				return ""
			}
			return strconv.Itoa(v)
		}
		add("PINKeyId", p.KeyID)
		add("PINUsageMode", p.UsageMode)
		add("MaxFailedAttempts", num(p.MaxFailedAttempts))
		add("MinLength", num(p.MinLength))
		add("MaxLength", num(p.MaxLength))
		add("PINEncoding", p.Encoding)
		x.empty("pskc:PINPolicy", attrs...)
	}
	for _, u := range k.KeyUsage {
		x.text("pskc:KeyUsage", u)
	}
	if k.NumberOfTransactions != 0 {
		x.text("pskc:NumberOfTransactions", strconv.FormatUint(k.NumberOfTransactions, 10))
	}
	x.close("pskc:Policy")
}

// xmlWriter writes indented XML.
type xmlWriter struct {
	buf   bytes.Buffer
	depth int
}

func (x *xmlWriter) raw(s string) { x.buf.WriteString(s) }

func (x *xmlWriter) indent() { x.buf.WriteString(strings.Repeat("  ", x.depth)) }

func (x *xmlWriter) start(name string, attrs []string) {
	x.indent()
	x.buf.WriteString("<" + name)
	for i := 0; i+1 < len(attrs); i += 2 {
		x.buf.WriteString(" " + attrs[i] + `="`)
		xml.EscapeText(&x.buf, []byte(attrs[i+1]))
		x.buf.WriteString(`"`)
	}
}

func (x *xmlWriter) open(name string, attrs ...string) {
	x.start(name, attrs)
	x.buf.WriteString(">\n")
	x.depth++
}

func (x *xmlWriter) empty(name string, attrs ...string) {
	x.start(name, attrs)
	x.buf.WriteString("/>\n")
}

func (x *xmlWriter) close(name string) {
	x.depth--
	x.indent()
	x.buf.WriteString("</" + name + ">\n")
}

func (x *xmlWriter) text(name, value string) {
	x.start(name, nil)
	x.buf.WriteString(">")
	xml.EscapeText(&x.buf, []byte(value))
	x.buf.WriteString("</" + name + ">\n")
}

func (x *xmlWriter) textIf(name, value string) {
	if value != "" {
		x.text(name, value)
	}
}

func (x *xmlWriter) date(name string, t time.Time) {
	if !t.IsZero() {
		x.text(name, t.UTC().Format(time.RFC3339Nano))
	}
}

func (x *xmlWriter) plain(name, value string) {
	x.open(name)
	x.text("pskc:PlainValue", value)
	x.close(name)
}

func (x *xmlWriter) cipher(alg string, value []byte) {
	x.empty("xenc:EncryptionMethod", "Algorithm", alg)
	x.open("xenc:CipherData")
	x.text("xenc:CipherValue", base64.StdEncoding.EncodeToString(value))
	x.close("xenc:CipherData")
}

func mac(key, value []byte) []byte {
	m := hmacNew(key)
	m.Write(value)
	return m.Sum(nil)
}
