package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// writeNew writes data to path as a new file only the user can read (mode
// 0600). It never writes through what is already there: with O_EXCL the
// open fails on any existing name, a symbolic link planted there included,
// rather than following it, so no one else can have made the file first
// and kept a way to read it.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", path, pathless(err))
	}
	err = f.Chmod(0o600) // whatever the umask took away, and no more
	if err == nil {
		_, err = f.Write(data)
	}
	if err = errors.Join(err, f.Close()); err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("cannot write %s: %w", path, pathless(err))
	}
	return nil
}

// maxLine bounds an input line: more than any key URI or QR code holds.
const maxLine = 16 << 10

// line is one input line worth reading, with its number for messages.
type line struct {
	num  int
	text string
}

// readLines returns the lines of standard input that hold something:
// trimmed, without zbarimg's "QR-Code:" prefix, skipping blank lines, '#'
// comments and repeats (a QR code read twice). They hold secrets, so a
// terminal does not echo them.
func readLines(e *env) ([]line, error) {
	if e.terminal != nil {
		if restore, ok := e.terminal(); ok {
			defer restore()
		}
	}
	sc := bufio.NewScanner(e.in)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var lines []line
	seen := map[string]bool{}
	for num := 1; sc.Scan(); num++ {
		text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "QR-Code:"))
		if text == "" || strings.HasPrefix(text, "#") || seen[text] {
			continue
		}
		seen[text] = true
		lines = append(lines, line{num, text})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading input: %w", err)
	}
	return lines, nil
}

// readURI returns the key URI of a command's operand: the operand itself,
// or with none or "-" the first line of standard input, read without echo
// on a terminal since it holds a secret.
func readURI(args []string, e *env) (string, error) {
	if len(args) == 1 && args[0] != "-" {
		return args[0], nil
	}
	if e.terminal != nil {
		if restore, ok := e.terminal(); ok {
			defer restore()
		}
	}
	r := bufio.NewReaderSize(e.in, 4096)
	var b strings.Builder
	for {
		chunk, err := r.ReadString('\n')
		b.WriteString(chunk)
		if b.Len() > maxLine {
			return "", errors.New("input line too long for a key URI")
		}
		if err != nil || strings.HasSuffix(chunk, "\n") {
			if err != nil && err != io.EOF {
				return "", fmt.Errorf("reading input: %w", err)
			}
			break
		}
	}
	uri := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(b.String()), "QR-Code:"))
	if uri == "" {
		return "", errors.New("no key URI on standard input")
	}
	return uri, nil
}

// writeJSON writes v indented, with '&' in URIs as it is rather than as
// \u0026: the output is for scripts and people, not for an HTML page.
func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
