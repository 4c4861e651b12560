package pskc

import (
	"crypto/sha1"
	"hash"
	"strconv"
	"strings"
)

// value returns the bytes of a Data element: the text of its PlainValue
// (plain true), or its EncryptedValue decrypted. It returns nil when n is
// nil.
func (p *parser) value(i int, field string, n *node) (raw []byte, plain bool, err error) {
	if n == nil {
		return nil, false, nil
	}
	for _, name := range []string{"PlainValue", "EncryptedValue", "Value", "ValueMAC", "ValueDigest"} {
		if n.count(name) > 1 {
			return nil, false, keyError(i, field, name+" given twice", ErrInvalid)
		}
	}
	pv, ev, legacy := n.child("PlainValue"), n.child("EncryptedValue"), n.child("Value")
	mac := n.find("ValueMAC", "ValueDigest")
	switch {
	case pv != nil && (ev != nil || legacy != nil) || ev != nil && legacy != nil:
		return nil, false, keyError(i, field, "both plain and encrypted", ErrInvalid)
	case pv != nil:
		return []byte(pv.text), true, nil
	case ev != nil:
		alg := ev.find("EncryptionMethod").attrValue("Algorithm", "algorithm")
		if s := ev.find("EncryptionMethod/EncryptionScheme").attrValue("Algorithm"); s != "" {
			alg = s
		}
		raw, err := p.decryptValue(i, field, alg, ev.textOf("CipherData/CipherValue"), mac)
		return raw, false, err
	case legacy != nil && p.enc != nil && mac != nil:
		// draft-hoyer: an encrypted Value comes with its ValueDigest.
		raw, err := p.decryptValue(i, field, "", legacy.text, mac)
		return raw, false, err
	case legacy != nil:
		return []byte(legacy.text), true, nil
	}
	return nil, false, keyError(i, field, "no PlainValue or EncryptedValue", ErrInvalid)
}

// decryptValue checks the MAC of a CipherValue and decrypts it.
func (p *parser) decryptValue(i int, field, alg, text string, macNode *node) ([]byte, error) {
	p.c.Encrypted = true
	if alg == "" {
		alg = p.enc.attrValue("Algorithm", "algorithm")
	}
	if alg == "" {
		return nil, keyError(i, field, "no EncryptionMethod", ErrInvalid)
	}
	spec, err := cipherOf(alg)
	if err != nil {
		err.Key, err.Field = i, field
		return nil, err
	}
	value, err1 := decode64([]byte(text))
	if err1 != nil || len(value) == 0 {
		return nil, keyError(i, field, "CipherValue is not base64", ErrInvalid)
	}
	if len(value) > MaxSecretSize+64 {
		return nil, keyError(i, field, "longer than MaxSecretSize", ErrTooLarge)
	}
	key, err2 := p.encryptionKey()
	if err2 != nil {
		return nil, withKey(err2, i, field)
	}
	if !spec.fits(key) {
		return nil, keyError(i, field, "the key is "+strconv.Itoa(len(key))+" bytes, which "+quote(fragment(alg))+" does not take", ErrDecrypt)
	}
	macOK := true
	if macNode != nil {
		if macOK, err2 = p.checkMAC(value, macNode.text); err2 != nil {
			return nil, withKey(err2, i, field)
		}
	} else if spec.kind == cbcAES || spec.kind == cbc3DES {
		return nil, keyError(i, field, "encrypted in CBC mode without a ValueMAC, so a wrong key could not be told from the right one (RFC 6030 §6.1.1)", ErrInvalid)
	}
	if !macOK {
		return nil, keyError(i, field, p.macFailure(), ErrDecrypt)
	}
	if iv := p.legacyIV(); iv != nil && (spec.kind == cbcAES || spec.kind == cbc3DES) {
		value = append(iv, value...)
	}
	plain, ok := decrypt(spec, key, value)
	if !ok {
		return nil, keyError(i, field, "wrong key or tampered value", ErrDecrypt)
	}
	return plain, nil
}

// macFailure is the reason of every MAC failure: one text for the whole
// document, so that it tells nothing about the value. Pre-RFC drafts put
// the MAC over the plaintext, which Parse does not check: it could only be
// checked after decrypting, which would make Parse a padding oracle.
func (p *parser) macFailure() string {
	if p.root.child("MACAlgorithm") != nil || p.root.child("DigestMethod") != nil || p.root.child("Device") != nil {
		return "wrong key or tampered value, or a MAC over the plaintext as pre-RFC drafts wrote it, which Parse does not check"
	}
	return "wrong key or tampered value"
}

