package pskc

import (
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var figure6PSK = mustHex("12345678901234567890123456789012")

func readFigure(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "python-pskc", "rfc6030", name))
	require.NoError(t, err)
	return string(data)
}

// TestFigures checks RFC 6030's examples against the values the RFC gives.
func TestFigures(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(readFigure(t, "figure6.pskcxml")), Options{PreSharedKey: figure6PSK})
	require.NoError(t, err)
	require.Len(t, c.Keys, 1)
	assert.Equal(t, []byte("12345678901234567890"), c.Keys[0].Secret)
	assert.Equal(t, "Pre-shared-key", c.KeyName)
	assert.True(t, c.Encrypted)

	c, err = Parse([]byte(readFigure(t, "figure7.pskcxml")), Options{Passphrase: "qwerty"})
	require.NoError(t, err)
	assert.Equal(t, []byte("12345678901234567890"), c.Keys[0].Secret)
	assert.Equal(t, "My Password 1", c.KeyName)

	c, err = Parse([]byte(readFigure(t, "figure5.pskcxml")), Options{})
	require.NoError(t, err)
	require.Len(t, c.Keys, 2)
	assert.Equal(t, "exampleID1", c.ID)
	assert.Equal(t, &PINPolicy{KeyID: "123456781", UsageMode: "Local", MinLength: 4, MaxLength: 4, Encoding: "DECIMAL"}, c.Keys[0].PIN)
	assert.Equal(t, []byte("1234"), c.Keys[1].Secret)
	assert.Equal(t, 8, c.Keys[0].Digits)

	c, err = Parse([]byte(readFigure(t, "figure4.pskcxml")), Options{})
	require.NoError(t, err)
	assert.Nil(t, c.Keys[0].Secret, "Figure 4 derives the secret from KeyReference")
	assert.Equal(t, "MasterKeyLabel", c.Keys[0].KeyReference)
}

