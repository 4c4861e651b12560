package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// WritePrivateFile writes data to path as a new file that only the user
// can read (mode 0600), for data that holds a secret.
//
// It never writes into what is already at path: os.WriteFile would follow
// a symbolic link planted there and keep an existing file's owner and
// mode, so another user who created the file first could read the secret.
// Instead the data goes to a new file beside path (created exclusively,
// mode 0600) that is then renamed to path. A rename replaces a link rather
// than following it, and in a shared sticky directory such as /tmp it
// fails where another user owns the name.
func WritePrivateFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, pathless(err))
	}
	if err := writeClose(f, data); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("cannot write %s: %w", path, pathless(err))
	}
	if err := os.Rename(f.Name(), path); err != nil {
		_ = os.Remove(f.Name())
		return fmt.Errorf("cannot write %s: %w", path, pathless(err))
	}
	return nil
}

// WritePrivateTemp writes data to a new file in the temporary directory
// that only the user can read (mode 0600), named by pattern as
// os.CreateTemp names it, and returns its path.
func WritePrivateTemp(pattern string, data []byte) (string, error) {
	f, err := os.CreateTemp("", pattern)
	if err != nil {
		return "", err
	}
	if err := writeClose(f, data); err != nil {
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func writeClose(f *os.File, data []byte) error {
	// CreateTemp makes the file 0600 less the umask; Chmod says so whatever
	// the platform's CreateTemp does.
	err := f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(data)
	}
	return errors.Join(err, f.Close())
}

// pathless drops the temporary file's name from an error about path, which
// the caller names itself.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
