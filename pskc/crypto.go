package pskc

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"hash"
	"strings"
)

// The algorithm URIs Write uses, and the ones Parse knows by their fragment.
const (
	uriAES128CBC  = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
	uriAES192CBC  = "http://www.w3.org/2001/04/xmlenc#aes192-cbc"
	uriAES256CBC  = "http://www.w3.org/2001/04/xmlenc#aes256-cbc"
	uriHMACSHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
	uriPBKDF2     = "http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2"
)

// cipherKind is how a value is encrypted.
type cipherKind int

const (
	cbcAES cipherKind = iota + 1
	cbc3DES
	kwAES    // RFC 3394
	kwAESPad // RFC 5649
	kw3DES   // RFC 3217
)

// cipherSpec is an encryption algorithm this package implements.
type cipherSpec struct {
	kind    cipherKind
	keySize int // 0: 16 or 24 (3DES)
}

// ciphers maps the fragment of an xmlenc algorithm URI (after "#"), and the
// spellings of the drafts, to what it means.
var ciphers = map[string]cipherSpec{
	"aes128-cbc":      {cbcAES, 16},
	"aes192-cbc":      {cbcAES, 24},
	"aes256-cbc":      {cbcAES, 32},
	"pbe-aes128-cbc":  {cbcAES, 16},
	"pbe-aes192-cbc":  {cbcAES, 24},
	"pbe-aes256-cbc":  {cbcAES, 32},
	"tripledes-cbc":   {cbc3DES, 0},
	"3des-cbc":        {cbc3DES, 0},
	"3des112-cbc":     {cbc3DES, 16},
	"3des168-cbc":     {cbc3DES, 24},
	"pbe-3des112-cbc": {cbc3DES, 16},
	"pbe-3des168-cbc": {cbc3DES, 24},
	"kw-aes128":       {kwAES, 16},
	"kw-aes192":       {kwAES, 24},
	"kw-aes256":       {kwAES, 32},
	"kw-aes-128-pad":  {kwAESPad, 16},
	"kw-aes-192-pad":  {kwAESPad, 24},
	"kw-aes-256-pad":  {kwAESPad, 32},
	"kw-aes128-pad":   {kwAESPad, 16},
	"kw-aes192-pad":   {kwAESPad, 24},
	"kw-aes256-pad":   {kwAESPad, 32},
	"kw-tripledes":    {kw3DES, 0},
	"kw-3des":         {kw3DES, 0},
}

// fragment returns the part of an algorithm URI after "#", in lower case:
// drafts write bare names such as "HMAC-SHA1" or "PBE-3DES112-CBC".
func fragment(uri string) string {
	if i := strings.LastIndexByte(uri, '#'); i >= 0 {
		uri = uri[i+1:]
	}
	return strings.ToLower(strings.TrimSpace(uri))
}

func lookupCipher(uri string) (cipherSpec, bool) {
	c, ok := ciphers[fragment(uri)]
	return c, ok
}

// keySizes reports whether key has a length the cipher takes.
func (c cipherSpec) fits(key []byte) bool {
	if c.keySize == 0 {
		return len(key) == 16 || len(key) == 24
	}
	return len(key) == c.keySize
}

// hashes maps the fragment of an HMAC URI to its hash.
var hashes = map[string]func() hash.Hash{
	"hmac-sha1":    sha1.New,
	"hmac-sha-1":   sha1.New,
	"hmac-sha224":  sha256.New224,
	"hmac-sha-224": sha256.New224,
	"hmac-sha256":  sha256.New,
	"hmac-sha-256": sha256.New,
	"hmac-sha384":  sha512.New384,
	"hmac-sha-384": sha512.New384,
	"hmac-sha512":  sha512.New,
	"hmac-sha-512": sha512.New,
}

func lookupHash(uri string) (func() hash.Hash, bool) {
	h, ok := hashes[fragment(uri)]
	return h, ok
}

// checkMAC reports, in constant time, whether mac is the HMAC of data. A
// MAC of the wrong length is simply not equal.
func checkMAC(h func() hash.Hash, key, data, mac []byte) bool {
	m := hmac.New(h, key)
	m.Write(data)
	return hmac.Equal(m.Sum(nil), mac)
}