// TestWrongKeyOneError: a wrong key, a changed value, a MAC of the wrong
// size and bad padding under a good MAC are one error, with one message.
func TestWrongKeyOneError(t *testing.T) {
	t.Parallel()
	fig6 := readFigure(t, "figure6.pskcxml")
	const mac = "Su+NvtQfmvfJzF6bmQiJqoLRExc="
	const value = "AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv"
	require.Contains(t, fig6, mac)
	require.Contains(t, fig6, value)

	// A value with bad padding, under a MAC made with the real MAC key.
	macKey := mustHex("1122334455667788990011223344556677889900")
	b, _ := aes.NewCipher(figure6PSK)
	badPad := encryptCBC(b, make([]byte, 16), bytes.Repeat([]byte{0x11}, 15))
	badPad = badPad[:len(badPad)-16]
	m := hmac.New(sha1.New, macKey)
	m.Write(badPad)
	withBadPad := strings.Replace(strings.Replace(fig6, value, base64.StdEncoding.EncodeToString(badPad), 1),
		mac, base64.StdEncoding.EncodeToString(m.Sum(nil)), 1)
	require.NotEqual(t, fig6, withBadPad)

	tests := []struct {
		name string
		doc  string
		psk  []byte
	}{
		{"wrong key", fig6, mustHex("00000000000000000000000000000000")},
		{"changed value", strings.Replace(fig6, "AAECAwQF", "AAECAwQG", 1), figure6PSK},
		{"changed mac", strings.Replace(fig6, mac, "Tu+NvtQfmvfJzF6bmQiJqoLRExc=", 1), figure6PSK},
		{"short mac", strings.Replace(fig6, mac, "Su+NvtQfmvfJzF6b", 1), figure6PSK},
		{"long mac", strings.Replace(fig6, mac, "Su+NvtQfmvfJzF6bmQiJqoLRExcAAAAA", 1), figure6PSK},
		{"bad padding", withBadPad, figure6PSK},
		{"changed mac key", strings.Replace(fig6, "ESIzRFVmd4iZ", "ESIzRFVmd4iA", 1), figure6PSK},
	}
	var msg string
	for _, tc := range tests {
		_, err := Parse([]byte(tc.doc), Options{PreSharedKey: tc.psk})
		require.ErrorIs(t, err, ErrDecrypt, tc.name)
		if msg == "" {
			msg = err.Error()
		}
		assert.Equal(t, msg, err.Error(), tc.name)
		assert.NotContains(t, err.Error(), hex.EncodeToString(tc.psk), tc.name)
		assert.NotContains(t, err.Error(), "12345678901234567890", tc.name)
	}

	_, err := Parse([]byte(readFigure(t, "figure7.pskcxml")), Options{Passphrase: "QWERTY"})
	require.ErrorIs(t, err, ErrDecrypt)
	assert.NotContains(t, err.Error(), "QWERTY")
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	fig2 := readFigure(t, "figure2.pskcxml")
	fig7 := readFigure(t, "figure7.pskcxml")
	secret := base64.StdEncoding.EncodeToString(make([]byte, MaxSecretSize+1))
	tests := []struct {
		name string
		doc  string
		opts Options
		want error
	}{
		{"huge", strings.Repeat(" ", MaxDocumentSize+1), Options{}, ErrTooLarge},
		{"deep", strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000), Options{}, ErrTooLarge},
		{"wide", "<KeyContainer>" + strings.Repeat("<a/>", MaxElements) + "</KeyContainer>", Options{}, ErrTooLarge},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><KeyContainer Version="1.0">&lol2;</KeyContainer>`, Options{}, ErrInvalid},
		{"undeclared entity", `<KeyContainer Version="1.0">&lol;</KeyContainer>`, Options{}, ErrInvalid},
		{"absurd secret", strings.Replace(fig2, "MTIzNA==", secret, 1), Options{}, ErrTooLarge},
		{"iterations", strings.Replace(fig7, "<IterationCount>1000<", "<IterationCount>10000001<", 1), Options{Passphrase: "qwerty"}, ErrTooLarge},
		{"no psk", readFigure(t, "figure6.pskcxml"), Options{}, ErrKeyRequired},
		{"no passphrase", fig7, Options{PreSharedKey: figure6PSK}, ErrKeyRequired},
		{"psk size", readFigure(t, "figure6.pskcxml"), Options{PreSharedKey: make([]byte, 24)}, ErrDecrypt},
		{"two secrets", strings.Replace(fig2, "</Secret>", "</Secret><Secret><PlainValue>MTIzNA==</PlainValue></Secret>", 1), Options{}, ErrInvalid},
		{"plain and encrypted", strings.Replace(fig2, "</PlainValue>", "</PlainValue><EncryptedValue/>", 1), Options{}, ErrInvalid},
		{"not base64", strings.Replace(fig2, "MTIzNA==", "MTIzNA=!", 1), Options{}, ErrInvalid},
		{"empty", "", Options{}, ErrInvalid},
		{"two roots", "<KeyContainer/><KeyContainer/>", Options{}, ErrInvalid},
		{"not pskc", "<html/>", Options{}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse([]byte(tc.doc), tc.opts)
			require.ErrorIs(t, err, tc.want)
			assert.Nil(t, c)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.True(t, strings.HasPrefix(err.Error(), "pskc: "), err.Error())
			assert.NotContains(t, err.Error(), "MTIzNA")
			assert.NotContains(t, err.Error(), "qwerty")
		})
	}
}

func TestVisible(t *testing.T) {
	t.Parallel()
	fig2 := readFigure(t, "figure2.pskcxml")
	signed := strings.Replace(fig2, "</KeyContainer>", `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/></KeyContainer>`, 1)
	c, err := Parse([]byte(signed), Options{})
	require.NoError(t, err)
	assert.True(t, c.Signed)
	c, err = Parse([]byte(fig2), Options{})
	require.NoError(t, err)
	assert.False(t, c.Signed)

	camellia, err := os.ReadFile(filepath.Join("testdata", "python-pskc", "encryption", "camellia128-cbc.pskcxml"))
	require.NoError(t, err)
	_, err = Parse(camellia, Options{PreSharedKey: mustHex("200497e673a6fae2256e9749468a67ac")})
	require.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), "camellia128-cbc")
}

// TestKeyWrapVectors: RFC 3394 §4.1 and RFC 5649 §6.
func TestKeyWrapVectors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		kind           cipherKind
		kek, key, want string
	}{
		{"rfc3394 4.1", kwAES, "000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff", "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
		{"rfc3394 4.6", kwAES, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f", "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21"},
		{"rfc5649 20", kwAESPad, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8", "c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"rfc5649 7", kwAESPad, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8", "466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			spec := cipherSpec{tc.kind, len(mustHex(tc.kek))}
			b := newBlock(spec, mustHex(tc.kek))
			if tc.kind == kwAES {
				assert.Equal(t, tc.want, hex.EncodeToString(wrapCore(b, kwIV, mustHex(tc.key))))
			} else {
				assert.Equal(t, tc.want, hex.EncodeToString(wrapAESPad(b, mustHex(tc.key))))
			}
			got, ok := decrypt(spec, mustHex(tc.kek), mustHex(tc.want))
			require.True(t, ok)
			assert.Equal(t, tc.key, hex.EncodeToString(got))
			bad := mustHex(tc.want)
			bad[len(bad)-1] ^= 1
			_, ok = decrypt(spec, mustHex(tc.kek), bad)
			assert.False(t, ok)
		})
	}
}
