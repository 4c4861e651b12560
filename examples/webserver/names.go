package main

import (
	"errors"
	"slices"
	"unicode"

	"golang.org/x/text/secure/precis"
)

// canonicalName returns the one spelling of a user name that the database
// keeps and compares: RFC 8265's UsernameCaseMapped profile (PRECIS), which
// maps full-width letters to their usual form, upper case to lower and
// every string to NFC, so that "Alice", "ＡＬＩＣＥ" and "alice" are one
// name, and so are "josé" typed as one character or as e and a combining
// accent. It refuses what the profile refuses: spaces of every kind (a
// no-break space in "al ice" too), control and invisible characters,
// compatibility forms such as the ligature "ﬁ".
//
// PRECIS does not handle look-alikes from different scripts: "аlice", with
// a Cyrillic а, is a name of its own to it. So a name may not mix scripts
// (see oneScript), which refuses that one; a name written wholly in look-
// alikes of another script ("аlісе") is still a name of its own. Sign-up
// and login both take this form, so a look-alike is either the same
// account or no account.
func canonicalName(name string) (string, error) {
	if len(name) > 4*maxNameLen { // before any work: at most 4 bytes a character
		return "", errors.New("longer than 64 bytes")
	}
	canon, err := precis.UsernameCaseMapped.String(name)
	if err != nil {
		return "", errors.New("holds a space or a character that user names may not have")
	}
	if canon == "" { // RFC 8264 §7 refuses it; x/text leaves that to its caller
		return "", errors.New("empty")
	}
	if len(canon) > maxNameLen {
		return "", errors.New("longer than 64 bytes")
	}
	if !oneScript(canon) {
		return "", errors.New("mixes letters of different scripts")
	}
	return canon, nil
}

// scriptsTogether are the scripts that one language writes together
// (Unicode TS 39's "highly restrictive" level): Japanese mixes Han with
// both kana, Korean Han with Hangul, Chinese Han with Bopomofo.
var scriptsTogether = [][]*unicode.RangeTable{
	{unicode.Han, unicode.Hiragana, unicode.Katakana},
	{unicode.Han, unicode.Hangul},
	{unicode.Han, unicode.Bopomofo},
}

// oneScript reports whether the letters of s come from one script, or from
// scripts that one language writes together. Digits, punctuation and
// combining marks (the Common and Inherited scripts) go with any.
func oneScript(s string) bool {
	var used []*unicode.RangeTable
	for _, r := range s {
		if unicode.In(r, unicode.Common, unicode.Inherited) {
			continue
		}
		t := scriptOf(r)
		if t == nil {
			return false // a letter of no script: nothing to compare
		}
		if !slices.Contains(used, t) {
			used = append(used, t)
		}
	}
	if len(used) <= 1 {
		return true
	}
	for _, set := range scriptsTogether {
		if !slices.ContainsFunc(used, func(t *unicode.RangeTable) bool { return !slices.Contains(set, t) }) {
			return true
		}
	}
	return false
}

func scriptOf(r rune) *unicode.RangeTable {
	for _, t := range unicode.Scripts {
		if unicode.Is(t, r) {
			return t
		}
	}
	return nil
}
