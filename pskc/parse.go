package pskc

import (
	"encoding/base64"
	"hash"
	"math"
	"strconv"
	"strings"
	"time"
)

// Parse reads a PSKC document (RFC 6030, and the draft layouts vendors
// still ship: draft-ietf-keyprov-pskc-02 and draft-hoyer's
// SecretContainer), decrypting its values with the key in opts.
//
// Every encrypted value's ValueMAC is checked, in constant time, before it
// is decrypted; a value in CBC mode without one is refused, since a wrong
// key could not be told from the right one. A wrong key, or a value that
// was changed, is [ErrDecrypt] whatever failed. A document Parse cannot
// fully read (an unknown algorithm, a key encrypted to a public key) is
// refused with an [*Error] naming what is missing; what it reads but does
// not act on shows on the result ([Container.Signed], [Key.UnknownPolicy],
// a nil [Key.Secret]). A KeyPackage without a Key gives no Key.
//
// Documents past [MaxDocumentSize], [MaxDepth] or [MaxElements], with a
// DOCTYPE, or with a PBKDF2 count past [MaxIterations] are refused before
// any work that grows with them.
func Parse(data []byte, opts Options) (*Container, error) {
	root, err := readTree(data)
	if err != nil {
		return nil, err
	}
	p := &parser{opts: opts}
	return p.container(root)
}

type parser struct {
	opts Options
	c    *Container
	root *node
	enc  *node // EncryptionKey (EncryptionMethod in draft-hoyer)

	keyDone bool
	key     []byte
	keyErr  error

	macDone bool
	macHash func() hash.Hash
	macKey  []byte
	macBad  bool // the MAC key did not decrypt: every MAC then fails
	macErr  error
}

func (p *parser) container(root *node) (*Container, error) {
	if root.name != "KeyContainer" && root.name != "SecretContainer" {
		return nil, &Error{Reason: "the root element is not KeyContainer", Err: ErrInvalid}
	}
	p.root = root
	p.c = &Container{Version: root.attrValue("Version", "version"), ID: root.attrValue("Id", "ID", "id")}
	if v := p.c.Version; root.name == "KeyContainer" && v != "" && v != "1" && v != "1.0" {
		return nil, &Error{Field: "KeyContainer", Reason: "unsupported Version " + quote(v), Err: ErrUnsupported}
	}
	p.enc = root.find("EncryptionKey", "EncryptionMethod")
	if strings.EqualFold(p.enc.attrValue("Algorithm", "algorithm"), "none") {
		p.enc = nil // draft-hoyer's way of saying so
	}
	p.c.KeyName = p.enc.textOf("KeyName", "DerivedKey/MasterKeyName", "DerivedKey/CarriedKeyName")
	p.c.Signed = root.child("Signature") != nil
	for _, pkg := range root.all("KeyPackage", "Device") {
		info := pkg.find("DeviceInfo", "DeviceId")
		for _, kn := range pkg.all("Key", "Secret") {
			k, err := p.keyOf(len(p.c.Keys)+1, kn, info, pkg.textOf("CryptoModuleInfo/Id"))
			if err != nil {
				return nil, err
			}
			p.c.Keys = append(p.c.Keys, k)
		}
	}
	return p.c, nil
}

// quote makes text from the document safe and short for an error message.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.QuoteToASCII(s)
}

// keyError returns an *Error about key i.
func keyError(i int, field, reason string, err error) *Error {
	return &Error{Key: i, Field: field, Reason: reason, Err: err}
}

func (p *parser) keyOf(i int, kn, info *node, module string) (*Key, error) {
	k := &Key{
		ID:             kn.attrValue("Id", "KeyId", "SecretId"),
		Algorithm:      kn.attrValue("Algorithm", "KeyAlgorithm", "SecretAlgorithm"),
		Issuer:         kn.textOf("Issuer"),
		FriendlyName:   kn.textOf("FriendlyName"),
		UserID:         kn.textOf("UserId"),
		KeyProfileID:   kn.textOf("KeyProfileId"),
		KeyReference:   kn.textOf("KeyReference"),
		Suite:          kn.textOf("AlgorithmParameters/Suite"),
		Manufacturer:   info.textOf("Manufacturer"),
		Serial:         info.textOf("SerialNo"),
		Model:          info.textOf("Model"),
		IssueNo:        info.textOf("IssueNo"),
		DeviceBinding:  info.textOf("DeviceBinding"),
		DeviceUserID:   info.textOf("UserId"),
		CryptoModuleID: module,
	}
	steps := []func(int, *Key, *node, *node) error{p.device, p.formats, p.data, p.policy}
	for _, step := range steps {
		if err := step(i, k, kn, info); err != nil {
			return nil, err
		}
	}
	return k, nil
}

