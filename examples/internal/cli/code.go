package cli

import (
	"fmt"
	"strings"
	"unicode"
)

// NormalizeCode returns the code a person typed or pasted as the ASCII
// digits that Verify takes, or an error that says why it cannot be a code
// of digits digits (none typed, a character that is not a digit, the wrong
// length), for the person to read.
//
// What it changes is what cannot change which code is meant:
//   - spaces of every kind are dropped: apps show "123 456", and phones
//     paste tabs, no-break spaces (U+00A0), narrow no-break spaces (U+202F)
//     and ideographic spaces (U+3000);
//   - a decimal digit of any script becomes its ASCII digit: full-width
//     "１２３" from an East Asian keyboard, Arabic-Indic "١٢٣", Devanagari.
//     Unicode encodes every decimal digit in a run of ten from 0 to 9, so
//     the value is the distance from the run's zero, and each is exactly
//     the digit the person read.
//
// What it leaves alone, so that the code is refused with a hint, is
// anything that would be a guess:
//   - letters that look like digits (O for 0, l or I for 1): accepting them
//     means deciding what someone meant;
//   - invisible format characters (zero-width spaces, direction marks and
//     overrides): a direction override shows the digits in another order
//     than they are stored, so what the person saw and what would be
//     checked differ;
//   - superscript, circled and other digit-like symbols, which are not
//     decimal digits, and hyphens and other punctuation, which no
//     authenticator app puts in a code: a paste that holds them is likely
//     something else (a date, a phone number).
//
// None of this widens what Verify accepts: each normalised answer is the
// digit string the person read, so a wrong code stays wrong.
func NormalizeCode(typed string, digits int) (string, error) {
	var b strings.Builder
	for i, r := range []rune(typed) {
		switch {
		case unicode.IsSpace(r):
		case unicode.IsDigit(r):
			b.WriteByte(byte('0' + digitValue(r)))
		default:
			return "", fmt.Errorf("character %d, %q (U+%04X), is not a digit: type only the %d digits the app shows", i+1, r, r, digits)
		}
	}
	switch n := b.Len(); {
	case n == 0:
		return "", fmt.Errorf("no code typed: type the %d digits the app shows", digits)
	case n != digits:
		return "", fmt.Errorf("that is %d digits, and the app shows %d", n, digits)
	}
	return b.String(), nil
}

// digitValue returns the value of the decimal digit r. Unicode guarantees
// that decimal digits (category Nd) come in contiguous runs of ten from 0
// to 9, and adjacent runs (the five mathematical alphanumeric digit sets)
// each start at a multiple of ten from the first zero.
func digitValue(r rune) int {
	zero := r
	for unicode.IsDigit(zero - 1) {
		zero--
	}
	return int(r-zero) % 10
}
