package main

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

var errTime = errors.New("cannot parse time")

// parseTime reads a time as oathtool's -N and -S do (gnulib's
// parse_datetime), in seconds since the Unix epoch, for the forms people
// use with oathtool:
//
//	now, today             the current time
//	@1234567890            seconds since the epoch, maybe negative or with a fraction (dropped towards the past)
//	2024-01-31             midnight, in the local time zone
//	2024-01-31 10:00[:05]  also with T for the space, and a fraction of a second
//	... UTC                or GMT, Z, +01:00, +0100, -05
//	(empty)                midnight today
//
// A two-digit year is 1969 to 2068. Every time it takes, oathtool takes
// with the same value (FuzzParseTime checks this); parse_datetime's other
// forms ("next monday", "1 hour ago", zone names) are refused.
func parseTime(s string, now time.Time, loc *time.Location) (int64, error) {
	t := strings.ToLower(strings.Trim(s, cWhite))
	var v int64
	ok := false
	switch {
	case t == "":
		y, m, d := now.In(loc).Date()
		v, ok = time.Date(y, m, d, 0, 0, 0, 0, loc).Unix(), true
	case t == "now" || t == "today":
		v, ok = now.Unix(), true
	case strings.HasPrefix(t, "@"):
		v, ok = parseEpoch(strings.TrimLeft(t[1:], cWhite))
	default:
		v, ok = parseDate(t, loc)
	}
	if !ok || v == badTime {
		return 0, errTime
	}
	return v, nil
}

// parseEpoch reads "[+-]N[.F]".
func parseEpoch(s string) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if !hasFrac {
		whole, frac, hasFrac = strings.Cut(s, ",")
	}
	if !allDigits(whole) || (hasFrac && !allDigits(frac)) || len(whole) > 19 {
		return 0, false
	}
	v, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	fraction := hasFrac && strings.Trim(frac, "0") != ""
	if neg {
		if hasFrac && v == 0 {
			return 0, false // parse_datetime refuses "-0.5"
		}
		v = -v
		if fraction {
			v-- // towards the past, as parse_datetime rounds
		}
	}
	return v, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseDate reads "Y-M-D[( |T)H:MM[:SS[.F]]][ ZONE]".
func parseDate(s string, loc *time.Location) (int64, bool) {
	date, rest := s, ""
	i := strings.IndexAny(s, " \tt")
	if i >= 0 {
		date, rest = s[:i], strings.TrimLeft(s[i+1:], cWhite)
	}
	if i >= 0 && s[i] == 't' && !strings.Contains(rest, ":") {
		return 0, false // "T" needs a time after it
	}
	y, m, d, ok := splitDate(date)
	if !ok {
		return 0, false
	}
	clock, zone := rest, ""
	if i := strings.IndexAny(rest, " \tz+-ug"); i >= 0 {
		clock, zone = rest[:i], strings.Trim(rest[i:], cWhite)
	}
	var h, mi, sec int
	if clock != "" {
		if h, mi, sec, ok = splitClock(clock); !ok {
			return 0, false
		}
	}
	if zone != "" {
		offset, ok := parseZone(zone)
		if !ok {
			return 0, false
		}
		loc = time.FixedZone("", offset)
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	return time.Date(y, time.Month(m), d, h, mi, sec, 0, loc).Unix(), true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// splitDate reads "Y-M-D", a year of two digits being 1969-2068.
func splitDate(s string) (y, m, d int, ok bool) {
	parts := strings.Split(s, "-")
	if len(parts) != 3 || len(parts[0]) > 9 || len(parts[1]) > 2 || len(parts[2]) > 2 {
		return 0, 0, 0, false
	}
	var n [3]int
	for i, p := range parts {
		if !allDigits(p) {
			return 0, 0, 0, false
		}
		n[i], _ = strconv.Atoi(p)
	}
	if len(parts[0]) == 2 {
		n[0] += 1900
		if n[0] < 1969 {
			n[0] += 100
		}
	}
	return n[0], n[1], n[2], true
}

// splitClock reads "H:MM[:SS[.F]]", the fraction dropped.
func splitClock(s string) (h, m, sec int, ok bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, 0, 0, false
	}
	if len(parts) == 3 {
		whole, frac, hasFrac := strings.Cut(parts[2], ".")
		if !hasFrac {
			whole, frac, hasFrac = strings.Cut(parts[2], ",")
		}
		if hasFrac && !allDigits(frac) {
			return 0, 0, 0, false
		}
		parts[2] = whole
	}
	var n [3]int
	for i, p := range parts {
		if len(p) > 2 || !allDigits(p) {
			return 0, 0, 0, false
		}
		n[i], _ = strconv.Atoi(p)
	}
	return n[0], n[1], n[2], true
}

// parseZone reads "utc", "gmt", "ut", "z" or "+HH[[:]MM]" as seconds east.
func parseZone(s string) (int, bool) {
	switch s {
	case "utc", "gmt", "ut", "z":
		return 0, true
	}
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	digits := strings.Replace(s[1:], ":", "", 1)
	if !allDigits(digits) || (len(digits) != 2 && len(digits) != 4) || (strings.Contains(s, ":") && len(s) != 6) {
		return 0, false
	}
	h, _ := strconv.Atoi(digits[:2])
	m := 0
	if len(digits) == 4 {
		m, _ = strconv.Atoi(digits[2:])
	}
	if h > 24 || m > 59 {
		return 0, false
	}
	offset := h*3600 + m*60
	if s[0] == '-' {
		offset = -offset
	}
	return offset, true
}

// utcString writes t as oathtool's verbose output does (strftime's
// "%Y-%m-%d %H:%M:%S UTC" of gmtime), or false where gmtime fails: when
// the year does not fit in a C int as tm_year.
func utcString(t int64) (string, bool) {
	days, secs := t/secDay, t%secDay
	if secs < 0 {
		days, secs = days-1, secs+secDay
	}
	y, m, d := civil(days)
	if y-1900 > math.MaxInt32 || y-1900 < math.MinInt32 {
		return "", false
	}
	year := int32(int32(y-1900) + 1900) // strftime's %Y wraps as a C int
	return strconv.Itoa(int(year)) + "-" + two(m) + "-" + two(d) + " " +
		two(secs/3600) + ":" + two(secs/60%60) + ":" + two(secs%60) + " UTC", true
}

func two(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// civil returns the proleptic Gregorian date of days since 1970-01-01
// (Howard Hinnant's algorithm, exact for every int64 day count used here).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}
