package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWritePrivateFile(t *testing.T) {
	t.Parallel()
	secret := []byte("the secret")
	tests := []struct {
		name  string
		setup func(t *testing.T, path string) // what is at path before
	}{
		{"nothing", func(*testing.T, string) {}},
		{"a file of ours that others can read", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("old"), 0o644))
			require.NoError(t, os.Chmod(path, 0o644))
		}},
		{"a link to another file", func(t *testing.T, path string) {
			victim := filepath.Join(filepath.Dir(path), "victim")
			require.NoError(t, os.WriteFile(victim, nil, 0o644))
			require.NoError(t, os.Symlink(victim, path))
		}},
		{"a dangling link", func(t *testing.T, path string) {
			require.NoError(t, os.Symlink(filepath.Join(filepath.Dir(path), "victim"), path))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "qr.png")
			tt.setup(t, path)
			require.NoError(t, WritePrivateFile(path, secret))
			fi, err := os.Lstat(path)
			require.NoError(t, err)
			assert.True(t, fi.Mode().IsRegular())
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, secret, got)
			if victim, err := os.ReadFile(filepath.Join(dir, "victim")); err == nil {
				assert.Empty(t, victim, "written through the link")
			}
			entries, err := os.ReadDir(dir)
			require.NoError(t, err)
			for _, e := range entries {
				assert.Contains(t, []string{"qr.png", "victim"}, e.Name(), "left behind")
			}
		})
	}
}

func TestWritePrivateFileFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err := WritePrivateFile(filepath.Join(dir, "no", "x.png"), []byte("s"))
	assert.EqualError(t, err, "cannot write "+filepath.Join(dir, "no", "x.png")+": no such file or directory")

	require.NoError(t, os.Mkdir(filepath.Join(dir, "d"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "d", "f"), nil, 0o600))
	err = WritePrivateFile(filepath.Join(dir, "d"), []byte("s"))
	require.Error(t, err, "a directory is not replaced")
	assert.True(t, strings.HasPrefix(err.Error(), "cannot write "+filepath.Join(dir, "d")+": "), err.Error())
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "the temporary file was left behind")
}

func TestWritePrivateTemp(t *testing.T) {
	t.Parallel()
	path, err := WritePrivateTemp("otp-test-*.png", []byte("s"))
	require.NoError(t, err)
	defer os.Remove(path)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assert.Equal(t, filepath.Clean(os.TempDir()), filepath.Dir(path))
}

// A POSIX shell given the command runs it with exactly these arguments.
func TestShellCommand(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no POSIX shell")
	}
	args := []string{"printf", `[%s]\n`, "plain", "two words", "O'Neil", "Zoë", "$HOME", "a\"b", "", "-x=1", "semi;colon", "`cmd`", "*", "new\nline"}
	cmd := ShellCommand(args...)
	out, err := exec.Command("sh", "-c", cmd).Output()
	require.NoError(t, err, cmd)
	var want strings.Builder
	for _, a := range args[2:] {
		want.WriteString("[" + a + "]\n")
	}
	assert.Equal(t, want.String(), string(out))
	assert.Equal(t, "go run ./examples/quickstart -secret ABC", ShellCommand("go", "run", "./examples/quickstart", "-secret", "ABC"), "plain words stay unquoted")
}
