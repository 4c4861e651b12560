package pskc

import (
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/otpkit/otp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOTPOathtool makes the codes of the Feitian c100 (HOTP) and c200
// (TOTP, 60-second steps) seeds of feitian/file1.pskcxml through Key.OTP,
// and compares them with oathtool's.
func TestOTPOathtool(t *testing.T) {
	t.Parallel()
	oathtool := needTool(t, "oathtool")
	data, err := os.ReadFile(filepath.Join("testdata", "python-pskc", "feitian", "file1.pskcxml"))
	require.NoError(t, err)
	c, err := Parse(data, Options{})
	require.NoError(t, err)
	byID := map[string]*Key{}
	for _, k := range c.Keys {
		byID[k.ID] = k
	}

	hotp := byID["1000133508267"]
	require.NotNil(t, hotp)
	key, err := hotp.OTP()
	require.NoError(t, err)
	require.Equal(t, otp.TypeHOTP, key.Type)
	for _, counter := range []uint64{0, 1, 5, 1 << 20} {
		code, err := key.HOTP().Generate(counter)
		require.NoError(t, err)
		out, err := exec.Command(oathtool, "--hotp", "--digits=6", "--counter="+strconv.FormatUint(counter, 10), hex.EncodeToString(key.Secret)).Output()
		require.NoError(t, err)
		assert.Equal(t, strings.TrimSpace(string(out)), code, "counter %d", counter)
	}

	totp := byID["2600124809778"]
	require.NotNil(t, totp)
	key, err = totp.OTP()
	require.NoError(t, err)
	require.Equal(t, otp.TypeTOTP, key.Type)
	require.Equal(t, time.Minute, key.Period)
	at := time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	code, err := key.TOTP().Generate(at)
	require.NoError(t, err)
	out, err := exec.Command(oathtool, "--totp", "--digits=6", "--time-step-size=60s", "--now="+at.Format("2006-01-02 15:04:05 UTC"), hex.EncodeToString(key.Secret)).Output()
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(out)), code)
}

func TestOTP(t *testing.T) {
	t.Parallel()
	secret := mustHex("3132333435363738393031323334353637383930")
	tests := []struct {
		name string
		key  Key
		want *otp.Key // nil: an error
	}{
		{"hotp", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp", Serial: "s1", Issuer: "Acme", Secret: secret, Counter: 7, Digits: 8, Encoding: "DECIMAL"},
			&otp.Key{Type: otp.TypeHOTP, Account: "s1", Issuer: "Acme", Secret: secret, Counter: 7, Digits: 8}},
		{"draft hotp", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc#hotp", ID: "k", Secret: secret},
			&otp.Key{Type: otp.TypeHOTP, Account: "k", Secret: secret}},
		{"hoyer", Key{Algorithm: "HOTP", UserID: "u", DeviceUserID: "d", Secret: secret},
			&otp.Key{Type: otp.TypeHOTP, Account: "u", Secret: secret}},
		{"totp sha256", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:totp", DeviceUserID: "d", Secret: secret, TimeStep: time.Minute, Suite: "HMAC-SHA256"},
			&otp.Key{Type: otp.TypeTOTP, Account: "d", Secret: secret, Period: time.Minute, Algorithm: otp.SHA256}},
		{"ocra", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc#OCRA-1:HOTP-SHA512-8:C-QN08", ID: "k", Secret: secret}, nil},
		{"pin", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:pin", ID: "k", Secret: secret}, nil},
		{"no secret", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp", ID: "k", KeyReference: "master"}, nil},
		{"hexadecimal", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp", ID: "k", Secret: secret, Encoding: "HEXADECIMAL"}, nil},
		{"check digit", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp", ID: "k", Secret: secret, CheckDigit: true}, nil},
		{"unknown policy", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp", ID: "k", Secret: secret, UnknownPolicy: true}, nil},
		{"suite", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:totp", ID: "k", Secret: secret, Suite: "HMAC-MD5"}, nil},
		{"5 digits", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp", ID: "k", Secret: secret, Digits: 5}, nil},
		{"no account", Key{Algorithm: "urn:ietf:params:xml:ns:keyprov:pskc:hotp", Secret: secret}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.key.OTP()
			if tc.want == nil {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), "pskc: "), err.Error())
				assert.NotContains(t, err.Error(), string(secret))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