// withKey places a container-level error at key i's field.
func withKey(err error, i int, field string) error {
	if e, ok := err.(*Error); ok {
		c := *e
		c.Key = i
		if c.Field == "" {
			c.Field = field
		}
		return &c
	}
	return err
}

// legacyIV is the IV some drafts put in EncryptionKey instead of before
// each CipherValue.
func (p *parser) legacyIV() []byte {
	text := p.enc.textOf("IV")
	if text == "" {
		return nil
	}
	iv, err := decode64([]byte(text))
	if err != nil {
		return nil
	}
	return iv
}

// cipherOf looks an encryption algorithm up, naming it when it is unknown.
func cipherOf(alg string) (cipherSpec, *Error) {
	spec, ok := lookupCipher(alg)
	if ok {
		return spec, nil
	}
	if f := fragment(alg); strings.HasPrefix(f, "rsa") || strings.HasPrefix(f, "ecdh") {
		return spec, &Error{Reason: "encrypted to a public key (" + quote(alg) + "): Parse takes no private key", Err: ErrUnsupported}
	}
	return spec, &Error{Reason: "unsupported encryption algorithm " + quote(alg), Err: ErrUnsupported}
}

// encryptionKey returns the key the document's values are encrypted with:
// the pre-shared key, or the one PBKDF2 derives from the passphrase.
func (p *parser) encryptionKey() ([]byte, error) {
	if !p.keyDone {
		p.keyDone = true
		p.key, p.keyErr = p.findKey()
	}
	return p.key, p.keyErr
}

func (p *parser) findKey() ([]byte, error) {
	name := ""
	if p.c.KeyName != "" {
		name = " (the document names it " + quote(p.c.KeyName) + ")"
	}
	if p.enc.find("X509Data", "KeyInfo/X509Data") != nil {
		return nil, &Error{Field: "EncryptionKey", Reason: "encrypted to a certificate's public key: Parse takes no private key", Err: ErrUnsupported}
	}
	dk := p.enc.child("DerivedKey")
	legacyPBE := strings.HasPrefix(fragment(p.enc.attrValue("Algorithm", "algorithm")), "pbe")
	if dk == nil && !legacyPBE {
		if len(p.opts.PreSharedKey) == 0 {
			return nil, &Error{Field: "EncryptionKey", Reason: "encrypted with a pre-shared key" + name + ": Options.PreSharedKey is empty", Err: ErrKeyRequired}
		}
		return p.opts.PreSharedKey, nil
	}
	if p.opts.Passphrase == "" {
		return nil, &Error{Field: "EncryptionKey", Reason: "encrypted with a passphrase" + name + ": Options.Passphrase is empty", Err: ErrKeyRequired}
	}
	if dk != nil {
		return p.pbkdf2(dk)
	}
	return p.legacyPBKDF2()
}

func pbkdf2Error(reason string, err error) error {
	return &Error{Field: "KeyDerivationMethod", Reason: reason, Err: err}
}

// pbkdf2 derives the key of an RFC 6030 §6.2 DerivedKey.
func (p *parser) pbkdf2(dk *node) ([]byte, error) {
	kdm := dk.child("KeyDerivationMethod")
	if alg := kdm.attrValue("Algorithm"); fragment(alg) != "pbkdf2" {
		return nil, pbkdf2Error("unsupported key derivation "+quote(alg), ErrUnsupported)
	}
	params := kdm.child("PBKDF2-params")
	if params == nil {
		return nil, pbkdf2Error("no PBKDF2-params", ErrInvalid)
	}
	salt, err := decode64([]byte(params.textOf("Salt/Specified")))
	if err != nil || len(salt) == 0 {
		return nil, pbkdf2Error("no Salt/Specified in base64", ErrInvalid)
	}
	h := func() hash.Hash { return sha1.New() }
	if prf := params.child("PRF").attrValue("Algorithm"); prf != "" {
		var ok bool
		if h, ok = lookupHash(prf); !ok {
			return nil, pbkdf2Error("unsupported PRF "+quote(prf), ErrUnsupported)
		}
	}
	size, err := strconv.Atoi(params.textOf("KeyLength"))
	if err != nil || size != 16 && size != 24 && size != 32 {
		return nil, pbkdf2Error("KeyLength is not 16, 24 or 32", ErrInvalid)
	}
	return p.derive(h, salt, params.textOf("IterationCount"), size)
}

