// Command hotp shows counter-based codes (RFC 4226), as hardware tokens and
// some apps make them: enrolment, the next codes, verification with a
// look-ahead window, and how the server's counter catches up with a token
// whose button was pressed without logging in.
//
//	go run ./examples/hotp
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/otpkit/otp"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout))
}

// lookAhead is how many unused presses the server forgives (RFC 4226 §7.4).
const lookAhead = 5

func run(args []string, out io.Writer) int {
	fs := flag.NewFlagSet("hotp", flag.ContinueOnError)
	fs.SetOutput(out)
	secretFlag := fs.String("secret", "", "use this base32 secret instead of a new one")
	if fs.Parse(args) != nil {
		return 2
	}
	if err := demo(*secretFlag, out); err != nil {
		fmt.Fprintln(out, "error:", err)
		return 1
	}
	return 0
}

func demo(secret string, out io.Writer) error {
	key, err := newKey(secret)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "Enrol the token or app with this key URI:")
	fmt.Fprintln(out, "   ", key.URI())

	// The token and the server each keep a counter; they start equal.
	token := key.HOTP()
	server := key.HOTP()
	server.LookAhead = lookAhead
	tokenCounter, serverCounter := key.Counter, key.Counter

	fmt.Fprintln(out, "\nThe token's next codes:")
	for i := range uint64(4) {
		code, err := token.Generate(tokenCounter + i)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "    counter %d: %s\n", tokenCounter+i, code)
	}

	press := func() (string, error) {
		code, err := token.Generate(tokenCounter)
		tokenCounter++
		return code, err
	}
	login := func(what string) error {
		code, err := press()
		if err != nil {
			return err
		}
		next, err := server.Verify(code, serverCounter)
		switch {
		case err == nil:
			fmt.Fprintf(out, "%s: code %s accepted at counter %d; server now expects %d.\n", what, code, next-1, next)
			serverCounter = next
		case errors.Is(err, otp.ErrInvalidCode):
			fmt.Fprintf(out, "%s: code %s refused; server still expects %d.\n", what, code, serverCounter)
		default:
			return err
		}
		return nil
	}

	fmt.Fprintln(out)
	if err := login("Login 1"); err != nil {
		return err
	}
	// Three presses in a pocket: the token runs ahead of the server.
	for range 3 {
		if _, err := press(); err != nil {
			return err
		}
	}
	if err := login("Login 2, after 3 stray presses (within the look-ahead of 5)"); err != nil {
		return err
	}
	// Replaying an old code fails: the server's counter has moved past it.
	old, err := token.Generate(key.Counter)
	if err != nil {
		return err
	}
	if _, err := server.Verify(old, serverCounter); errors.Is(err, otp.ErrInvalidCode) {
		fmt.Fprintf(out, "Replay of the first code %s: refused.\n", old)
	}
	// Too many stray presses: beyond the window, the server cannot tell
	// the code from a guess.
	for range lookAhead + 1 {
		if _, err := press(); err != nil {
			return err
		}
	}
	return login(fmt.Sprintf("Login 3, after %d stray presses (beyond the look-ahead)", lookAhead+1))
}

func newKey(secret string) (*otp.Key, error) {
	key, err := otp.GenerateKey("Example Corp", "bob")
	if err != nil {
		return nil, err
	}
	key.Type = "hotp"
	key.Period = 0
	if secret != "" {
		key.Secret, err = otp.DecodeSecret(secret)
	}
	return key, err
}
