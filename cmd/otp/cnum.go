package main

import "math"

// These read numbers as C's strtol and strtoull do with base 0, because
// oathtool takes its numeric options that way: leading white space, a sign,
// "0x" for hexadecimal and a leading 0 for octal. Each returns the value
// and how much of s it used; an option's value is taken only if that is all
// of s (so, as in C, an empty string is 0).

// cSpace reports whether c is white space in the C locale.
func cSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// cDigits reads the unsigned magnitude after the sign and base prefix.
// It returns the magnitude (saturated at MaxUint64, with overflow set),
// the end, and whether any digit was read.
func cDigits(s string, i int) (v uint64, end int, overflow, any bool) {
	base := uint64(10)
	if i < len(s) && s[i] == '0' {
		base = 8
		if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && hexVal(s[i+2]) >= 0 {
			base = 16
			i += 2
		}
	}
	for ; i < len(s); i++ {
		d := hexVal(s[i])
		if d < 0 || uint64(d) >= base {
			break
		}
		any = true
		if v > (math.MaxUint64-uint64(d))/base {
			overflow = true
			v = math.MaxUint64
			continue
		}
		if !overflow {
			v = v*base + uint64(d)
		}
	}
	return v, i, overflow, any
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// cSign skips white space and a sign.
func cSign(s string) (i int, neg bool) {
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	return i, neg
}

// strtol is C's strtol(s, &end, 0) on a 64-bit long.
func strtol(s string) (int64, int) {
	i, neg := cSign(s)
	v, end, overflow, any := cDigits(s, i)
	if !any {
		return 0, 0
	}
	switch {
	case !neg && (overflow || v > math.MaxInt64):
		return math.MaxInt64, end
	case neg && (overflow || v > 1<<63):
		return math.MinInt64, end
	case neg:
		return int64(-v), end
	}
	return int64(v), end
}

// strtoull is C's strtoull(s, &end, 0): a minus sign negates modulo 2^64.
func strtoull(s string) (uint64, int) {
	i, neg := cSign(s)
	v, end, overflow, any := cDigits(s, i)
	if !any {
		return 0, 0
	}
	if overflow {
		return math.MaxUint64, end
	}
	if neg {
		v = -v
	}
	return v, end
}