// legacyPBKDF2 derives draft-hoyer's PBE key: PBKDF2-HMAC-SHA1 with
// PBESalt and PBEIterationCount, as long as the cipher's smallest key.
func (p *parser) legacyPBKDF2() ([]byte, error) {
	salt, err := decode64([]byte(p.enc.textOf("PBESalt")))
	if err != nil || len(salt) == 0 {
		return nil, pbkdf2Error("no PBESalt in base64", ErrInvalid)
	}
	spec, e := cipherOf(p.enc.attrValue("Algorithm", "algorithm"))
	if e != nil {
		e.Field = "EncryptionMethod"
		return nil, e
	}
	size := spec.keySize
	if size == 0 {
		size = 16
	}
	return p.derive(sha1.New, salt, p.enc.textOf("PBEIterationCount"), size)
}

func (p *parser) derive(h func() hash.Hash, salt []byte, count string, size int) ([]byte, error) {
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return nil, pbkdf2Error("IterationCount is not a positive number", ErrInvalid)
	}
	if n > MaxIterations {
		return nil, pbkdf2Error("IterationCount "+strconv.Itoa(n)+" is past MaxIterations", ErrTooLarge)
	}
	key, err := derive(h, p.opts.Passphrase, salt, n, size)
	if err != nil {
		return nil, pbkdf2Error("PBKDF2 failed", ErrInvalid)
	}
	return key, nil
}

// checkMAC reports whether text, in base64, is the MAC of value under the
// document's MACMethod. A MAC key that does not decrypt makes every MAC
// fail, after the same work, so that the two look alike.
func (p *parser) checkMAC(value []byte, text string) (bool, error) {
	if !p.macDone {
		p.macDone = true
		p.macErr = p.findMAC()
	}
	if p.macErr != nil {
		return false, p.macErr
	}
	mac, err := decode64([]byte(text))
	if err != nil {
		return false, &Error{Reason: "ValueMAC is not base64", Err: ErrInvalid}
	}
	ok := checkMAC(p.macHash, p.macKey, value, mac)
	return ok && !p.macBad, nil
}

// findMAC reads MACMethod: the HMAC's hash, and its key, encrypted with
// the document's key (RFC 6030 §6.1.1), or that key itself when MACKey
// is absent, as in the drafts.
func (p *parser) findMAC() error {
	mm := p.root.find("MACMethod", "DigestMethod")
	alg := mm.attrValue("Algorithm", "algorithm")
	if alg == "" {
		alg = p.root.textOf("MACAlgorithm")
	}
	if alg == "" {
		return &Error{Field: "MACMethod", Reason: "a ValueMAC without a MAC algorithm", Err: ErrInvalid}
	}
	var ok bool
	if p.macHash, ok = lookupHash(alg); !ok {
		return &Error{Field: "MACMethod", Reason: "unsupported MAC algorithm " + quote(alg), Err: ErrUnsupported}
	}
	key, err := p.encryptionKey()
	if err != nil {
		return err
	}
	mk := mm.child("MACKey")
	if mk == nil {
		p.macKey = key
		return nil
	}
	spec, e := cipherOf(mk.find("EncryptionMethod").attrValue("Algorithm"))
	if e != nil {
		e.Field = "MACKey"
		return e
	}
	value, err := decode64([]byte(mk.textOf("CipherData/CipherValue")))
	if err != nil || len(value) == 0 || len(value) > 1024 {
		return &Error{Field: "MACKey", Reason: "CipherValue is not base64", Err: ErrInvalid}
	}
	if !spec.fits(key) {
		return &Error{Field: "MACKey", Reason: "the key is " + strconv.Itoa(len(key)) + " bytes, which " + quote(fragment(mk.find("EncryptionMethod").attrValue("Algorithm"))) + " does not take", Err: ErrDecrypt}
	}
	p.macKey, ok = decrypt(spec, key, value)
	p.macBad = !ok
	if p.macKey == nil {
		p.macKey = value
	}
	return nil
}