func newBlock(c cipherSpec, key []byte) cipher.Block {
	var b cipher.Block
	var err error
	switch c.kind {
	case cbc3DES, kw3DES:
		b, err = des.NewTripleDESCipher(tripleKey(key))
	default:
		b, err = aes.NewCipher(key)
	}
	if err != nil {
		panic("pskc: key length checked before: " + err.Error()) // no key in the message
	}
	return b
}

// tripleKey turns a two-key 3DES key (K1 K2) into the K1 K2 K1 that
// crypto/des takes.
func tripleKey(key []byte) []byte {
	if len(key) == 24 {
		return key
	}
	k := make([]byte, 0, 24)
	return append(append(k, key...), key[:8]...)
}

// decrypt returns the plaintext of value, which is the whole CipherValue
// (the IV first for CBC). Every failure is ok == false, without saying
// which: a caller that reports them as one error is no padding oracle.
// Callers check the value's MAC first; for values without one (the MAC
// key itself) the padding check runs in constant time.
func decrypt(c cipherSpec, key, value []byte) ([]byte, bool) {
	b := newBlock(c, key)
	switch c.kind {
	case cbcAES, cbc3DES:
		return decryptCBC(b, value)
	case kwAES:
		return unwrapAES(b, value)
	case kwAESPad:
		return unwrapAESPad(b, value)
	default:
		return unwrap3DES(b, value)
	}
}

func decryptCBC(b cipher.Block, value []byte) ([]byte, bool) {
	bs := b.BlockSize()
	if len(value) < 2*bs || len(value)%bs != 0 {
		return nil, false
	}
	out := make([]byte, len(value)-bs)
	cipher.NewCBCDecrypter(b, value[:bs]).CryptBlocks(out, value[bs:])
	n, ok := unpad(out, bs)
	return out[:n], ok
}

// unpad checks PKCS#7 padding in constant time, returning the length of
// the plaintext (all of buf when the padding is wrong) and whether it was
// right.
func unpad(buf []byte, bs int) (int, bool) {
	p := int(buf[len(buf)-1])
	good := subtle.ConstantTimeLessOrEq(1, p) & subtle.ConstantTimeLessOrEq(p, bs)
	for i := 1; i <= bs; i++ {
		inPad := subtle.ConstantTimeLessOrEq(i, p)
		same := subtle.ConstantTimeByteEq(buf[len(buf)-i], byte(p))
		good &= subtle.ConstantTimeSelect(inPad, same, 1)
	}
	n := subtle.ConstantTimeSelect(good, len(buf)-p, len(buf))
	return n, good == 1
}

func encryptCBC(b cipher.Block, iv, plain []byte) []byte {
	bs := b.BlockSize()
	p := bs - len(plain)%bs
	buf := make([]byte, bs+len(plain)+p)
	copy(buf, iv)
	copy(buf[bs:], plain)
	for i := bs + len(plain); i < len(buf); i++ {
		buf[i] = byte(p)
	}
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(buf[bs:], buf[bs:])
	return buf
}

// unwrapCore is RFC 3394 §2.2.2's unwrap (the index-based form), returning
// the integrity check value A and the key data.
func unwrapCore(b cipher.Block, value []byte) (a [8]byte, out []byte) {
	n := len(value)/8 - 1
	copy(a[:], value[:8])
	out = make([]byte, n*8)
	copy(out, value[8:])
	var buf [16]byte
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(buf[:8], binary.BigEndian.Uint64(a[:])^t)
			copy(buf[8:], out[(i-1)*8:i*8])
			b.Decrypt(buf[:], buf[:])
			copy(a[:], buf[:8])
			copy(out[(i-1)*8:], buf[8:])
		}
	}
	return a, out
}

// wrapCore is RFC 3394 §2.2.1's wrap with initial value a.
func wrapCore(b cipher.Block, a [8]byte, plain []byte) []byte {
	n := len(plain) / 8
	out := make([]byte, 8+len(plain))
	copy(out[8:], plain)
	var buf [16]byte
	for j := range 6 {
		for i := 1; i <= n; i++ {
			copy(buf[:8], a[:])
			copy(buf[8:], out[i*8:(i+1)*8])
			b.Encrypt(buf[:], buf[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(buf[:8])^t)
			copy(out[i*8:], buf[8:])
		}
	}
	copy(out, a[:])
	return out
}

var kwIV = [8]byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}

