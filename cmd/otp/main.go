// Command otp makes, shows and checks one-time password keys (RFC 4226
// HOTP and RFC 6238 TOTP) from a shell: a drop-in for oathtool, and the
// rest of a key's life, from a new key to a Google Authenticator export.
//
// Install it with
//
//	go install github.com/otpkit/otp/cmd/otp@latest
//
// # Usage
//
//	otp code [OPTION]... KEY [OTP]   oathtool 2.6, exactly (also as "oathtool", a link to otp)
//	otp new [flags] ISSUER ACCOUNT   a new key: its secret, URI and QR code
//	otp show [flags] [URI|-]         a key URI's fields and current code
//	otp qr [flags] [URI|-]           a key URI as a QR code: text, -png or -svg
//	otp export [flags]               key URIs in, Google Authenticator export QR codes out
//	otp import [flags]               Google Authenticator export URIs in, key URIs out
//	otp import -pskc FILE [flags]    a hardware token vendor's PSKC file in, key URIs out
//	otp help [COMMAND]               this, or a command's flags
//
// otp code takes oathtool's options and prints what oathtool prints, with
// its exit status, so that scripts switch by a symbolic link:
//
//	otp code --totp -b @key.txt          the TOTP code now
//	otp code -c 5 -w 2 - < hexkey.txt    HOTP codes of counters 5, 6 and 7
//
// otp import -pskc reads the PSKC file (RFC 6030) in which a vendor ships
// its tokens' seeds, encrypted with the key it sends apart:
//
//	otp import -pskc tokens.xml -psk @tokens.key    the key as hex digits in a file
//	otp import -pskc tokens.xml -passphrase -       the passphrase typed, unechoed
//
// Give secrets as '-' (standard input, not echoed on a terminal) or
// '@FILE', never as arguments, which other users see and the shell keeps.
//
// Exit status: 0 success (help included), 1 failure, 2 a usage error (for
// otp code, as for oathtool: 2 a code not found, 1 anything else). Errors
// go to standard error and never hold a secret. What otp prints on
// standard output often does: a secret, a key URI or its QR code.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }

// env is what a command reads and writes besides its arguments.
type env struct {
	in       io.Reader
	out, err io.Writer
	now      func() time.Time
	// terminal turns off the echo of standard input when it is a
	// terminal, and says whether it did.
	terminal func() (restore func(), ok bool)
}

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(args []string, e *env) int
}

var commands []command

func init() {
	commands = []command{
		{"code", "[OPTION]... KEY [OTP]", "generate or check codes, as oathtool 2.6", func(args []string, e *env) int { return codeCmd("otp code", args, e) }},
		{"new", "[flags] ISSUER ACCOUNT", "make a key: its secret, URI and QR code", newCmd},
		{"show", "[flags] [URI|-]", "print a key URI's fields and current code", showCmd},
		{"qr", "[flags] [URI|-]", "print or write a key URI's QR code", qrCmd},
		{"export", "[flags]", "key URIs in, Google Authenticator export QR codes out", exportCmd},
		{"import", "[flags]", "Google Authenticator exports or PSKC token files in, key URIs out", importCmd},
		{"help", "[COMMAND]", "print this help, or a command's", helpCmd},
	}
}

// run is the program; main only wires it to the process. Invoked as
// "oathtool" it is otp code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{in: stdin, out: stdout, err: stderr, now: time.Now, terminal: hideEcho(stdin, stderr)}
	if len(args) > 0 && strings.TrimSuffix(filepath.Base(args[0]), ".exe") == "oathtool" {
		return codeCmd("oathtool", args[1:], e)
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	name := args[1]
	if name == "-h" || name == "-help" || name == "--help" {
		name = "help"
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		fmt.Fprintf(stderr, "otp: unknown command %q\n%s", name, usage())
		return 2
	}
	return commands[i].run(args[2:], e)
}

func usage() string {
	var b strings.Builder
	b.WriteString("Usage: otp COMMAND [ARGUMENTS]\n\nOne-time password keys (HOTP, RFC 4226; TOTP, RFC 6238) from a shell.\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun \"otp help COMMAND\" for a command's flags. Give secrets as '-' or\n'@FILE', never as arguments, which other users of the machine can see.\n")
	return b.String()
}

func helpCmd(args []string, e *env) int {
	if len(args) == 0 {
		fmt.Fprint(e.out, usage())
		return 0
	}
	if len(args) > 1 {
		fmt.Fprint(e.err, "otp help: one command at most\n")
		return 2
	}
	switch args[0] {
	case "code":
		fmt.Fprint(e.out, codeUsage)
		return 0
	case "help":
		fmt.Fprint(e.out, usage())
		return 0
	}
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == args[0] })
	if i < 0 {
		fmt.Fprintf(e.err, "otp help: unknown command %q\n", args[0])
		return 2
	}
	return commands[i].run([]string{"-h"}, e)
}

// flagSet returns a subcommand's flag set, which prints nothing itself:
// parseFlags prints the usage where it belongs.
func flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("otp "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs, which must leave from minArgs to maxArgs
// operands. It returns -1 to go on, or the exit status: 0 after printing
// the usage on stdout for -h, 2 after a usage error on stderr.
func parseFlags(fs *flag.FlagSet, synopsis, about string, args []string, minArgs, maxArgs int, e *env) int {
	printUsage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: %s %s\n\n%s\n", fs.Name(), synopsis, about)
		var flags strings.Builder
		fs.SetOutput(&flags)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
		if flags.Len() > 0 {
			fmt.Fprintf(w, "\nFlags:\n%s", flags.String())
		}
	}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printUsage(e.out)
		return 0
	case err != nil:
		fmt.Fprintf(e.err, "%s: %v\n", fs.Name(), err)
		printUsage(e.err)
		return 2
	case fs.NArg() < minArgs || fs.NArg() > maxArgs:
		fmt.Fprintf(e.err, "%s: wrong number of arguments\n", fs.Name())
		printUsage(e.err)
		return 2
	}
	return -1
}

// pathless drops the path from a file error whose caller names the file.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
