package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/otpkit/otp"
)

// ShowQR draws q for a terminal and says, next to it, which background it
// is drawn for and how to get the other: a code drawn for the wrong one is
// inverted, and most phone scanners do not read inverted codes.
func ShowQR(out io.Writer, q *otp.QR, light bool) {
	if light {
		fmt.Fprint(out, q.StringLightBackground())
		fmt.Fprintln(out, "(Drawn for a light terminal background, as -light asks. On a dark one, run again without -light.)")
		return
	}
	fmt.Fprint(out, q.String())
	fmt.Fprintln(out, "(Drawn for a dark terminal background. If yours is light and the code does not scan, run again with -light.)")
}

// SavePNG writes q as a PNG that only the user can read, to path, or when
// path is empty to a new file in the temporary directory that is removed
// when the program ends. It returns the file's path and how long it stays.
func SavePNG(q *otp.QR, path string, exit *Exit) (saved, lasts string, err error) {
	png := q.PNG(otp.DefaultQRScale)
	if path != "" {
		return path, "kept", WritePrivateFile(path, png)
	}
	path, err = WritePrivateTemp("otp-qr-*.png", png)
	if err != nil {
		return "", "", fmt.Errorf("cannot write the QR code's PNG: %w", err)
	}
	exit.Add(func() { _ = os.Remove(path) })
	return path, "removed when this program ends", nil
}

// ShellCommand joins args into a command line that a POSIX shell runs with
// exactly these arguments, quoting those that need it.
func ShellCommand(args ...string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return strings.Join(quoted, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
