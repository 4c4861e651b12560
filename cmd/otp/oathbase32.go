package main

import "strings"

// decodeOathBase32 decodes a -b key as oathtool does: spaces dropped (only
// spaces), any ASCII case, '=' padding added when missing, then gnulib's
// decoder, which takes blocks of eight characters, a padded block in the
// middle too ("MY======MY======"), and ignores the unused low bits of the
// last character. It reports false for anything else.
func decodeOathBase32(s string) ([]byte, bool) {
	s = asciiUpper(strings.ReplaceAll(s, " ", ""))
	switch len(s) % 8 {
	case 2:
		s += "======"
	case 4:
		s += "===="
	case 5:
		s += "==="
	case 7:
		s += "="
	}
	if len(s)%8 != 0 {
		return nil, false
	}
	var out []byte
	for ; s != ""; s = s[8:] {
		var ok bool
		if out, ok = decodeBlock(out, s[:8]); !ok {
			return nil, false
		}
	}
	return out, true
}

// Characters of a block before its padding, and the bytes they hold; no
// other count is valid.
var blockBytes = map[int]int{2: 1, 4: 2, 5: 3, 7: 4, 8: 5}

// decodeBlock appends the bytes of one block of eight characters.
func decodeBlock(out []byte, block string) ([]byte, bool) {
	n := strings.IndexByte(block, '=')
	if n < 0 {
		n = 8
	}
	if strings.Trim(block[n:], "=") != "" {
		return nil, false
	}
	size, ok := blockBytes[n]
	if !ok {
		return nil, false
	}
	var bits uint64
	for i := range 8 {
		v := uint64(0)
		if i < n {
			c := block[i]
			switch {
			case c >= 'A' && c <= 'Z':
				v = uint64(c - 'A')
			case c >= '2' && c <= '7':
				v = uint64(c-'2') + 26
			default:
				return nil, false
			}
		}
		bits = bits<<5 | v
	}
	for i := range size {
		out = append(out, byte(bits>>(32-8*i)))
	}
	return out, true
}

// asciiUpper is C's toupper in the C locale over s: ASCII letters only.
func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
