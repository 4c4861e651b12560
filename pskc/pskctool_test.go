package pskc

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCorpusPskctool compares Parse with libpskc's pskctool --info on the
// plain-text files of the corpus that pskctool reads without a warning:
// each key's Id, serial number and secret.
func TestCorpusPskctool(t *testing.T) {
	t.Parallel()
	pskctool := needTool(t, "pskctool")
	checked := 0
	for _, tc := range corpus {
		if tc.want != nil || tc.opts.PreSharedKey != nil || tc.opts.Passphrase != "" {
			continue
		}
		path := filepath.Join("testdata", "python-pskc", tc.file)
		out, err := exec.Command(pskctool, "--info", path).CombinedOutput()
		if err != nil || strings.Contains(string(out), "warning") {
			continue // a draft layout libpskc does not read
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		c, err := Parse(data, Options{})
		require.NoError(t, err, tc.file)
		var want []string
		for _, k := range c.Keys {
			if k.Serial != "" {
				want = append(want, "SerialNo: "+k.Serial)
			}
			want = append(want, "Id: "+k.ID)
			if k.Secret != nil {
				want = append(want, "Key Secret (base64): "+base64.StdEncoding.EncodeToString(k.Secret))
			}
		}
		var got []string
		for line := range strings.SplitSeq(string(out), "\n") {
			line = strings.TrimSpace(line)
			for _, p := range []string{"Id: ", "SerialNo: ", "Key Secret (base64): "} {
				if strings.HasPrefix(line, p) && !strings.HasPrefix(string(out), "Portable Symmetric Key Container (PSKC):\n\tVersion: 1.0\n\t"+line) {
					got = append(got, line)
				}
			}
		}
		assert.Equal(t, want, got, tc.file)
		checked++
	}
	assert.GreaterOrEqual(t, checked, 5)
}
