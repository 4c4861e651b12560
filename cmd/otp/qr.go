package main

import (
	"flag"
	"fmt"

	"github.com/otpkit/otp"
)

const qrAbout = `Prints the QR code of a key URI (the argument, or with none or "-" a line of
standard input, which is safer: arguments are visible to other users) for a
terminal, or writes it to a new file with -png or -svg (mode 0600; an
existing file is never replaced). zbarimg's "QR-Code:" prefix is dropped.`

func qrFlags(fs *flag.FlagSet, f *keyFlags) {
	fs.StringVar(&f.png, "png", "", "write the QR code as a PNG image to `FILE`")
	fs.StringVar(&f.svg, "svg", "", "write the QR code as an SVG image to `FILE`")
	fs.BoolVar(&f.light, "light", false, "draw the QR code for a terminal with a light background")
}

func qrCmd(args []string, e *env) int {
	var f keyFlags
	fs := flagSet("qr")
	qrFlags(fs, &f)
	if st := parseFlags(fs, "[flags] [URI|-]", qrAbout, args, 0, 1, e); st >= 0 {
		return st
	}
	uri, err := readURI(fs.Args(), e)
	if err == nil {
		var k *otp.Key
		if k, err = otp.ParseURI(uri); err == nil {
			f.noText = f.png != "" || f.svg != ""
			err = writeQR(k.URI(), f, e)
		}
	}
	if err != nil {
		fmt.Fprintf(e.err, "otp qr: %v\n", err)
		return 1
	}
	return 0
}

// writeQR shows uri's QR code on the terminal (unless f.noText) and
// writes the files f asks for.
func writeQR(uri string, f keyFlags, e *env) error {
	code, err := otp.EncodeQR(uri)
	if err != nil {
		return err
	}
	if f.png != "" {
		if err := writeNew(f.png, code.PNG(8)); err != nil {
			return err
		}
	}
	if f.svg != "" {
		if err := writeNew(f.svg, []byte(code.SVG())); err != nil {
			return err
		}
	}
	if !f.noText {
		printQR(e, code, f.light)
	}
	return nil
}

func printQR(e *env, code *otp.QR, light bool) {
	if light {
		fmt.Fprintln(e.out, code.StringLightBackground())
	} else {
		fmt.Fprintln(e.out, code.String())
	}
}
