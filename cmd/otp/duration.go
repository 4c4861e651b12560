package main

import (
	"errors"
	"math"
	"strings"
)

// errDuration is every refusal of parseDuration: oathtool says no more.
var errDuration = errors.New("cannot parse duration")

// Seconds per unit, as gnulib's parse_duration counts them (a month is 30
// days, a year 365).
const (
	secMinute = 60
	secHour   = 60 * secMinute
	secDay    = 24 * secHour
	secWeek   = 7 * secDay
	secMonth  = 30 * secDay
	secYear   = 365 * secDay
)

// badTime is what oathtool's parsers return for "cannot parse": so no
// duration or time may be exactly -1 seconds.
const badTime = -1

// parseDuration reads a time step as oathtool's -s does (gnulib's
// parse_duration), in seconds: a number ("30"), numbers with units in
// decreasing order ("1h 30m", "2d", "90s": y, M, W, d, h, m, s), "H:MM" and
// "H:MM:SS", and ISO 8601 forms ("P1DT2H", "P0001-02-03T00:00:30",
// "T013000", "T1H30M"). It takes what oathtool takes with the same value,
// quirks included ("1:-5" is 55 seconds), and refuses the rest;
// FuzzParseDuration checks this against oathtool.
func parseDuration(s string) (int64, error) {
	s = strings.TrimLeft(s, cWhite)
	var v int64
	ok := false
	switch {
	case strings.HasPrefix(s, "P"):
		v, ok = parsePeriod(s[1:])
	case strings.HasPrefix(s, "T"):
		v, ok = parseClock(s[1:])
	case s != "" && isDigit(s[0]):
		v, ok = parseUnits(s)
	}
	if !ok || v == badTime {
		return 0, errDuration
	}
	return v, nil
}

const cWhite = " \t\n\v\f\r"

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// scaleAdd returns base + v*scale, or false where gnulib's scale_n_add
// reports an error: base is already bad, or the sum passes the largest
// time_t (with C's wrapping arithmetic, so that a negative v fails too).
func scaleAdd(base, v, scale int64) (int64, bool) {
	if base == badTime || v > math.MaxInt64/scale {
		return 0, false
	}
	v *= scale
	if base > math.MaxInt64-v {
		return 0, false
	}
	return base + v, true
}

