package pskc

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vendorKeys are what a token vendor's delivery holds: an HOTP and a TOTP
// device with everything RFC 6030 carries.
func vendorKeys() []*Key {
	return []*Key{
		{
			ID: "1000133508267", Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp",
			Issuer: "Example Corp", FriendlyName: "c100 #1", UserID: "alice@example.com",
			Manufacturer: "Feitian Technology Co.,Ltd", Serial: "1000133508267", Model: "c100",
			IssueNo: "1", CryptoModuleID: "CM_ID_001",
			DeviceStartDate:  time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
			DeviceExpiryDate: time.Date(2034, 12, 31, 0, 0, 0, 0, time.UTC),
			Secret:           mustHex("3132333435363738393031323334353637383930"),
			Counter:          42, Digits: 6, Encoding: "DECIMAL",
			StartDate:  time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC),
			ExpiryDate: time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC),
			KeyUsage:   []string{"OTP"},
			PIN:        &PINPolicy{KeyID: "pin-1", UsageMode: "Local", MaxFailedAttempts: 5, MinLength: 4, MaxLength: 8, Encoding: "DECIMAL"},
		},
		{
			ID: "2600124809778", Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:totp",
			Issuer: "Example Corp", Manufacturer: "Feitian Technology Co.,Ltd", Serial: "2600124809778",
			DeviceUserID: "bob", Secret: mustHex("3132333435363738393031323334353637383930313233343536373839303132"),
			Time: 10, TimeStep: 60 * time.Second, TimeDrift: -2, Digits: 8, Encoding: "DECIMAL",
			Suite: "HMAC-SHA256", NumberOfTransactions: 1000,
		},
	}
}

var writeCases = []struct {
	name string
	opts Options
}{
	{"plain", Options{}},
	{"aes128", Options{PreSharedKey: mustHex("000102030405060708090a0b0c0d0e0f")}},
	{"aes256", Options{PreSharedKey: mustHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")}},
	{"passphrase", Options{Passphrase: "correct horse", Iterations: 1000}},
}

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range writeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, vendorKeys(), tc.opts))
			c, err := Parse(buf.Bytes(), tc.opts)
			require.NoError(t, err)
			assert.Equal(t, vendorKeys(), c.Keys)
			assert.Equal(t, tc.opts.PreSharedKey != nil || tc.opts.Passphrase != "", c.Encrypted)
			if c.Encrypted {
				assert.NotContains(t, buf.String(), base64.StdEncoding.EncodeToString(vendorKeys()[0].Secret))
			}
		})
	}
}

// TestWriteCrossCheck has python-pskc and pskctool read what Write writes:
// python-pskc decrypts it to the same secrets and values; pskctool
// validates it against RFC 6030's schema and reports the same values (the
// secrets too when they are in plain text: it decrypts nothing).
func TestWriteCrossCheck(t *testing.T) {
	t.Parallel()
	py := pythonPSKC(t)
	pskctool := needTool(t, "pskctool")
	for _, tc := range writeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, vendorKeys(), tc.opts))
			path := filepath.Join(t.TempDir(), "tokens.pskcxml")
			require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))

			want := dump(&Container{Keys: vendorKeys()})
			assert.Equal(t, want, pythonDump(t, py, path, tc.opts))

			out, err := exec.Command(pskctool, "--validate", "--quiet", path).CombinedOutput()
			assert.NoError(t, err, "%s", out)
			out, err = exec.Command(pskctool, "--info", path).CombinedOutput()
			require.NoError(t, err, "%s", out)
			info := string(out)
			for _, k := range vendorKeys() {
				for _, line := range []string{"Id: " + k.ID, "SerialNo: " + k.Serial, "Manufacturer: " + k.Manufacturer,
					"Algorithm: " + k.Algorithm, "Issuer: " + k.Issuer} {
					assert.Contains(t, info, line)
				}
				secret := "Key Secret (base64): " + base64.StdEncoding.EncodeToString(k.Secret)
				if tc.opts.PreSharedKey == nil && tc.opts.Passphrase == "" {
					assert.Contains(t, info, secret)
				} else {
					assert.NotContains(t, info, secret)
				}
			}
			assert.Contains(t, info, "Key Counter: 42")
			assert.Contains(t, info, "Response Format Length: 8")
			assert.Contains(t, info, "PIN Policy PIN Key Id: pin-1")
		})
	}
}

func TestWriteRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  *Key
		opts Options
	}{
		{"unknown policy", &Key{UnknownPolicy: true}, Options{}},
		{"fractional step", &Key{TimeStep: 1500 * time.Millisecond}, Options{}},
		{"long secret", &Key{Secret: make([]byte, MaxSecretSize+1)}, Options{}},
		{"space", &Key{Issuer: " Example"}, Options{}},
		{"control", &Key{Serial: "a\x00b"}, Options{}},
		{"bad utf-8", &Key{ID: "\xff"}, Options{}},
		{"nil", nil, Options{}},
		{"psk size", &Key{}, Options{PreSharedKey: []byte("short")}},
		{"both", &Key{}, Options{PreSharedKey: make([]byte, 16), Passphrase: "x"}},
		{"iterations", &Key{}, Options{Passphrase: "x", Iterations: MaxIterations + 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			err := Write(&buf, []*Key{tc.key}, tc.opts)
			require.ErrorIs(t, err, ErrWrite)
			assert.True(t, strings.HasPrefix(err.Error(), "pskc: "), err.Error())
			assert.Zero(t, buf.Len())
		})
	}
}