func (p *parser) device(i int, k *Key, _, info *node) error {
	var err error
	if k.DeviceStartDate, err = dateOf(i, "DeviceInfo/StartDate", info.textOf("StartDate")); err != nil {
		return err
	}
	k.DeviceExpiryDate, err = dateOf(i, "DeviceInfo/ExpiryDate", info.textOf("ExpiryDate", "Expiry"))
	return err
}

func (p *parser) formats(i int, k *Key, kn, _ *node) error {
	if rf := kn.find("AlgorithmParameters/ResponseFormat", "Usage/ResponseFormat"); rf != nil {
		k.Encoding = rf.attrValue("Encoding", "Format", "format")
		var err error
		if k.Digits, err = intAttr(i, rf, 100, "Length", "length"); err != nil {
			return err
		}
		if k.CheckDigit, err = boolAttr(i, rf, "CheckDigits", "CheckDigit"); err != nil {
			return err
		}
	}
	cf := kn.find("AlgorithmParameters/ChallengeFormat", "Usage/ChallengeFormat")
	if cf == nil {
		return nil
	}
	c := &ChallengeFormat{Encoding: cf.attrValue("Encoding", "Format", "format")}
	var err error
	if c.Min, err = intAttr(i, cf, 1<<16, "Min", "min"); err != nil {
		return err
	}
	if c.Max, err = intAttr(i, cf, 1<<16, "Max", "max"); err != nil {
		return err
	}
	if c.CheckDigit, err = boolAttr(i, cf, "CheckDigits", "CheckDigit"); err != nil {
		return err
	}
	k.Challenge = c
	return nil
}

// legacyData maps draft-hoyer's <Data Name="..."> to RFC 6030's elements.
var legacyData = map[string]string{"secret": "Secret", "counter": "Counter", "time": "Time", "time_interval": "TimeInterval", "timeinterval": "TimeInterval", "time_drift": "TimeDrift", "timedrift": "TimeDrift"}

func (p *parser) data(i int, k *Key, kn, _ *node) error {
	fields := map[string]*node{}
	for _, d := range kn.all("Data") {
		if name, ok := d.attr("Name", "name"); ok {
			if f := legacyData[strings.ToLower(name)]; f != "" {
				if fields[f] != nil {
					return keyError(i, f, "given twice", ErrInvalid)
				}
				fields[f] = d
			}
			continue
		}
		for _, f := range []string{"Secret", "Counter", "Time", "TimeInterval", "TimeDrift"} {
			if n := d.count(f); n > 1 || n == 1 && fields[f] != nil {
				return keyError(i, f, "given twice", ErrInvalid)
			}
			if c := d.child(f); c != nil {
				fields[f] = c
			}
		}
	}
	if err := p.secret(i, k, fields["Secret"]); err != nil {
		return err
	}
	var err error
	if k.Counter, err = p.integer(i, "Counter", fields["Counter"]); err != nil {
		return err
	}
	if k.Time, err = p.signed(i, "Time", fields["Time"]); err != nil {
		return err
	}
	if k.TimeDrift, err = p.signed(i, "TimeDrift", fields["TimeDrift"]); err != nil {
		return err
	}
	step, err := p.integer(i, "TimeInterval", fields["TimeInterval"])
	if err != nil {
		return err
	}
	if step > math.MaxInt64/uint64(time.Second) {
		return keyError(i, "TimeInterval", "too long", ErrInvalid)
	}
	k.TimeStep = time.Duration(step) * time.Second
	return nil
}

func (p *parser) secret(i int, k *Key, n *node) error {
	raw, plain, err := p.value(i, "Secret", n)
	if err != nil || raw == nil {
		return err
	}
	if plain {
		if raw, err = decode64(raw); err != nil {
			return keyError(i, "Secret", "PlainValue is not base64", ErrInvalid)
		}
	}
	if len(raw) == 0 {
		return keyError(i, "Secret", "empty", ErrInvalid)
	}
	if len(raw) > MaxSecretSize {
		return keyError(i, "Secret", "longer than MaxSecretSize", ErrTooLarge)
	}
	k.Secret = raw
	return nil
}

// integer reads an unsigned integer value: decimal text, or (drafts,
// and every encrypted value) ASCII digits or a big-endian number in bytes.
func (p *parser) integer(i int, field string, n *node) (uint64, error) {
	raw, plain, err := p.value(i, field, n)
	if err != nil || raw == nil {
		return 0, err
	}
	return integerOf(i, field, raw, plain)
}

func integerOf(i int, field string, raw []byte, plain bool) (uint64, error) {
	if v, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
		return v, nil
	}
	if plain {
		var err error
		if raw, err = decode64(raw); err != nil {
			return 0, keyError(i, field, "not an integer", ErrInvalid)
		}
		if v, err := strconv.ParseUint(string(raw), 10, 64); err == nil {
			return v, nil
		}
	}
	if len(raw) == 0 || len(raw) > 8 {
		return 0, keyError(i, field, "not an integer", ErrInvalid)
	}
	var v uint64
	for _, b := range raw {
		v = v<<8 | uint64(b)
	}
	return v, nil
}