// strtoul10 is C's strtoul(s, &end, 10), its value kept in a time_t as
// parse_duration does: it returns the value, the rest of s (all of s when
// there is no number) and false on overflow.
func strtoul10(s string) (int64, string, bool) {
	i, neg := cSign(s)
	start := i
	var v uint64
	overflow := false
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := uint64(s[i] - '0')
		if v > (math.MaxUint64-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	switch {
	case i == start:
		return 0, s, true
	case overflow:
		return 0, "", false
	case neg:
		v = -v
	}
	return int64(v), s[i:], true
}

// scaled reads the number that fills field (white space may follow it) and
// adds it times scale to base.
func scaled(base int64, ok bool, field string, scale int64) (int64, bool) {
	if !ok || base == badTime {
		return 0, false
	}
	v, rest, ok := strtoul10(field)
	if !ok || strings.TrimLeft(rest, cWhite) != "" {
		return 0, false
	}
	return scaleAdd(base, v, scale)
}

// parsePeriod reads what follows ISO 8601's "P": a date part, then after
// "T" a time part.
func parsePeriod(s string) (int64, bool) {
	date, clock, hasClock := strings.Cut(s, "T")
	if hasClock {
		date, clock = strings.Trim(date, cWhite), strings.Trim(clock, cWhite)
	}
	var res int64
	var ok bool
	switch {
	case strings.Contains(date, "-"):
		res, ok = dashed(date, "-", secYear, secMonth, secDay)
	case !strings.ContainsAny(date, "YMWD"):
		res, ok = packed(date, 4, secYear, secMonth, secDay)
	default:
		res, ok = suffixed(date, "YMWD", []int64{secYear, secMonth, secWeek, secDay})
	}
	if !ok || !hasClock {
		return res, ok
	}
	v, ok := parseClock(clock)
	if !ok {
		return 0, false
	}
	return scaleAdd(res, v, 1)
}

// parseClock reads ISO 8601's time part: "HH:MM:SS", "HHMMSS" or "1H2M3S".
func parseClock(s string) (int64, bool) {
	switch {
	case strings.Contains(s, ":"):
		return dashed(s, ":", secHour, secMinute, 1)
	case !strings.ContainsAny(s, "HMS"):
		return packed(s, 2, secHour, secMinute, 1)
	}
	return suffixed(s, "HMS", []int64{secHour, secMinute, 1})
}

// dashed reads "A-B-C" (or "A:B:C"), three numbers with their scales.
func dashed(s, sep string, a, b, c int64) (int64, bool) {
	first, rest, _ := strings.Cut(s, sep)
	second, third, ok := strings.Cut(rest, sep)
	if !ok {
		return 0, false
	}
	res, ok := scaled(0, true, first, a)
	res, ok = scaled(res, ok, second, b)
	return scaled(res, ok, third, c)
}

// packed reads "YYYYMMDD" (first of width 4) or "HHMMSS" (width 2).
func packed(s string, first int, a, b, c int64) (int64, bool) {
	if len(s) != first+4 {
		return 0, false
	}
	res, ok := scaled(0, true, s[:first], a)
	res, ok = scaled(res, ok, s[first:first+2], b)
	return scaled(res, ok, s[first+2:], c)
}

// suffixed reads numbers each followed by its unit letter, in the order of
// units, any of them left out: "1Y2D", "3H4S".
func suffixed(s, units string, scales []int64) (int64, bool) {
	var res int64
	ok := true
	for i := range units {
		field, rest, found := strings.Cut(s, units[i:i+1])
		if !found {
			continue
		}
		res, ok = scaled(res, ok, field, scales[i])
		s = rest
	}
	return res, ok && strings.TrimLeft(s, cWhite) == ""
}

// Units of the plain syntax, in the order they must come.
var plainUnits = []struct {
	letters string
	scale   int64
}{
	{"yY", secYear}, {"M", secMonth}, {"W", secWeek}, {"dD", secDay},
	{"h", secHour}, {"m", secMinute}, {"s", 1},
}

const hoursUnit, minutesUnit, secondsUnit = 4, 5, 6

// parseUnits reads the plain syntax: "30", "1h30m", "2 d 3 h", "1:30".
func parseUnits(s string) (int64, bool) {
	var res int64
	done := -1 // the index in plainUnits of the last unit read
	for {
		v, rest, ok := strtol10(s)
		if !ok {
			return 0, false
		}
		if strings.HasPrefix(rest, ":") {
			return clockTail(res, v, rest, done)
		}
		rest = strings.TrimLeft(rest, cWhite)
		if rest == "" {
			return scaleAdd(res, v, 1)
		}
		unit := unitIndex(rest[0])
		if unit < 0 || (unit <= done && unit != secondsUnit) {
			return 0, false
		}
		done = unit
		if res, ok = scaleAdd(res, v, plainUnits[unit].scale); !ok {
			return 0, false
		}
		rest = strings.TrimLeft(rest[1:], cWhite)
		if rest == "" {
			return res, true
		}
		if !isDigit(rest[0]) || unit == secondsUnit {
			return 0, false
		}
		s = rest
	}
}

func unitIndex(c byte) int {
	for i, u := range plainUnits {
		if strings.IndexByte(u.letters, c) >= 0 {
			return i
		}
	}
	return -1
}

// strtol10 reads the digits that s starts with (it is only called there),
// as C's strtol(s, &end, 10): false when they pass the largest long.
func strtol10(s string) (int64, string, bool) {
	var v int64
	i := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := int64(s[i] - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, "", false
		}
		v = v*10 + d
	}
	return v, s[i:], true
}

// clockTail reads ":MM" or ":MM:SS" after the hours h of "H:MM:SS", added to
// res. After a unit of minutes or less it is refused, and after hours what
// follows must be under an hour.
func clockTail(res, h int64, rest string, done int) (int64, bool) {
	if done >= minutesUnit {
		return 0, false
	}
	v := h
	for n := 0; n < 2 && strings.HasPrefix(rest, ":"); n++ {
		m, r, ok := strtoul10(rest[1:])
		if !ok {
			return 0, false
		}
		if v, ok = scaleAdd(m, v, 60); !ok {
			return 0, false
		}
		rest = r
	}
	if strings.TrimLeft(rest, cWhite) != "" {
		return 0, false
	}
	if done == hoursUnit && v >= secHour {
		return 0, false
	}
	return scaleAdd(res, v, 1)
}
