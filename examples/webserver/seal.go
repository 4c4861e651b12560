package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// The sealing key: 32 bytes for AES-256-GCM, written as 64 hex digits in
// the environment or the key file.
const (
	keyEnv    = "OTP_DEMO_KEY"
	oldKeyEnv = "OTP_DEMO_OLD_KEY" // the previous key, while rotating
	keySize   = 32
)

// errKeyFormat is a key that is not 64 hex digits. It never quotes the
// value, which may be most of a real key.
var errKeyFormat = errors.New("not 64 hex digits")

// sealer encrypts TOTP secrets at rest. A database copied without the key
// gives an attacker no secret, and a sealed secret moved to another row
// (another user, another factor) no longer opens: the row's identity is
// the associated data.
type sealer struct {
	currentID string
	aeads     map[string]cipher.AEAD // by key id: the current key and, while rotating, the old one
}

func newSealer(current []byte, old ...[]byte) (*sealer, error) {
	s := &sealer{currentID: keyID(current), aeads: map[string]cipher.AEAD{}}
	for _, key := range append([][]byte{current}, old...) {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sealing key: %w", err)
		}
		// A random 96-bit nonce per message: safe for far more secrets
		// than one key will ever seal (NIST SP 800-38D allows 2^32).
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("sealing key: %w", err)
		}
		s.aeads[keyID(key)] = aead
	}
	return s, nil
}

// keyID names a key without revealing it, so that every sealed value says
// which key opens it, and rotation can find the values it still has to
// re-seal.
func keyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("otp-webserver sealing key id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// secretAD binds a sealed TOTP secret to its user and factor.
func secretAD(user, factorID string) []byte {
	return []byte("otp-webserver totp secret v1\x00" + user + "\x00" + factorID)
}

// seal returns the sealed text and the id of the key that sealed it.
func (s *sealer) seal(plaintext, ad []byte) (sealed, id string) {
	out := s.aeads[s.currentID].Seal(nil, nil, plaintext, ad)
	return base64.RawStdEncoding.EncodeToString(out), s.currentID
}

func (s *sealer) open(sealed, id string, ad []byte) ([]byte, error) {
	aead, ok := s.aeads[id]
	if !ok {
		return nil, fmt.Errorf("sealed with key %s, which this server does not have", id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, errors.New("sealed value is not base64")
	}
	plain, err := aead.Open(nil, nil, raw, ad)
	if err != nil {
		return nil, errors.New("sealed value does not open: wrong key, or moved to another row")
	}
	return plain, nil
}

// knows reports whether s can open what key id sealed.
func (s *sealer) knows(id string) bool {
	_, ok := s.aeads[id]
	return ok
}

// parseKey reads 64 hex digits, ignoring the surrounding white space that
// files and shells add.
func parseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != keySize {
		return nil, errKeyFormat
	}
	return key, nil
}

// newKeyHex returns a fresh key as 64 hex digits.
func newKeyHex() string {
	key := make([]byte, keySize)
	rand.Read(key) // never fails: crypto/rand aborts the program instead (Go 1.24+)
	return hex.EncodeToString(key)
}

// loadKeys returns the sealing key and, while rotating, the old one.
// The key comes from OTP_DEMO_KEY or, without it, from keyFile (created on
// first run); keyFile "" means there is no place for one.
func loadKeys(getenv func(string) string, keyFile string) (current, old []byte, created bool, err error) {
	if v := getenv(oldKeyEnv); v != "" {
		if old, err = parseKey(v); err != nil {
			return nil, nil, false, fmt.Errorf("%s: %w", oldKeyEnv, err)
		}
	}
	if v := getenv(keyEnv); v != "" {
		current, err = parseKey(v)
		if err != nil {
			return nil, nil, false, fmt.Errorf("%s: %w", keyEnv, err)
		}
		return current, old, false, nil
	}
	if keyFile == "" {
		return nil, nil, false, fmt.Errorf("set %s to 64 hex digits, the same on every instance (-new-key prints one)", keyEnv)
	}
	current, created, err = readOrCreateKeyFile(keyFile)
	return current, old, created, err
}

// readOrCreateKeyFile reads the key file, or creates it with a new key if
// there is none.
func readOrCreateKeyFile(path string) (key []byte, created bool, err error) {
	key, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, false, err
	}
	key, err = createKeyFile(path)
	if errors.Is(err, fs.ErrExist) { // another process starting now made it first
		key, err = readKeyFile(path)
		return key, false, err
	}
	return key, err == nil, err
}

// readKeyFile reads the key. It never follows a symbolic link, and refuses
// a file that others can read: a key anyone can read protects nothing.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: must be a regular file that only its owner can read (chmod 600)", path)
	}
	buf := make([]byte, 2*keySize+2) // the digits and a line end; more is not a key file
	n, _ := io.ReadFull(f, buf)
	key, err := parseKey(string(buf[:n]))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file (mode 0600) and links
// it into place, which fails if path exists. So a process that starts at
// the same moment reads either no key file or a whole one, and a crash
// leaves no empty key file behind to stop every later start.
func createKeyFile(path string) ([]byte, error) {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".new-*")
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer os.Remove(f.Name())
	text := newKeyHex()
	_, err = f.WriteString(text + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(f.Name(), path)
	}
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	return hex.DecodeString(text)
}