// signed reads an integer that may be negative: a time offset or drift.
// Encrypted ones are two's complement, as python-pskc writes them.
func (p *parser) signed(i int, field string, n *node) (int64, error) {
	raw, plain, err := p.value(i, field, n)
	if err != nil || raw == nil {
		return 0, err
	}
	if v, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return v, nil
	}
	v, err := integerOf(i, field, raw, plain)
	return int64(v), err
}

func decode64(text []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(text)), ""))
}

func intAttr(i int, n *node, maxValue int, names ...string) (int, error) {
	s, ok := n.attr(names...)
	if !ok || s == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 || v > maxValue {
		return 0, keyError(i, n.name, names[0]+" is not a number from 0 to "+strconv.Itoa(maxValue), ErrInvalid)
	}
	return v, nil
}

func boolAttr(i int, n *node, names ...string) (bool, error) {
	s, ok := n.attr(names...)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(s) {
	case "true", "1":
		return true, nil
	case "false", "0", "":
		return false, nil
	}
	return false, keyError(i, n.name, names[0]+" is not a boolean", ErrInvalid)
}

// dateFormats are xs:dateTime with and without a zone, and draft-hoyer's
// MM/DD/YYYY. Dates without a zone are UTC.
var dateFormats = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02", "01/02/2006"}

func dateOf(i int, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, f := range dateFormats {
		if t, err := time.Parse(f, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, keyError(i, field, "not a date", ErrInvalid)
}

var knownPolicy = map[string]bool{"StartDate": true, "ExpiryDate": true, "NumberOfTransactions": true, "KeyUsage": true, "PINPolicy": true}

var knownPIN = map[string]bool{"PINKeyId": true, "PINUsageMode": true, "MaxFailedAttempts": true, "MinLength": true, "MaxLength": true, "PINEncoding": true}

func (p *parser) policy(i int, k *Key, kn, _ *node) error {
	if err := p.usage(i, k, kn.child("Usage")); err != nil {
		return err
	}
	pol := kn.child("Policy")
	start, expiry := kn.textOf("StartDate"), kn.textOf("ExpiryDate")
	if pol != nil {
		start, expiry = pol.textOf("StartDate"), pol.textOf("ExpiryDate")
		for _, c := range pol.children {
			k.UnknownPolicy = k.UnknownPolicy || !knownPolicy[c.name]
		}
		for _, u := range pol.all("KeyUsage") {
			k.KeyUsage = append(k.KeyUsage, u.text)
		}
		if s := pol.textOf("NumberOfTransactions"); s != "" {
			v, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return keyError(i, "NumberOfTransactions", "not a number", ErrInvalid)
			}
			k.NumberOfTransactions = v
		}
		if err := p.pin(i, k, pol.child("PINPolicy")); err != nil {
			return err
		}
	}
	var err error
	if k.StartDate, err = dateOf(i, "StartDate", start); err != nil {
		return err
	}
	k.ExpiryDate, err = dateOf(i, "ExpiryDate", expiry)
	return err
}

// usage reads draft-ietf-keyprov-pskc-02's Usage attributes as KeyUsage.
func (p *parser) usage(i int, k *Key, u *node) error {
	for _, name := range []string{"OTP", "CR", "Integrity", "Encrypt", "Unlock"} {
		on, err := boolAttr(i, u, name)
		if err != nil {
			return err
		}
		if on {
			k.KeyUsage = append(k.KeyUsage, name)
		}
	}
	return nil
}

func (p *parser) pin(i int, k *Key, n *node) error {
	if n == nil {
		return nil
	}
	pin := &PINPolicy{
		KeyID:     n.attrValue("PINKeyId"),
		UsageMode: n.attrValue("PINUsageMode"),
		Encoding:  n.attrValue("PINEncoding"),
	}
	var err error
	for _, f := range []struct {
		dst  *int
		name string
	}{{&pin.MaxFailedAttempts, "MaxFailedAttempts"}, {&pin.MinLength, "MinLength"}, {&pin.MaxLength, "MaxLength"}} {
		if *f.dst, err = intAttr(i, n, math.MaxInt32, f.name); err != nil {
			return err
		}
	}
	k.UnknownPolicy = k.UnknownPolicy || len(n.children) > 0
	for _, a := range n.attrs {
		k.UnknownPolicy = k.UnknownPolicy || a.Name.Space != "xmlns" && a.Name.Local != "xmlns" && !knownPIN[a.Name.Local]
	}
	k.PIN = pin
	return nil
}
