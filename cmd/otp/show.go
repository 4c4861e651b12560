package main

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/otpkit/otp"
)

const showAbout = `Prints the fields of a key URI and its current code (for HOTP, the code of
its counter). The URI is the argument, or with none or "-" a line of standard
input, which is safer: arguments are visible to other users. The secret is
printed only with -secret.`

// keyInfo is what otp show -json prints.
type keyInfo struct {
	Type      string              `json:"type"`
	Issuer    string              `json:"issuer"`
	Account   string              `json:"account"`
	Algorithm string              `json:"algorithm"`
	Digits    int                 `json:"digits"`
	Format    string              `json:"format"`
	Period    int64               `json:"period,omitempty"` // seconds; totp
	Counter   *uint64             `json:"counter,omitempty"`
	Code      string              `json:"code"`
	Remaining int64               `json:"remaining,omitempty"` // seconds the code has left; totp
	Secret    string              `json:"secret,omitempty"`
	URI       string              `json:"uri,omitempty"`
	Extra     map[string][]string `json:"extra,omitempty"`
}

func showCmd(args []string, e *env) int {
	fs := flagSet("show")
	asJSON := fs.Bool("json", false, "print one JSON object, for scripts")
	secret := fs.Bool("secret", false, "also print the secret (base32) and the URI")
	if st := parseFlags(fs, "[flags] [URI|-]", showAbout, args, 0, 1, e); st >= 0 {
		return st
	}
	uri, err := readURI(fs.Args(), e)
	var info keyInfo
	if err == nil {
		var k *otp.Key
		if k, err = otp.ParseURI(uri); err == nil {
			info, err = describe(k, e.now(), *secret)
		}
	}
	if err != nil {
		fmt.Fprintf(e.err, "otp show: %v\n", err)
		return 1
	}
	if *asJSON {
		writeJSON(e.out, info)
		return 0
	}
	info.print(e)
	return 0
}

// describe returns k's fields and its code at now.
func describe(k *otp.Key, now time.Time, withSecret bool) (keyInfo, error) {
	info := keyInfo{Type: k.Type.String(), Issuer: k.Issuer, Account: k.Account,
		Algorithm: k.Algorithm.String(), Digits: k.Digits, Format: k.Format.String(), Extra: k.Extra}
	var err error
	if k.Type == otp.TypeHOTP {
		counter := k.Counter
		info.Counter = &counter
		info.Code, err = k.HOTP().Generate(k.Counter)
	} else {
		t := k.TOTP()
		info.Period = int64(k.Period / time.Second)
		if info.Code, err = t.Generate(now); err == nil {
			var left time.Duration
			left, err = t.Remaining(now)
			info.Remaining = int64((left + time.Second - 1) / time.Second)
		}
	}
	if info.Digits == 0 {
		info.Digits = len(info.Code)
	}
	if withSecret {
		info.Secret, info.URI = otp.EncodeSecret(k.Secret), k.URI()
	}
	return info, err
}

func (k keyInfo) print(e *env) {
	w := e.out
	fmt.Fprintf(w, "Type:      %s\n", k.Type)
	fmt.Fprintf(w, "Issuer:    %s\n", k.Issuer)
	fmt.Fprintf(w, "Account:   %s\n", k.Account)
	fmt.Fprintf(w, "Algorithm: %s\n", k.Algorithm)
	fmt.Fprintf(w, "Digits:    %d\n", k.Digits)
	if k.Format != otp.Decimal.String() {
		fmt.Fprintf(w, "Format:    %s\n", k.Format)
	}
	if k.Counter != nil {
		fmt.Fprintf(w, "Counter:   %d\n", *k.Counter)
		fmt.Fprintf(w, "Code:      %s\n", k.Code)
	} else {
		fmt.Fprintf(w, "Period:    %ds\n", k.Period)
		fmt.Fprintf(w, "Code:      %s (%ds left)\n", k.Code, k.Remaining)
	}
	for _, name := range slices.Sorted(maps.Keys(k.Extra)) {
		for _, v := range k.Extra[name] {
			fmt.Fprintf(w, "Extra:     %s=%q\n", name, v)
		}
	}
	if k.Secret != "" {
		fmt.Fprintf(w, "Secret:    %s\nURI:       %s\n", k.Secret, k.URI)
	}
}
