package pskc

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// needTool returns the path of an external program, skipping the test
// when it is missing, unless CI=true, where a missing tool fails it.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return path
}

// pythonPSKC returns a Python that imports python-pskc (Debian's
// python3-pskc is in /usr/bin's Python, which a pyenv python3 may hide).
func pythonPSKC(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import pskc").Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no python3 with python-pskc (python3-pskc)")
	}
	t.Skip("no python3 with python-pskc (python3-pskc)")
	return ""
}

// pythonDump runs testdata/pskcdump.py on file: python-pskc's reading.
func pythonDump(t *testing.T, py, file string, opts Options) map[string]any {
	t.Helper()
	args := []string{filepath.Join("testdata", "pskcdump.py"), file}
	switch {
	case opts.PreSharedKey != nil:
		args = append(args, "psk", hex.EncodeToString(opts.PreSharedKey))
	case opts.Passphrase != "":
		args = append(args, "passphrase", opts.Passphrase)
	}
	out, err := exec.Command(py, args...).Output()
	require.NoError(t, err)
	var v map[string]any
	require.NoError(t, json.Unmarshal(out, &v), "%s", out)
	return v
}

func isoDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format("2006-01-02T15:04:05")
}

// dump is what pskcdump.py prints, from Parse's result.
func dump(c *Container) map[string]any {
	keys := []any{}
	for _, k := range c.Keys {
		var secret any
		if k.Secret != nil {
			secret = hex.EncodeToString(k.Secret)
		}
		var pin any
		if p := k.PIN; p != nil {
			pin = map[string]any{"key_id": p.KeyID, "usage": p.UsageMode, "max_failed": p.MaxFailedAttempts,
				"min": p.MinLength, "max": p.MaxLength, "encoding": p.Encoding}
		}
		usage := []any{}
		for _, u := range k.KeyUsage {
			usage = append(usage, u)
		}
		keys = append(keys, map[string]any{
			"id": k.ID, "algorithm": k.Algorithm, "issuer": k.Issuer, "manufacturer": k.Manufacturer,
			"serial": k.Serial, "model": k.Model, "issue_no": k.IssueNo, "device_binding": k.DeviceBinding,
			"device_userid": k.DeviceUserID, "userid": k.UserID, "crypto_module": k.CryptoModuleID,
			"friendly_name": k.FriendlyName, "key_profile": k.KeyProfileID, "key_reference": k.KeyReference,
			"suite": k.Suite, "secret": secret, "counter": k.Counter, "time": k.Time,
			"time_interval": int64(k.TimeStep / time.Second), "time_drift": k.TimeDrift,
			"digits": k.Digits, "encoding": k.Encoding, "check_digit": k.CheckDigit,
			"device_start": isoDate(k.DeviceStartDate), "device_expiry": isoDate(k.DeviceExpiryDate),
			"start": isoDate(k.StartDate), "expiry": isoDate(k.ExpiryDate), "key_usage": usage,
			"transactions": k.NumberOfTransactions, "unknown_policy": k.UnknownPolicy, "pin": pin,
		})
	}
	b, _ := json.Marshal(map[string]any{"id": c.ID, "keys": keys})
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return v
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