func unwrapAES(b cipher.Block, value []byte) ([]byte, bool) {
	if len(value) < 24 || len(value)%8 != 0 {
		return nil, false
	}
	a, out := unwrapCore(b, value)
	return out, subtle.ConstantTimeCompare(a[:], kwIV[:]) == 1
}

// unwrapAESPad is RFC 5649's unwrap.
func unwrapAESPad(b cipher.Block, value []byte) ([]byte, bool) {
	if len(value) < 16 || len(value)%8 != 0 {
		return nil, false
	}
	var a [8]byte
	var out []byte
	if len(value) == 16 {
		var buf [16]byte
		b.Decrypt(buf[:], value)
		copy(a[:], buf[:8])
		out = append([]byte(nil), buf[8:]...)
	} else {
		a, out = unwrapCore(b, value)
	}
	good := subtle.ConstantTimeCompare(a[:4], []byte{0xa6, 0x59, 0x59, 0xa6})
	mli := int(binary.BigEndian.Uint32(a[4:]))
	// The length must fall in the last 8 bytes, and what follows it be zero.
	good &= subtle.ConstantTimeLessOrEq(len(out)-7, mli) & subtle.ConstantTimeLessOrEq(mli, len(out))
	if good != 1 {
		return nil, false
	}
	var pad byte
	for _, c := range out[mli:] {
		pad |= c
	}
	return out[:mli], pad == 0
}

// wrapAESPad is RFC 5649's wrap, for the tests.
func wrapAESPad(b cipher.Block, plain []byte) []byte {
	a := [8]byte{0xa6, 0x59, 0x59, 0xa6}
	binary.BigEndian.PutUint32(a[4:], uint32(len(plain)))
	padded := make([]byte, (len(plain)+7)/8*8)
	copy(padded, plain)
	if len(padded) == 8 {
		out := make([]byte, 16)
		copy(out, a[:])
		copy(out[8:], padded)
		b.Encrypt(out, out)
		return out
	}
	return wrapCore(b, a, padded)
}

var kw3DESIV = []byte{0x4a, 0xdd, 0xa2, 0x2c, 0x79, 0xe8, 0x21, 0x05}

// unwrap3DES is RFC 3217 §3.2's Triple-DES key unwrap, for any key data
// that is a whole number of blocks (as python-pskc writes it).
func unwrap3DES(b cipher.Block, value []byte) ([]byte, bool) {
	if len(value) < 24 || len(value)%8 != 0 {
		return nil, false
	}
	temp3 := make([]byte, len(value))
	cipher.NewCBCDecrypter(b, kw3DESIV).CryptBlocks(temp3, value)
	for i, j := 0, len(temp3)-1; i < j; i, j = i+1, j-1 {
		temp3[i], temp3[j] = temp3[j], temp3[i]
	}
	iv, temp1 := temp3[:8], temp3[8:]
	wkcks := make([]byte, len(temp1))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(wkcks, temp1)
	data, cks := wkcks[:len(wkcks)-8], wkcks[len(wkcks)-8:]
	sum := sha1.Sum(data)
	return data, subtle.ConstantTimeCompare(sum[:8], cks) == 1
}

// wrap3DES is RFC 3217 §3.1's wrap with the given IV, for the tests.
func wrap3DES(b cipher.Block, iv, data []byte) []byte {
	sum := sha1.Sum(data)
	wkcks := append(append([]byte(nil), data...), sum[:8]...)
	temp2 := make([]byte, 8+len(wkcks))
	copy(temp2, iv)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(temp2[8:], wkcks)
	for i, j := 0, len(temp2)-1; i < j; i, j = i+1, j-1 {
		temp2[i], temp2[j] = temp2[j], temp2[i]
	}
	cipher.NewCBCEncrypter(b, kw3DESIV).CryptBlocks(temp2, temp2)
	return temp2
}

// derive is PBKDF2 (RFC 8018 §5.2), bounded by MaxIterations.
func derive(h func() hash.Hash, passphrase string, salt []byte, iterations, size int) ([]byte, error) {
	return pbkdf2.Key(h, passphrase, salt, iterations, size)
}

func hmacNew(key []byte) hash.Hash { return hmac.New(sha256.New, key) }
